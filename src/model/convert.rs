//! Converting a faster-whisper (CTranslate2) model directory to a
//! whisper.cpp ggml model file.
//!
//! The weights are the same network under other names, with three
//! differences the conversion undoes: CTranslate2 fuses the attention
//! projections (query, key and value in self-attention; key and value in
//! cross-attention), stores an all-zero key bias that ggml has no slot for,
//! and leaves out the mel filter bank, which is computed instead.
//!
//! Output is a pure function of the input files: the same model directory
//! always gives the same bytes, so a converted model can be checked against
//! a recorded SHA-256.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

use super::ct2::{Ct2Error, Ct2Model, DType};
use super::ggml::{self, Hparams, TensorData, Writer};
use super::{mel, vocab};

/// Errors converting a CTranslate2 model.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    /// A required file is missing from the model directory.
    #[error(
        "`{dir}` has no `{file}`; a faster-whisper model folder holds model.bin, config.json and tokenizer.json or vocabulary.txt"
    )]
    MissingFile {
        /// The model directory.
        dir: PathBuf,
        /// The missing file name.
        file: &'static str,
    },
    /// The model file could not be read.
    #[error(transparent)]
    Model(#[from] Ct2Error),
    /// The model is a CTranslate2 model, but not one this converter handles.
    #[error("cannot convert `{path}`: {reason}")]
    Unsupported {
        /// The model file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The vocabulary could not be read.
    #[error(transparent)]
    Vocabulary(#[from] vocab::VocabError),
    /// Writing the output failed.
    #[error("cannot write converted model `{path}`: {source}")]
    Write {
        /// The output file.
        path: PathBuf,
        /// The underlying IO error.
        source: std::io::Error,
    },
}

/// A summary of a finished conversion.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Converted {
    /// Model dimensions written to the file.
    pub hparams: Hparams,
    /// Tensors written.
    pub tensors: usize,
    /// Bytes written.
    pub bytes: u64,
}

/// Converts the faster-whisper model in `dir` to a ggml model at `output`
/// (created or replaced; the caller renames it into place).
pub fn convert_dir(dir: &Path, output: &Path) -> Result<Converted, ConvertError> {
    let model_path = dir.join("model.bin");
    if !model_path.is_file() {
        return Err(ConvertError::MissingFile {
            dir: dir.to_owned(),
            file: "model.bin",
        });
    }
    let tokens = vocab::load_tokens(dir)?;
    let mut model = Ct2Model::open(&model_path)?;
    if model.spec != "WhisperSpec" {
        return Err(ConvertError::Unsupported {
            path: model_path,
            reason: format!("it is a `{}` model, not Whisper", model.spec),
        });
    }

    let hparams = hparams(&mut model)?;
    let filters = mel::slaney_filters(hparams.n_mels as usize);
    tracing::debug!(
        ?hparams,
        tokens = tokens.len(),
        "converting CTranslate2 Whisper model"
    );

    let write_error = |source| ConvertError::Write {
        path: output.to_owned(),
        source,
    };
    let file = File::create(output).map_err(write_error)?;
    let mut counter = CountingWriter {
        inner: BufWriter::with_capacity(1 << 20, file),
        bytes: 0,
    };
    let mut writer = Writer::new(&mut counter, &hparams, &filters, &tokens).map_err(write_error)?;
    let mut tensors = 0;
    for step in plan(&hparams) {
        tensors += write_step(&mut model, &mut writer, &step).map_err(|e| match e {
            StepError::Model(e) => ConvertError::Model(e),
            StepError::Io(source) => write_error(source),
        })?;
    }
    writer.finish().map_err(write_error)?;
    let bytes = counter.bytes;
    let file = counter
        .inner
        .into_inner()
        .map_err(|e| write_error(e.into_error()))?;
    file.sync_all().map_err(write_error)?;

    Ok(Converted {
        hparams,
        tensors,
        bytes,
    })
}

/// Reads the dimensions whisper.cpp needs from the CTranslate2 variables.
fn hparams(model: &mut Ct2Model) -> Result<Hparams, ConvertError> {
    let shape = |model: &Ct2Model, name: &str| -> Result<Vec<usize>, Ct2Error> {
        model
            .variable(name)
            .map(|v| v.shape.clone())
            .ok_or_else(|| model.malformed(format!("variable `{name}` is missing")))
    };
    let count_layers = |model: &Ct2Model, prefix: &str| {
        (0..)
            .take_while(|i| {
                let layer = format!("{prefix}/layer_{i}/");
                model.names().any(|name| name.starts_with(&layer))
            })
            .count()
    };
    let int = |value: usize| i32::try_from(value).unwrap_or(i32::MAX);

    let embeddings = shape(model, "decoder/embeddings/weight")?;
    let conv1 = shape(model, "encoder/conv1/weight")?;
    let audio_positions = shape(model, "encoder/position_encodings/encodings")?;
    let text_positions = shape(model, "decoder/position_encodings/encodings")?;
    if embeddings.len() != 2 || conv1.len() != 3 || audio_positions.len() != 2 {
        return Err(ConvertError::Unsupported {
            path: model.path().to_owned(),
            reason: "its embedding or convolution shapes are not Whisper's".to_owned(),
        });
    }

    Ok(Hparams {
        n_vocab: int(embeddings[0]),
        n_audio_ctx: int(audio_positions[0]),
        n_audio_state: int(audio_positions[1]),
        n_audio_head: model.read_int("encoder/num_heads")? as i32,
        n_audio_layer: int(count_layers(model, "encoder")),
        n_text_ctx: int(text_positions[0]),
        n_text_state: int(embeddings[1]),
        n_text_head: model.read_int("decoder/num_heads")? as i32,
        n_text_layer: int(count_layers(model, "decoder")),
        n_mels: int(conv1[1]),
        ftype: 1,
    })
}

/// How one CTranslate2 variable becomes one or more ggml tensors.
#[derive(Debug, PartialEq)]
enum Step {
    /// Copied as is, under a new name.
    Copy {
        from: String,
        to: String,
        kind: Kind,
    },
    /// A fused projection split row-wise into equal parts; `None` parts are
    /// the key bias, which must be zero and is left out.
    Split {
        from: String,
        to: Vec<Option<String>>,
        kind: Kind,
    },
}

/// What whisper.cpp expects a tensor to be stored as.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// Large matrices and convolution kernels: `f16`.
    Weight,
    /// Biases, norms and positional embeddings: `f32`.
    Small,
    /// Convolution bias: `f32`, shaped `[n, 1]`.
    ConvBias,
}

