//! The real multilingual base model, as CI installs it with
//! `voice-ledger model install base`: found through
//! `$VOICE_LEDGER_TEST_MODEL`, or installed from its PyPI source into the
//! model cache when that is unset.

#[path = "common/model.rs"]
mod support;

use voice_ledger::model::{Manifest, install, load};
use whisper_rs::{FullParams, SamplingStrategy, WhisperContextParameters};

#[test]
fn installed_base_model_is_the_one_the_manifest_describes() {
    let path = support::real_base_model();
    let manifest = Manifest::builtin().unwrap();
    let entry = manifest.get("base").unwrap();

    // Either the official download (checked by SHA-1 at install) or the
    // converted PyPI model, whose SHA-256 the converter reproduces exactly.
    let sha256 = install::sha256_file(&path).unwrap();
    let converted = install::expected_sha256s(entry).contains(&sha256.as_str());
    let official = {
        use sha1::Digest as _;
        let sha1 = hex::encode(sha1::Sha1::digest(std::fs::read(&path).unwrap()));
        entry.sha1.as_deref() == Some(sha1.as_str())
    };
    assert!(
        converted || official,
        "{} has SHA-256 {sha256}, which the manifest does not list",
        path.display()
    );

    let header = install::check_header(&path).unwrap();
    assert_eq!(header.hparams.size_name(), "base");
    assert_eq!(header.hparams.n_vocab, 51865);
    assert_eq!(header.n_tokens, 50257);
}

#[test]
fn base_model_loaded_from_memory_transcribes_mandarin() {
    let path = support::real_base_model();
    let mut params = WhisperContextParameters::default();
    params.use_gpu(false);
    let context = load::load_context(&path, params).unwrap();
    let audio = support::read_wav(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/speech/dictation/hv08.wav"),
    );

    let mut state = context.create_state().unwrap();
    let mut full = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
    full.set_n_threads(2);
    full.set_language(Some("zh"));
    full.set_initial_prompt("以下是普通话的入户走访记录。");
    full.set_no_timestamps(true);
    full.set_print_progress(false);
    full.set_print_realtime(false);
    full.set_print_special(false);
    state.full(full, &audio).unwrap();
    let text: String = state
        .as_iter()
        .map(|segment| segment.to_str_lossy().unwrap().into_owned())
        .collect();

    // The clip says 今天上午入户走访王建华，七十岁，血压一百一十八比七十六，一切正常。
    // The base model gets the gist; these words it reliably hears.
    for word in ["走访", "血压", "正常"] {
        assert!(text.contains(word), "`{word}` missing from `{text}`");
    }
}
