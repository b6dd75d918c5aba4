//! The hub's tables, written once for both databases.
//!
//! Uniqueness is the database's job: `(record_id, revision)` is unique in
//! `revisions`, a record's current revision only moves by a
//! compare-and-swap `UPDATE … WHERE revision = base`, and enrolment codes
//! are spent by an `UPDATE … WHERE used_at IS NULL`.

use super::{Conn, DbError, Kind};

/// Migrations in order; `{serial}` becomes each database's auto-numbered key.
const MIGRATIONS: &[&str] = &[r#"
    CREATE TABLE committees (
        id            TEXT PRIMARY KEY,
        name          TEXT NOT NULL UNIQUE,
        created_at    TEXT NOT NULL
    );

    CREATE TABLE devices (
        id            TEXT PRIMARY KEY,
        name          TEXT NOT NULL,
        role          TEXT NOT NULL CHECK (role IN ('committee', 'admin')),
        committee_id  TEXT REFERENCES committees (id),
        token_hash    TEXT NOT NULL UNIQUE,
        enrolled_at   TEXT NOT NULL,
        revoked_at    TEXT
    );

    CREATE TABLE enrol_codes (
        code_hash     TEXT PRIMARY KEY,
        role          TEXT NOT NULL CHECK (role IN ('committee', 'admin')),
        committee_id  TEXT REFERENCES committees (id),
        created_at    TEXT NOT NULL,
        expires_at    TEXT NOT NULL,
        used_at       TEXT,
        device_id     TEXT
    );

    CREATE TABLE records (
        id            TEXT PRIMARY KEY,
        committee_id  TEXT NOT NULL REFERENCES committees (id),
        revision      BIGINT NOT NULL,
        content_hash  TEXT NOT NULL,
        latest_seq    BIGINT NOT NULL,
        record_type   TEXT NOT NULL,
        type_version  BIGINT NOT NULL,
        event_date    TEXT,
        snapshot      TEXT NOT NULL,
        updated_at    TEXT NOT NULL
    );
    CREATE INDEX records_by_committee ON records (committee_id, id);
    CREATE INDEX records_by_type_date ON records (record_type, event_date);

    CREATE TABLE revisions (
        seq           {serial},
        record_id     TEXT NOT NULL,
        revision      BIGINT NOT NULL,
        content_hash  TEXT NOT NULL,
        content       TEXT NOT NULL,
        committee_id  TEXT NOT NULL REFERENCES committees (id),
        device_id     TEXT NOT NULL REFERENCES devices (id),
        received_at   TEXT NOT NULL,
        UNIQUE (record_id, revision)
    );

    CREATE TABLE conflicts (
        id            {serial},
        record_id     TEXT NOT NULL,
        revision      BIGINT NOT NULL,
        content_hash  TEXT NOT NULL,
        content       TEXT NOT NULL,
        reason        TEXT NOT NULL,
        hub_revision  BIGINT NOT NULL,
        committee_id  TEXT NOT NULL REFERENCES committees (id),
        device_id     TEXT NOT NULL REFERENCES devices (id),
        received_at   TEXT NOT NULL,
        status        TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
        resolved_at   TEXT,
        note          TEXT,
        UNIQUE (record_id, revision, content_hash)
    );

    CREATE TABLE record_types (
        id            TEXT NOT NULL,
        version       BIGINT NOT NULL,
        toml          TEXT NOT NULL,
        approved_at   TEXT NOT NULL,
        PRIMARY KEY (id, version)
    );

    CREATE TABLE ledgers (
        id            TEXT PRIMARY KEY,
        toml          TEXT NOT NULL,
        status        TEXT NOT NULL,
        changed_at    TEXT NOT NULL
    );

    CREATE TABLE template_changes (
        seq           {serial},
        what          TEXT NOT NULL,
        at            TEXT NOT NULL
    );
"#];

/// Applies the migrations the database has not seen, each in a transaction.
pub(super) fn migrate(conn: &mut dyn Conn) -> Result<(), DbError> {
    conn.batch("CREATE TABLE IF NOT EXISTS hub_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")?;
    let known = MIGRATIONS.len() as i64;
    let current = conn
        .query_opt(
            "SELECT value FROM hub_meta WHERE key = 'schema_version'",
            &[],
        )?
        .map(|row| row.text(0))
        .transpose()?
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(0);
    if current > known {
        return Err(DbError::TooNew {
            found: current,
            known,
        });
    }
    let serial = match conn.kind() {
        Kind::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
        Kind::Postgres => "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
    };
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = (index + 1).to_string();
        let sql = sql.replace("{serial}", serial);
        conn.transaction(|conn| {
            conn.batch(&sql)?;
            conn.execute(
                "INSERT INTO hub_meta (key, value) VALUES ('schema_version', $1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                &[version.as_str().into()],
            )?;
            Ok::<_, DbError>(())
        })?;
        tracing::info!(version = index + 1, "applied hub database migration");
    }
    Ok(())
}
