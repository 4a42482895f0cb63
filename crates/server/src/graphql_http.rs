//! GraphQL over HTTP (`POST` and `GET /graphql`), as the GraphQL-over-HTTP specification and
//! Apollo's persisted-query protocol describe it.
//!
//! - Media types: `application/graphql-response+json` when the client accepts it (request
//!   errors then get 4xx statuses), else `application/json` (always 200 for a well-formed
//!   request); an `Accept` naming neither is 406. A POST body must be `application/json` (415
//!   otherwise) and a JSON object, or an array when batching is on (`AGORA_MAX_BATCH`); or a
//!   `multipart/form-data` request with files (the GraphQL multipart request format, with a
//!   preflight header, at most 25 MiB).
//! - Parameters: `query`, `operationName`, `variables`, `extensions` and `documentId`, each of
//!   its JSON type or null; anything else is 400 `BAD_REQUEST`. GET takes them from the URL
//!   (`variables` and `extensions` as JSON strings) and runs queries only (405 for mutations).
//! - Statuses by error code: request-level `RATE_LIMITED` 429 with `Retry-After`,
//!   `BAD_REQUEST` 400, `METHOD_NOT_ALLOWED` 405, `PERSISTED_QUERY_NOT_FOUND` 200 (Apollo
//!   clients retry with the query); with `application/graphql-response+json`, a response
//!   without data for a document that did not parse, validate or pass the limits is 400.
//! - Caching: a persisted query over GET that the executor marked public gets
//!   `Cache-Control: public, max-age=N`; every other GraphQL response `no-store`.

use std::net::IpAddr;

use agora_platform::{AppError, ErrorCode};
use agora_schema::{ClientAddr, QueriesOnly, RequestId, persisted::DocumentId};
use async_graphql::{Executor as _, Variables};
use axum::{
    extract::{RawQuery, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::{Map, Value};

use crate::{AppState, REQUEST_ID_HEADER, http::viewer_for};

/// The response media type the client accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MediaType {
    /// `application/json`: the legacy type, 200 for every well-formed request.
    Json,
    /// `application/graphql-response+json`: statuses tell request errors apart.
    GraphqlResponse,
}

impl MediaType {
    fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json; charset=utf-8",
            Self::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
        }
    }
}

/// The first acceptable type in the client's `Accept` list (no header: `application/json`).
/// The 406 for an `Accept` that names neither JSON type.
fn not_acceptable() -> Response {
    (
        StatusCode::NOT_ACCEPTABLE,
        "accept application/graphql-response+json or application/json",
    )
        .into_response()
}

fn negotiate(headers: &HeaderMap) -> Option<MediaType> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(MediaType::Json);
    };
    accept.split(',').find_map(|item| {
        let media = item
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match media.as_str() {
            "application/graphql-response+json" => Some(MediaType::GraphqlResponse),
            "application/json" | "application/*" | "*/*" => Some(MediaType::Json),
            _ => None,
        }
    })
}

/// How to answer one HTTP request: its media type, and its id for every error it carries.
#[derive(Debug, Clone, Copy)]
struct Reply<'a> {
    media: MediaType,
    request_id: Option<&'a str>,
}

/// The request id the id layer gave the request.
pub(crate) fn request_id_of(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(REQUEST_ID_HEADER.as_str())
        .and_then(|v| v.to_str().ok())
}

