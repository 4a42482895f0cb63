//! The `agora` server: builds the [`AppState`] (database, bus, schema), serves it over HTTP and
//! WebSocket ([`app`]), runs the outbox dispatcher, and hosts the CLI tasks.
//!
//! - [`state`]: start-up wiring for both run modes.
//! - [`graphql_http`]: `/graphql` (POST, GET): GraphQL over HTTP, persisted queries, statuses.
//! - [`http`]: GraphiQL (served from the binary), `/healthz`, `/readyz`, `/metrics`; security
//!   headers, CORS, compression and the per-address rate limit wrap every route.
//! - [`ws`]: `/graphql/ws`, both GraphQL WebSocket subprotocols, closed with 1001 on shutdown.
//! - [`live_sockets`]: the credentials each open WebSocket holds; revocations announced on the
//!   bus close the sockets holding them with 4403.
//! - [`send_timeout`]: a per-connection send timeout that streaming handlers arm.
//! - [`telemetry`]: logs and the Prometheus recorder.
//! - [`tasks`]: `migrate`, `seed`, `export-schema`, `create-admin`.
#![warn(missing_docs, unreachable_pub)]

pub mod cli;
pub mod graphql_http;
pub mod http;
pub mod literacy;
pub mod live_sockets;
pub mod overload;
pub mod send_timeout;
pub mod sensors;
pub mod state;
pub mod tasks;
pub mod telemetry;
pub mod ws;

use std::time::Duration;

use agora_platform::outbox::OutboxDispatcher;
use axum::{
    Router,
    http::{HeaderName, StatusCode},
    routing::{get, post},
};
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::{
    compression::CompressionLayer,
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    timeout::TimeoutLayer,
    trace::TraceLayer,
};

pub use state::{AppState, StartOptions};

/// The request-id header, set on every request that lacks one and echoed on the response.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The HTTP router over `state`.
pub fn app(state: AppState) -> Router {
    let config = &state.platform.config;
    let middleware = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(REQUEST_ID_HEADER, MakeRequestUuid))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(telemetry::request_span)
                .on_failure(telemetry::on_failure),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID_HEADER))
        .layer(compression())
        .layer(axum::middleware::from_fn(http::security_headers))
        .layer(http::cors(config))
        .option_layer(
            overload::Admission::from_config(config)
                .map(|admission| axum::middleware::from_fn_with_state(admission, overload::admit)),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            http::limit_by_address,
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.limits.request_timeout,
        ));
    // Recordings may be larger than any GraphQL body: their route has its own limit.
    let uploads = Router::new()
        .route("/media/practice/{word}", post(literacy::practice))
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(
            state.literacy.max_upload_bytes() + 64 * 1024,
        ));
    // GraphQL takes files in multipart requests (captures): the route allows the largest,
    // and the handler holds every other body to `AGORA_MAX_BODY_BYTES` itself.
    let graphql = Router::new()
        .route(
            "/graphql",
            get(graphql_http::graphql_get_or_upgrade).post(graphql_http::graphql_post),
        )
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(
            graphql_http::MAX_MULTIPART_BYTES.max(config.limits.max_body_bytes),
        ));
    Router::new()
        .route("/", get(http::graphiql))
        .route("/graphiql/{version}/{file}", get(http::graphiql_file))
        .route("/graphql/ws", get(ws::upgrade))
        .route("/healthz", get(http::healthz))
        .route("/readyz", get(http::readyz))
        .route("/metrics", get(http::metrics))
        .route("/ingest/purpleair", post(sensors::ingest_purpleair))
        .route("/ingest/airqo", post(sensors::ingest_airqo))
        .route("/export/readings.csv", get(sensors::export_readings))
        .route("/media/picture/{file}", get(literacy::picture))
        .route("/media/tts/{file}", get(literacy::word_audio))
        .route("/media/say/{file}", get(literacy::text_audio))
        .layer(RequestBodyLimitLayer::new(config.limits.max_body_bytes))
        .merge(uploads)
        .merge(graphql)
        .layer(middleware)
        .with_state(state)
}

