//! Sound devices for capture tests on machines without a sound card.
//!
//! - [`AlsaMic`]: a private `~/.asoundrc` (through `HOME`) that defines an
//!   ALSA device reading a raw file through the `file` plugin. cpal opens it
//!   like any microphone; it delivers the file bit for bit, but as fast as
//!   it is read (not in real time) and with junk after the end, so tests
//!   stop after a known number of seconds.
//! - [`Pulse`]: a private PulseAudio daemon with a null sink. Audio played
//!   into the sink comes back, in real time, from its monitor source; unloading
//!   the sink is a device being unplugged.

#![allow(dead_code, reason = "each test crate uses a different subset")]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The passphrase the tests' data folders are encrypted with.
pub const PASSPHRASE: &str = "测试口令 test passphrase";

/// The `voice-ledger` binary under test. New data folders are encrypted;
/// tests give a passphrase and never touch the user's credential store.
pub fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_voice-ledger"));
    command
        .env("VOICE_LEDGER_PASSPHRASE", PASSPHRASE)
        .env("VOICE_LEDGER_NO_KEYRING", "1");
    command
}

/// 16-bit mono samples of a WAV file, as f32, and its sample rate.
pub fn read_wav(path: &Path) -> (Vec<f32>, u32) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(&bytes[0..4], b"RIFF", "{}", path.display());
    let mut at = 12;
    let mut rate = 0;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        let body = at + 8;
        if id == b"fmt " {
            assert_eq!(
                u16::from_le_bytes([bytes[body + 2], bytes[body + 3]]),
                1,
                "mono"
            );
            rate = u32::from_le_bytes(bytes[body + 4..body + 8].try_into().unwrap());
        }
        if id == b"data" {
            let end = (body + len).min(bytes.len());
            let samples = bytes[body..end]
                .chunks_exact(2)
                .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32_768.0)
                .collect();
            return (samples, rate);
        }
        at = body + len + (len & 1);
    }
    panic!("{}: no data chunk", path.display());
}

/// The WAV header's data length and the file's actual data length, bytes.
pub fn wav_lengths(path: &Path) -> (u64, u64) {
    let bytes = std::fs::read(path).unwrap();
    let declared = u32::from_le_bytes(bytes[40..44].try_into().unwrap());
    (u64::from(declared), bytes.len() as u64 - 44)
}

/// Signal-to-error ratio in dB of `actual` against `expected`, at the best
/// alignment within ±`max_shift` samples.
pub fn snr_db(actual: &[f32], expected: &[f32], max_shift: usize) -> f64 {
    let mut best = f64::NEG_INFINITY;
    let shift = max_shift as isize;
    for offset in -shift..=shift {
        let (mut signal, mut error) = (0.0f64, 0.0f64);
        for (i, &e) in expected.iter().enumerate() {
            let j = i as isize + offset;
            if j < 0 || j as usize >= actual.len() {
                continue;
            }
            let a = actual[j as usize];
            signal += f64::from(e) * f64::from(e);
            error += f64::from(a - e).powi(2);
        }
        best = best.max(10.0 * (signal / error.max(1e-12)).log10());
    }
    best
}

/// A native format as `voice-ledger devices --json` reports it.
#[derive(Debug, Clone, Copy)]
pub struct Format {
    pub rate: u32,
    pub channels: usize,
    pub float: bool,
}

/// Raw interleaved bytes of 16 kHz mono `samples` in `format`. Rates
/// other than 16 kHz are reached by linear interpolation: plain, but every
/// error it makes lies above 8 kHz or is a fraction of a decibel, and the
/// capture pipeline filters to 8 kHz anyway.
pub fn raw_in_format(samples: &[f32], format: Format) -> Vec<u8> {
    let frames = (samples.len() as u64 * u64::from(format.rate) / 16_000) as usize;
    let step = 16_000.0 / f64::from(format.rate);
    let mut out = Vec::with_capacity(frames * format.channels * 4);
    for frame in 0..frames {
        let position = frame as f64 * step;
        let index = position as usize;
        let fraction = (position - index as f64) as f32;
        let a = samples[index.min(samples.len() - 1)];
        let b = samples[(index + 1).min(samples.len() - 1)];
        let value = a + (b - a) * fraction;
        for _ in 0..format.channels {
            if format.float {
                out.extend_from_slice(&value.to_le_bytes());
            } else {
                let pcm = (value * 32_767.0).round() as i16;
                out.extend_from_slice(&pcm.to_le_bytes());
            }
        }
    }
    out
}

/// The speech model for tests that recognise speech:
/// `$VOICE_LEDGER_TEST_MODEL`, else the one `cargo xtask setup` installs.
/// Absent, the test fails and says how to get it.
pub fn test_model() -> PathBuf {
    if let Some(path) = std::env::var_os("VOICE_LEDGER_TEST_MODEL").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "VOICE_LEDGER_TEST_MODEL points to `{}`, which does not exist; \
             run `cargo xtask setup` or `voice-ledger model install base`",
            path.display()
        );
        return path;
    }
    std::env::var_os("HOME")
        .map(|home| PathBuf::from(home).join(".cache/voice-ledger/model-home/models/ggml-base.bin"))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "live dictation tests need the multilingual base model: run \
                 `cargo xtask setup` (or `voice-ledger model install base`), or set \
                 VOICE_LEDGER_TEST_MODEL to a ggml-base.bin file"
            )
        })
}

