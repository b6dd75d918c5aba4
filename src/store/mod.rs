//! The SQLite record store: records, their append-only revision history with
//! a hash chain, the resident registry and the sync outbox.
//!
//! Every change to a record goes through [`Store::insert_record`] or
//! [`Store::update_record`], which write the record row and its revision in
//! one transaction: nothing is ever overwritten without history.

mod history;
mod migrate;
mod records;
mod residents;

use std::path::{Path, PathBuf};

use rusqlite::Connection;

pub use history::{FieldChange, Revision, VerifyProblem, VerifyReport, field_changes};
pub use migrate::{MIGRATIONS, schema_version};
pub use records::{NewRecord, RecordQuery, RecordUpdate};
pub use residents::UpsertCounts;

use crate::encryption::DataKey;
use crate::ledger::ValueError;

/// Errors from the record store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database file could not be opened or created.
    #[error(
        "cannot open the ledger database `{path}`: {source}; check the data folder is writable"
    )]
    Open {
        /// Database path.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// The database was made by a newer version of the program.
    #[error(
        "the ledger database `{path}` has schema version {found}, newer than this program understands ({known}); install the newer Voice Ledger"
    )]
    TooNew {
        /// Database path.
        path: PathBuf,
        /// Version found in the file.
        found: i64,
        /// Newest version this program knows.
        known: i64,
    },
    /// No record has this id.
    #[error("no record with id `{0}`; list records with `voice-ledger records list`")]
    NotFound(String),
    /// A field value does not fit the record type.
    #[error(transparent)]
    Value(#[from] ValueError),
    /// The record type of an update differs from the record's.
    #[error("record `{id}` is a `{actual}` record, not `{given}`")]
    WrongType {
        /// Record id.
        id: String,
        /// The record's type.
        actual: String,
        /// The type given.
        given: String,
    },
    /// Stored data could not be read back.
    #[error(
        "record `{id}` has unreadable stored data ({problem}); run `voice-ledger records verify`"
    )]
    Corrupt {
        /// Record id.
        id: String,
        /// What could not be read.
        problem: String,
    },
    /// The database is encrypted and no key was given.
    #[error(
        "the ledger database `{path}` is encrypted but no key was given; open it through its data folder, whose `encryption.toml` names the key, or restore that file from a backup"
    )]
    KeyNeeded {
        /// Database path.
        path: PathBuf,
    },
    /// The key given does not decrypt the database.
    #[error(
        "the key does not open the ledger database `{path}`: it was encrypted with another key, or it is not a ledger database; check the passphrase, or restore the folder from a backup"
    )]
    WrongKey {
        /// Database path.
        path: PathBuf,
    },
    /// Any other database error.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// The first bytes of every unencrypted SQLite file.
const PLAIN_HEADER: &[u8] = b"SQLite format 3\0";

/// An open ledger database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    key: Option<DataKey>,
}

impl Store {
    /// Opens the unencrypted database at `path`, creating it and applying
    /// migrations as needed. The database uses WAL so readers never block
    /// the writer. Data folders open their database with
    /// [`crate::encryption::open_store`], which supplies the key.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_with_key(path, None)
    }

    /// Opens the database at `path` encrypted with `key` (SQLCipher), or
    /// unencrypted when `key` is `None`; a new file is created encrypted.
    /// A key that does not fit the file is [`StoreError::WrongKey`], never
    /// an empty database.
    pub fn open_with_key(path: &Path, key: Option<&DataKey>) -> Result<Store, StoreError> {
        let open_error = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open(path).map_err(open_error)?;
        // SQLCipher writes its own diagnostics (a failed page check) to
        // stderr; the core never prints, and the error returned says it.
        conn.pragma_update(None, "cipher_log_level", "NONE")
            .map_err(open_error)?;
        if let Some(key) = key {
            // SQLCipher wants the key before anything reads the file; the
            // `x'…'` form is a raw key, so no password hashing runs here.
            conn.pragma_update(None, "key", key.database_pragma().as_str())
                .map_err(open_error)?;
        }
        // The first read is where a wrong or missing key shows.
        if let Err(source) = conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(())) {
            return Err(key_problem(path, key.is_some()).unwrap_or(open_error(source)));
        }
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_error)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(open_error)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(open_error)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(open_error)?;

        let mut store = Store {
            conn,
            path: path.to_path_buf(),
            key: key.cloned(),
        };
        migrate::apply(&mut store.conn, path)?;
        Ok(store)
    }

    /// The key the database was opened with; recordings kept with its
    /// records are encrypted with a key derived from it.
    pub fn key(&self) -> Option<&DataKey> {
        self.key.as_ref()
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The underlying connection, for modules that own their own tables
    /// (sync, printed-page codes). They must add tables only through
    /// [`MIGRATIONS`].
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

/// Why a database that SQLite refused to read was refused, when the reason
/// is its encryption: an encrypted file opened without a key, or a key that
/// does not fit.
fn key_problem(path: &Path, keyed: bool) -> Option<StoreError> {
    let mut header = [0u8; 16];
    let read = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut header))
        .is_ok();
    let path = path.to_path_buf();
    match (read, header == PLAIN_HEADER, keyed) {
        (true, false, false) => Some(StoreError::KeyNeeded { path }),
        (true, _, true) => Some(StoreError::WrongKey { path }),
        _ => None,
    }
}
