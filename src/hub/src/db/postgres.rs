//! The PostgreSQL backend for a district-scale deployment: a small pool of
//! blocking clients, used from tokio's blocking pool.
//!
//! The connection is not encrypted: run the database on the hub's machine
//! or on a private network segment (see the crate documentation).

use std::error::Error;
use std::sync::Mutex;

use ::postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use ::postgres::{Client, NoTls};
use bytes::BytesMut;

use super::{Conn, DbError, Kind, Row, Value};

/// Connections kept open at most; also how many requests use the database
/// at once.
pub(super) const POOL_SIZE: usize = 8;

pub(super) struct PostgresBackend {
    url: String,
    idle: Mutex<Vec<Client>>,
}

/// `postgres::Client` closes its connection by blocking on a private
/// runtime, which panics on an async runtime's worker thread — where the
/// hub's last reference to its database usually goes when the server stops.
/// Idle connections are therefore closed on a plain thread.
impl Drop for PostgresBackend {
    fn drop(&mut self) {
        let idle = std::mem::take(self.idle.get_mut().unwrap_or_else(|e| e.into_inner()));
        if idle.is_empty() {
            return;
        }
        let closer = std::thread::spawn(move || drop(idle));
        let _ = closer.join();
    }
}

impl PostgresBackend {
    pub(super) fn connect(url: &str) -> Result<PostgresBackend, DbError> {
        let backend = PostgresBackend {
            url: url.to_string(),
            idle: Mutex::new(Vec::new()),
        };
        let first = backend.new_client()?;
        backend.put_back(first);
        Ok(backend)
    }

    /// The URL with any password replaced, for logs and messages.
    pub(super) fn redacted_url(&self) -> String {
        redact(&self.url)
    }

    fn new_client(&self) -> Result<Client, DbError> {
        Client::connect(&self.url, NoTls).map_err(|source| DbError::ConnectPostgres {
            url: self.redacted_url(),
            source,
        })
    }

    fn put_back(&self, client: Client) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < POOL_SIZE && !client.is_closed() {
            idle.push(client);
        }
    }

    pub(super) fn with_conn<T, E: From<DbError>>(
        &self,
        job: impl FnOnce(&mut dyn Conn) -> Result<T, E>,
    ) -> Result<T, E> {
        let pooled = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let client = match pooled {
            Some(client) if !client.is_closed() => client,
            _ => self.new_client()?,
        };
        let mut conn = PostgresConn {
            client,
            broken: false,
        };
        let result = job(&mut conn);
        // A connection that failed mid-transaction may be left inside it;
        // only clean connections go back to the pool.
        if !conn.broken {
            self.put_back(conn.client);
        }
        result
    }
}

fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    match rest.split_once('@') {
        Some((user_info, host)) => {
            let user = user_info.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}")
        }
        None => url.to_string(),
    }
}

struct PostgresConn {
    client: Client,
    broken: bool,
}

impl PostgresConn {
    fn note<T>(&mut self, result: Result<T, ::postgres::Error>) -> Result<T, DbError> {
        if result.is_err() {
            self.broken = true;
        }
        Ok(result?)
    }
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(v) if *ty == Type::INT8 => v.to_sql(ty, out),
            Value::Int(v) if *ty == Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
            Value::Int(v) if *ty == Type::INT2 => i16::try_from(*v)?.to_sql(ty, out),
            Value::Text(v) if <String as ToSql>::accepts(ty) => v.to_sql(ty, out),
            other => Err(format!("cannot pass {other:?} as a PostgreSQL {ty}").into()),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

impl Conn for PostgresConn {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, DbError> {
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as _).collect();
        let result = self.client.execute(sql, &refs);
        self.note(result)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, DbError> {
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as _).collect();
        let result = self.client.query(sql, &refs);
        let rows = self.note(result)?;
        rows.iter()
            .map(|row| {
                (0..row.len())
                    .map(|index| read_value(row, index))
                    .collect::<Result<Vec<_>, _>>()
                    .map(Row)
            })
            .collect()
    }

    fn batch(&mut self, sql: &str) -> Result<(), DbError> {
        let result = self.client.batch_execute(sql);
        self.note(result)
    }

    fn begin(&mut self) -> Result<(), DbError> {
        self.batch("BEGIN")
    }

    fn kind(&self) -> Kind {
        Kind::Postgres
    }
}

fn read_value(row: &::postgres::Row, index: usize) -> Result<Value, DbError> {
    let ty = row.columns()[index].type_().clone();
    let value = if ty == Type::INT8 {
        row.try_get::<_, Option<i64>>(index)?.map(Value::Int)
    } else if ty == Type::INT4 {
        row.try_get::<_, Option<i32>>(index)?
            .map(|v| Value::Int(v.into()))
    } else if ty == Type::INT2 {
        row.try_get::<_, Option<i16>>(index)?
            .map(|v| Value::Int(v.into()))
    } else if <String as ::postgres::types::FromSql>::accepts(&ty) {
        row.try_get::<_, Option<String>>(index)?.map(Value::Text)
    } else {
        return Err(DbError::Shape(format!("column {index} has type {ty}")));
    };
    Ok(value.unwrap_or(Value::Null))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://hub:s3cret@db.local:5432/hub"),
            "postgres://hub:***@db.local:5432/hub"
        );
        assert_eq!(
            redact("postgres://localhost/hub"),
            "postgres://localhost/hub"
        );
    }
}