/// A data folder whose only content is the test model, linked in.
pub fn data_with_model() -> tempfile::TempDir {
    let data = tempfile::tempdir().unwrap();
    let models = data.path().join("models");
    std::fs::create_dir_all(&models).unwrap();
    let target = models.join("ggml-base.bin");
    #[cfg(unix)]
    std::os::unix::fs::symlink(test_model(), &target).unwrap();
    #[cfg(not(unix))]
    std::fs::copy(test_model(), &target).unwrap();
    data
}

/// A fake ALSA microphone that plays a raw file.
pub struct AlsaMic {
    pub home: tempfile::TempDir,
    pub raw: PathBuf,
}

impl AlsaMic {
    /// Device id as cpal names it.
    pub const ID: &'static str = "alsa:vltest";

    /// A microphone playing nothing yet ([`AlsaMic::play`] sets the sound).
    pub fn new() -> AlsaMic {
        let home = tempfile::tempdir().unwrap();
        let raw = home.path().join("input.raw");
        std::fs::write(&raw, [0u8; 8]).unwrap();
        let config = format!(
            r#"pcm.vltest {{
    type file
    slave.pcm "null"
    file "/dev/null"
    infile "{}"
    format "raw"
    hint {{
        show on
        description "Voice Ledger test microphone"
    }}
}}
"#,
            raw.display()
        );
        std::fs::write(home.path().join(".asoundrc"), config).unwrap();
        AlsaMic { home, raw }
    }

    /// A `voice-ledger` command that sees this microphone (and no
    /// PulseAudio server), with its data folder in `data`.
    pub fn command(&self, data: &Path) -> Command {
        let mut command = binary();
        command
            .env("HOME", self.home.path())
            .env("XDG_RUNTIME_DIR", self.home.path())
            .env("PULSE_SERVER", "unix:/nonexistent/voice-ledger-test")
            .arg("--data-dir")
            .arg(data);
        command
    }

    /// The device's native format, from `devices --json`.
    pub fn format(&self, data: &Path) -> Format {
        let out = self
            .command(data)
            .args(["devices", "--json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let device = list
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["id"] == AlsaMic::ID)
            .unwrap_or_else(|| panic!("{} not listed: {list}", AlsaMic::ID));
        let format = &device["format"];
        let sample_format = format["sample_format"].as_str().unwrap();
        assert!(
            matches!(sample_format, "f32" | "i16"),
            "unexpected test format {sample_format}"
        );
        Format {
            rate: format["sample_rate"].as_u64().unwrap() as u32,
            channels: format["channels"].as_u64().unwrap() as usize,
            float: sample_format == "f32",
        }
    }

    /// Makes the microphone deliver these 16 kHz samples next time it is
    /// opened.
    pub fn play(&self, samples: &[f32], data: &Path) {
        let format = self.format(data);
        std::fs::write(&self.raw, raw_in_format(samples, format)).unwrap();
    }
}

/// A private PulseAudio daemon with a null sink `vl_sink`.
pub struct Pulse {
    pub dir: tempfile::TempDir,
    pub server: String,
    daemon: Child,
}

impl Pulse {
    /// Starts the daemon; fails with install instructions when PulseAudio
    /// is missing.
    pub fn start() -> Pulse {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("native");
        let config = dir.path().join("test.pa");
        std::fs::write(
            &config,
            format!(
                "load-module module-native-protocol-unix auth-anonymous=1 socket={}\n\
                 load-module module-null-sink sink_name=vl_sink rate=48000 channels=2\n\
                 set-default-sink vl_sink\n\
                 set-default-source vl_sink.monitor\n",
                socket.display()
            ),
        )
        .unwrap();
        let runtime = dir.path().join("run");
        std::fs::create_dir_all(&runtime).unwrap();
        let daemon = Command::new("pulseaudio")
            .args([
                "--daemonize=no",
                "--exit-idle-time=-1",
                "-n",
                "--log-target=stderr",
            ])
            .arg("-F")
            .arg(&config)
            .env("HOME", dir.path())
            .env("XDG_RUNTIME_DIR", &runtime)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start `pulseaudio` ({e}); the capture tests need it: \
                     apt-get install -y pulseaudio pulseaudio-utils"
                )
            });
        let pulse = Pulse {
            server: format!("unix:{}", socket.display()),
            dir,
            daemon,
        };
        let started = Instant::now();
        while !pulse.pactl(&["info"]) {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the test PulseAudio daemon did not come up"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        pulse
    }

    /// Runs `pactl` against this daemon; returns whether it succeeded.
    pub fn pactl(&self, args: &[&str]) -> bool {
        Command::new("pactl")
            .args(args)
            .env("PULSE_SERVER", &self.server)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Plays a WAV file into the null sink, in real time, in the background.
    pub fn play(&self, wav: &Path) -> Child {
        Command::new("paplay")
            .arg(wav)
            .env("PULSE_SERVER", &self.server)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("paplay (apt-get install -y pulseaudio-utils)")
    }

    /// A `voice-ledger` command that captures through this daemon.
    pub fn command(&self, data: &Path) -> Command {
        let mut command = binary();
        command
            .env("PULSE_SERVER", &self.server)
            .env("HOME", self.dir.path())
            .arg("--data-dir")
            .arg(data);
        command
    }
}

impl Drop for Pulse {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

/// Reads JSON event lines from a child's stdout until `until` says stop;
/// returns the lines read.
pub fn read_events(
    reader: &mut BufReader<std::process::ChildStdout>,
    mut until: impl FnMut(&serde_json::Value) -> bool,
) -> Vec<serde_json::Value> {
    let mut events = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return events,
            Ok(_) => {}
        }
        let Ok(event) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        let stop = until(&event);
        events.push(event);
        if stop {
            return events;
        }
    }
}