/// A response of one request-level error, carrying the request id like every other error.
fn request_error(reply: Reply<'_>, status: StatusCode, error: AppError) -> Response {
    let code = error.code();
    metrics::counter!("agora_graphql_errors_total", "code" => code.as_str()).increment(1);
    let mut error = error.into_server_error();
    if let Some(id) = reply.request_id {
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("requestId", id);
    }
    let media = reply.media;
    let body = serde_json::json!({ "errors": [error] });
    let mut response = (
        status,
        [(header::CONTENT_TYPE, media.content_type())],
        body.to_string(),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn bad_request(reply: Reply<'_>, message: impl Into<String>) -> Response {
    request_error(
        reply,
        StatusCode::BAD_REQUEST,
        AppError::Refused(ErrorCode::BadRequest, message.into()),
    )
}

/// A 429 for a request over a rate limit, with `Retry-After`.
pub(crate) fn rate_limited_response(
    request_id: Option<&str>,
    retry_after_secs: u64,
    message: String,
) -> Response {
    let mut response = request_error(
        Reply {
            media: MediaType::Json,
            request_id,
        },
        StatusCode::TOO_MANY_REQUESTS,
        AppError::RateLimited {
            message,
            retry_after_secs,
        },
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    response
}

/// 503 `UNAVAILABLE` with `Retry-After: 1`: the load shedder's refusal (nothing executed).
pub(crate) fn unavailable_response(request_id: Option<&str>, message: String) -> Response {
    let mut response = request_error(
        Reply {
            media: MediaType::Json,
            request_id,
        },
        StatusCode::SERVICE_UNAVAILABLE,
        AppError::Refused(agora_platform::error::ErrorCode::Unavailable, message),
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(1u64));
    response
}

/// The request's parameters, each checked for its JSON type.
struct Params {
    query: Option<String>,
    operation_name: Option<String>,
    variables: Option<Map<String, Value>>,
    extensions: Option<Map<String, Value>>,
    document_id: Option<String>,
}

fn params(object: &Map<String, Value>) -> Result<Params, String> {
    fn string(object: &Map<String, Value>, name: &str) -> Result<Option<String>, String> {
        match object.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("`{name}` must be a string")),
        }
    }
    fn map(object: &Map<String, Value>, name: &str) -> Result<Option<Map<String, Value>>, String> {
        match object.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m.clone())),
            Some(_) => Err(format!("`{name}` must be an object")),
        }
    }
    let params = Params {
        query: string(object, "query")?,
        operation_name: string(object, "operationName")?,
        variables: map(object, "variables")?,
        extensions: map(object, "extensions")?,
        document_id: string(object, "documentId")?,
    };
    let persisted = params.document_id.is_some()
        || params
            .extensions
            .as_ref()
            .is_some_and(|e| e.contains_key("persistedQuery"));
    if params.query.is_none() && !persisted {
        return Err("the request needs a `query` string (or a `documentId`)".into());
    }
    Ok(params)
}

/// The client's address. From a trusted proxy, the configured header read right to left
/// (every line of it, in order), skipping trusted proxies: the first other address is the
/// client's, as each proxy appends the address it received from. From any other peer, or
/// when the header holds nothing usable, the socket peer: a client cannot pick its own
/// address by sending the header itself.
pub(crate) fn client_addr(
    state: &AppState,
    headers: &HeaderMap,
    peer: Option<IpAddr>,
) -> Option<IpAddr> {
    let config = &state.platform.config;
    let trusted = |ip: &IpAddr| {
        config
            .http
            .trusted_proxies
            .iter()
            .any(|net| net.contains(ip))
    };
    let (Some(name), Some(peer)) = (&config.http.client_ip_header, peer) else {
        return peer;
    };
    if !trusted(&peer) {
        return Some(peer);
    }
    let entries: Vec<&str> = headers
        .get_all(name.as_str())
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    for entry in entries.iter().rev() {
        match entry.trim().parse::<IpAddr>() {
            Ok(ip) if trusted(&ip) => continue,
            Ok(ip) => return Some(ip),
            Err(_) => break,
        }
    }
    Some(peer)
}

async fn execute_one(
    state: &AppState,
    params: Params,
    method: &Method,
    headers: &HeaderMap,
    viewer: &agora_platform::auth::Viewer,
    addr: Option<IpAddr>,
    uploads: Vec<(String, async_graphql::UploadValue)>,
) -> async_graphql::Response {
    let request_id = headers
        .get(REQUEST_ID_HEADER.as_str())
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    let mut request = async_graphql::Request::new(params.query.unwrap_or_default())
        .data(viewer.clone())
        .data(RequestId(request_id))
        .data(ClientAddr(addr));
    request.operation_name = params.operation_name;
    if let Some(variables) = params.variables {
        request.variables = Variables::from_json(Value::Object(variables));
    }
    if let Some(extensions) = params.extensions {
        for (name, value) in extensions {
            if let Ok(value) = async_graphql::Value::from_json(value) {
                request.extensions.insert(name, value);
            }
        }
    }
    for (path, upload) in uploads {
        request.set_upload(&path, upload);
    }
    if let Some(id) = params.document_id {
        request = request.data(DocumentId(id));
    }
    if method == Method::GET {
        request = request.data(QueriesOnly);
    }
    agora_schema::insert_request_data(&mut request.data, &state.platform);
    state.executor.execute(request).await
}

