//! Voice Ledger core: ledger templates, the record store, speech recognition,
//! field extraction and exporters for neighbourhood-committee ledgers (台账).
//!
//! The core never prints and knows nothing of the desktop shell; progress and
//! results leave it through return values, callbacks and channels.

pub mod asr;
pub mod audio;
pub mod backup;
pub mod capture;
pub mod dictation;
pub mod encryption;
pub mod export;
pub mod extract;
pub mod ledger;
pub mod model;
pub mod paths;
pub mod registry;
pub mod retention;
pub mod store;
pub mod sync;
