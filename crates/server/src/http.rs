//! HTTP endpoints besides GraphQL itself ([`crate::graphql_http`]): GraphiQL, health, readiness
//! and metrics, and the credentials of a request.

use agora_identity::api::{self, Credentials};
use agora_platform::{AppError, auth::Viewer, db};
use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{Html, IntoResponse, Response},
};

use crate::AppState;

/// GraphiQL's page, pointed at `/graphql` and `/graphql/ws`; its files are served by
/// [`graphiql_file`] from the binary (`assets/graphiql/README.md` says where they come from).
const GRAPHIQL_PAGE: &str = include_str!("../assets/graphiql/index.html");

/// GraphiQL's version, in the paths of its files (so they may be cached for good).
pub const GRAPHIQL_VERSION: &str = "4.1.2";

/// The files of GraphiQL's page: name, media type, bytes.
const GRAPHIQL_FILES: &[(&str, &str, &[u8])] = &[
    (
        "graphiql.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/graphiql.min.js"),
    ),
    (
        "graphiql.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/graphiql/graphiql.min.css"),
    ),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/react-dom.production.min.js"),
    ),
    (
        "init.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/graphiql/init.js"),
    ),
    (
        "page.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/graphiql/page.css"),
    ),
];

/// GraphiQL's content policy: scripts, styles and connections to this server only (inline
/// style attributes allowed: the editor sets them), no inline script, no framing.
pub const GRAPHIQL_CSP: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
     connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// `GET /`: GraphiQL, working offline.
pub async fn graphiql() -> Response {
    (
        [(header::CONTENT_SECURITY_POLICY, GRAPHIQL_CSP)],
        Html(GRAPHIQL_PAGE),
    )
        .into_response()
}

/// `GET /graphiql/{version}/{file}`: one of GraphiQL's files, cacheable for a year (a new
/// version has new paths); 404 for anything else.
pub async fn graphiql_file(
    axum::extract::Path((version, file)): axum::extract::Path<(String, String)>,
) -> Response {
    let found = GRAPHIQL_FILES
        .iter()
        .find(|(name, ..)| *name == file)
        .filter(|_| version == GRAPHIQL_VERSION);
    match found {
        Some((_, media, bytes)) => (
            [
                (header::CONTENT_TYPE, *media),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            *bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Resolves the request's credentials; an invalid one becomes an error response.
pub(crate) async fn viewer_for(state: &AppState, headers: &HeaderMap) -> Result<Viewer, AppError> {
    let credentials = Credentials {
        authorization: header_str(headers, "authorization"),
        api_key: header_str(headers, "x-api-key"),
    };
    api::authenticate(&state.platform, credentials).await
}

/// `GET /healthz`: the process is alive.
pub async fn healthz() -> &'static str {
    "ok"
}

/// How long `/readyz` waits for each dependency: a database that does not answer within it
/// is as unready as one that refuses (a pool waiting to connect would otherwise hold the
/// probe for its whole acquire timeout).
const READY_CHECK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

async fn within(check: impl Future<Output = Result<(), AppError>>) -> Result<(), AppError> {
    tokio::time::timeout(READY_CHECK_TIMEOUT, check)
        .await
        .unwrap_or_else(|_| Err(AppError::internal("no answer in time")))
}

/// `GET /readyz`: 200 when the database and the bus answer (each within 2 s), 503 otherwise,
/// naming which one is unreachable.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let (database, bus) = tokio::join!(
        within(db::ping(&state.platform.db)),
        within(state.platform.bus.ping())
    );
    let status = if database.is_ok() && bus.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let describe = |r: &Result<(), AppError>| match r {
        Ok(()) => "ok".to_owned(),
        Err(_) => "unreachable".to_owned(),
    };
    (
        status,
        Json(serde_json::json!({
            "database": describe(&database),
            "bus": describe(&bus),
            "busKind": state.platform.bus.kind(),
        })),
    )
        .into_response()
}

/// `GET /metrics`: Prometheus text format. With `AGORA_METRICS_TOKEN` set, only for a scraper
/// that sends it as `Authorization: Bearer <token>` (401 otherwise): operation names, error
/// counts and queue depths are not for the public.
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(expected) = &state.platform.config.http.metrics_token {
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        let matches: bool =
            subtle::ConstantTimeEq::ct_eq(presented.as_bytes(), expected.as_bytes()).into();
        if !matches {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "send the metrics token as `Authorization: Bearer <AGORA_METRICS_TOKEN>`",
            )
                .into_response();
        }
    }
    match crate::telemetry::render_metrics() {
        Some(text) => ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics recorder unavailable",
        )
            .into_response(),
    }
}

/// Security headers on every response: no MIME sniffing, no framing, no referrer; a content
/// policy that allows nothing (GraphiQL's page sets its own, [`GRAPHIQL_CSP`]).
pub async fn security_headers(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let set = |headers: &mut HeaderMap, name: header::HeaderName, value: &'static str| {
        headers
            .entry(name)
            .or_insert(header::HeaderValue::from_static(value));
    };
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, header::REFERRER_POLICY, "no-referrer");
    set(
        headers,
        header::STRICT_TRANSPORT_SECURITY,
        "max-age=31536000; includeSubDomains",
    );
    set(
        headers,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; frame-ancestors 'none'",
    );
    response
}

/// CORS from `AGORA_CORS_ORIGINS`: the listed origins (any in development by default), the
/// methods and headers the API uses, and the headers a client reads.
pub fn cors(config: &agora_platform::config::Config) -> tower_http::cors::CorsLayer {
    use tower_http::cors::{AllowOrigin, CorsLayer};
    let origin = match config.cors_origins() {
        None => AllowOrigin::any(),
        Some(list) => AllowOrigin::list(
            list.iter()
                .filter_map(|o| header::HeaderValue::from_str(o).ok())
                .collect::<Vec<_>>(),
        ),
    };
    CorsLayer::new()
        .allow_origin(origin)
        .allow_methods([axum::http::Method::GET, axum::http::Method::POST])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::HeaderName::from_static("x-api-key"),
            crate::REQUEST_ID_HEADER,
        ])
        .expose_headers([header::RETRY_AFTER, crate::REQUEST_ID_HEADER])
        .max_age(std::time::Duration::from_secs(600))
}

/// The per-address request limit (`AGORA_RATE_LIMIT_IP`) over every route but the health
/// checks and metrics: over it, 429 with `Retry-After`.
pub async fn limit_by_address(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = request.uri().path();
    if matches!(path, "/healthz" | "/readyz" | "/metrics") {
        return next.run(request).await;
    }
    let peer = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    if let Some(addr) = crate::graphql_http::client_addr(&state, request.headers(), peer)
        && let Err(refusal) = state
            .rate_limits
            .check(
                agora_platform::ratelimit::LimitClass::Ip,
                &addr.to_string(),
                1,
            )
            .await
    {
        let secs = refusal.retry_after_secs();
        return crate::graphql_http::rate_limited_response(
            crate::graphql_http::request_id_of(request.headers()),
            secs,
            format!("too many requests from this address; retry in {secs} s"),
        );
    }
    next.run(request).await
}
