//! Live capture from a microphone: device choice, a recording that survives
//! crashes, a level meter, and partial text while the user is speaking.
//!
//! The pipeline, one thread per stage so none can stall the one before:
//!
//! ```text
//! cpal callback ──ring──▶ worker: f32, mono, 16 kHz ─▶ WAV on disk (synced every 0.5 s)
//!                                   │                 ─▶ level meter ─▶ events
//!                                   └─▶ tap: phrases split at pauses ─▶ recogniser thread ─▶ partial text
//! ```
//!
//! The audio callback only copies samples; the worker converts them. Events
//! leave through an `mpsc` channel of [`CaptureEvent`]s, so the desktop shell
//! and the command line listen the same way. Nothing here prints or knows
//! about windows and hotkeys; [`control`] is the state machine a shell drives
//! with them.

pub mod control;
mod convert;
mod device;
mod journal;
mod level;
pub mod live;
mod phrases;
mod recorder;
mod source;

use std::path::{Path, PathBuf};

pub use control::{Action, Controller, DictationState, Input, TriggerMode};
pub use convert::{ToMono16k, to_f32};
pub use device::{CaptureSettings, DeviceSummary, InputDevice, choose_device, input_devices};
pub use journal::{Journal, JournalError, Recovered};
pub use level::{FIRST_CHECK_S, Level, LevelMeter, MeterReading, Quality, count_clipped};
pub use live::{
    EnginePhrases, LiveDictation, LiveTap, LiveTranscript, PartialText, PhraseRecognizer,
};
pub use phrases::{Phrase, PhraseConfig, PhraseSplitter};
pub use recorder::{AudioTap, Recorder, RecorderOptions, Recording};
pub use source::{CaptureSource, Losses, PlayedSamples, SourceFailure, StreamFormat};

use crate::paths::DataDir;

/// Something that happened during a recording.
#[derive(Debug, Clone)]
pub enum CaptureEvent {
    /// A level reading, about 20 a second.
    Level(Level),
    /// The verdict on the input level changed (the first comes after
    /// [`FIRST_CHECK_S`] seconds).
    Quality(Quality),
    /// Recording is paused: audio is not kept.
    Paused,
    /// Recording continues.
    Resumed,
    /// Audio was lost on the way (device overruns, a stalled disk).
    AudioLost {
        /// Seconds of audio dropped between device and disk.
        seconds: f64,
        /// Overruns reported by the device since the last report.
        overruns: u64,
    },
    /// A phrase was recognised while the user is still speaking.
    Partial(live::PartialText),
    /// The recording ended early; everything up to then is saved.
    Interrupted(CaptureError),
    /// The worker has stopped (limit reached, interrupted, or stopped);
    /// call [`Recorder::stop`] to collect the recording.
    Ended,
}

