//! Input devices: listing them, choosing one by name, and remembering the
//! choice in a small settings file in the data folder.

use std::path::{Path, PathBuf};

use cpal::traits::{DeviceTrait, HostTrait};
use serde::{Deserialize, Serialize};

use super::CaptureError;
use super::source::StreamFormat;
use crate::paths::DataDir;

/// ALSA devices that are not microphones. The rate converters and mixers
/// appear on every Linux system with the ALSA plugins package installed;
/// `null` records silence; `jack` needs a JACK server (and its client
/// library prints to the terminal when probed); `oss` is the long-gone
/// `/dev/dsp`.
const NOT_MICROPHONES: &[&str] = &[
    "lavrate",
    "samplerate",
    "speexrate",
    "speex",
    "upmix",
    "vdownmix",
    "null",
    "jack",
    "oss",
];

/// An input device that can be recorded from.
#[derive(Clone)]
pub struct InputDevice {
    /// Stable identifier, e.g. `alsa:default` or `alsa:hw:CARD=USB,DEV=0`.
    pub id: String,
    /// Human-readable name from the audio system.
    pub name: String,
    /// Whether the system uses it when nothing was chosen.
    pub is_default: bool,
    /// The format it will be opened with: its native default.
    pub format: StreamFormat,
    pub(crate) device: cpal::Device,
    pub(crate) config: cpal::SupportedStreamConfig,
}

impl std::fmt::Debug for InputDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InputDevice")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("is_default", &self.is_default)
            .field("format", &self.format)
            .finish()
    }
}

/// What `devices --json` shows about a device.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceSummary {
    /// Stable identifier.
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// Used when nothing was chosen.
    pub is_default: bool,
    /// Chosen in the settings file.
    pub is_chosen: bool,
    /// Native format it is opened with.
    pub format: StreamFormat,
}

impl InputDevice {
    /// A summary for listings; `chosen` is the id from the settings.
    pub fn summary(&self, chosen: Option<&str>) -> DeviceSummary {
        DeviceSummary {
            id: self.id.clone(),
            name: self.name.clone(),
            is_default: self.is_default,
            is_chosen: chosen == Some(self.id.as_str()),
            format: self.format,
        }
    }

    fn matches(&self, wanted: &str) -> bool {
        let wanted = wanted.trim();
        let bare_id = self
            .id
            .split_once(':')
            .map_or(self.id.as_str(), |(_, id)| id);
        self.id == wanted || bare_id == wanted || self.name.eq_ignore_ascii_case(wanted)
    }
}

/// Lists the input devices that can actually be opened, from every audio
/// system that is running: the default system's devices first, its
/// default device at the top.
///
/// On Linux the PulseAudio host (which PipeWire also serves) names each
/// microphone; the ALSA host alone often shows little more than `default`.
pub fn input_devices() -> Result<Vec<InputDevice>, CaptureError> {
    // Probing devices makes alsa-lib print every failure to stderr; keep
    // that out of the terminal and in the log instead.
    #[cfg(target_os = "linux")]
    let alsa_messages = alsa::Output::local_error_handler().ok();
    let found = list_inputs();
    #[cfg(target_os = "linux")]
    if let Some(messages) = alsa_messages {
        tracing::debug!("ALSA while listing devices: {}", messages.borrow());
    }
    found
}

fn list_inputs() -> Result<Vec<InputDevice>, CaptureError> {
    let default_host = cpal::default_host();
    let mut hosts = vec![default_host];
    for id in cpal::available_hosts() {
        if id != hosts[0].id()
            && let Ok(host) = cpal::host_from_id(id)
        {
            hosts.push(host);
        }
    }

    let mut found: Vec<InputDevice> = Vec::new();
    let mut last_error = None;
    for (rank, host) in hosts.iter().enumerate() {
        let default_id = host
            .default_input_device()
            .and_then(|d| d.id().ok())
            .map(|id| id.to_string());
        let devices = match host.input_devices() {
            Ok(devices) => devices,
            Err(e) => {
                tracing::debug!(host = ?host.id(), "cannot list devices: {e}");
                last_error = Some(e.to_string());
                continue;
            }
        };
        let mut from_host = Vec::new();
        for device in devices {
            if let Some(input) = describe(device, rank == 0, default_id.as_deref()) {
                from_host.push(input);
            }
        }
        from_host.sort_by_key(|d| !d.is_default);
        found.extend(from_host);
    }
    if found.is_empty()
        && let Some(detail) = last_error
    {
        return Err(CaptureError::NoAudioSystem { detail });
    }
    tracing::debug!(count = found.len(), "input devices");
    Ok(found)
}

