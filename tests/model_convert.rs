//! The CTranslate2 → ggml converter on a synthetic faster-whisper model:
//! layout, tensor types, the split of fused projections, determinism, and
//! clear errors for what it cannot convert.

#[path = "common/model.rs"]
mod support;

use std::path::Path;

use support::{LAYERS, Precision, STATE, VOCAB};
use voice_ledger::model::{convert, ggml, load};

fn convert_synthetic(dir: &Path, precision: Precision) -> std::path::PathBuf {
    let ct2 = dir.join("ct2");
    support::write_ct2_model(&ct2, precision);
    let out = dir.join("out.bin");
    convert::convert_dir(&ct2, &out).unwrap();
    out
}

#[test]
fn header_holds_whisper_dimensions_filters_and_vocabulary() {
    let dir = tempfile::tempdir().unwrap();
    let out = convert_synthetic(dir.path(), Precision::F16);

    let header = ggml::read_header(&mut std::fs::File::open(&out).unwrap()).unwrap();
    assert_eq!(
        header.hparams,
        ggml::Hparams {
            n_vocab: VOCAB as i32,
            n_audio_ctx: support::AUDIO_CTX as i32,
            n_audio_state: STATE as i32,
            n_audio_head: support::HEADS.into(),
            n_audio_layer: LAYERS as i32,
            n_text_ctx: support::TEXT_CTX as i32,
            n_text_state: STATE as i32,
            n_text_head: support::HEADS.into(),
            n_text_layer: LAYERS as i32,
            n_mels: support::MELS as i32,
            ftype: 1,
        }
    );
    assert_eq!(header.filters, (80, 201));
    // `!`, ` the` and `好`: the ordinary tokens before `<|endoftext|>`.
    assert_eq!(header.n_tokens, 3);
}

#[test]
fn tensors_have_the_types_and_shapes_whisper_cpp_expects() {
    let dir = tempfile::tempdir().unwrap();
    let tensors = support::read_tensors(&convert_synthetic(dir.path(), Precision::F16));
    let s = STATE as i32;

    let check = |name: &str, element_type: i32, dims: &[i32]| {
        let tensor = tensors
            .get(name)
            .unwrap_or_else(|| panic!("{name} missing"));
        assert_eq!(
            (tensor.element_type, tensor.dims.as_slice()),
            (element_type, dims),
            "{name}"
        );
    };
    check("encoder.positional_embedding", 0, &[s, 6]);
    check("encoder.conv1.weight", 1, &[3, 80, s]);
    check("encoder.conv1.bias", 0, &[1, s]);
    check("encoder.conv2.weight", 1, &[3, s, s]);
    check("encoder.ln_post.weight", 0, &[s]);
    check("encoder.blocks.1.attn.query.weight", 1, &[s, s]);
    check("encoder.blocks.1.attn.query.bias", 0, &[s]);
    check("encoder.blocks.1.attn.key.weight", 1, &[s, s]);
    check("encoder.blocks.1.attn.value.bias", 0, &[s]);
    check("encoder.blocks.0.mlp.0.weight", 1, &[s, 4 * s]);
    check("encoder.blocks.0.mlp.2.weight", 1, &[4 * s, s]);
    check("decoder.token_embedding.weight", 1, &[s, VOCAB as i32]);
    check("decoder.positional_embedding", 0, &[s, 4]);
    check("decoder.blocks.1.cross_attn.key.weight", 1, &[s, s]);
    check("decoder.blocks.1.cross_attn.value.bias", 0, &[s]);
    check("decoder.blocks.0.cross_attn_ln.bias", 0, &[s]);

    assert!(!tensors.keys().any(|name| name.ends_with("key.bias")));
    assert_eq!(tensors.len(), 7 + 15 * LAYERS + 4 + 24 * LAYERS);
}

