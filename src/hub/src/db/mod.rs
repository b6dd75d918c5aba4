//! The hub's database: SQLite (one file, the default) or PostgreSQL, behind
//! one small synchronous interface so that every query and every rule is
//! written once.
//!
//! Queries use `$1`-style parameters and only `BIGINT`/`TEXT` values, the
//! common ground of both databases. Work runs on tokio's blocking pool via
//! [`Database::run`]; a SQLite database has one connection behind a mutex,
//! PostgreSQL a small pool.

mod postgres;
mod schema;
mod sqlite;

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::Semaphore;

/// A value passed to or read from a query.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A 64-bit integer (`BIGINT`).
    Int(i64),
    /// Text.
    Text(String),
    /// SQL NULL.
    Null,
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}

impl From<u32> for Value {
    fn from(v: u32) -> Value {
        Value::Int(i64::from(v))
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_string())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Value {
        Value::Text(v.clone())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

/// One result row.
#[derive(Debug, Clone)]
pub struct Row(Vec<Value>);

impl Row {
    /// An integer column.
    pub fn int(&self, index: usize) -> Result<i64, DbError> {
        match self.0.get(index) {
            Some(Value::Int(v)) => Ok(*v),
            other => Err(DbError::Shape(format!(
                "column {index} is {other:?}, not an integer"
            ))),
        }
    }

    /// A text column.
    pub fn text(&self, index: usize) -> Result<String, DbError> {
        match self.0.get(index) {
            Some(Value::Text(v)) => Ok(v.clone()),
            other => Err(DbError::Shape(format!(
                "column {index} is {other:?}, not text"
            ))),
        }
    }

    /// A text column that may be NULL.
    pub fn opt_text(&self, index: usize) -> Result<Option<String>, DbError> {
        match self.0.get(index) {
            Some(Value::Null) => Ok(None),
            _ => self.text(index).map(Some),
        }
    }
}

/// Errors from the database.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The SQLite file could not be opened.
    #[error(
        "cannot open the hub database `{path}`: {source}; check the path and that its folder is writable"
    )]
    OpenSqlite {
        /// The file.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// The PostgreSQL server could not be reached.
    #[error(
        "cannot connect to PostgreSQL at `{url}`: {source}; check the address, user, password and that the server is running"
    )]
    ConnectPostgres {
        /// The address, without the password.
        url: String,
        /// The client's error.
        source: ::postgres::Error,
    },
    /// The address is not a PostgreSQL URL.
    #[error("database address `{0}` is neither a file path nor postgres://…")]
    BadAddress(String),
    /// The database was set up by a newer hub.
    #[error(
        "the hub database has schema version {found}, newer than this program ({known}); run the newer voice-ledger-hub"
    )]
    TooNew {
        /// Version in the database.
        found: i64,
        /// Newest known here.
        known: i64,
    },
    /// A SQLite statement failed.
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A PostgreSQL statement failed.
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] ::postgres::Error),
    /// A row did not have the expected shape.
    #[error("unexpected row shape: {0}")]
    Shape(String),
    /// The blocking task running the query panicked or was cancelled.
    #[error("database task failed: {0}")]
    Task(String),
}

/// A connection to either database.
pub trait Conn {
    /// Runs one statement; returns the number of rows changed.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError>;
    /// Runs one query and returns all rows.
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError>;
    /// Runs several statements without parameters.
    fn batch(&mut self, sql: &str) -> Result<(), DbError>;
    /// Starts a transaction that takes the write lock at once.
    fn begin(&mut self) -> Result<(), DbError>;
    /// Which database this is.
    fn kind(&self) -> Kind;
}

impl dyn Conn + '_ {
    /// The first row of a query, if any.
    pub fn query_opt(&mut self, sql: &str, params: &[Value]) -> Result<Option<Row>, DbError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// Runs `work` in a transaction: committed if it returns `Ok`, rolled
    /// back otherwise.
    pub fn transaction<T, E: From<DbError>>(
        &mut self,
        work: impl FnOnce(&mut dyn Conn) -> Result<T, E>,
    ) -> Result<T, E> {
        self.begin()?;
        match work(self) {
            Ok(value) => {
                self.batch("COMMIT")?;
                Ok(value)
            }
            Err(e) => {
                if let Err(rollback) = self.batch("ROLLBACK") {
                    tracing::warn!("rollback failed: {rollback}");
                }
                Err(e)
            }
        }
    }
}

/// Which database a connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

enum Backend {
    Sqlite(sqlite::SqliteBackend),
    Postgres(postgres::PostgresBackend),
}

/// An open hub database, cheap to clone.
#[derive(Clone)]
pub struct Database {
    backend: Arc<Backend>,
    limit: Arc<Semaphore>,
    description: Arc<str>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.description)
    }
}

impl Database {
    /// Opens `address` — a `postgres://` or `postgresql://` URL, or else a
    /// SQLite file path — and brings its schema up to date.
    pub fn open(address: &str) -> Result<Database, DbError> {
        let (backend, permits) = if is_postgres_url(address) {
            let backend = postgres::PostgresBackend::connect(address)?;
            (Backend::Postgres(backend), postgres::POOL_SIZE)
        } else if address.contains("://") {
            return Err(DbError::BadAddress(address.to_string()));
        } else {
            (
                Backend::Sqlite(sqlite::SqliteBackend::open(address.as_ref())?),
                1,
            )
        };
        let database = Database {
            description: match &backend {
                Backend::Sqlite(_) => format!("SQLite database `{address}`"),
                Backend::Postgres(b) => format!("PostgreSQL database `{}`", b.redacted_url()),
            }
            .into(),
            backend: Arc::new(backend),
            limit: Arc::new(Semaphore::new(permits)),
        };
        database.run_blocking(schema::migrate)?;
        Ok(database)
    }

    /// Runs `job` with a connection on the current thread (for the admin
    /// command line, which has no runtime).
    pub fn run_blocking<T, E: From<DbError>>(
        &self,
        job: impl FnOnce(&mut dyn Conn) -> Result<T, E>,
    ) -> Result<T, E> {
        match &*self.backend {
            Backend::Sqlite(b) => b.with_conn(job),
            Backend::Postgres(b) => b.with_conn(job),
        }
    }

    /// Runs `job` with a connection on tokio's blocking pool.
    pub async fn run<T, E>(
        &self,
        job: impl FnOnce(&mut dyn Conn) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let permit = Arc::clone(&self.limit)
            .acquire_owned()
            .await
            .map_err(|e| DbError::Task(e.to_string()))?;
        let database = self.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            database.run_blocking(job)
        })
        .await
        .map_err(|e| DbError::Task(e.to_string()))?
    }

    /// What the database is, for logs (PostgreSQL password removed).
    pub fn describe(&self) -> &str {
        &self.description
    }
}

fn is_postgres_url(address: &str) -> bool {
    address.starts_with("postgres://") || address.starts_with("postgresql://")
}

/// Rewrites `$1` parameters as SQLite's `?1`.
fn sqlite_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_become_sqlite_style() {
        assert_eq!(
            sqlite_placeholders("SELECT a FROM t WHERE b = $1 AND c = $12"),
            "SELECT a FROM t WHERE b = ?1 AND c = ?12"
        );
    }
}
