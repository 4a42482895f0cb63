//! Logs (pretty or JSON) and the Prometheus metrics recorder.

use std::sync::OnceLock;

use agora_platform::config::{Config, LogFormat};
use axum::http::Request;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::{EnvFilter, fmt, prelude::*};

static METRICS: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Starts logging in the configured format; `RUST_LOG` overrides the default `info` filter.
pub fn init_logging(config: &Config) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let registry = tracing_subscriber::registry().with(filter);
    let _ = match config.log_format() {
        LogFormat::Json => registry
            .with(fmt::layer().json().flatten_event(true))
            .try_init(),
        LogFormat::Pretty => registry.with(fmt::layer()).try_init(),
    };
}

/// Installs the process-wide Prometheus recorder once; later calls reuse it.
pub fn install_metrics() {
    METRICS.get_or_init(|| {
        let buckets = [
            0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
        ];
        PrometheusBuilder::new()
            .set_buckets(&buckets)
            .ok()
            .and_then(|b| b.install_recorder().ok())
    });
}

/// The rendered metrics, or None if no recorder could be installed.
pub fn render_metrics() -> Option<String> {
    METRICS
        .get()
        .and_then(|h| h.as_ref())
        .map(PrometheusHandle::render)
}

/// The span of one HTTP request: method, path, request id, and (filled in later) the GraphQL
/// operation name.
pub fn request_span<B>(request: &Request<B>) -> tracing::Span {
    let request_id = request
        .headers()
        .get(crate::REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id,
        operation = tracing::field::Empty,
    )
}

/// Logs a failed response (a 5xx, or an error from the stack) at error level, except 503s: each
/// is a deliberate answer (the load shedder's refusal, `/readyz` during an outage, a media
/// engine not installed), counted or logged where it is given, and under overload a log line
/// per refusal is work the server has no time for (`agora_http_shed_total` counts those).
pub fn on_failure(
    class: tower_http::classify::ServerErrorsFailureClass,
    latency: std::time::Duration,
    _span: &tracing::Span,
) {
    use tower_http::classify::ServerErrorsFailureClass;
    if let ServerErrorsFailureClass::StatusCode(status) = class
        && status == axum::http::StatusCode::SERVICE_UNAVAILABLE
    {
        return;
    }
    tracing::error!(
        classification = %class,
        latency_ms = latency.as_millis() as u64,
        "response failed"
    );
}