/// The status for one response: request-level refusals by code, then the media type's rule.
fn status_of(response: &async_graphql::Response, media: MediaType) -> StatusCode {
    if !is_request_error(response) {
        return StatusCode::OK;
    }
    let code = response.errors[0]
        .extensions
        .as_ref()
        .and_then(|e| e.get("code"))
        .and_then(|c| match c {
            async_graphql::Value::String(s) => Some(s.as_str()),
            _ => None,
        })
        .unwrap_or("");
    match code {
        "RATE_LIMITED" => StatusCode::TOO_MANY_REQUESTS,
        "BAD_REQUEST" => StatusCode::BAD_REQUEST,
        "METHOD_NOT_ALLOWED" => StatusCode::METHOD_NOT_ALLOWED,
        "PERSISTED_QUERY_NOT_FOUND" => StatusCode::OK,
        "PERSISTED_QUERY_REQUIRED" => StatusCode::BAD_REQUEST,
        _ if media == MediaType::Json => StatusCode::OK,
        "GRAPHQL_VALIDATION_FAILED" | "LIMIT_EXCEEDED" => StatusCode::BAD_REQUEST,
        "UNAUTHENTICATED" => StatusCode::UNAUTHORIZED,
        "FORBIDDEN" => StatusCode::FORBIDDEN,
        "TIMEOUT" => StatusCode::GATEWAY_TIMEOUT,
        _ => StatusCode::OK,
    }
}

/// A request error: nothing executed (no data) and no error belongs to a field (no path).
fn is_request_error(response: &async_graphql::Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

/// The response as JSON, fields in the order they were selected; a request error has no
/// `data` entry at all.
fn body_of(response: &async_graphql::Response) -> String {
    #[derive(serde::Serialize)]
    struct RequestError<'a> {
        errors: &'a [async_graphql::ServerError],
        #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
        extensions: &'a std::collections::BTreeMap<String, async_graphql::Value>,
    }
    let json = if is_request_error(response) {
        serde_json::to_string(&RequestError {
            errors: &response.errors,
            extensions: &response.extensions,
        })
    } else {
        serde_json::to_string(response)
    };
    json.unwrap_or_default()
}

fn retry_after(response: &async_graphql::Response) -> Option<u64> {
    response
        .errors
        .iter()
        .find_map(|e| match e.extensions.as_ref()?.get("retryAfter")? {
            async_graphql::Value::Number(n) => n.as_u64(),
            _ => None,
        })
}