/// The full list of conversion steps for a model of these dimensions.
fn plan(hparams: &Hparams) -> Vec<Step> {
    let mut steps = Vec::new();
    let copy = |from: &str, to: &str, kind| Step::Copy {
        from: from.to_owned(),
        to: to.to_owned(),
        kind,
    };

    steps.push(copy(
        "encoder/position_encodings/encodings",
        "encoder.positional_embedding",
        Kind::Small,
    ));
    for conv in ["conv1", "conv2"] {
        steps.push(copy(
            &format!("encoder/{conv}/weight"),
            &format!("encoder.{conv}.weight"),
            Kind::Weight,
        ));
        steps.push(copy(
            &format!("encoder/{conv}/bias"),
            &format!("encoder.{conv}.bias"),
            Kind::ConvBias,
        ));
    }
    steps.extend(norm("encoder/layer_norm", "encoder.ln_post"));
    for i in 0..hparams.n_audio_layer {
        let from = format!("encoder/layer_{i}");
        let to = format!("encoder.blocks.{i}");
        steps.extend(norm(
            &format!("{from}/self_attention/layer_norm"),
            &format!("{to}.attn_ln"),
        ));
        steps.extend(fused_attention(
            &format!("{from}/self_attention/linear_0"),
            &format!("{to}.attn"),
            &["query", "key", "value"],
        ));
        steps.extend(linear(
            &format!("{from}/self_attention/linear_1"),
            &format!("{to}.attn.out"),
        ));
        steps.extend(feed_forward(&from, &to));
    }

    steps.push(copy(
        "decoder/position_encodings/encodings",
        "decoder.positional_embedding",
        Kind::Small,
    ));
    steps.push(copy(
        "decoder/embeddings/weight",
        "decoder.token_embedding.weight",
        Kind::Weight,
    ));
    steps.extend(norm("decoder/layer_norm", "decoder.ln"));
    for i in 0..hparams.n_text_layer {
        let from = format!("decoder/layer_{i}");
        let to = format!("decoder.blocks.{i}");
        steps.extend(norm(
            &format!("{from}/self_attention/layer_norm"),
            &format!("{to}.attn_ln"),
        ));
        steps.extend(fused_attention(
            &format!("{from}/self_attention/linear_0"),
            &format!("{to}.attn"),
            &["query", "key", "value"],
        ));
        steps.extend(linear(
            &format!("{from}/self_attention/linear_1"),
            &format!("{to}.attn.out"),
        ));
        steps.extend(norm(
            &format!("{from}/attention/layer_norm"),
            &format!("{to}.cross_attn_ln"),
        ));
        steps.extend(linear(
            &format!("{from}/attention/linear_0"),
            &format!("{to}.cross_attn.query"),
        ));
        steps.extend(fused_attention(
            &format!("{from}/attention/linear_1"),
            &format!("{to}.cross_attn"),
            &["key", "value"],
        ));
        steps.extend(linear(
            &format!("{from}/attention/linear_2"),
            &format!("{to}.cross_attn.out"),
        ));
        steps.extend(feed_forward(&from, &to));
    }
    steps
}

