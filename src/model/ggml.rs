//! The whisper.cpp ggml model file: writing one, and reading its header.
//!
//! Layout, all integers little-endian `i32`: the magic `0x67676d6c`, eleven
//! hyper-parameters, the mel filter bank (rows, columns, `f32` values), the
//! vocabulary (count, then length-prefixed token bytes), then tensors until
//! the end of the file, each as rank, name length, element type, dimensions
//! innermost first, name, data.

use std::io::{self, Read, Write};

use super::mel::MelFilters;

/// The first four bytes of every ggml model file.
pub const MAGIC: u32 = 0x6767_6d6c;

/// Element type id for `f32` tensors.
const TYPE_F32: i32 = 0;
/// Element type id for `f16` tensors.
const TYPE_F16: i32 = 1;

/// Model dimensions as whisper.cpp reads them, in file order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Hparams {
    /// Vocabulary size including special and timestamp tokens.
    pub n_vocab: i32,
    /// Encoder positions (1500 for 30 s of audio).
    pub n_audio_ctx: i32,
    /// Encoder width.
    pub n_audio_state: i32,
    /// Encoder attention heads.
    pub n_audio_head: i32,
    /// Encoder layers.
    pub n_audio_layer: i32,
    /// Decoder positions.
    pub n_text_ctx: i32,
    /// Decoder width.
    pub n_text_state: i32,
    /// Decoder attention heads.
    pub n_text_head: i32,
    /// Decoder layers.
    pub n_text_layer: i32,
    /// Mel bands of the input.
    pub n_mels: i32,
    /// Weight type: 0 f32, 1 f16, higher values are quantised types.
    pub ftype: i32,
}

impl Hparams {
    fn fields(&self) -> [i32; 11] {
        [
            self.n_vocab,
            self.n_audio_ctx,
            self.n_audio_state,
            self.n_audio_head,
            self.n_audio_layer,
            self.n_text_ctx,
            self.n_text_state,
            self.n_text_head,
            self.n_text_layer,
            self.n_mels,
            self.ftype,
        ]
    }

    /// The usual name of a model of this size (`tiny`, `base`, …), judged
    /// by its encoder depth the way whisper.cpp does.
    pub fn size_name(&self) -> &'static str {
        match self.n_audio_layer {
            4 => "tiny",
            6 => "base",
            12 => "small",
            24 => "medium",
            32 => "large",
            _ => "unknown",
        }
    }
}

/// What the start of a ggml file says about the model.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Header {
    /// Model dimensions.
    pub hparams: Hparams,
    /// Mel filter bank shape (bands, FFT bins).
    pub filters: (i32, i32),
    /// Number of ordinary tokens stored in the file.
    pub n_tokens: i32,
}

/// Reads and sanity-checks the header of a ggml model.
///
/// Returns `Err` with kind `InvalidData` and a readable reason if the bytes
/// are not a whisper ggml model.
pub fn read_header(reader: &mut impl Read) -> io::Result<Header> {
    let magic = read_i32(reader)? as u32;
    if magic != MAGIC {
        return Err(invalid(format!(
            "it does not start with the ggml magic (found 0x{magic:08x})"
        )));
    }
    let mut f = [0; 11];
    for field in &mut f {
        *field = read_i32(reader)?;
    }
    let hparams = Hparams {
        n_vocab: f[0],
        n_audio_ctx: f[1],
        n_audio_state: f[2],
        n_audio_head: f[3],
        n_audio_layer: f[4],
        n_text_ctx: f[5],
        n_text_state: f[6],
        n_text_head: f[7],
        n_text_layer: f[8],
        n_mels: f[9],
        ftype: f[10],
    };
    if f[..10].iter().any(|&v| v <= 0 || v > 1 << 20) {
        return Err(invalid(format!(
            "its dimensions are implausible: {hparams:?}"
        )));
    }

    let filters = (read_i32(reader)?, read_i32(reader)?);
    if filters.0 != hparams.n_mels || !(1..=4096).contains(&filters.1) {
        return Err(invalid(format!(
            "its mel filter bank is {}x{} for {} mel bands",
            filters.0, filters.1, hparams.n_mels
        )));
    }
    let filter_bytes = filters.0 as u64 * filters.1 as u64 * 4;
    io::copy(&mut reader.take(filter_bytes), &mut io::sink())?;

    let n_tokens = read_i32(reader)?;
    if n_tokens <= 0 || n_tokens > hparams.n_vocab {
        return Err(invalid(format!(
            "it stores {n_tokens} tokens for a vocabulary of {}",
            hparams.n_vocab
        )));
    }

    Ok(Header {
        hparams,
        filters,
        n_tokens,
    })
}