fn respond(
    media: MediaType,
    method: &Method,
    status: StatusCode,
    body: String,
    cache: Option<i32>,
    retry: Option<u64>,
) -> Response {
    let mut response =
        (status, [(header::CONTENT_TYPE, media.content_type())], body).into_response();
    let headers = response.headers_mut();
    let cache_control = match cache {
        Some(max_age) if *method == Method::GET => format!("public, max-age={max_age}"),
        _ => "no-store".to_owned(),
    };
    if let Ok(value) = HeaderValue::from_str(&cache_control) {
        headers.insert(header::CACHE_CONTROL, value);
    }
    if *method == Method::GET {
        headers.insert(
            header::VARY,
            HeaderValue::from_static("Accept, Authorization, X-Api-Key"),
        );
    }
    if status == StatusCode::METHOD_NOT_ALLOWED {
        headers.insert(header::ALLOW, HeaderValue::from_static("POST"));
    }
    if let (StatusCode::TOO_MANY_REQUESTS, Some(secs)) = (status, retry) {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

/// A strong validator of a GET response's body: the first 16 bytes of its SHA-256, quoted.
/// The same body gives the same tag on every replica.
fn etag_of(body: &str) -> String {
    use sha2::{Digest, Sha256};
    format!(
        "\"{}\"",
        hex::encode(&Sha256::digest(body.as_bytes())[..16])
    )
}

/// Whether the request's `If-None-Match` names `etag` (or is `*`); weak tags compare by value,
/// as RFC 9110 says for `If-None-Match`.
fn matches_etag(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim())
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
}

fn insert_etag(response: &mut Response, etag: &str) {
    if let Ok(value) = HeaderValue::from_str(etag) {
        response.headers_mut().insert(header::ETAG, value);
    }
}

async fn serve(
    state: AppState,
    method: Method,
    headers: HeaderMap,
    peer: Option<IpAddr>,
    media: MediaType,
    body: Value,
    uploads: Vec<(String, async_graphql::UploadValue)>,
) -> Response {
    let reply = Reply {
        media,
        request_id: request_id_of(&headers),
    };
    let viewer = match viewer_for(&state, &headers).await {
        Ok(viewer) => viewer,
        Err(err) => {
            let status = match media {
                MediaType::Json => StatusCode::OK,
                MediaType::GraphqlResponse => StatusCode::UNAUTHORIZED,
            };
            return request_error(reply, status, err);
        }
    };
    let addr = client_addr(&state, &headers, peer);
    match body {
        Value::Object(object) => {
            let params = match params(&object) {
                Ok(params) => params,
                Err(message) => return bad_request(reply, message),
            };
            let response =
                execute_one(&state, params, &method, &headers, &viewer, addr, uploads).await;
            let status = status_of(&response, media);
            let cache = (response.cache_control.public && response.cache_control.max_age > 0)
                .then_some(response.cache_control.max_age);
            let retry = retry_after(&response);
            let body = body_of(&response);
            let etag = (method == Method::GET && status == StatusCode::OK).then(|| etag_of(&body));
            if let Some(etag) = &etag
                && matches_etag(&headers, etag)
            {
                let mut response = respond(media, &method, status, String::new(), cache, None);
                *response.status_mut() = StatusCode::NOT_MODIFIED;
                *response.body_mut() = axum::body::Body::empty();
                response.headers_mut().remove(header::CONTENT_TYPE);
                insert_etag(&mut response, etag);
                return response;
            }
            let mut response = respond(media, &method, status, body, cache, retry);
            if let Some(etag) = &etag {
                insert_etag(&mut response, etag);
            }
            response
        }
        Value::Array(items) => {
            let max = usize::from(state.platform.config.limits.max_batch);
            if max == 0 {
                return bad_request(reply, "batched requests are not accepted by this server");
            }
            if items.len() > max || items.is_empty() {
                return request_error(
                    reply,
                    StatusCode::BAD_REQUEST,
                    AppError::LimitExceeded {
                        message: format!("a batch holds 1 to {max} operations"),
                        limit: "batch",
                        max,
                    },
                );
            }
            let mut checked = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                match item
                    .as_object()
                    .ok_or_else(|| "each batched request must be an object".to_owned())
                    .and_then(params)
                {
                    Ok(params) => checked.push(params),
                    Err(message) => return bad_request(reply, format!("[{i}]: {message}")),
                }
            }
            let mut responses = Vec::with_capacity(checked.len());
            for params in checked {
                responses.push(
                    execute_one(&state, params, &method, &headers, &viewer, addr, Vec::new()).await,
                );
            }
            let body = format!(
                "[{}]",
                responses.iter().map(body_of).collect::<Vec<_>>().join(",")
            );
            respond(media, &method, StatusCode::OK, body, None, None)
        }
        _ => bad_request(reply, "the request body must be a JSON object"),
    }
}

