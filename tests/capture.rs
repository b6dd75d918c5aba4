//! Live capture through real sound devices on a machine without a sound
//! card: an ALSA device that plays a file (fast, exact), and a private
//! PulseAudio daemon (real time, can be unplugged).

#[path = "capture_support/mod.rs"]
mod capture_support;
#[path = "speech_support/mod.rs"]
mod speech_support;

use std::io::BufReader;
use std::process::{Output, Stdio};

use capture_support::{AlsaMic, Pulse, read_events, read_wav, snr_db, wav_lengths};
use serde_json::Value;

fn fixture_samples(id: &str) -> Vec<f32> {
    read_wav(&speech_support::fixture(id).file()).0
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The JSON lines a `--progress` run printed.
fn events(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn of_kind<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["event"] == kind).collect()
}

/// Records `seconds` from the test microphone playing fixture `id`.
fn record_fixture(id: &str, seconds: f64) -> (tempfile::TempDir, AlsaMic, Output) {
    let data = tempfile::tempdir().unwrap();
    let mic = AlsaMic::new();
    mic.play(&fixture_samples(id), data.path());
    let out = mic
        .command(data.path())
        .args(["record", "--device", AlsaMic::ID, "--progress", "--out"])
        .arg(data.path().join("take.wav"))
        .args(["--seconds", &seconds.to_string()])
        .output()
        .unwrap();
    (data, mic, out)
}

#[test]
fn devices_lists_the_test_microphone_with_its_native_format() {
    let data = tempfile::tempdir().unwrap();
    let mic = AlsaMic::new();
    let format = mic.format(data.path());
    assert!(format.rate >= 8_000 && format.channels >= 1, "{format:?}");

    let out = mic.command(data.path()).arg("devices").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Voice Ledger test microphone"), "{text}");
    // Probing other ALSA devices must not spill library noise onto the terminal.
    assert!(!stderr(&out).contains("ALSA lib"), "{}", stderr(&out));
}

#[test]
fn record_captures_known_speech_through_alsa() {
    let expected = fixture_samples("hv08");
    let seconds = expected.len() as f64 / 16_000.0;
    let (data, _mic, out) = record_fixture("hv08", seconds);
    assert!(out.status.success(), "{}", stderr(&out));

    // Exactly the requested length, and the speech itself.
    let (recorded, rate) = read_wav(&data.path().join("take.wav"));
    assert_eq!(rate, 16_000);
    assert_eq!(recorded.len(), expected.len());
    let snr = snr_db(&recorded, &expected, 8);
    assert!(
        snr > 20.0,
        "recording differs from the fixture: SNR {snr:.1} dB"
    );

    // About 20 meter readings a second, speech levels, a good verdict.
    let events = events(&out);
    let levels = of_kind(&events, "level");
    let per_second = levels.len() as f64 / seconds;
    assert!(
        (19.0..=21.0).contains(&per_second),
        "{per_second} readings/s"
    );
    let loudest = levels
        .iter()
        .map(|l| l["rms_dbfs"].as_f64().unwrap())
        .fold(f64::MIN, f64::max);
    let peak = levels
        .iter()
        .map(|l| l["peak_dbfs"].as_f64().unwrap())
        .fold(f64::MIN, f64::max);
    assert!(
        (-20.0..=-3.0).contains(&loudest),
        "loudest 50 ms {loudest} dBFS"
    );
    assert!(
        (-6.0..=0.0).contains(&peak),
        "peak {peak} dBFS (fixture: −3)"
    );
    let verdicts = of_kind(&events, "quality");
    assert_eq!(verdicts.len(), 1, "{verdicts:?}");
    assert_eq!(verdicts[0]["quality"]["verdict"], "good");
}

