//! The HTTP API: routes, shared state and the pieces every handler uses.

mod auth;
mod blobs;
mod cache;
mod content;
mod drops;
mod extract;
mod members;
mod sync;
mod tokens;

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::routing::{MethodRouter, get, post, put};
use axum::{Json, Router, middleware};
use porchlight_protocol::PROTOCOL_VERSION;
use porchlight_protocol::wire::{Health, MAX_BLOB, MAX_DROP_BODY, MAX_REPLY};
use serde::Serialize;
use tokio::sync::watch;
use tower_http::compression::Predicate;
use tower_http::compression::predicate::{DefaultPredicate, SizeAbove};

use crate::rate::RateLimiter;
use crate::storage::{Retention, Storage};
use crate::{Clock, Error, Settings};

pub(crate) struct App<S> {
    pub storage: S,
    pub settings: Settings,
    pub clock: Clock,
    /// Flips to true when the server is stopping, so long-polls end instead of holding up a
    /// graceful shutdown for up to `max_wait_secs`.
    pub stopping: watch::Receiver<bool>,
    /// Per-address limit of reply reads, the one endpoint with neither a session nor a drop
    /// token (in memory only).
    pub reply_limiter: RateLimiter,
    /// Sessions and newest numbers, so an up-to-date poll needs no database (decision 63).
    pub caches: cache::Caches,
}

impl<S> App<S> {
    /// Today's UTC day number and the first day whose drops and replies are still kept.
    pub fn retention(&self) -> Retention {
        self.retention_of(self.settings.drop_retention_days)
    }

    /// Today's UTC day number and the first day still kept when data lasts `days` days.
    pub fn retention_of(&self, days: u32) -> Retention {
        let today = self.clock.now().div_euclid(86_400);
        Retention {
            today,
            keep_from: today - i64::from(days),
        }
    }
}

pub(crate) type Shared<S> = Arc<App<S>>;

/// The whole API over `storage`.
pub(crate) fn router<S: Storage>(
    storage: S,
    settings: Settings,
    clock: Clock,
    stopping: watch::Receiver<bool>,
) -> Router {
    let limit = settings.body_limit;
    // A route's own limit never raises the operator's global one.
    let route_limit = |own: usize| own.min(limit);
    let app = Arc::new(App {
        reply_limiter: RateLimiter::new(settings.reply_reads_per_hour),
        caches: cache::Caches::new(std::time::Duration::from_secs(settings.cache_secs)),
        storage,
        settings,
        clock,
        stopping,
    });
    Router::new()
        .route("/v1/health", get(health::<S>))
        .route("/v1/auth/challenge", post(auth::challenge::<S>))
        .route("/v1/auth/session", post(auth::session::<S>))
        .route("/v1/groups", post(auth::create_group::<S>))
        .route("/v1/join", post(auth::join::<S>))
        .route("/v1/invites", post(members::create_invite::<S>))
        .route("/v1/members", get(members::list::<S>))
        .route("/v1/members/revoke", post(members::revoke::<S>))
        // Pulled pages are most of what a server sends; gzip, when the client asks for it, takes
        // them below the size of the same documents saved whole (docs/PERFORMANCE.md).
        .route(
            "/v1/sync",
            post(sync::sync::<S>).layer(
                // An up-to-date answer is a few dozen bytes: setting up gzip for it would cost
                // more than the bytes it saves.
                tower_http::compression::CompressionLayer::new()
                    .compress_when(DefaultPredicate::new().and(SizeAbove::new(1024))),
            ),
        )
        .route("/v1/wait", get(sync::wait::<S>))
        .route(
            "/v1/drop",
            with_body_limit(post(drops::post_drop::<S>), route_limit(MAX_DROP_BODY)),
        )
        .route("/v1/drops", get(drops::list::<S>))
        .route("/v1/tokens", get(tokens::key::<S>).post(tokens::issue::<S>))
        .route(
            "/v1/blobs/{hash}",
            with_body_limit(
                put(blobs::put::<S>).get(blobs::get::<S>),
                route_limit(MAX_BLOB),
            ),
        )
        .route(
            "/v1/replies/{id}",
            with_body_limit(put(drops::put_reply::<S>), route_limit(MAX_REPLY)),
        )
        .route("/v1/replies/{group}/{id}", get(drops::get_reply::<S>))
        .fallback(not_found)
        .with_state(app)
        // Bodies without a Content-Length (chunked) are cut off by this limit while streaming...
        .layer(DefaultBodyLimit::max(limit))
        // ...and bodies that announce their length are refused before a byte of them is read.
        .layer(middleware::from_fn_with_state(
            limit,
            extract::refuse_oversized,
        ))
}

/// Gives a route its own body limit, enforced the same two ways as the global one (see
/// [`router`]). The inner [`DefaultBodyLimit`] replaces the global one for this route.
fn with_body_limit<S>(route: MethodRouter<S>, limit: usize) -> MethodRouter<S>
where
    S: Clone + Send + Sync + 'static,
{
    route
        .layer(DefaultBodyLimit::max(limit))
        .layer(middleware::from_fn_with_state(
            limit,
            extract::refuse_oversized,
        ))
}

/// `/v1/health`: the usual fields, plus which database backend serves and whether it answers.
/// A load balancer takes an instance whose database does not answer out of rotation (503).
#[derive(Serialize)]
struct HealthReport {
    #[serde(flatten)]
    health: Health,
    storage: StorageHealth,
}

#[derive(Serialize)]
struct StorageHealth {
    backend: &'static str,
    /// "ok" or "unavailable".
    state: &'static str,
}

async fn health<S: Storage>(
    State(app): State<Shared<S>>,
) -> (axum::http::StatusCode, Json<HealthReport>) {
    let answers = app.storage.check().await;
    if let Err(e) = &answers {
        tracing::error!(error = %e, "the database does not answer");
    }
    let (status, code, state) = match answers {
        Ok(()) => ("ok", axum::http::StatusCode::OK, "ok"),
        Err(_) => (
            "degraded",
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
        ),
    };
    let report = HealthReport {
        health: Health {
            status: status.into(),
            protocol: PROTOCOL_VERSION,
            time: app.clock.now(),
        },
        storage: StorageHealth {
            backend: app.storage.backend(),
            state,
        },
    };
    (code, Json(report))
}

async fn not_found() -> Error {
    Error::NotFound("no such endpoint; see docs/SYNC.md for the API".into())
}
