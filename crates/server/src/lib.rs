//! Porchlight's sync server as a library: the `porchlight serve` command and the coordinator's
//! desktop (serving phones over local Wi-Fi) both run it.
//!
//! It keeps one append-only change log per group and hands each device the part its role may
//! read (see `docs/SYNC.md`). Storage is behind the [`Storage`] trait: SQLite for one community
//! server, PostgreSQL for several stateless instances sharing one database.

mod clock;
mod error;
mod http;
mod rate;
mod settings;
mod storage;
mod tls;

use std::future::Future;
use std::net::SocketAddr;

use axum::serve::ListenerExt;
use tokio::net::TcpListener;

pub use clock::Clock;
pub use error::Error;
pub use settings::{MAX_CACHE_SECS, Secret, Settings, TlsMode, default_config};
pub use storage::{
    BlobKeeping, BlobOutcome, Compacted, CompactionLock, CompactionPolicy, DatabaseUrl, FoldInput,
    Folded, LogRow, MemberRecord, NewInvite, NewMember, Page, PageLimits, PgStorage, PulledChange,
    PushChange, PushDoc, PushOutcome, Retention, SessionRecord, Snapshot, SqliteStorage, Storage,
    StoredBlob, StoredDoc, TokenKeyRecord, Unfoldable, compact_once, fold,
};
pub use tls::{ServerCertificate, load_certificate, self_signed_dir, tls_fingerprint};

/// Serves on `listener` until `shutdown` completes, with the database named in `settings`.
pub async fn launch_with_listener(
    settings: Settings,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    launch_with_clock(settings, listener, Clock::system(), shutdown).await
}

/// Like [`launch_with_listener`], with a clock the caller controls (tests move it forward to
/// expire tokens and invites).
pub async fn launch_with_clock(
    settings: Settings,
    listener: TcpListener,
    clock: Clock,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    // The URL's scheme picks the backend; the server above it is the same code for both.
    match DatabaseUrl::parse(&settings.database)? {
        DatabaseUrl::Sqlite(path) => {
            let storage = tokio::task::spawn_blocking(move || SqliteStorage::open(path)).await??;
            launch_with_storage(storage, settings, listener, clock, shutdown).await
        }
        DatabaseUrl::Postgres(url) => {
            let storage = PgStorage::connect(&url).await?;
            launch_with_storage(storage, settings, listener, clock, shutdown).await
        }
    }
}

/// Serves over any [`Storage`] backend, over TLS unless `settings.tls` is off.
pub async fn launch_with_storage<S: Storage>(
    storage: S,
    settings: Settings,
    listener: TcpListener,
    clock: Clock,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    let for_tls = settings.clone();
    let certificate =
        tokio::task::spawn_blocking(move || tls::load_certificate(&for_tls)).await??;
    let tls = certificate.map(tls::server_config).transpose()?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    if settings.compact_every_secs > 0 {
        tokio::spawn(storage::run_compaction(
            storage.clone(),
            settings.compaction_policy(),
            std::time::Duration::from_secs(settings.compact_every_secs),
            stop_rx.clone(),
        ));
    }
    let app = http::router(storage, settings, clock, stop_rx);
    // The peer address (ConnectInfo) is handed only to the anonymous reply reads, which use it
    // as a key of the in-memory rate limiter and nowhere else: it is never logged or stored.
    // There is no request logging layer, so nothing else ever sees it either.
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    let shutdown = async move {
        shutdown.await;
        // Ends pending long-polls so the graceful shutdown does not wait for their timeouts.
        let _ = stop_tx.send(true);
    };
    match tls {
        None => {
            axum::serve(listener, service)
                .with_graceful_shutdown(shutdown)
                .await?;
        }
        Some(config) => {
            // axum gives the peer address (ConnectInfo) to its own listener types and to any
            // listener wrapped by `tap_io`, so the TLS listener goes through it, tapping nothing.
            let listener = tls::TlsListener::new(listener, config)?.tap_io(|_| {});
            axum::serve(listener, service)
                .with_graceful_shutdown(shutdown)
                .await?;
        }
    }
    Ok(())
}

/// The whole HTTP API over `storage`, without a listener: for embedding the server in another
/// process (a hub) or driving it in-process (`tower::ServiceExt::oneshot`, simulated networks).
/// Pending long-polls end when `stopping` turns true (or its sender is dropped). The reply-read
/// endpoint needs an `axum::extract::ConnectInfo<SocketAddr>` extension on each request.
pub fn app<S: Storage>(
    storage: S,
    settings: Settings,
    clock: Clock,
    stopping: tokio::sync::watch::Receiver<bool>,
) -> axum::Router {
    http::router(storage, settings, clock, stopping)
}

/// Binds `settings.listen` and serves until Ctrl-C (or SIGTERM on Unix).
pub async fn serve(settings: Settings) -> Result<(), Error> {
    let listener = TcpListener::bind(settings.listen).await?;
    launch_with_listener(settings, listener, stop_signal()).await
}

async fn stop_signal() {
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = async {
                match term.as_mut() {
                    Some(t) => { t.recv().await; }
                    None => std::future::pending::<()>().await,
                }
            } => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