fn read_i32(reader: &mut impl Read) -> io::Result<i32> {
    let mut buf = [0; 4];
    reader.read_exact(&mut buf).map_err(|e| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            invalid("it ends inside the header".to_owned())
        } else {
            e
        }
    })?;
    Ok(i32::from_le_bytes(buf))
}

fn invalid(reason: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, reason)
}

/// Tensor data in one of the two element types the converter writes.
#[derive(Debug, Clone, PartialEq)]
pub enum TensorData {
    /// Single precision.
    F32(Vec<f32>),
    /// Half precision, as little-endian IEEE binary16 bytes (two per value),
    /// so weights already in that form are copied without decoding.
    F16(Vec<u8>),
}

impl TensorData {
    fn len(&self) -> usize {
        match self {
            TensorData::F32(v) => v.len(),
            TensorData::F16(v) => v.len() / 2,
        }
    }
}

/// Writes a ggml model file front to back.
pub struct Writer<W: Write> {
    out: W,
}

impl<W: Write> Writer<W> {
    /// Writes the magic, hyper-parameters, filters and vocabulary; tensors
    /// follow through [`Writer::tensor`].
    pub fn new(
        mut out: W,
        hparams: &Hparams,
        filters: &MelFilters,
        tokens: &[Vec<u8>],
    ) -> io::Result<Writer<W>> {
        out.write_all(&MAGIC.to_le_bytes())?;
        for value in hparams.fields() {
            write_i32(&mut out, value)?;
        }

        write_i32(&mut out, to_i32(filters.n_mel)?)?;
        write_i32(&mut out, to_i32(filters.n_fft)?)?;
        for value in &filters.data {
            out.write_all(&value.to_le_bytes())?;
        }

        write_i32(&mut out, to_i32(tokens.len())?)?;
        for token in tokens {
            write_i32(&mut out, to_i32(token.len())?)?;
            out.write_all(token)?;
        }

        Ok(Writer { out })
    }