#[test]
fn fused_projections_are_split_in_query_key_value_order() {
    let dir = tempfile::tempdir().unwrap();
    let tensors = support::read_tensors(&convert_synthetic(dir.path(), Precision::F16));
    let part = STATE * STATE;
    let f16_part = |index: usize| -> Vec<u8> {
        (index * part..(index + 1) * part)
            .flat_map(|i| support::f16_bits(support::pattern(i)).to_le_bytes())
            .collect()
    };
    let f32_part = |index: usize, len: usize| -> Vec<u8> {
        (index * len..(index + 1) * len)
            .flat_map(|i| support::pattern(i).to_le_bytes())
            .collect()
    };

    let self_attn = "encoder.blocks.0.attn";
    assert_eq!(
        tensors[&format!("{self_attn}.query.weight")].bytes,
        f16_part(0)
    );
    assert_eq!(
        tensors[&format!("{self_attn}.key.weight")].bytes,
        f16_part(1)
    );
    assert_eq!(
        tensors[&format!("{self_attn}.value.weight")].bytes,
        f16_part(2)
    );
    assert_eq!(
        tensors[&format!("{self_attn}.value.bias")].bytes,
        f32_part(2, STATE)
    );

    let cross = "decoder.blocks.1.cross_attn";
    assert_eq!(tensors[&format!("{cross}.key.weight")].bytes, f16_part(0));
    assert_eq!(tensors[&format!("{cross}.value.weight")].bytes, f16_part(1));
    assert_eq!(
        tensors[&format!("{cross}.value.bias")].bytes,
        f32_part(1, STATE)
    );
}

#[test]
fn single_precision_models_give_the_same_file() {
    let dir = tempfile::tempdir().unwrap();
    let half = convert_synthetic(&dir.path().join("half"), Precision::F16);
    let single = convert_synthetic(&dir.path().join("single"), Precision::F32);
    assert!(std::fs::read(&half).unwrap() == std::fs::read(&single).unwrap());
}

#[test]
fn conversion_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let first = convert_synthetic(&dir.path().join("a"), Precision::F16);
    let second = convert_synthetic(&dir.path().join("b"), Precision::F16);
    assert!(std::fs::read(&first).unwrap() == std::fs::read(&second).unwrap());
}

#[test]
fn whisper_cpp_loads_the_converted_model_from_memory() {
    let dir = tempfile::tempdir().unwrap();
    // A non-ASCII folder, as on a Windows profile like C:\Users\王芳.
    let folder = dir.path().join("王芳");
    let out = convert_synthetic(&folder, Precision::F16);
    load::check_loads(&out).unwrap();
}

fn check_error(dir: &Path, expected: &str) {
    let error = convert::convert_dir(dir, &dir.join("out.bin"))
        .unwrap_err()
        .to_string();
    let expected = expected.replace("{dir}", &dir.display().to_string());
    assert_eq!(error, expected);
}

#[test]
fn quantised_models_are_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    support::write_ct2_model(dir.path(), Precision::I8);
    check_error(
        dir.path(),
        "`{dir}/model.bin` is not a valid CTranslate2 model file (variable `encoder/position_encodings/encodings` is stored as I8; int8-quantised models cannot be converted, use a float16 faster-whisper model); check that every part was downloaded completely",
    );
}

#[test]
fn truncated_and_missing_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    support::write_ct2_model(dir.path(), Precision::F16);
    let model = dir.path().join("model.bin");
    let bytes = std::fs::read(&model).unwrap();
    std::fs::write(&model, &bytes[..bytes.len() / 2]).unwrap();
    let error = convert::convert_dir(dir.path(), &dir.path().join("out.bin"))
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with(&format!(
            "`{}` is not a valid CTranslate2 model file (a variable at byte",
            model.display()
        )),
        "{error}"
    );

    std::fs::remove_file(&model).unwrap();
    check_error(
        dir.path(),
        "`{dir}` has no `model.bin`; a faster-whisper model folder holds model.bin, config.json and tokenizer.json or vocabulary.txt",
    );

    std::fs::write(&model, b"not a model").unwrap();
    check_error(
        dir.path(),
        "`{dir}/model.bin` is not a valid CTranslate2 model file (unsupported binary version 544501614); check that every part was downloaded completely",
    );
}