/// Response compression: gzip or brotli when the client accepts it (browsers do; `wrk` and
/// the bench clients do not ask), for bodies over 32 bytes, except audio (already compressed)
/// and event streams.
fn compression() -> CompressionLayer<impl tower_http::compression::Predicate> {
    use tower_http::compression::{
        Predicate as _,
        predicate::{DefaultPredicate, NotForContentType},
    };
    CompressionLayer::new()
        .gzip(true)
        .br(true)
        .compress_when(DefaultPredicate::new().and(NotForContentType::const_new("audio/")))
}

/// Serves `state` on `listener` until `state.shutdown` is cancelled: then stops accepting,
/// finishes in-flight requests, closes WebSockets with 1001, stops the battle driver (rooms
/// carry on from their stored deadlines on the next start) and the scheduler and lets the outbox dispatcher
/// drain once more. All of that shares one deadline, the configured shutdown timeout, counted
/// from the signal.
pub async fn serve(state: AppState, listener: TcpListener) -> anyhow::Result<()> {
    let shutdown = state.shutdown.clone();
    let grace = state.platform.config.server.shutdown_timeout;
    let dispatcher = OutboxDispatcher::new(
        state.platform.clone(),
        agora_schema::outbox_handlers(&state.domains),
    );
    let dispatcher = tokio::spawn(dispatcher.run(shutdown.clone()));
    let battle_driver = tokio::spawn(agora_battle::api::run_driver(
        state.platform.clone(),
        state.domains.battle.clone(),
        shutdown.clone(),
    ));
    let key_usage = tokio::spawn(
        state
            .key_usage
            .clone()
            .run(state.platform.clone(), shutdown.clone()),
    );
    let revocations = tokio::spawn(live_sockets::watch_revocations(state.clone()));
    let scheduler = tokio::spawn(agora_platform::schedule::run(
        state.platform.clone(),
        agora_schema::scheduled_jobs(),
        shutdown.clone(),
    ));
    tracing::info!(
        address = %listener.local_addr()?,
        database = if state.platform.config.is_sqlite() { "sqlite" } else { "postgres" },
        bus = state.platform.bus.kind(),
        "agora listening"
    );
    let server = axum::serve(
        send_timeout::SendTimeoutListener::new(listener),
        send_timeout::MakeConnectionService::new(app(state)),
    )
    .with_graceful_shutdown(shutdown.clone().cancelled_owned())
    .into_future();
    // Serve until the shutdown signal; from then on one grace period bounds the rest, so a
    // stuck request or task cannot keep the process past its orchestrator's kill deadline.
    let mut server = std::pin::pin!(server);
    // The server's own graceful shutdown watches the same token, so both branches can be ready
    // in one poll: the server is polled again only if it has not finished (polling a finished
    // `async fn` panics, which a quick second signal used to show).
    let finished = tokio::select! {
        served = &mut server => {
            served?;
            true
        }
        () = shutdown.cancelled() => false,
    };
    let deadline = tokio::time::Instant::now() + grace;
    if !finished {
        match tokio::time::timeout_at(deadline, server).await {
            Ok(served) => served?,
            Err(_) => {
                tracing::warn!("in-flight requests did not finish within the shutdown timeout")
            }
        }
    }
    for (task, handle) in [
        ("outbox dispatcher", dispatcher),
        ("battle driver", battle_driver),
        ("API key usage writer", key_usage),
        ("scheduler", scheduler),
        ("revocation listener", revocations),
    ] {
        if tokio::time::timeout_at(deadline, handle).await.is_err() {
            tracing::warn!(
                task,
                "background task did not stop within the shutdown timeout"
            );
        }
    }
    // Give WebSocket tasks a moment to send their close frames.
    tokio::time::sleep(Duration::from_millis(50)).await;
    tracing::info!("agora stopped");
    Ok(())
}