/// Errors of live capture. Each has an English message ([`std::fmt::Display`])
/// and a Chinese one ([`CaptureError::zh`]) that tell the user what to do.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CaptureError {
    /// The platform audio system is not available.
    #[error(
        "the audio system is not available ({detail}); check that sound is working in the system settings"
    )]
    NoAudioSystem {
        /// What the audio system said.
        detail: String,
    },
    /// No input device was found.
    #[error(
        "no microphone found; plug one in and check it is enabled in the system sound settings"
    )]
    NoDevices,
    /// The requested device is not present.
    #[error("no input device named `{wanted}`; run `voice-ledger devices` to list them (found: {})", available.join(", "))]
    DeviceNotFound {
        /// What was asked for.
        wanted: String,
        /// The ids of the devices present.
        available: Vec<String>,
    },
    /// The device could not be opened or started.
    #[error(
        "cannot open microphone `{device}` ({detail}); close other programs using it or choose another device"
    )]
    Open {
        /// The device id.
        device: String,
        /// What the audio system said.
        detail: String,
    },
    /// The device went away in the middle of a recording.
    #[error("microphone `{device}` was disconnected after {after_s:.1} s ({detail}); the recording so far is saved in `{}`; plug it back in or choose another device, then record the rest", path.display())]
    Disconnected {
        /// The device id.
        device: String,
        /// Seconds recorded before it went away.
        after_s: f64,
        /// The saved recording.
        path: PathBuf,
        /// What the audio system said.
        detail: String,
    },
    /// The operating system refused access to the microphone.
    #[error(
        "access to microphone `{device}` was refused ({detail}); allow microphone access in the system privacy settings"
    )]
    Denied {
        /// The device id.
        device: String,
        /// What the audio system said.
        detail: String,
    },
    /// The stream failed or stopped delivering audio mid-recording.
    #[error("microphone `{device}` stopped delivering audio after {after_s:.1} s ({detail}); the recording so far is saved in `{}`; check the device and record the rest", path.display())]
    Stopped {
        /// The device id.
        device: String,
        /// Seconds recorded before it stopped.
        after_s: f64,
        /// The saved recording.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// The capture settings file is unreadable or unwritable.
    #[error("capture settings `{}` cannot be used ({detail}); fix or delete the file", path.display())]
    Settings {
        /// The settings file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// The recording could not be written to disk.
    #[error(transparent)]
    Journal(std::sync::Arc<JournalError>),
}

impl From<JournalError> for CaptureError {
    fn from(e: JournalError) -> Self {
        CaptureError::Journal(std::sync::Arc::new(e))
    }
}

impl CaptureError {
    /// The error for a source that failed mid-recording.
    pub(crate) fn interrupted(
        device: &str,
        failure: SourceFailure,
        after_s: f64,
        path: &Path,
    ) -> CaptureError {
        let device = device.to_string();
        let path = path.to_path_buf();
        match failure {
            SourceFailure::Disconnected { detail } => CaptureError::Disconnected {
                device,
                after_s,
                path,
                detail,
            },
            SourceFailure::Denied { detail } => CaptureError::Denied { device, detail },
            SourceFailure::Failed { detail } => CaptureError::Stopped {
                device,
                after_s,
                path,
                detail,
            },
        }
    }

    /// The message in Chinese, for staff.
    pub fn zh(&self) -> String {
        match self {
            CaptureError::NoAudioSystem { .. } => {
                "系统的声音服务不可用：请在系统设置里检查声音是否正常".into()
            }
            CaptureError::NoDevices => {
                "没有找到麦克风：请插上麦克风，并在系统声音设置里确认它已启用".into()
            }
            CaptureError::DeviceNotFound { wanted, .. } => {
                format!("没有名为“{wanted}”的录音设备：请用 voice-ledger devices 查看可用的设备")
            }
            CaptureError::Open { device, .. } => {
                format!("无法打开麦克风“{device}”：请关闭正在使用它的其他程序，或换一个录音设备")
            }
            CaptureError::Disconnected {
                device,
                after_s,
                path,
                ..
            } => format!(
                "麦克风“{device}”在录到 {after_s:.1} 秒时断开了。已录下的内容保存在 {}。请重新插好麦克风（或换一个设备）后，把没录完的部分再录一遍",
                path.display()
            ),
            CaptureError::Denied { device, .. } => {
                format!("系统不允许使用麦克风“{device}”：请在系统的隐私设置里允许本程序使用麦克风")
            }
            CaptureError::Stopped {
                device,
                after_s,
                path,
                ..
            } => format!(
                "麦克风“{device}”在录到 {after_s:.1} 秒时停止了工作。已录下的内容保存在 {}。请检查设备后，把没录完的部分再录一遍",
                path.display()
            ),
            CaptureError::Settings { path, .. } => format!(
                "录音设置文件 {} 无法使用：请修正或删除这个文件",
                path.display()
            ),
            CaptureError::Journal(e) => {
                format!("录音无法写入磁盘：请检查磁盘空间和文件夹权限（{e}）")
            }
        }
    }

    /// Chinese then English, one per line: what the command line shows.
    pub fn bilingual(&self) -> String {
        format!("{}\n{self}", self.zh())
    }
}

/// Repairs recordings left unfinished in the data folder by a crash, a
/// killed process or a power cut; see [`journal::recover`]. Call once at
/// start-up.
pub fn recover(data: &DataDir) -> Result<Vec<Recovered>, CaptureError> {
    Ok(journal::recover(&data.audio_dir())?)
}
