//! The mel filter bank Whisper expects, computed rather than shipped.
//!
//! A CTranslate2 model does not carry the filters, while a ggml model file
//! must. Whisper was trained on filters made by librosa with the Slaney mel
//! scale and Slaney area normalisation, for 16 kHz audio and a 400-point FFT,
//! so that is what is computed here, in `f64` and rounded once to `f32`.

/// Sample rate Whisper models are trained on.
pub const SAMPLE_RATE: f64 = 16_000.0;

/// FFT size Whisper uses (25 ms windows at 16 kHz).
pub const N_FFT: usize = 400;

/// Hertz per mel below 1 kHz, where the Slaney scale is linear.
const HZ_PER_MEL: f64 = 200.0 / 3.0;

/// Where the Slaney scale turns logarithmic.
const LOG_START_HZ: f64 = 1000.0;

/// A bank of triangular filters, one row per mel band, one column per FFT bin.
#[derive(Debug, Clone, PartialEq)]
pub struct MelFilters {
    /// Number of mel bands (rows).
    pub n_mel: usize,
    /// Number of FFT bins (columns): `N_FFT / 2 + 1`.
    pub n_fft: usize,
    /// Row-major weights, `n_mel * n_fft` values.
    pub data: Vec<f32>,
}

/// The Slaney filter bank for `n_mel` bands (80 for most Whisper models,
/// 128 for large-v3 and its turbo variant).
pub fn slaney_filters(n_mel: usize) -> MelFilters {
    let n_bins = N_FFT / 2 + 1;
    let nyquist = SAMPLE_RATE / 2.0;
    let bin_hz = linspace(0.0, nyquist, n_bins);

    // Band edges: n_mel + 2 points evenly spaced on the mel scale, so band
    // `i` rises from edge i to edge i + 1 and falls to edge i + 2.
    let edges: Vec<f64> = linspace(hz_to_mel(0.0), hz_to_mel(nyquist), n_mel + 2)
        .into_iter()
        .map(mel_to_hz)
        .collect();

    let mut data = Vec::with_capacity(n_mel * n_bins);
    for band in 0..n_mel {
        let (low, centre, high) = (edges[band], edges[band + 1], edges[band + 2]);
        // Area normalisation keeps the energy per band roughly constant
        // although the bands widen with frequency.
        let norm = 2.0 / (high - low);
        for &hz in &bin_hz {
            let rising = (hz - low) / (centre - low);
            let falling = (high - hz) / (high - centre);
            // Comparisons rather than `min`/`max`, whose choice between
            // -0.0 and 0.0 is unspecified: the output must be the same bytes
            // everywhere. librosa rounds the triangle to f32 before scaling
            // it, so round there too to land on the same values.
            let peak = if rising < falling { rising } else { falling };
            let weight = if peak > 0.0 { peak as f32 } else { 0.0 };
            data.push((f64::from(weight) * norm) as f32);
        }
    }

    MelFilters {
        n_mel,
        n_fft: n_bins,
        data,
    }
}

/// Hertz to Slaney mel: linear below 1 kHz, logarithmic above.
fn hz_to_mel(hz: f64) -> f64 {
    if hz >= LOG_START_HZ {
        LOG_START_HZ / HZ_PER_MEL + (hz / LOG_START_HZ).ln() / log_step()
    } else {
        hz / HZ_PER_MEL
    }
}

/// Slaney mel back to hertz.
fn mel_to_hz(mel: f64) -> f64 {
    let log_start_mel = LOG_START_HZ / HZ_PER_MEL;
    if mel >= log_start_mel {
        LOG_START_HZ * (log_step() * (mel - log_start_mel)).exp()
    } else {
        mel * HZ_PER_MEL
    }
}

/// Mel step per natural-log unit above 1 kHz: 27 mels per factor 6.4.
fn log_step() -> f64 {
    6.4f64.ln() / 27.0
}

/// `count` evenly spaced values from `start` to exactly `end`, computed as
/// `start + i * step` so that the values match numpy's `linspace`.
fn linspace(start: f64, end: f64, count: usize) -> Vec<f64> {
    if count == 1 {
        return vec![start];
    }
    let step = (end - start) / (count - 1) as f64;
    let mut values: Vec<f64> = (0..count).map(|i| start + i as f64 * step).collect();
    values[count - 1] = end;
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `expected` comes from librosa 0.11:
    /// `librosa.filters.mel(sr=16000, n_fft=400, n_mels=n_mel)[band, bin]`.
    fn check(n_mel: usize, band: usize, bin: usize, expected: f32) {
        let filters = slaney_filters(n_mel);
        let got = filters.data[band * filters.n_fft + bin];
        assert_eq!(got, expected, "mel {n_mel} band {band} bin {bin}");
    }

    #[test]
    fn shape_matches_whisper() {
        let filters = slaney_filters(80);
        assert_eq!((filters.n_mel, filters.n_fft), (80, 201));
        assert_eq!(filters.data.len(), 80 * 201);
        assert_eq!(slaney_filters(128).data.len(), 128 * 201);
    }

    #[test]
    fn every_band_has_weight() {
        for n_mel in [80, 128] {
            let filters = slaney_filters(n_mel);
            for band in filters.data.chunks(filters.n_fft) {
                assert!(
                    band.iter().any(|&w| w > 0.0),
                    "empty band with {n_mel} mels"
                );
            }
        }
    }

    #[test]
    fn matches_librosa() {
        check(80, 0, 1, 0.024_862_595);
        check(80, 1, 2, 0.022_871_772);
        check(80, 10, 11, 0.004_954_375);
        check(80, 40, 43, 0.014_735_566);
        check(80, 79, 193, 0.003_141_313_3);
        check(80, 79, 180, 0.0);
        check(128, 1, 1, 0.030_392_565);
        check(128, 10, 7, 0.001_084_802);
        check(128, 64, 43, 0.018_091_518);
        check(128, 127, 195, 0.005_041_601_6);
    }
}
