//! The embedded SQLite backend: one connection, serialised by a mutex.
//! Writes are batched into transactions by the caller, so one connection
//! is enough for a sub-district's traffic and makes uniqueness trivially
//! race-free.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, params_from_iter};

use super::{Conn, DbError, Kind, Row, Value, sqlite_placeholders};

pub(super) struct SqliteBackend {
    conn: Mutex<Connection>,
}

impl SqliteBackend {
    pub(super) fn open(path: &Path) -> Result<SqliteBackend, DbError> {
        let open_error = |source| DbError::OpenSqlite {
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
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(open_error)?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(SqliteBackend {
            conn: Mutex::new(conn),
        })
    }

    pub(super) fn with_conn<T, E: From<DbError>>(
        &self,
        job: impl FnOnce(&mut dyn Conn) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut guard = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let mut conn = SqliteConn(&mut guard);
        job(&mut conn)
    }
}

struct SqliteConn<'a>(&'a mut Connection);

fn to_sql(value: &Value) -> rusqlite::types::Value {
    match value {
        Value::Int(v) => rusqlite::types::Value::Integer(*v),
        Value::Text(v) => rusqlite::types::Value::Text(v.clone()),
        Value::Null => rusqlite::types::Value::Null,
    }
}

impl Conn for SqliteConn<'_> {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        let mut statement = self.0.prepare_cached(&sqlite_placeholders(sql))?;
        let changed = statement.execute(params_from_iter(params.iter().map(to_sql)))?;
        Ok(changed as u64)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        let mut statement = self.0.prepare_cached(&sqlite_placeholders(sql))?;
        let columns = statement.column_count();
        let mut rows = statement.query(params_from_iter(params.iter().map(to_sql)))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let mut values = Vec::with_capacity(columns);
            for index in 0..columns {
                values.push(match row.get_ref(index)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(v) => Value::Int(v),
                    ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Real(v) => Value::Text(v.to_string()),
                    ValueRef::Blob(b) => Value::Text(String::from_utf8_lossy(b).into_owned()),
                });
            }
            out.push(Row(values));
        }
        Ok(out)
    }

    fn batch(&mut self, sql: &str) -> Result<(), DbError> {
        Ok(self.0.execute_batch(sql)?)
    }

    fn begin(&mut self) -> Result<(), DbError> {
        self.batch("BEGIN IMMEDIATE")
    }

    fn kind(&self) -> Kind {
        Kind::Sqlite
    }
}
