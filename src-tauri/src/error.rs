//! The one error shape the front end sees: `{ code, message }`. Core errors
//! are converted here and nowhere else; the code says what kind of problem
//! it is (the UI picks its words by it), the message names the object and
//! the fix.

use serde::Serialize;
use voice_ledger::asr::AsrError;
use voice_ledger::audio::AudioError;
use voice_ledger::capture::CaptureError;
use voice_ledger::dictation::DictationError;
use voice_ledger::export::{ExportError, PeriodError};
use voice_ledger::ledger::TemplateError;
use voice_ledger::model::ModelError;
use voice_ledger::paths::PathsError;
use voice_ledger::profile::ProfileError;
use voice_ledger::registry::RegistryError;
use voice_ledger::store::StoreError;

/// An error as the front end receives it.
#[derive(Debug, Clone, Serialize)]
pub struct CommandError {
    /// Stable kind: `input`, `not_found`, `no_model`, `cancelled`,
    /// `audio`, `font`, `internal`.
    pub code: &'static str,
    /// What went wrong, naming the object and the next step.
    pub message: String,
}

impl CommandError {
    /// The user's input is wrong.
    pub fn input(message: impl Into<String>) -> CommandError {
        CommandError {
            code: "input",
            message: message.into(),
        }
    }

    /// Something asked for does not exist.
    pub fn not_found(message: impl Into<String>) -> CommandError {
        CommandError {
            code: "not_found",
            message: message.into(),
        }
    }

    fn internal(error: &dyn std::error::Error) -> CommandError {
        tracing::error!(error = %error, "command failed");
        CommandError {
            code: "internal",
            message: error.to_string(),
        }
    }
}

/// The result type of every command.
pub type CommandResult<T> = Result<T, CommandError>;

impl From<StoreError> for CommandError {
    fn from(e: StoreError) -> CommandError {
        match e {
            StoreError::Value(_) | StoreError::WrongType { .. } => {
                CommandError::input(e.to_string())
            }
            StoreError::NotFound(_) => CommandError::not_found(e.to_string()),
            other => CommandError::internal(&other),
        }
    }
}

impl From<DictationError> for CommandError {
    fn from(e: DictationError) -> CommandError {
        match e {
            DictationError::Store(store) => store.into(),
            other => CommandError::internal(&other),
        }
    }
}

impl From<AsrError> for CommandError {
    fn from(e: AsrError) -> CommandError {
        match e {
            AsrError::Cancelled => CommandError {
                code: "cancelled",
                message: e.to_string(),
            },
            AsrError::ModelRead { .. } | AsrError::ModelInvalid { .. } => CommandError {
                code: "no_model",
                message: e.to_string(),
            },
            other => CommandError::internal(&other),
        }
    }
}

impl From<AudioError> for CommandError {
    fn from(e: AudioError) -> CommandError {
        CommandError {
            code: "audio",
            message: e.to_string(),
        }
    }
}

impl From<ModelError> for CommandError {
    fn from(e: ModelError) -> CommandError {
        let code = match e {
            ModelError::NoneInstalled | ModelError::NotInstalled { .. } => "no_model",
            ModelError::Cancelled { .. } => "cancelled",
            ModelError::Unknown { .. }
            | ModelError::BadName { .. }
            | ModelError::NotFound { .. }
            | ModelError::NotAModel { .. } => "input",
            _ => return CommandError::internal(&e),
        };
        CommandError {
            code,
            message: e.to_string(),
        }
    }
}

impl From<ExportError> for CommandError {
    fn from(e: ExportError) -> CommandError {
        match e {
            ExportError::NoFont { .. }
            | ExportError::FontUnreadable { .. }
            | ExportError::FontInvalid { .. }
            | ExportError::FontSubset { .. } => CommandError {
                code: "font",
                message: e.to_string(),
            },
            other => CommandError::internal(&other),
        }
    }
}

impl From<PeriodError> for CommandError {
    fn from(e: PeriodError) -> CommandError {
        CommandError::input(e.to_string())
    }
}

impl From<TemplateError> for CommandError {
    fn from(e: TemplateError) -> CommandError {
        CommandError::input(e.to_string())
    }
}

impl From<RegistryError> for CommandError {
    fn from(e: RegistryError) -> CommandError {
        CommandError::input(e.to_string())
    }
}

impl From<ProfileError> for CommandError {
    fn from(e: ProfileError) -> CommandError {
        CommandError::internal(&e)
    }
}

impl From<PathsError> for CommandError {
    fn from(e: PathsError) -> CommandError {
        CommandError::internal(&e)
    }
}

impl From<CaptureError> for CommandError {
    fn from(e: CaptureError) -> CommandError {
        CommandError {
            code: "capture",
            message: e.bilingual(),
        }
    }
}
