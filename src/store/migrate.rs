//! Ordered schema migrations keyed on SQLite's `user_version`.
//!
//! A migration is never edited once released; changes add a new one.

use std::path::Path;

use rusqlite::Connection;

use super::StoreError;

/// Schema migrations in order; `user_version` is the number applied.
pub const MIGRATIONS: &[&str] = &[
    // 1: records, revisions with hash chain, residents, outbox.
    r#"
    CREATE TABLE records (
        id            TEXT PRIMARY KEY,
        record_type   TEXT NOT NULL,
        type_version  INTEGER NOT NULL,
        fields        TEXT NOT NULL,
        transcript    TEXT,
        audio_ref     TEXT,
        author        TEXT NOT NULL,
        committee     TEXT NOT NULL,
        resident_id   TEXT,
        state         TEXT NOT NULL CHECK (state IN ('draft', 'final')),
        revision      INTEGER NOT NULL,
        event_date    TEXT,
        created_at    TEXT NOT NULL,
        updated_at    TEXT NOT NULL
    ) STRICT;
    CREATE INDEX records_by_type_date ON records (record_type, event_date);
    CREATE INDEX records_by_resident ON records (resident_id);

    CREATE TABLE revisions (
        seq           INTEGER PRIMARY KEY AUTOINCREMENT,
        record_id     TEXT NOT NULL REFERENCES records (id),
        revision      INTEGER NOT NULL,
        at            TEXT NOT NULL,
        who           TEXT NOT NULL,
        why           TEXT NOT NULL,
        old_fields    TEXT,
        snapshot      TEXT NOT NULL,
        prev_hash     TEXT NOT NULL,
        hash          TEXT NOT NULL,
        UNIQUE (record_id, revision)
    ) STRICT;
    CREATE TRIGGER revisions_no_update BEFORE UPDATE ON revisions
        BEGIN SELECT RAISE(ABORT, 'revisions are append-only'); END;
    CREATE TRIGGER revisions_no_delete BEFORE DELETE ON revisions
        BEGIN SELECT RAISE(ABORT, 'revisions are append-only'); END;

    CREATE TABLE residents (
        id            TEXT PRIMARY KEY,
        name          TEXT NOT NULL,
        address       TEXT NOT NULL,
        building      TEXT,
        room          TEXT,
        phone         TEXT,
        birth_year    INTEGER,
        tags          TEXT NOT NULL DEFAULT '[]',
        updated_at    TEXT NOT NULL,
        UNIQUE (name, address)
    ) STRICT;

    CREATE TABLE outbox (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        record_id     TEXT NOT NULL REFERENCES records (id),
        revision      INTEGER NOT NULL,
        state         TEXT NOT NULL DEFAULT 'pending',
        attempts      INTEGER NOT NULL DEFAULT 0,
        next_attempt  TEXT,
        receipt       TEXT,
        error         TEXT,
        UNIQUE (record_id, revision)
    ) STRICT;
    "#,
    // 2: printed PDF pages and the record revisions each shows (owned by export::printed).
    crate::export::PRINTED_PAGES_SCHEMA,
    // 3: sync state of the outbox, hub receipts and sync settings (owned by `sync`).
    crate::sync::SYNC_SCHEMA,
];

/// The schema version a database file is at.
pub fn schema_version(conn: &Connection) -> Result<i64, rusqlite::Error> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
}

/// Applies every migration the database has not seen, each in its own
/// transaction together with the `user_version` bump.
pub(super) fn apply(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let known = MIGRATIONS.len() as i64;
    let current = schema_version(conn)?;
    if current > known {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found: current,
            known,
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
        tx.commit()?;
        tracing::info!(version = index + 1, "applied database migration");
    }
    Ok(())
}
