//! The dictation state machine the desktop shell drives with a hotkey:
//! push-to-talk or toggle, pause and resume, cancel.
//!
//! It only decides; the shell carries out the [`Action`]s on a
//! [`super::Recorder`]. Keeping it free of audio makes every key sequence
//! testable.

use serde::{Deserialize, Serialize};

/// How the dictation hotkey works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TriggerMode {
    /// Hold the key to speak, release to finish.
    PushToTalk,
    /// Press once to start, press again to finish.
    #[default]
    Toggle,
}

/// Where a dictation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DictationState {
    /// Nothing is being recorded.
    Idle,
    /// Audio is being recorded.
    Recording,
    /// Recording is paused; the device stays open.
    Paused,
    /// Recording has stopped and the last phrase is being recognised.
    Finishing,
}

/// What the user (or the pipeline) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// The dictation hotkey went down (auto-repeat included).
    HotkeyDown,
    /// The dictation hotkey came up.
    HotkeyUp,
    /// The pause key: pauses when recording, resumes when paused.
    PauseKey,
    /// The cancel key: throw the dictation away.
    CancelKey,
    /// The recognition of a stopped dictation has completed, or the
    /// recording ended by itself (device lost, time limit).
    Done,
}

/// What the shell must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Open the device and start recording.
    Start,
    /// Pause the recorder.
    Pause,
    /// Resume the recorder.
    Resume,
    /// Stop the recorder and produce the final text.
    Stop,
    /// Stop the recorder and discard the dictation.
    Cancel,
}

/// The state machine.
#[derive(Debug, Clone)]
pub struct Controller {
    mode: TriggerMode,
    state: DictationState,
}

impl Controller {
    /// An idle controller.
    pub fn new(mode: TriggerMode) -> Controller {
        Controller {
            mode,
            state: DictationState::Idle,
        }
    }

    /// The current state.
    pub fn state(&self) -> DictationState {
        self.state
    }

    /// The trigger mode.
    pub fn mode(&self) -> TriggerMode {
        self.mode
    }

    /// Takes one input; returns what to do, if anything.
    pub fn handle(&mut self, input: Input) -> Option<Action> {
        use DictationState as S;
        use Input as I;
        let (next, action) = match (self.state, input, self.mode) {
            (S::Idle, I::HotkeyDown, _) => (S::Recording, Some(Action::Start)),
            // Push-to-talk: releasing the key ends the dictation, paused or not.
            (S::Recording | S::Paused, I::HotkeyUp, TriggerMode::PushToTalk) => {
                (S::Finishing, Some(Action::Stop))
            }
            // Toggle: the second press ends it. Auto-repeat of a held key in
            // push-to-talk mode lands in the catch-all and changes nothing.
            (S::Recording | S::Paused, I::HotkeyDown, TriggerMode::Toggle) => {
                (S::Finishing, Some(Action::Stop))
            }
            (S::Recording, I::PauseKey, _) => (S::Paused, Some(Action::Pause)),
            (S::Paused, I::PauseKey, _) => (S::Recording, Some(Action::Resume)),
            (S::Recording | S::Paused, I::CancelKey, _) => (S::Idle, Some(Action::Cancel)),
            // The recording ended by itself: finish it like a stop.
            (S::Recording | S::Paused, I::Done, _) => (S::Finishing, Some(Action::Stop)),
            (S::Finishing, I::Done, _) => (S::Idle, None),
            // Keys while the last phrase is recognised are ignored, so an
            // impatient double press cannot start a second dictation.
            (state, _, _) => (state, None),
        };
        if next != self.state || action.is_some() {
            tracing::debug!(from = ?self.state, to = ?next, ?input, ?action, "dictation state");
        }
        self.state = next;
        action
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;
    use Input::*;

    /// Feeds inputs; checks the actions taken and the final state.
    fn check(mode: TriggerMode, inputs: &[Input], actions: &[Action], end: DictationState) {
        let mut controller = Controller::new(mode);
        let taken: Vec<Action> = inputs
            .iter()
            .filter_map(|&i| controller.handle(i))
            .collect();
        assert_eq!(taken, actions, "{mode:?} {inputs:?}");
        assert_eq!(controller.state(), end, "{mode:?} {inputs:?}");
    }

    #[test]
    fn toggle_press_starts_and_second_press_stops() {
        check(
            TriggerMode::Toggle,
            &[HotkeyDown, HotkeyUp, HotkeyDown, HotkeyUp],
            &[Start, Stop],
            DictationState::Finishing,
        );
        check(
            TriggerMode::Toggle,
            &[HotkeyDown, HotkeyDown, Done],
            &[Start, Stop],
            DictationState::Idle,
        );
    }

    #[test]
    fn push_to_talk_records_while_held() {
        check(
            TriggerMode::PushToTalk,
            &[HotkeyDown, HotkeyDown, HotkeyDown, HotkeyUp, Done],
            &[Start, Stop],
            DictationState::Idle,
        );
    }

    #[test]
    fn pause_and_resume() {
        check(
            TriggerMode::Toggle,
            &[HotkeyDown, PauseKey, PauseKey, PauseKey, HotkeyDown],
            &[Start, Pause, Resume, Pause, Stop],
            DictationState::Finishing,
        );
        check(
            TriggerMode::PushToTalk,
            &[HotkeyDown, PauseKey, HotkeyUp],
            &[Start, Pause, Stop],
            DictationState::Finishing,
        );
        check(TriggerMode::Toggle, &[PauseKey], &[], DictationState::Idle);
    }

    #[test]
    fn cancel_discards_and_keys_wait_for_the_last_phrase() {
        check(
            TriggerMode::Toggle,
            &[HotkeyDown, PauseKey, CancelKey, HotkeyDown],
            &[Start, Pause, Cancel, Start],
            DictationState::Recording,
        );
        check(
            TriggerMode::Toggle,
            &[HotkeyDown, HotkeyDown, HotkeyDown, CancelKey, PauseKey],
            &[Start, Stop],
            DictationState::Finishing,
        );
    }

    #[test]
    fn a_recording_that_ends_by_itself_is_finished() {
        check(
            TriggerMode::PushToTalk,
            &[HotkeyDown, Done, HotkeyUp, Done],
            &[Start, Stop],
            DictationState::Idle,
        );
    }
}
