//! The sub-district (街道) hub: the server Voice Ledger desktops sync their
//! ledger records to, and from which they receive approved templates.
//!
//! It keeps every revision each committee uploads, answers with receipts,
//! holds conflicting revisions aside for a person to resolve, and exports
//! ledgers across all committees with the desktop's own exporters. The
//! protocol is in `PROTOCOL.md` next to this crate's `Cargo.toml`.
//!
//! # Storage
//!
//! One command starts a hub on an embedded SQLite file; a district-scale
//! deployment points it at PostgreSQL instead (`--database postgres://…`).
//! Both sit behind [`db::Conn`], a four-method synchronous interface, so
//! every query and every protocol rule is written once and runs the same on
//! either database. `rusqlite` (already the desktop's store) and the
//! blocking `postgres` client were chosen over `sqlx` because `sqlx`'s
//! SQLite driver pins a different `libsqlite3-sys` than the desktop's
//! `rusqlite`, and two copies of SQLite cannot be linked into one
//! workspace. The work runs on tokio's blocking pool.
//!
//! # TLS
//!
//! The hub serves HTTPS itself when given `--tls-cert` and `--tls-key`
//! (rustls, PEM files), so a small sub-district needs nothing else. Behind
//! an existing reverse proxy that terminates TLS, run it on plain HTTP
//! bound to 127.0.0.1. The PostgreSQL connection is not encrypted: run the
//! database on the hub's machine or a private network segment.

pub mod admin;
pub mod api;
pub mod db;
pub mod export;
pub mod records;
pub mod templates;
pub mod tls;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::net::TcpListener;
pub use tokio_rustls::rustls::ServerConfig;

use db::{Database, DbError};
use templates::CatalogCache;

/// Errors of the hub.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// A template cannot be used.
    #[error(transparent)]
    Template(#[from] voice_ledger::ledger::TemplateError),
    /// Something named does not exist.
    #[error("no {0}")]
    NotFound(String),
    /// The request or command is not allowed for this device.
    #[error("{0}")]
    Forbidden(String),
    /// The input cannot be used.
    #[error("{0}")]
    Invalid(String),
    /// The TLS certificate or key cannot be used.
    #[error(
        "cannot use `{path}` for TLS: {problem}; give PEM files of the certificate chain and its private key"
    )]
    Tls {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// An export could not be written.
    #[error("{0}")]
    Export(String),
    /// A file could not be read or written.
    #[error("cannot read or write `{path}`: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The IO error.
        source: std::io::Error,
    },
}

struct Inner {
    database: Database,
    catalog: CatalogCache,
}

/// An open hub: its database and its template catalog. Cheap to clone.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

impl Hub {
    /// Opens the hub's database (a SQLite path or a `postgres://` URL),
    /// creating its tables if needed.
    pub fn open(address: &str) -> Result<Hub, HubError> {
        let database = Database::open(address)?;
        tracing::info!("hub database: {}", database.describe());
        Ok(Hub {
            inner: Arc::new(Inner {
                database,
                catalog: CatalogCache::default(),
            }),
        })
    }

    /// The database.
    pub fn database(&self) -> &Database {
        &self.inner.database
    }

    /// The template catalog.
    pub fn catalog(&self) -> &CatalogCache {
        &self.inner.catalog
    }

    /// Runs an administrative job on the current thread.
    pub fn admin<T>(
        &self,
        job: impl FnOnce(&mut dyn db::Conn) -> Result<T, HubError>,
    ) -> Result<T, HubError> {
        self.database().run_blocking(job)
    }
}

/// Serves the hub on `listener` until `shutdown` completes; over TLS when
/// `tls` is given.
pub async fn serve(
    hub: Hub,
    listener: TcpListener,
    tls: Option<Arc<ServerConfig>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = api::router(hub);
    match tls {
        Some(config) => {
            let listener = tls::TlsListener::new(listener, config)?;
            axum::serve(listener, router)
                .with_graceful_shutdown(shutdown)
                .await
        }
        None => {
            axum::serve(listener, router)
                .with_graceful_shutdown(shutdown)
                .await
        }
    }
}

/// The address a listener is bound to, for the "listening on" line.
pub fn bound_address(listener: &TcpListener) -> std::io::Result<SocketAddr> {
    listener.local_addr()
}

/// Now as the hub stores times (RFC 3339, UTC, microseconds).
pub(crate) fn now_text() -> String {
    timestamp(chrono::Utc::now())
}

pub(crate) fn timestamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}
