//! The background sync loop: a thread that runs a pass, waits, and runs the
//! next, backing off exponentially with jitter while the hub cannot be
//! reached, until it is told to stop.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::SyncError;
use super::client::{ClientOptions, HubClient};
use super::credentials::KeyringUse;
use super::enrol::enrolment;
use super::pass::{PassOptions, PassReport, retry_wait, sync_once};
use crate::paths::DataDir;
use crate::store::Store;

/// Exponential backoff with jitter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// Delay after the first failure.
    pub base: Duration,
    /// Longest delay.
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_secs(2),
            max: Duration::from_secs(15 * 60),
        }
    }
}

impl Backoff {
    /// The delay after `failures` failures in a row: `base · 2^(failures-1)`
    /// capped at `max`, then a random point in its upper half, so that the
    /// 33 committees' desktops coming back online do not all retry in step.
    pub fn delay(&self, failures: u32) -> Duration {
        let doubled = self
            .base
            .saturating_mul(1u32 << failures.saturating_sub(1).min(20));
        let ceiling = doubled.min(self.max);
        let half = ceiling / 2;
        half + ceiling.saturating_sub(half).mul_f64(fastrand::f64())
    }
}

/// How the background loop behaves.
#[derive(Debug, Clone)]
pub struct RunnerOptions {
    /// Wait between passes when all is well.
    pub interval: Duration,
    /// Waits after failures.
    pub backoff: Backoff,
    /// Options of each pass.
    pub pass: PassOptions,
    /// Timeouts and trust for the hub.
    pub client: ClientOptions,
    /// Keyring or file for the token.
    pub keyring: KeyringUse,
}

impl Default for RunnerOptions {
    fn default() -> Self {
        RunnerOptions {
            interval: Duration::from_secs(5 * 60),
            backoff: Backoff::default(),
            pass: PassOptions::default(),
            client: ClientOptions::default(),
            keyring: KeyringUse::Auto,
        }
    }
}

/// What the loop reports after each pass.
#[derive(Debug, Clone)]
pub enum RunnerEvent {
    /// A pass reached the end of the queue.
    Passed(PassReport),
    /// A pass stopped early.
    Failed {
        /// The error, as shown to staff.
        error: String,
        /// Whether it will go away by itself (network, hub down).
        transient: bool,
        /// When the next pass runs.
        retry_in: Duration,
    },
}

struct Shared {
    stop: AtomicBool,
    wake: Mutex<bool>,
    signal: Condvar,
}

/// A running background sync loop; stops when dropped.
pub struct SyncRunner {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl SyncRunner {
    /// Opens the data folder's store and starts the loop. `on_event` is
    /// called on the loop's thread after every pass.
    pub fn start(
        data: DataDir,
        options: RunnerOptions,
        mut on_event: impl FnMut(RunnerEvent) + Send + 'static,
    ) -> Result<SyncRunner, SyncError> {
        let keys = crate::encryption::KeySource {
            keyring: options.keyring,
            ..crate::encryption::KeySource::from_env()
        };
        let store = crate::encryption::open_store(&data, &keys)?;
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            wake: Mutex::new(false),
            signal: Condvar::new(),
        });
        let loop_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("sync".into())
            .spawn(move || {
                let mut client: Option<HubClient> = None;
                let mut failures = 0u32;
                while !loop_shared.stop.load(Ordering::Acquire) {
                    let outcome = pass(&store, &data, &options, &mut client);
                    let wait = match outcome {
                        Ok(report) => {
                            failures = 0;
                            on_event(RunnerEvent::Passed(report));
                            options.interval
                        }
                        Err(e) => {
                            failures = failures.saturating_add(1);
                            let transient = e.is_transient();
                            if e.needs_enrolment() {
                                client = None;
                            }
                            let retry_in = if transient {
                                retry_wait(&e, options.backoff.delay(failures))
                            } else {
                                options.backoff.max
                            };
                            on_event(RunnerEvent::Failed {
                                error: e.to_string(),
                                transient,
                                retry_in,
                            });
                            retry_in
                        }
                    };
                    loop_shared.sleep(wait);
                }
                tracing::debug!("sync loop stopped");
            })
            .map_err(SyncError::Thread)?;
        Ok(SyncRunner {
            shared,
            thread: Some(thread),
        })
    }

    /// Runs the next pass now instead of after the wait.
    pub fn wake(&self) {
        *self.shared.wake.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.shared.signal.notify_all();
    }

    /// Stops the loop after the pass in progress, and waits for it.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        self.wake();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for SyncRunner {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl Shared {
    /// Sleeps for `wait`, or until woken or told to stop.
    fn sleep(&self, wait: Duration) {
        let deadline = Instant::now() + wait;
        let mut woken = self.wake.lock().unwrap_or_else(|e| e.into_inner());
        while !*woken && !self.stop.load(Ordering::Acquire) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            woken = self
                .signal
                .wait_timeout(woken, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        *woken = false;
    }
}

fn pass(
    store: &Store,
    data: &DataDir,
    options: &RunnerOptions,
    client: &mut Option<HubClient>,
) -> Result<PassReport, SyncError> {
    if client.is_none() {
        let enrolled = enrolment(store)?.ok_or(SyncError::NotEnrolled)?;
        *client = Some(enrolled.client(data, &options.client, options.keyring)?);
    }
    let client = client.as_ref().expect("client was just made");
    sync_once(store, data, client, &options.pass)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_jitter_and_caps() {
        let backoff = Backoff {
            base: Duration::from_secs(2),
            max: Duration::from_secs(60),
        };
        for (failures, ceiling) in [(1, 2), (2, 4), (3, 8), (5, 32), (6, 60), (40, 60)] {
            for _ in 0..50 {
                let delay = backoff.delay(failures);
                let ceiling = Duration::from_secs(ceiling);
                assert!(
                    delay >= ceiling / 2 && delay <= ceiling,
                    "{failures}: {delay:?}"
                );
            }
        }
    }
}