/// The socket peer's address, when the server was started with connection info.
pub struct Peer(pub Option<IpAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

/// Largest multipart request (`SCREENSHOT` and `VIDEO` captures), in bytes: the largest
/// upload and room for the form around it. Every other body keeps `AGORA_MAX_BODY_BYTES`.
pub const MAX_MULTIPART_BYTES: usize = 25 * 1024 * 1024 + 64 * 1024;
/// Files one multipart request may carry.
const MAX_FILES: usize = 4;

/// `POST /graphql`: a JSON body, or a multipart form carrying files (the GraphQL multipart
/// request format: an `operations` part, a `map` part, then the files).
pub async fn graphql_post(
    State(state): State<AppState>,
    Peer(peer): Peer,
    request: axum::extract::Request,
) -> Response {
    let headers = request.headers().clone();
    let Some(media) = negotiate(&headers) else {
        return not_acceptable();
    };
    let reply = Reply {
        media,
        request_id: request_id_of(&headers),
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case("multipart/form-data") {
        return match multipart(&state, &headers, request).await {
            Ok((body, uploads)) => {
                serve(state, Method::POST, headers, peer, media, body, uploads).await
            }
            Err(Refusal::TooLarge) => too_large(MAX_MULTIPART_BYTES),
            Err(Refusal::Bad(message)) => bad_request(reply, message),
        };
    }
    if !essence.eq_ignore_ascii_case("application/json") {
        return request_error(
            reply,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Refused(
                ErrorCode::BadRequest,
                "send the request as application/json (or multipart/form-data with files)".into(),
            ),
        );
    }
    let max = state.platform.config.limits.max_body_bytes;
    let Ok(body) = axum::body::to_bytes(request.into_body(), max).await else {
        return too_large(max);
    };
    let body: Value = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(_) if body.is_empty() => return bad_request(reply, "the request body is empty"),
        Err(err) => return bad_request(reply, format!("the request body is not JSON: {err}")),
    };
    serve(state, Method::POST, headers, peer, media, body, Vec::new()).await
}

fn too_large(max: usize) -> Response {
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("the request body is larger than {max} bytes"),
    )
        .into_response()
}

/// Why a multipart request was refused.
enum Refusal {
    TooLarge,
    Bad(String),
}

/// Reads a GraphQL multipart request: `operations` (one operation; batches are not taken with
/// files), `map` (file part name → variable paths) and the files, at most [`MAX_FILES`].
/// Browsers send forms across origins without asking, so the request must carry a header no
/// plain form can (`Apollo-Require-Preflight` or `GraphQL-Preflight`), as Apollo Server asks.
async fn multipart(
    state: &AppState,
    headers: &HeaderMap,
    request: axum::extract::Request,
) -> Result<(Value, Vec<(String, async_graphql::UploadValue)>), Refusal> {
    use axum::extract::{FromRequest, Multipart};
    let preflighted = ["apollo-require-preflight", "graphql-preflight"]
        .iter()
        .any(|h| headers.contains_key(*h));
    if !preflighted {
        return Err(Refusal::Bad(
            "a multipart request must carry an Apollo-Require-Preflight (or GraphQL-Preflight) \
             header, so that no cross-site form can send it"
                .into(),
        ));
    }
    let mut form = Multipart::from_request(request, state)
        .await
        .map_err(|e| Refusal::Bad(format!("the multipart form is unreadable: {e}")))?;
    let mut operations: Option<Value> = None;
    let mut map: Option<Map<String, Value>> = None;
    let mut files: Vec<(String, async_graphql::UploadValue)> = Vec::new();
    loop {
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(Refusal::TooLarge);
            }
            Err(e) => {
                return Err(Refusal::Bad(format!(
                    "the multipart form is unreadable: {e}"
                )));
            }
        };
        let name = field.name().unwrap_or_default().to_owned();
        let filename = field.file_name().map(str::to_owned);
        let content_type = field.content_type().map(str::to_owned);
        let bytes = field.bytes().await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Refusal::TooLarge
            } else {
                Refusal::Bad(format!("the multipart form is unreadable: {e}"))
            }
        })?;
        match name.as_str() {
            "operations" => {
                operations = Some(serde_json::from_slice(&bytes).map_err(|e| {
                    Refusal::Bad(format!("the `operations` part is not JSON: {e}"))
                })?);
            }
            "map" => {
                map = Some(serde_json::from_slice(&bytes).map_err(|e| {
                    Refusal::Bad(format!("the `map` part is not a JSON object: {e}"))
                })?);
            }
            _ => {
                if files.len() == MAX_FILES {
                    return Err(Refusal::Bad(format!(
                        "a request may carry at most {MAX_FILES} files"
                    )));
                }
                files.push((
                    name,
                    async_graphql::UploadValue {
                        filename: filename.unwrap_or_default(),
                        content_type,
                        content: bytes,
                    },
                ));
            }
        }
    }
    let Some(operations) = operations else {
        return Err(Refusal::Bad(
            "the multipart form needs an `operations` part first".into(),
        ));
    };
    if !operations.is_object() {
        return Err(Refusal::Bad(
            "`operations` must be one operation (an object); files cannot be batched".into(),
        ));
    }
    let map = map.unwrap_or_default();
    let mut uploads = Vec::new();
    for (name, file) in files {
        let Some(paths) = map.get(&name).and_then(Value::as_array) else {
            return Err(Refusal::Bad(format!(
                "the file part {name:?} is not named in `map`"
            )));
        };
        for path in paths {
            let Some(path) = path.as_str().filter(|p| p.starts_with("variables.")) else {
                return Err(Refusal::Bad(format!(
                    "`map` entries must be variable paths (variables.…), not {path}"
                )));
            };
            let copy = async_graphql::UploadValue {
                filename: file.filename.clone(),
                content_type: file.content_type.clone(),
                content: file.content.clone(),
            };
            uploads.push((path.to_owned(), copy));
        }
    }
    if let Some(missing) = map.keys().find(|k| !uploads_named(&uploads, &map, k)) {
        return Err(Refusal::Bad(format!(
            "`map` names the file part {missing:?}, which the form does not hold"
        )));
    }
    Ok((operations, uploads))
}