#[test]
fn silence_is_reported_as_too_quiet_within_two_seconds() {
    let (data, _mic, out) = record_fixture("silence-5s", 3.0);
    assert!(out.status.success(), "{}", stderr(&out));
    let events = events(&out);
    let verdict = of_kind(&events, "quality")[0];
    assert_eq!(verdict["quality"]["verdict"], "too-quiet");
    assert!(verdict["advice_zh"].as_str().unwrap().contains("声音太小"));
    // It came after the first check point, before 2 s of audio.
    let position = events.iter().position(|e| e["event"] == "quality").unwrap();
    let before = of_kind(&events[..position], "level").len();
    assert!(
        (30..=40).contains(&before),
        "{before} readings before the verdict"
    );
    for level in of_kind(&events, "level") {
        assert_eq!(level["rms_dbfs"].as_f64().unwrap(), -100.0);
    }
    assert_eq!(read_wav(&data.path().join("take.wav")).0.len(), 48_000);
}

#[test]
fn the_chosen_device_is_remembered() {
    let data = tempfile::tempdir().unwrap();
    let mic = AlsaMic::new();
    mic.play(&fixture_samples("hv03"), data.path());

    let out = mic
        .command(data.path())
        .args(["devices", "--choose", "no-such-microphone"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no-such-microphone"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains(AlsaMic::ID),
        "lists what exists: {}",
        stderr(&out)
    );

    let out = mic
        .command(data.path())
        .args(["devices", "--choose", "vltest"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let settings = std::fs::read_to_string(data.path().join("capture.toml")).unwrap();
    assert!(settings.contains("alsa:vltest"), "{settings}");

    let out = mic
        .command(data.path())
        .args(["record", "--seconds", "1", "--json", "--out"])
        .arg(data.path().join("again.wav"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["device"], AlsaMic::ID);
    assert_eq!(summary["duration_s"], 1.0);
}

/// Recording, then `kill -9`: the file on disk is a valid WAV at once, and
/// the next start repairs it to hold all but the last second at most.
#[test]
fn a_killed_recording_is_recovered_on_the_next_start() {
    let data = tempfile::tempdir().unwrap();
    let mic = AlsaMic::new();
    let expected = fixture_samples("long-30s");
    mic.play(&expected, data.path());
    let take = data.path().join("audio").join("killed.wav");

    let mut child = mic
        .command(data.path())
        .args([
            "record",
            "--device",
            AlsaMic::ID,
            "--progress",
            "--seconds",
            "600",
            "--out",
        ])
        .arg(&take)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut heard_s = 0.0;
    let mut track = |e: &Value| {
        if let Some(at) = e["at_s"].as_f64() {
            heard_s = f64::max(heard_s, at);
        }
        heard_s >= 3.0
    };
    read_events(&mut reader, &mut track);
    child.kill().unwrap();
    child.wait().unwrap();
    // Whatever the process printed before it died counts as captured.
    read_events(&mut reader, &mut track);
    assert!(heard_s >= 3.0, "the recording did not get going");

    // Valid straight after the crash: the header never promises more than
    // the file holds.
    let (declared, actual) = wav_lengths(&take);
    assert!(declared <= actual, "header {declared} > data {actual}");
    assert!(data.path().join("audio").read_dir().unwrap().any(|e| {
        e.unwrap()
            .path()
            .extension()
            .is_some_and(|x| x == "recording")
    }));

    // The next start repairs it and says so.
    let out = mic
        .command(data.path())
        .args([
            "record",
            "--device",
            AlsaMic::ID,
            "--seconds",
            "0.5",
            "--out",
        ])
        .arg(data.path().join("next.wav"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("killed.wav"), "{}", stderr(&out));
    let (declared, actual) = wav_lengths(&take);
    assert_eq!(declared, actual);
    let (recovered, _) = read_wav(&take);
    let recovered_s = recovered.len() as f64 / 16_000.0;
    assert!(
        recovered_s >= heard_s - 1.0,
        "recovered {recovered_s:.2} s, but {heard_s:.2} s had been captured"
    );
    let compare = recovered.len().min(expected.len());
    let snr = snr_db(&recovered[..compare], &expected[..compare], 8);
    assert!(snr > 20.0, "recovered audio is not the speech: {snr:.1} dB");
    assert!(!data.path().join("audio").read_dir().unwrap().any(|e| {
        e.unwrap()
            .path()
            .extension()
            .is_some_and(|x| x == "recording")
    }));
}

/// The same in real time: what the next start recovers is within a second
/// of what had been captured when the process was killed.
#[test]
fn a_killed_real_time_recording_loses_less_than_a_second() {
    let pulse = Pulse::start();
    let data = tempfile::tempdir().unwrap();
    let take = data.path().join("audio").join("killed.wav");
    let mut child = pulse
        .command(data.path())
        .args([
            "record",
            "--device",
            "vl_sink.monitor",
            "--progress",
            "--seconds",
            "60",
        ])
        .arg("--out")
        .arg(&take)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut player = pulse.play(&speech_support::fixture("long-30s").file());
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut heard_s = 0.0;
    let mut track = |e: &Value| {
        if let Some(at) = e["at_s"].as_f64() {
            heard_s = f64::max(heard_s, at);
        }
        heard_s >= 4.0
    };
    read_events(&mut reader, &mut track);
    child.kill().unwrap();
    child.wait().unwrap();
    read_events(&mut reader, &mut track);
    let _ = player.kill();
    let _ = player.wait();

    let out = pulse
        .command(data.path())
        .args([
            "record",
            "--device",
            "vl_sink.monitor",
            "--seconds",
            "0.2",
            "--out",
        ])
        .arg(data.path().join("next.wav"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("killed.wav"), "{}", stderr(&out));
    let (recovered, _) = read_wav(&take);
    let recovered_s = recovered.len() as f64 / 16_000.0;
    assert!(
        (heard_s - 1.0..=heard_s + 1.0).contains(&recovered_s),
        "recovered {recovered_s:.2} s of the {heard_s:.2} s captured"
    );
    let loud = recovered.iter().filter(|s| s.abs() > 0.05).count();
    assert!(loud > 1_000, "{loud} loud samples: the speech is missing");
}

/// Pulling the microphone out mid-sentence: the recording so far is kept,
/// and the user is told what happened and what to do, in both languages.
#[test]
fn an_unplugged_microphone_keeps_what_was_recorded() {
    let pulse = Pulse::start();
    let data = tempfile::tempdir().unwrap();
    let take = data.path().join("unplugged.wav");
    let mut child = pulse
        .command(data.path())
        // The limit only matters if the unplugging goes unnoticed.
        .args([
            "record",
            "--device",
            "vl_sink.monitor",
            "--progress",
            "--seconds",
            "60",
        ])
        .arg("--out")
        .arg(&take)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut player = pulse.play(&speech_support::fixture("hv01").file());
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    read_events(&mut reader, |e| {
        e["at_s"].as_f64().is_some_and(|at| at >= 2.0)
    });
    assert!(pulse.pactl(&["unload-module", "module-null-sink"]));

    let rest = read_events(&mut reader, |_| false);
    let out = child.wait_with_output().unwrap();
    let _ = player.kill();
    let _ = player.wait();
    assert_eq!(out.status.code(), Some(1));
    let message = stderr(&out);
    assert!(message.contains("断开"), "{message}");
    assert!(message.contains("disconnected"), "{message}");
    assert!(message.contains("unplugged.wav"), "{message}");
    assert_eq!(of_kind(&rest, "interrupted").len(), 1, "{rest:?}");

    let (declared, actual) = wav_lengths(&take);
    assert_eq!(declared, actual, "the recording was finished properly");
    let (kept, _) = read_wav(&take);
    assert!(kept.len() >= 2 * 16_000, "kept only {} samples", kept.len());
    // It is the speech that was playing, not silence.
    let loud = kept.iter().filter(|s| s.abs() > 0.05).count();
    assert!(loud > 1_000, "{loud} loud samples");
}

/// The PulseAudio host delivers 16-bit samples: another native format
/// through the same pipeline.
#[test]
fn pulseaudio_sources_record_too() {
    let pulse = Pulse::start();
    let data = tempfile::tempdir().unwrap();
    let out = pulse
        .command(data.path())
        .args([
            "record",
            "--device",
            "vl_sink.monitor",
            "--seconds",
            "2",
            "--json",
            "--out",
        ])
        .arg(data.path().join("rt.wav"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["device"], "pulseaudio:vl_sink.monitor");
    assert_eq!(summary["duration_s"], 2.0);
    assert_eq!(summary["format"]["sample_format"], "i16");
}
