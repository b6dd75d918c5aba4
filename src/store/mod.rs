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
    /// Any other database error.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// An open ledger database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens the database at `path`, creating it and applying migrations
    /// as needed. The database uses WAL so readers never block the writer.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let open_error = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open(path).map_err(open_error)?;
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
        };
        migrate::apply(&mut store.conn, path)?;
        Ok(store)
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