    /// Writes one tensor. `shape` is outermost first, as in PyTorch and
    /// CTranslate2; the file stores it innermost first.
    pub fn tensor(&mut self, name: &str, shape: &[usize], data: &TensorData) -> io::Result<()> {
        let elements: usize = shape.iter().product();
        if elements != data.len() {
            return Err(invalid(format!(
                "tensor `{name}` has {} values for shape {shape:?}",
                data.len()
            )));
        }
        let element_type = match data {
            TensorData::F32(_) => TYPE_F32,
            TensorData::F16(_) => TYPE_F16,
        };

        write_i32(&mut self.out, to_i32(shape.len())?)?;
        write_i32(&mut self.out, to_i32(name.len())?)?;
        write_i32(&mut self.out, element_type)?;
        for &dim in shape.iter().rev() {
            write_i32(&mut self.out, to_i32(dim)?)?;
        }
        self.out.write_all(name.as_bytes())?;

        match data {
            TensorData::F32(values) => {
                // Encoded in chunks: one write per value would be slow even
                // buffered, and one big buffer would double the memory.
                let mut buf = Vec::with_capacity(64 * 1024);
                for chunk in values.chunks(16 * 1024) {
                    buf.clear();
                    buf.extend(chunk.iter().flat_map(|v| v.to_le_bytes()));
                    self.out.write_all(&buf)?;
                }
            }
            TensorData::F16(bytes) => self.out.write_all(bytes)?,
        }
        Ok(())
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

fn write_i32(out: &mut impl Write, value: i32) -> io::Result<()> {
    out.write_all(&value.to_le_bytes())
}

fn to_i32(value: usize) -> io::Result<i32> {
    i32::try_from(value).map_err(|_| invalid(format!("{value} does not fit a ggml header field")))
}

/// Converts IEEE binary16 bits to `f32` (exact).
pub fn f16_to_f32(half: u16) -> f32 {
    let sign = u32::from(half >> 15) << 31;
    let exponent = u32::from((half >> 10) & 0x1f);
    let mantissa = u32::from(half & 0x3ff);
    let bits = match (exponent, mantissa) {
        (0, 0) => sign,
        (0, _) => {
            // Subnormal: shift the mantissa up until its leading bit becomes
            // the implicit one, lowering the exponent as we go.
            let mut exponent = 127 - 14;
            let mut mantissa = mantissa;
            while mantissa & 0x400 == 0 {
                mantissa <<= 1;
                exponent -= 1;
            }
            sign | (exponent << 23) | ((mantissa & 0x3ff) << 13)
        }
        (0x1f, _) => sign | 0x7f80_0000 | (mantissa << 13),
        _ => sign | ((exponent + 127 - 15) << 23) | (mantissa << 13),
    };
    f32::from_bits(bits)
}

/// Converts `f32` to IEEE binary16 bits, rounding to nearest even.
pub fn f32_to_f16(value: f32) -> u16 {
    let bits = value.to_bits();
    let sign = ((bits >> 16) & 0x8000) as u16;
    let exponent = ((bits >> 23) & 0xff) as i32;
    let mantissa = bits & 0x7f_ffff;

    if exponent == 0xff {
        let nan = if mantissa != 0 { 0x200 } else { 0 };
        return sign | 0x7c00 | nan;
    }
    let half_exponent = exponent - 127 + 15;
    if half_exponent >= 0x1f {
        return sign | 0x7c00;
    }
    let (kept, dropped_bits, full) = if half_exponent <= 0 {
        if half_exponent < -10 {
            return sign;
        }
        // Subnormal result: the implicit bit becomes explicit and the value
        // is shifted right past the smallest exponent.
        let full = mantissa | 0x80_0000;
        let shift = (14 - half_exponent) as u32;
        (full >> shift, shift, full)
    } else {
        let kept = ((half_exponent as u32) << 10) | (mantissa >> 13);
        (kept, 13, mantissa)
    };
    let remainder = full & ((1 << dropped_bits) - 1);
    let halfway = 1 << (dropped_bits - 1);
    // A carry out of the mantissa correctly bumps the exponent (up to infinity).
    let rounded = if remainder > halfway || (remainder == halfway && kept & 1 == 1) {
        kept + 1
    } else {
        kept
    };
    sign | rounded as u16
}

/// Converts bfloat16 bits to `f32` (exact).
pub fn bf16_to_f32(value: u16) -> f32 {
    f32::from_bits(u32::from(value) << 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_half(value: f32, bits: u16) {
        assert_eq!(f32_to_f16(value), bits, "{value} to f16");
        if value.is_finite() {
            assert_eq!(f16_to_f32(bits), value, "{bits:#06x} to f32");
        }
    }

    #[test]
    fn half_conversions() {
        check_half(0.0, 0x0000);
        check_half(-0.0, 0x8000);
        check_half(1.0, 0x3c00);
        check_half(-2.0, 0xc000);
        check_half(0.5, 0x3800);
        check_half(65504.0, 0x7bff);
        check_half(f32::INFINITY, 0x7c00);
        check_half(6.103_515_6e-5, 0x0400); // smallest normal
        check_half(5.960_464_5e-8, 0x0001); // smallest subnormal
        check_half(3.051_757_8e-5, 0x0200); // a subnormal
    }

    #[test]
    fn half_rounding() {
        // 1 + 2^-11 is exactly halfway between 1 and the next half: ties to even.
        assert_eq!(f32_to_f16(1.0 + f32::powi(2.0, -11)), 0x3c00);
        // 1 + 3 * 2^-11 is halfway between two halves with an odd lower one.
        assert_eq!(f32_to_f16(1.0 + 3.0 * f32::powi(2.0, -11)), 0x3c02);
        assert_eq!(f32_to_f16(70000.0), 0x7c00);
        assert_eq!(f32_to_f16(1e-9), 0x0000);
        assert!(f16_to_f32(0x7e00).is_nan());
    }

    #[test]
    fn every_half_round_trips() {
        for bits in 0..=u16::MAX {
            let value = f16_to_f32(bits);
            if !value.is_nan() {
                assert_eq!(f32_to_f16(value), bits, "{bits:#06x}");
            }
        }
    }

    #[test]
    fn bfloat_conversion() {
        assert_eq!(bf16_to_f32(0x3f80), 1.0);
        assert_eq!(bf16_to_f32(0xc040), -3.0);
    }

    #[test]
    fn header_round_trip() {
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
        let filters = super::super::mel::slaney_filters(80);
        let tokens = vec![b"!".to_vec(), b" the".to_vec()];
        let mut writer = Writer::new(Vec::new(), &hparams, &filters, &tokens).unwrap();
        writer
            .tensor("x", &[2, 1], &TensorData::F32(vec![1.0, 2.0]))
            .unwrap();
        let bytes = writer.finish().unwrap();

        let header = read_header(&mut bytes.as_slice()).unwrap();
        assert_eq!(header.hparams, hparams);
        assert_eq!(header.filters, (80, 201));
        assert_eq!(header.n_tokens, 2);
        assert_eq!(hparams.size_name(), "base");
    }

    #[test]
    fn header_rejects_other_files() {
        let check = |bytes: &[u8], expected: &str| {
            let error = read_header(&mut &bytes[..]).unwrap_err();
            assert_eq!(error.to_string(), expected);
        };
        check(
            b"PK\x03\x04 not a model",
            "it does not start with the ggml magic (found 0x04034b50)",
        );
        check(b"lmgg\x01\x00", "it ends inside the header");
    }
}
