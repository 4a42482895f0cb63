//! Literacy's media endpoints: picture cards, word audio, and recorded answers.
//!
//! - `GET /media/picture/{word}.svg`: the word's picture card.
//! - `GET /media/tts/{wordId}.wav` and `GET /media/say/{word}.wav` (`?rate=slow|normal`): the
//!   word said by espeak-ng, cached on disk.
//! - `POST /media/practice/{wordId}` (signed in): a recording (WAV, WebM or OGG, raw body or
//!   `multipart/form-data` with one file part, at most 2 MB and 10 s) recognised offline and
//!   scored like `practiceWord`.
//!
//! Errors answer with their HTTP status and the GraphQL-shaped body of the other endpoints.

use agora_literacy::api::{self as literacy, AUDIO_TYPES, MediaError};
use agora_platform::{AppError, ratelimit::LimitClass};
use axum::{
    Json,
    body::Bytes,
    extract::{FromRequest, Multipart, Path, Query, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use crate::{AppState, http::viewer_for, sensors::error};

/// Operations of the per-user rate limit one recognition counts as.
const RECOGNITION_COST: u32 = 10;

/// `?rate=`.
#[derive(Debug, Deserialize)]
pub struct RateParams {
    rate: Option<String>,
}

/// The SVG card of one word. The card escapes the word; the headers keep a browser from
/// running anything an SVG could carry.
pub async fn picture(Path(file): Path<String>) -> Response {
    let Some(word) = file.strip_suffix(".svg") else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match literacy::picture_svg(word) {
        Ok(svg) => {
            let mut response = svg.into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("image/svg+xml; charset=utf-8"),
            );
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
            );
            cached(response)
        }
        Err(err) => error(err),
    }
}

/// A level word said by espeak-ng.
pub async fn word_audio(
    State(state): State<AppState>,
    Path(file): Path<String>,
    Query(params): Query<RateParams>,
) -> Response {
    let Some(word) = file.strip_suffix(".wav") else {
        return StatusCode::NOT_FOUND.into_response();
    };
    wav(literacy::word_audio(
        &state.platform,
        &state.literacy,
        word,
        params.rate.as_deref(),
    )
    .await)
}

/// Any one word said by espeak-ng.
pub async fn text_audio(
    State(state): State<AppState>,
    Path(file): Path<String>,
    Query(params): Query<RateParams>,
) -> Response {
    let Some(text) = file.strip_suffix(".wav") else {
        return StatusCode::NOT_FOUND.into_response();
    };
    wav(literacy::text_audio(&state.literacy, text, params.rate.as_deref()).await)
}

fn wav(result: Result<Vec<u8>, MediaError>) -> Response {
    match result {
        Ok(audio) => {
            let mut response = audio.into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("audio/wav"));
            cached(response)
        }
        Err(err) => media_error(err),
    }
}

fn cached(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// Scores a recorded answer.
pub async fn practice(
    State(state): State<AppState>,
    Path(word): Path<String>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    let viewer = match viewer_for(&state, &headers).await {
        Ok(viewer) => viewer,
        Err(err) => return error(err),
    };
    let user = match viewer.require_user() {
        Ok(user) => user,
        Err(err) => return error(err),
    };
    // A recognition costs what ten operations do from the account's per-minute allowance.
    if let Err(refusal) = state
        .rate_limits
        .check(LimitClass::User, &user.to_string(), RECOGNITION_COST)
        .await
    {
        return error(AppError::RateLimited {
            message: "too many recordings from this account".into(),
            retry_after_secs: refusal.retry_after_secs(),
        });
    }
    let audio = match upload(&state, &headers, request).await {
        Ok(audio) => audio,
        Err(response) => return response,
    };
    match literacy::practice_recording(&state.platform, &state.literacy, user, &word, &audio).await
    {
        Ok(result) => Json(result).into_response(),
        Err(err) => media_error(err),
    }
}

/// The recording: a raw audio body, or the first file part of a multipart form. `415` for
/// anything that is not audio, `413` beyond the size limit.
async fn upload(
    state: &AppState,
    headers: &HeaderMap,
    request: Request,
) -> Result<Bytes, Response> {
    let content_type = media_type(headers.get(header::CONTENT_TYPE));
    let max = state.literacy.max_upload_bytes();
    let audio = if content_type == "multipart/form-data" {
        let mut form = Multipart::from_request(request, &state)
            .await
            .map_err(IntoResponse::into_response)?;
        loop {
            match form.next_field().await {
                Ok(Some(field)) if field.file_name().is_some() => {
                    let part_type = field.content_type().unwrap_or("application/octet-stream");
                    if !AUDIO_TYPES.contains(&media_type_str(part_type)) {
                        return Err(unsupported(part_type));
                    }
                    break field.bytes().await.map_err(|_| too_large(max))?;
                }
                Ok(Some(_)) => continue,
                Ok(None) => {
                    return Err(media_error(MediaError::App(AppError::bad_input(
                        "file",
                        "the form holds no file",
                    ))));
                }
                Err(err) => return Err(err.into_response()),
            }
        }
    } else if AUDIO_TYPES.contains(&content_type.as_str()) {
        Bytes::from_request(request, &state)
            .await
            .map_err(|_| too_large(max))?
    } else {
        return Err(unsupported(&content_type));
    };
    if audio.len() > max {
        return Err(too_large(max));
    }
    Ok(audio)
}

fn media_type(value: Option<&HeaderValue>) -> String {
    media_type_str(value.and_then(|v| v.to_str().ok()).unwrap_or("")).to_owned()
}

fn media_type_str(value: &str) -> &str {
    value.split(';').next().unwrap_or("").trim()
}

fn unsupported(content_type: &str) -> Response {
    engine_error(
        415,
        "BAD_USER_INPUT",
        format!(
            "{:?} is not audio: send WAV, WebM or OGG (as the body or one file of a multipart form)",
            content_type
        ),
        None,
    )
}

fn too_large(max: usize) -> Response {
    engine_error(
        413,
        "BAD_USER_INPUT",
        format!("the recording is larger than {max} bytes"),
        None,
    )
}

fn media_error(err: MediaError) -> Response {
    match err {
        MediaError::App(err) => error(err),
        MediaError::Engine {
            status,
            code,
            message,
            retry_after,
        } => engine_error(status, code, message, retry_after),
    }
}

fn engine_error(status: u16, code: &str, message: String, retry_after: Option<u64>) -> Response {
    let mut extensions = serde_json::json!({ "code": code });
    if let Some(secs) = retry_after {
        extensions["retryAfter"] = secs.into();
    }
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (
        status,
        Json(serde_json::json!({ "errors": [{ "message": message, "extensions": extensions }] })),
    )
        .into_response();
    if let Some(secs) = retry_after
        && let Ok(value) = HeaderValue::from_str(&secs.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}