/// An input device with its native format, or `None` when it cannot be
/// opened for input. Only the default host's default device counts as
/// the system default.
fn describe(
    device: cpal::Device,
    default_host: bool,
    default_id: Option<&str>,
) -> Option<InputDevice> {
    let id = device.id().ok()?;
    if NOT_MICROPHONES.contains(&id.id()) {
        return None;
    }
    let config = match device.default_input_config() {
        Ok(config) => config,
        Err(e) => {
            tracing::debug!(device = %id, "skipping input device: {e}");
            return None;
        }
    };
    let name = device
        .description()
        .map(|d| d.name().to_string())
        .unwrap_or_else(|_| id.id().to_string());
    let id = id.to_string();
    let format = StreamFormat {
        sample_rate: config.sample_rate(),
        channels: config.channels(),
        sample_format: format_name(config.sample_format()),
    };
    Some(InputDevice {
        is_default: default_host && default_id == Some(id.as_str()),
        id,
        name,
        format,
        device,
        config,
    })
}

/// Picks the device to record from: the one named (by id or name), else the
/// one remembered in the settings if it is still present, else the system
/// default.
pub fn choose_device(
    wanted: Option<&str>,
    settings: &CaptureSettings,
) -> Result<InputDevice, CaptureError> {
    let devices = input_devices()?;
    if devices.is_empty() {
        return Err(CaptureError::NoDevices);
    }
    if let Some(wanted) = wanted {
        return devices
            .iter()
            .find(|d| d.matches(wanted))
            .cloned()
            .ok_or_else(|| CaptureError::DeviceNotFound {
                wanted: wanted.to_string(),
                available: devices.iter().map(|d| d.id.clone()).collect(),
            });
    }
    if let Some(remembered) = settings.device.as_deref() {
        if let Some(device) = devices.iter().find(|d| d.matches(remembered)) {
            return Ok(device.clone());
        }
        tracing::debug!(remembered, "remembered device is gone; using the default");
    }
    Ok(devices[0].clone())
}

fn format_name(format: cpal::SampleFormat) -> &'static str {
    use cpal::SampleFormat as F;
    match format {
        F::I8 => "i8",
        F::I16 => "i16",
        F::I24 => "i24",
        F::I32 => "i32",
        F::I64 => "i64",
        F::U8 => "u8",
        F::U16 => "u16",
        F::U24 => "u24",
        F::U32 => "u32",
        F::U64 => "u64",
        F::F32 => "f32",
        F::F64 => "f64",
        _ => "other",
    }
}

/// Capture settings kept in `capture.toml` in the data folder.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CaptureSettings {
    /// The chosen input device id; none means the system default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
}

impl CaptureSettings {
    /// Where the settings live in a data folder.
    pub fn path(data: &DataDir) -> PathBuf {
        data.root().join("capture.toml")
    }

    /// Reads the settings; a missing file means defaults.
    pub fn load(path: &Path) -> Result<CaptureSettings, CaptureError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(CaptureSettings::default());
            }
            Err(e) => {
                return Err(CaptureError::Settings {
                    path: path.to_path_buf(),
                    detail: e.to_string(),
                });
            }
        };
        toml::from_str(&text).map_err(|e| CaptureError::Settings {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })
    }

    /// Writes the settings (through a temporary file, so a crash never
    /// leaves half a file).
    pub fn save(&self, path: &Path) -> Result<(), CaptureError> {
        let error = |detail: String| CaptureError::Settings {
            path: path.to_path_buf(),
            detail,
        };
        let text = toml::to_string(self).map_err(|e| error(e.to_string()))?;
        let temporary = path.with_extension("toml.tmp");
        std::fs::write(&temporary, text)
            .and_then(|()| std::fs::rename(&temporary, path))
            .map_err(|e| error(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_and_default_when_missing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("capture.toml");
        assert_eq!(
            CaptureSettings::load(&path).unwrap(),
            CaptureSettings::default()
        );
        let settings = CaptureSettings {
            device: Some("alsa:hw:CARD=USB,DEV=0".into()),
        };
        settings.save(&path).unwrap();
        assert_eq!(CaptureSettings::load(&path).unwrap(), settings);
    }

    #[test]
    fn broken_settings_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("capture.toml");
        std::fs::write(&path, "device = [").unwrap();
        let message = CaptureSettings::load(&path).unwrap_err().to_string();
        assert!(message.contains("capture.toml"), "{message}");
    }
}