/// Whether the file part `name` of `map` was received (each of its paths has an upload).
fn uploads_named(
    uploads: &[(String, async_graphql::UploadValue)],
    map: &Map<String, Value>,
    name: &str,
) -> bool {
    map.get(name)
        .and_then(Value::as_array)
        .is_some_and(|paths| {
            paths
                .iter()
                .filter_map(Value::as_str)
                .all(|p| uploads.iter().any(|(path, _)| path == p))
        })
}

/// `GET /graphql`: a WebSocket upgrade goes to [`crate::ws::upgrade`] (clients configured
/// with one URL for both), anything else is a query.
pub async fn graphql_get_or_upgrade(
    State(state): State<AppState>,
    request: axum::extract::Request,
) -> Response {
    use axum::extract::{FromRequestParts, ws::WebSocketUpgrade};
    let (mut parts, _) = request.into_parts();
    let peer = match Peer::from_request_parts(&mut parts, &state).await {
        Ok(peer) => peer,
        Err(never) => match never {},
    };
    let upgrade = parts
        .headers
        .get(axum::http::header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if upgrade {
        return match WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
            Ok(socket) => crate::ws::upgrade(State(state), peer, parts.headers, socket).await,
            Err(rejection) => rejection.into_response(),
        };
    }
    let raw = parts.uri.query().map(str::to_owned);
    graphql_get(State(state), peer, parts.headers, RawQuery(raw)).await
}

/// `GET /graphql`: queries only (405 with `Allow: POST` for mutations).
async fn graphql_get(
    State(state): State<AppState>,
    Peer(peer): Peer,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let Some(media) = negotiate(&headers) else {
        return not_acceptable();
    };
    let reply = Reply {
        media,
        request_id: request_id_of(&headers),
    };
    let mut object = Map::new();
    for (name, value) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        let value = match name.as_ref() {
            "variables" | "extensions" => match serde_json::from_str::<Value>(&value) {
                Ok(json) => json,
                Err(_) => return bad_request(reply, format!("`{name}` must be a JSON object")),
            },
            _ => Value::String(value.into_owned()),
        };
        object.insert(name.into_owned(), value);
    }
    serve(
        state,
        Method::GET,
        headers,
        peer,
        media,
        Value::Object(object),
        Vec::new(),
    )
    .await
}
