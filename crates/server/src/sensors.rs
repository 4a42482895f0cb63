//! The sensor domain's plain-HTTP endpoints: provider payloads in, CSV out.
//!
//! Errors answer with the HTTP status of their code and a GraphQL-shaped body
//! (`{"errors":[{"message","extensions":{"code"}}]}`), so clients read one error format.

use agora_platform::AppError;
use agora_sensors::api::{self, Provider};
use axum::{
    Extension, Json,
    body::{Body, Bytes},
    extract::{Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use crate::{AppState, http::viewer_for, send_timeout::SendTimeout};

/// `?stationId=` on the ingest endpoints (admins; a device key names its own station).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IngestParams {
    station_id: Option<String>,
}

/// The error body and status of `err` (also for literacy's media endpoints).
pub(crate) fn error(err: AppError) -> Response {
    let status =
        StatusCode::from_u16(err.code().http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if matches!(err, AppError::Internal(_)) {
        tracing::error!(error = %err.log_message(), "HTTP endpoint failed");
    }
    let mut extensions = serde_json::json!({ "code": err.code().as_str() });
    let retry_after = match &err {
        AppError::RateLimited {
            retry_after_secs, ..
        } => Some(*retry_after_secs),
        _ => None,
    };
    if let Some(secs) = retry_after {
        extensions["retryAfter"] = secs.into();
    }
    let body = serde_json::json!({
        "errors": [{
            "message": err.client_message(),
            "extensions": extensions,
        }]
    });
    let mut response = (status, Json(body)).into_response();
    if let Some(secs) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

async fn ingest(
    state: AppState,
    headers: HeaderMap,
    params: IngestParams,
    provider: Provider,
    body: Bytes,
) -> Response {
    let viewer = match viewer_for(&state, &headers).await {
        Ok(viewer) => viewer,
        Err(err) => return error(err),
    };
    match api::ingest_payload(
        &state.platform,
        &state.sensors,
        &viewer,
        provider,
        params.station_id.as_deref(),
        &body,
    )
    .await
    {
        Ok(report) => Json(report).into_response(),
        Err(err) => error(err),
    }
}

/// `POST /ingest/purpleair`: a PurpleAir sensor's own JSON (local `/json` or API v1 shape).
pub async fn ingest_purpleair(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<IngestParams>,
    body: Bytes,
) -> Response {
    ingest(state, headers, params, Provider::Purpleair, body).await
}

/// `POST /ingest/airqo`: an AirQo measurements payload.
pub async fn ingest_airqo(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<IngestParams>,
    body: Bytes,
) -> Response {
    ingest(state, headers, params, Provider::Airqo, body).await
}

/// `GET /export/readings.csv?stationId=&parameter=&from=&to=`: streams the readings as CSV
/// (signed-in users and keys, not station device keys; at most `AGORA_EXPORT_MAX_RANGE` per
/// request, `AGORA_EXPORT_MAX_PER_USER` / `_PER_REPLICA` at once). A client that takes no
/// bytes for `AGORA_EXPORT_WRITE_TIMEOUT` is disconnected.
pub async fn export_readings(
    State(state): State<AppState>,
    send_timeout: Option<Extension<SendTimeout>>,
    headers: HeaderMap,
    params: Result<Query<api::ExportParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Query(params) = match params {
        Ok(params) => params,
        Err(rejection) => {
            return error(AppError::bad_input(
                "query",
                format!("invalid query parameters: {}", rejection.body_text()),
            ));
        }
    };
    let viewer = match viewer_for(&state, &headers).await {
        Ok(viewer) => viewer,
        Err(err) => return error(err),
    };
    match api::export_csv(&state.platform, &state.sensors, &viewer, params).await {
        Ok((name, stream)) => {
            // The body cannot notice a client that stopped reading (nothing polls it then);
            // the connection's socket can.
            if let Some(Extension(timeout)) = send_timeout {
                timeout.arm(state.domains.sensors.export_write_timeout);
            }
            let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
                .unwrap_or(HeaderValue::from_static("attachment"));
            (
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("text/csv; charset=utf-8"),
                    ),
                    (header::CONTENT_DISPOSITION, disposition),
                ],
                Body::from_stream(stream),
            )
                .into_response()
        }
        Err(err) => error(err),
    }
}