fn norm(from: &str, to: &str) -> [Step; 2] {
    [("gamma", "weight"), ("beta", "bias")].map(|(ct2, ggml)| Step::Copy {
        from: format!("{from}/{ct2}"),
        to: format!("{to}.{ggml}"),
        kind: Kind::Small,
    })
}

fn linear(from: &str, to: &str) -> [Step; 2] {
    [
        Step::Copy {
            from: format!("{from}/weight"),
            to: format!("{to}.weight"),
            kind: Kind::Weight,
        },
        Step::Copy {
            from: format!("{from}/bias"),
            to: format!("{to}.bias"),
            kind: Kind::Small,
        },
    ]
}

fn feed_forward(from: &str, to: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    steps.extend(norm(
        &format!("{from}/ffn/layer_norm"),
        &format!("{to}.mlp_ln"),
    ));
    steps.extend(linear(
        &format!("{from}/ffn/linear_0"),
        &format!("{to}.mlp.0"),
    ));
    steps.extend(linear(
        &format!("{from}/ffn/linear_1"),
        &format!("{to}.mlp.2"),
    ));
    steps
}

/// A fused projection: weights split into every part, biases into every
/// part but the key.
fn fused_attention(from: &str, to: &str, parts: &[&str]) -> [Step; 2] {
    [
        Step::Split {
            from: format!("{from}/weight"),
            to: parts
                .iter()
                .map(|p| Some(format!("{to}.{p}.weight")))
                .collect(),
            kind: Kind::Weight,
        },
        Step::Split {
            from: format!("{from}/bias"),
            to: parts
                .iter()
                .map(|&p| (p != "key").then(|| format!("{to}.{p}.bias")))
                .collect(),
            kind: Kind::Small,
        },
    ]
}

enum StepError {
    Model(Ct2Error),
    Io(std::io::Error),
}

impl From<Ct2Error> for StepError {
    fn from(e: Ct2Error) -> Self {
        StepError::Model(e)
    }
}

impl From<std::io::Error> for StepError {
    fn from(e: std::io::Error) -> Self {
        StepError::Io(e)
    }
}

/// Performs one step; returns the number of tensors written.
fn write_step<W: Write>(
    model: &mut Ct2Model,
    writer: &mut Writer<W>,
    step: &Step,
) -> Result<usize, StepError> {
    let (from, targets, kind) = match step {
        Step::Copy { from, to, kind } => (from, vec![Some(to.clone())], *kind),
        Step::Split { from, to, kind } => (from, to.clone(), *kind),
    };
    let (variable, bytes) = model.read(from)?;
    let values = Values::decode(model, from, variable.dtype, bytes)?;

    let parts = targets.len();
    let rows = variable.shape.first().copied().unwrap_or(1);
    if rows % parts != 0 {
        return Err(model
            .malformed(format!(
                "variable `{from}` has {rows} rows, not divisible into {parts} projections"
            ))
            .into());
    }
    let mut part_shape = variable.shape.clone();
    if let Some(first) = part_shape.first_mut() {
        *first /= parts;
    }
    if kind == Kind::ConvBias {
        part_shape = vec![variable.elements(), 1];
    }
    let part_len: usize = part_shape.iter().product();

    let mut written = 0;
    for (index, target) in targets.iter().enumerate() {
        let range = index * part_len..(index + 1) * part_len;
        let Some(name) = target else {
            if !values.all_zero(range) {
                return Err(model
                    .malformed(format!(
                        "variable `{from}` has a non-zero key bias, which whisper.cpp cannot represent"
                    ))
                    .into());
            }
            continue;
        };
        let data = match kind {
            Kind::Weight => TensorData::F16(values.to_f16(range)),
            Kind::Small | Kind::ConvBias => TensorData::F32(values.to_f32(range)),
        };
        writer.tensor(name, &part_shape, &data)?;
        written += 1;
    }
    Ok(written)
}

/// A variable's values: half-precision data is kept as its little-endian
/// bytes so weights pass through unchanged (and fast); everything else is
/// widened to `f32`.
enum Values {
    Half(Vec<u8>),
    Single(Vec<f32>),
}

impl Values {
    fn decode(
        model: &Ct2Model,
        name: &str,
        dtype: DType,
        bytes: Vec<u8>,
    ) -> Result<Values, Ct2Error> {
        let pairs = || {
            bytes
                .chunks_exact(2)
                .map(|b| u16::from_le_bytes([b[0], b[1]]))
        };
        Ok(match dtype {
            DType::F16 => Values::Half(bytes),
            DType::BF16 => Values::Single(pairs().map(ggml::bf16_to_f32).collect()),
            DType::F32 => Values::Single(
                bytes
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect(),
            ),
            DType::I8 | DType::I16 | DType::I32 => {
                return Err(model.malformed(format!(
                    "variable `{name}` is stored as {dtype:?}; int8-quantised models cannot be converted, use a float16 faster-whisper model"
                )));
            }
        })
    }

    /// Whether the values in `range` (element indices) are all zero.
    fn all_zero(&self, range: Range<usize>) -> bool {
        self.to_f32(range).iter().all(|&x| x == 0.0)
    }

    /// Values in `range` as little-endian f16 bytes.
    fn to_f16(&self, range: Range<usize>) -> Vec<u8> {
        match self {
            Values::Half(bytes) => bytes[range.start * 2..range.end * 2].to_vec(),
            Values::Single(v) => v[range]
                .iter()
                .flat_map(|&x| ggml::f32_to_f16(x).to_le_bytes())
                .collect(),
        }
    }

    /// Values in `range` as `f32`.
    fn to_f32(&self, range: Range<usize>) -> Vec<f32> {
        match self {
            Values::Half(bytes) => bytes[range.start * 2..range.end * 2]
                .chunks_exact(2)
                .map(|b| ggml::f16_to_f32(u16::from_le_bytes([b[0], b[1]])))
                .collect(),
            Values::Single(v) => v[range].to_vec(),
        }
    }
}

/// Counts bytes on their way to the file, for the summary.
struct CountingWriter<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(steps: &[Step]) -> Vec<String> {
        steps
            .iter()
            .flat_map(|step| match step {
                Step::Copy { to, .. } => vec![to.clone()],
                Step::Split { to, .. } => to.iter().flatten().cloned().collect(),
            })
            .collect()
    }

    #[test]
    fn plan_names_every_tensor_whisper_cpp_loads() {
        let hparams = Hparams {
            n_vocab: 51865,
            n_audio_ctx: 1500,
            n_audio_state: 512,
            n_audio_head: 8,
            n_audio_layer: 6,
            n_text_ctx: 448,
            n_text_state: 512,
            n_text_head: 8,
            n_text_layer: 6,
            n_mels: 80,
            ftype: 1,
        };
        let names = names(&plan(&hparams));

        // whisper.cpp creates 7 + 15 per encoder layer + 4 + 24 per decoder
        // layer tensors and refuses a file that lacks any of them.
        assert_eq!(names.len(), 7 + 15 * 6 + 4 + 24 * 6);
        let unique: std::collections::BTreeSet<_> = names.iter().collect();
        assert_eq!(unique.len(), names.len());
        for expected in [
            "encoder.conv1.bias",
            "encoder.blocks.5.attn.key.weight",
            "encoder.blocks.0.attn.value.bias",
            "decoder.blocks.3.cross_attn.key.weight",
            "decoder.blocks.3.cross_attn.value.bias",
            "decoder.ln.bias",
        ] {
            assert!(names.iter().any(|n| n == expected), "{expected} missing");
        }
        assert!(!names.iter().any(|n| n.contains("key.bias")));
    }
}
