//! An OpenAI-compatible chat-completions client that asks a language model for JSON matching a
//! schema, used by Agora to draft flashcards and quiz questions when an operator configures a
//! model endpoint.
//!
//! # Protocol
//!
//! [`LlmClient::complete_json`] sends one `POST {base_url}/chat/completions` request per attempt
//! (a trailing slash on the base URL is tolerated), with a JSON body of the form
//!
//! ```json
//! {
//!   "model": "<model>",
//!   "messages": [{"role": "system", "content": "..."}, {"role": "user", "content": "..."}],
//!   "temperature": 0.2,
//!   "response_format": {
//!     "type": "json_schema",
//!     "json_schema": {"name": "<name>", "schema": {...}, "strict": true}
//!   },
//!   "max_tokens": 1024
//! }
//! ```
//!
//! (`max_tokens` only when [`LlmConfig::max_output_tokens`] is set) and an
//! `Authorization: Bearer <key>` header when an API key is configured. Redirects are never
//! followed.
//!
//! The reply's `choices[0].message.content` is parsed as JSON and deserialized into the caller's
//! type. Content wrapped in a Markdown code fence (```` ```json ... ``` ````), or preceded by a
//! `<think>…</think>` reasoning block, is accepted too. The model name and token counts are read
//! from the reply's `model` and `usage` fields when present.
//!
//! # Timeouts and retries
//!
//! Every attempt (connecting, sending, waiting for and reading the whole reply) is bounded by
//! [`LlmConfig::timeout`]. After a failed attempt the client tries again, up to
//! [`LlmConfig::retries`] extra times, when the failure is likely to be transient:
//!
//! * connection failures, dropped connections and timeouts;
//! * HTTP 408, 409, 429, 500, 502, 503 and 504;
//! * malformed replies: a body that is not JSON, has no choices or content, content that is not
//!   JSON, or JSON that does not match the requested type (a model often gets it right the
//!   second time).
//!
//! Between attempts it waits with exponential backoff: [`LlmConfig::backoff`] (250 ms by default),
//! doubling each time, capped at 4 s. A `Retry-After` header given in seconds stretches the wait
//! to that many seconds, at most 30 s. Every retry is logged with `tracing::warn!` (reason,
//! status, attempt number, delay), never with prompt text or the API key.
//!
//! Nothing else is retried: other 4xx statuses (400, 401, 403, 404, 422, ...), refusals, replies
//! cut off by the output token limit (`finish_reason: "length"`, which would most likely be cut
//! off again) and other 5xx statuses fail at once.
//!
//! # Errors
//!
//! [`LlmError`] says what finally went wrong, after retries were exhausted when they apply. Its
//! messages are meant to be shown to an administrator: they never contain the API key (it is
//! redacted even from error bodies that echo it) nor the prompt, and excerpts of the server's
//! error messages are limited to 200 characters. [`LlmError::is_transient`] tells whether trying
//! again later might help.

#![warn(missing_docs)]

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{StatusCode, Url};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The default per-attempt timeout of [`LlmConfig::new`].
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The default number of extra attempts of [`LlmConfig::new`].
pub const DEFAULT_RETRIES: u32 = 2;
/// The default first backoff delay of [`LlmConfig::new`].
pub const DEFAULT_BACKOFF: Duration = Duration::from_millis(250);

/// The longest wait between two attempts computed by the exponential backoff.
const MAX_BACKOFF: Duration = Duration::from_secs(4);
/// The longest wait a `Retry-After` header can impose.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);
/// The longest time spent establishing a connection (never more than the attempt timeout).
const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Successful replies larger than this are treated as malformed.
const MAX_REPLY_BYTES: usize = 8 << 20;
/// How much of an error reply is read to find its message.
const MAX_ERROR_BODY_BYTES: usize = 64 << 10;
/// The longest excerpt of server-provided text put into an error message.
const EXCERPT_CHARS: usize = 200;
/// The sampling temperature sent with every request.
const TEMPERATURE: f64 = 0.2;
/// The user agent sent with every request.
const USER_AGENT: &str = "agora";

/// How to reach an OpenAI-compatible chat-completions endpoint.
///
/// Build it with [`LlmConfig::new`] and adjust the public fields. Its `Debug` output redacts the
/// API key (and any password in the base URL).
#[derive(Clone)]
pub struct LlmConfig {
    /// The API base URL, e.g. `http://127.0.0.1:8000/v1`; requests go to
    /// `{base_url}/chat/completions`. Only `http` and `https` are accepted; a trailing slash is
    /// tolerated.
    pub base_url: String,
    /// The model name sent in every request.
    pub model: String,
    /// The API key, sent as `Authorization: Bearer <key>`. `None` (or an empty string) sends no
    /// `Authorization` header.
    pub api_key: Option<String>,
    /// The limit for one attempt: connecting, sending the request and reading the whole reply.
    pub timeout: Duration,
    /// How many extra attempts to make after the first one fails transiently.
    pub retries: u32,
    /// The output token limit sent as `max_tokens`; `None` leaves it to the server.
    pub max_output_tokens: Option<u32>,
    /// The wait before the first retry; each later retry waits twice as long as the previous
    /// one, up to 4 s (or this value, if larger).
    pub backoff: Duration,
}

impl LlmConfig {
    /// A configuration for `model` at `base_url` with no API key, a 30 s per-attempt timeout,
    /// 2 retries, a 250 ms initial backoff and no output token limit.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            model: model.into(),
            api_key: None,
            timeout: DEFAULT_TIMEOUT,
            retries: DEFAULT_RETRIES,
            max_output_tokens: None,
            backoff: DEFAULT_BACKOFF,
        }
    }

    /// The API key, unless it is absent or blank.
    fn effective_key(&self) -> Option<&str> {
        self.api_key.as_deref().filter(|key| !key.trim().is_empty())
    }
}

impl fmt::Debug for LlmConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LlmConfig")
            .field("base_url", &redact_url_password(&self.base_url))
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .field("max_output_tokens", &self.max_output_tokens)
            .field("backoff", &self.backoff)
            .finish()
    }
}

/// Who wrote a [`Message`]; serialized in lowercase (`"system"`, `"user"`, `"assistant"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions that frame the conversation.
    System,
    /// The user's request.
    User,
    /// An earlier answer of the model (for few-shot examples).
    Assistant,
}

/// One chat message sent to the model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Who wrote the message.
    pub role: Role,
    /// The message text.
    pub content: String,
}

impl Message {
    /// A message with the given role and content.
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
        }
    }

    /// A [`Role::System`] message.
    pub fn system(content: impl Into<String>) -> Self {
        Self::new(Role::System, content)
    }

    /// A [`Role::User`] message.
    pub fn user(content: impl Into<String>) -> Self {
        Self::new(Role::User, content)
    }

    /// A [`Role::Assistant`] message.
    pub fn assistant(content: impl Into<String>) -> Self {
        Self::new(Role::Assistant, content)
    }
}

/// The JSON schema the reply must follow, sent as `response_format.json_schema` with
/// `"strict": true`.
#[derive(Clone, Copy, Debug)]
pub struct JsonSchema<'a> {
    /// The schema's name (OpenAI requires `[a-zA-Z0-9_-]{1,64}`).
    pub name: &'a str,
    /// The JSON Schema document itself.
    pub schema: &'a Value,
}

/// A successful completion: the deserialized reply and some bookkeeping.
#[derive(Clone, Debug, PartialEq)]
pub struct Completion<T> {
    /// The reply content, deserialized.
    pub value: T,
    /// The model that answered, as reported by the server (the configured model if it did not
    /// say).
    pub model: String,
    /// How many attempts it took (1 when the first one succeeded).
    pub attempts: u32,
    /// `usage.prompt_tokens` of the successful reply, if reported.
    pub prompt_tokens: Option<u32>,
    /// `usage.completion_tokens` of the successful reply, if reported.
    pub completion_tokens: Option<u32>,
}

/// Why a completion failed. The messages are safe to show an administrator: they never contain
/// the API key or the prompt.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    /// Every attempt timed out (or the last one did, after earlier transient failures).
    #[error(
        "the language model did not answer within {after:?} (gave up after {attempts} attempt(s))"
    )]
    Timeout {
        /// The per-attempt timeout that elapsed.
        after: Duration,
        /// How many attempts were made.
        attempts: u32,
    },
    /// The endpoint could not be reached, dropped the connection or kept answering with a
    /// server-side error status.
    #[error(
        "the language model endpoint is unavailable{}: {message} (gave up after {attempts} attempt(s))",
        status_suffix(*.status)
    )]
    Unavailable {
        /// The last HTTP status, if the server answered at all.
        status: Option<u16>,
        /// How many attempts were made.
        attempts: u32,
        /// What went wrong with the last attempt.
        message: String,
    },
    /// The endpoint refused the request with a client-error status (e.g. 400, 401, 404), which
    /// retrying would not change.
    #[error("the language model endpoint rejected the request (HTTP {status}): {message}")]
    Rejected {
        /// The HTTP status.
        status: u16,
        /// The status reason and, if the server sent an OpenAI-style error, an excerpt
        /// (at most 200 characters) of its message.
        message: String,
    },
    /// The reply could not be used (not JSON, wrong shape, cut off, ...), on the last attempt.
    #[error("the language model gave an unusable reply: {0}")]
    Malformed(String),
    /// The model declined to answer (an OpenAI `refusal`, or a content filter).
    #[error("the language model refused to answer: {0}")]
    Refused(String),
    /// The configuration is invalid (bad base URL, empty model, zero timeout, ...).
    #[error("invalid language model configuration: {0}")]
    Config(String),
}

impl LlmError {
    /// Whether the failure is likely temporary, so that trying again later might succeed
    /// ([`LlmError::Timeout`] and [`LlmError::Unavailable`]).
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Timeout { .. } | Self::Unavailable { .. })
    }
}

fn status_suffix(status: Option<u16>) -> String {
    status.map_or_else(String::new, |status| format!(" (HTTP {status})"))
}

/// A client for one OpenAI-compatible endpoint and model.
///
/// Cloning is cheap: clones share the connection pool and the configuration.
#[derive(Clone)]
pub struct LlmClient {
    http: reqwest::Client,
    inner: Arc<Inner>,
}

struct Inner {
    config: LlmConfig,
    endpoint: Url,
    authorization: Option<HeaderValue>,
}

impl fmt::Debug for LlmClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LlmClient")
            .field(
                "endpoint",
                &redact_url_password(self.inner.endpoint.as_str()),
            )
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl LlmClient {
    /// Validates `config` and builds the HTTP client.
    ///
    /// Fails with [`LlmError::Config`] when the base URL is not an `http`/`https` URL, the model
    /// name is empty, the timeout is zero, or the API key cannot be sent in an HTTP header.
    pub fn new(config: LlmConfig) -> Result<Self, LlmError> {
        let endpoint = endpoint_url(&config.base_url)?;
        if config.model.trim().is_empty() {
            return Err(LlmError::Config("the model name is empty".into()));
        }
        if config.timeout.is_zero() {
            return Err(LlmError::Config("the timeout must be positive".into()));
        }
        let authorization = match config.effective_key() {
            None => None,
            Some(key) => {
                let mut value =
                    HeaderValue::from_str(&format!("Bearer {}", key.trim())).map_err(|_| {
                        LlmError::Config(
                            "the API key contains characters that cannot be sent in an HTTP header"
                                .into(),
                        )
                    })?;
                value.set_sensitive(true);
                Some(value)
            }
        };
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.timeout.min(MAX_CONNECT_TIMEOUT))
            .build()
            .map_err(|e| {
                LlmError::Config(format!(
                    "could not build the HTTP client: {}",
                    root_cause(&e)
                ))
            })?;
        Ok(Self {
            http,
            inner: Arc::new(Inner {
                config,
                endpoint,
                authorization,
            }),
        })
    }

    /// The configuration this client was built with.
    pub fn config(&self) -> &LlmConfig {
        &self.inner.config
    }

    /// The URL requests are sent to (`{base_url}/chat/completions`).
    pub fn endpoint(&self) -> &str {
        self.inner.endpoint.as_str()
    }

    /// Asks the model to answer `messages` with JSON following `schema`, and deserializes the
    /// answer into `T`.
    ///
    /// Transient failures and malformed replies are retried as described in the
    /// [crate documentation](crate); the error returned describes the last attempt.
    pub async fn complete_json<T: DeserializeOwned>(
        &self,
        messages: &[Message],
        schema: JsonSchema<'_>,
    ) -> Result<Completion<T>, LlmError> {
        let config = &self.inner.config;
        let request = ChatRequest {
            model: &config.model,
            messages,
            temperature: TEMPERATURE,
            response_format: ResponseFormat {
                kind: "json_schema",
                json_schema: JsonSchemaSpec {
                    name: schema.name,
                    schema: schema.schema,
                    strict: true,
                },
            },
            max_tokens: config.max_output_tokens,
        };
        let body = serde_json::to_vec(&request)
            .map_err(|e| LlmError::Config(format!("could not encode the request: {e}")))?;

        let max_attempts = config.retries.saturating_add(1);
        let mut attempts = 0;
        loop {
            attempts += 1;
            let outcome = tokio::time::timeout(config.timeout, self.attempt::<T>(body.clone()))
                .await
                .unwrap_or(Err(AttemptError::Timeout));
            let failure = match outcome {
                Ok(reply) => {
                    return Ok(Completion {
                        value: reply.value,
                        model: reply.model.unwrap_or_else(|| config.model.clone()),
                        attempts,
                        prompt_tokens: reply.prompt_tokens,
                        completion_tokens: reply.completion_tokens,
                    });
                }
                Err(failure) => failure,
            };
            if !failure.is_retryable() || attempts >= max_attempts {
                return Err(failure.into_error(attempts, config.timeout));
            }
            let delay = backoff_delay(config.backoff, attempts).max(
                failure
                    .retry_after()
                    .unwrap_or_default()
                    .min(MAX_RETRY_AFTER),
            );
            tracing::warn!(
                attempt = attempts,
                max_attempts,
                status = failure.status(),
                reason = %failure.reason(),
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                "language model request failed; retrying"
            );
            tokio::time::sleep(delay).await;
        }
    }

    /// One request/reply exchange, without the timeout (the caller applies it).
    async fn attempt<T: DeserializeOwned>(&self, body: Vec<u8>) -> Result<Reply<T>, AttemptError> {
        let inner = &self.inner;
        let mut request = self
            .http
            .post(inner.endpoint.clone())
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/json")
            .body(body);
        if let Some(authorization) = &inner.authorization {
            request = request.header(header::AUTHORIZATION, authorization.clone());
        }
        let mut response = request.send().await.map_err(AttemptError::transport)?;
        let status = response.status();
        if !status.is_success() {
            let retry_after = retry_after(response.headers());
            // The error body only serves to explain the status; a failure to read it is ignored.
            let body = read_body(&mut response, MAX_ERROR_BODY_BYTES)
                .await
                .map_or_else(|_| Vec::new(), |(body, _)| body);
            let message = status_message(status, &body, inner.config.effective_key());
            return Err(AttemptError::from_status(status, message, retry_after));
        }
        let (body, complete) = read_body(&mut response, MAX_REPLY_BYTES)
            .await
            .map_err(AttemptError::transport)?;
        if !complete {
            return Err(AttemptError::Malformed(format!(
                "the reply is larger than {} MiB",
                MAX_REPLY_BYTES >> 20
            )));
        }
        parse_reply(&body, inner.config.effective_key())
    }
}

/// `{base_url}/chat/completions`, after checking the base URL.
fn endpoint_url(base_url: &str) -> Result<Url, LlmError> {
    let mut url = Url::parse(base_url.trim())
        .map_err(|e| LlmError::Config(format!("the base URL is not a valid URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(LlmError::Config(format!(
            "the base URL must use http or https, not {:?}",
            url.scheme()
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(LlmError::Config("the base URL has no host".into()));
    }
    url.set_fragment(None);
    url.path_segments_mut()
        .map_err(|()| LlmError::Config("the base URL cannot have a path".into()))?
        .pop_if_empty()
        .extend(["chat", "completions"]);
    Ok(url)
}

/// `url` with any password replaced, for `Debug` output.
fn redact_url_password(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // Cannot fail: the URL already has a password, hence a host.
            let _ = parsed.set_password(Some("redacted"));
            parsed.into()
        }
        _ => url.to_owned(),
    }
}

/// The wait before retry number `retry` (1-based): `base × 2^(retry-1)`, capped at 4 s (or at
/// `base` when that is larger).
fn backoff_delay(base: Duration, retry: u32) -> Duration {
    let factor = 2u32.saturating_pow(retry.saturating_sub(1));
    base.saturating_mul(factor).min(MAX_BACKOFF.max(base))
}

/// The `Retry-After` header, when it is given in seconds (HTTP dates are ignored).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let seconds = value.parse::<f64>().ok()?;
    (seconds.is_finite() && seconds >= 0.0)
        .then(|| Duration::from_secs_f64(seconds.min(MAX_RETRY_AFTER.as_secs_f64())))
}

/// Reads the reply body, at most `limit` bytes; the flag says whether the whole body was read.
async fn read_body(
    response: &mut reqwest::Response,
    limit: usize,
) -> Result<(Vec<u8>, bool), reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > limit {
            let room = limit - body.len();
            body.extend_from_slice(&chunk[..room]);
            return Ok((body, false));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, true))
}

/// The message for an error status: the server's own message when it sent one in a known JSON
/// shape, else the status reason.
fn status_message(status: StatusCode, body: &[u8], key: Option<&str>) -> String {
    let reason = status.canonical_reason().unwrap_or("unexpected status");
    if status.is_redirection() {
        return format!("{reason}; redirects are not followed, check the base URL");
    }
    match server_error_message(body) {
        Some(message) => excerpt(&message, key),
        None => reason.to_owned(),
    }
}

/// The message of an error body: OpenAI's `{"error": {"message": ...}}`, or the looser
/// `{"error": "..."}`, `{"message": "..."}` and `{"detail": "..."}` some servers send.
fn server_error_message(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let message = match value.get("error") {
        Some(Value::Object(error)) => error.get("message"),
        Some(error @ Value::String(_)) => Some(error),
        _ => value.get("message").or_else(|| value.get("detail")),
    }?;
    message
        .as_str()
        .map(str::to_owned)
        .filter(|message| !message.trim().is_empty())
}

/// `text` made fit for an error message: the API key redacted, control characters and runs of
/// whitespace collapsed to single spaces, and at most 200 characters long.
fn excerpt(text: &str, key: Option<&str>) -> String {
    let mut text = text.to_owned();
    if let Some(key) = key.map(str::trim).filter(|key| !key.is_empty()) {
        text = text.replace(key, "[redacted]");
    }
    let collapsed = text
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if collapsed.chars().count() <= EXCERPT_CHARS {
        return collapsed;
    }
    let mut short: String = collapsed.chars().take(EXCERPT_CHARS - 1).collect();
    short.push('…');
    short
}

/// The innermost cause of an error, which is usually the informative part (e.g. "Connection
/// refused (os error 111)") and, unlike reqwest's own message, does not repeat the URL.
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

/// The request body.
#[derive(Serialize)]
struct ChatRequest<'a> {
    model: &'a str,
    messages: &'a [Message],
    temperature: f64,
    response_format: ResponseFormat<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
}

#[derive(Serialize)]
struct ResponseFormat<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    json_schema: JsonSchemaSpec<'a>,
}

#[derive(Serialize)]
struct JsonSchemaSpec<'a> {
    name: &'a str,
    schema: &'a Value,
    strict: bool,
}

/// What one successful attempt produced.
struct Reply<T> {
    value: T,
    model: Option<String>,
    prompt_tokens: Option<u32>,
    completion_tokens: Option<u32>,
}

/// Why one attempt failed.
#[derive(Debug)]
enum AttemptError {
    /// The attempt timed out (retryable).
    Timeout,
    /// No usable HTTP exchange: connection refused or dropped, TLS failure, ... (retryable).
    Transport(String),
    /// A status worth retrying: 408, 409, 429, 500, 502, 503, 504.
    RetryableStatus {
        status: u16,
        message: String,
        retry_after: Option<Duration>,
    },
    /// A server-side status not worth retrying (e.g. 501).
    ServerStatus { status: u16, message: String },
    /// A client-side status (or a redirect).
    Rejected { status: u16, message: String },
    /// An unusable reply that the model may well get right next time (retryable).
    Malformed(String),
    /// An unusable reply that would most likely come back the same way.
    Unusable(String),
    /// The model declined to answer.
    Refused(String),
}

impl AttemptError {
    fn transport(error: reqwest::Error) -> Self {
        if error.is_timeout() {
            return Self::Timeout;
        }
        let cause = root_cause(&error);
        Self::Transport(if error.is_connect() {
            format!("could not connect: {cause}")
        } else if error.is_body() || error.is_decode() {
            format!("the connection failed while reading the reply: {cause}")
        } else {
            format!("the request failed: {cause}")
        })
    }

    fn from_status(status: StatusCode, message: String, retry_after: Option<Duration>) -> Self {
        let code = status.as_u16();
        match code {
            408 | 409 | 429 | 500 | 502 | 503 | 504 => Self::RetryableStatus {
                status: code,
                message,
                retry_after,
            },
            500..=599 => Self::ServerStatus {
                status: code,
                message,
            },
            _ => Self::Rejected {
                status: code,
                message,
            },
        }
    }

    fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Timeout | Self::Transport(_) | Self::RetryableStatus { .. } | Self::Malformed(_)
        )
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RetryableStatus { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    fn status(&self) -> Option<u16> {
        match self {
            Self::RetryableStatus { status, .. }
            | Self::ServerStatus { status, .. }
            | Self::Rejected { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// A short description for the retry log.
    fn reason(&self) -> &str {
        match self {
            Self::Timeout => "timed out",
            Self::Transport(message)
            | Self::RetryableStatus { message, .. }
            | Self::ServerStatus { message, .. }
            | Self::Rejected { message, .. }
            | Self::Malformed(message)
            | Self::Unusable(message)
            | Self::Refused(message) => message,
        }
    }

    fn into_error(self, attempts: u32, timeout: Duration) -> LlmError {
        match self {
            Self::Timeout => LlmError::Timeout {
                after: timeout,
                attempts,
            },
            Self::Transport(message) => LlmError::Unavailable {
                status: None,
                attempts,
                message,
            },
            Self::RetryableStatus {
                status, message, ..
            }
            | Self::ServerStatus { status, message } => LlmError::Unavailable {
                status: Some(status),
                attempts,
                message,
            },
            Self::Rejected { status, message } => LlmError::Rejected { status, message },
            Self::Malformed(message) | Self::Unusable(message) => LlmError::Malformed(message),
            Self::Refused(message) => LlmError::Refused(message),
        }
    }
}

/// Interprets a successful reply body.
fn parse_reply<T: DeserializeOwned>(
    body: &[u8],
    key: Option<&str>,
) -> Result<Reply<T>, AttemptError> {
    let reply: Value = serde_json::from_slice(body).map_err(|e| {
        AttemptError::Malformed(excerpt(&format!("the reply body is not JSON ({e})"), key))
    })?;
    if let Some(error) = reply.get("error").filter(|error| !error.is_null()) {
        let message = match error {
            Value::Object(error) => error.get("message").and_then(Value::as_str),
            other => other.as_str(),
        }
        .unwrap_or("no message");
        return Err(AttemptError::Malformed(excerpt(
            &format!("the server reported an error: {message}"),
            key,
        )));
    }
    let choice = reply
        .get("choices")
        .and_then(Value::as_array)
        .and_then(|choices| choices.first())
        .ok_or_else(|| AttemptError::Malformed("the reply has no choices".into()))?;
    let message = choice
        .get("message")
        .filter(|message| message.is_object())
        .ok_or_else(|| AttemptError::Malformed("the reply's choice has no message".into()))?;
    match message.get("refusal") {
        None | Some(Value::Null) => {}
        Some(Value::String(refusal)) if !refusal.trim().is_empty() => {
            return Err(AttemptError::Refused(excerpt(refusal, key)));
        }
        Some(Value::String(_)) => {
            return Err(AttemptError::Refused("no reason given".into()));
        }
        Some(other) => return Err(AttemptError::Refused(excerpt(&other.to_string(), key))),
    }
    match choice.get("finish_reason").and_then(Value::as_str) {
        Some("length") => {
            return Err(AttemptError::Unusable(
                "the reply was cut off by the output token limit (finish_reason \"length\"); \
                 raise the limit or ask for less"
                    .into(),
            ));
        }
        Some("content_filter") => {
            return Err(AttemptError::Refused(
                "the server's content filter withheld the reply".into(),
            ));
        }
        _ => {}
    }
    let content = match message.get("content") {
        Some(Value::String(content)) => content.clone(),
        // Some servers send content as a list of parts: [{"type": "text", "text": "..."}].
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|part| part.get("text").and_then(Value::as_str))
            .collect(),
        _ => String::new(),
    };
    if content.trim().is_empty() {
        return Err(AttemptError::Malformed("the reply has no content".into()));
    }
    let value = serde_json::from_str::<T>(extract_json(&content)).map_err(|e| {
        let what = if e.is_data() {
            "the reply does not match the expected shape"
        } else {
            "the reply content is not valid JSON"
        };
        AttemptError::Malformed(excerpt(&format!("{what} ({e})"), key))
    })?;
    let usage = reply.get("usage");
    let tokens = |field: &str| {
        usage
            .and_then(|usage| usage.get(field))
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
    };
    Ok(Reply {
        value,
        model: reply
            .get("model")
            .and_then(Value::as_str)
            .filter(|model| !model.trim().is_empty())
            .map(str::to_owned),
        prompt_tokens: tokens("prompt_tokens"),
        completion_tokens: tokens("completion_tokens"),
    })
}

/// The JSON inside a reply's content: the content itself, or the inside of a Markdown code fence
/// (```` ```json ... ``` ````), after dropping a leading `<think>…</think>` block.
fn extract_json(content: &str) -> &str {
    let mut text = content.trim();
    if let Some(rest) = text.strip_prefix("<think>")
        && let Some(end) = rest.find("</think>")
    {
        text = rest[end + "</think>".len()..].trim();
    }
    if text.starts_with('{') || text.starts_with('[') {
        // Plain JSON; its strings may well contain fences of their own.
        return text;
    }
    let Some(start) = text.find("```") else {
        return text;
    };
    // Skip the fence and its info string ("json", "JSON", ...).
    let inside = text[start + 3..].trim_start_matches(|c: char| c.is_ascii_alphanumeric());
    // The closing fence is the last one: the JSON's strings may contain fences too.
    let inside = match inside.rfind("```") {
        Some(end) => &inside[..end],
        None => inside,
    };
    inside.trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_tolerates_trailing_slash_and_keeps_query() {
        for base in [
            "http://127.0.0.1:8000/v1",
            "http://127.0.0.1:8000/v1/",
            " http://127.0.0.1:8000/v1 ",
        ] {
            assert_eq!(
                endpoint_url(base).unwrap().as_str(),
                "http://127.0.0.1:8000/v1/chat/completions"
            );
        }
        assert_eq!(
            endpoint_url("https://llm.example/").unwrap().as_str(),
            "https://llm.example/chat/completions"
        );
        assert_eq!(
            endpoint_url("https://llm.example/openai/v1?api-version=1#x")
                .unwrap()
                .as_str(),
            "https://llm.example/openai/v1/chat/completions?api-version=1"
        );
    }

    #[test]
    fn endpoint_rejects_bad_urls() {
        for base in ["ftp://x", "not a url", "", "file:///tmp/x", "mailto:a@b.c"] {
            assert!(
                matches!(endpoint_url(base), Err(LlmError::Config(_))),
                "{base:?} accepted"
            );
        }
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let base = Duration::from_millis(250);
        let delays: Vec<_> = (1..=7).map(|n| backoff_delay(base, n)).collect();
        assert_eq!(
            delays,
            [250, 500, 1000, 2000, 4000, 4000, 4000].map(Duration::from_millis)
        );
        assert_eq!(backoff_delay(base, u32::MAX), MAX_BACKOFF);
        assert_eq!(
            backoff_delay(Duration::from_secs(10), 3),
            Duration::from_secs(10)
        );
    }

    #[test]
    fn retry_after_seconds_only() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static(" 3 "));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(3)));
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("0.5"));
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(500)));
        headers.insert(
            header::RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), None);
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("-1"));
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn extracts_json_from_fences_and_think_blocks() {
        assert_eq!(extract_json(" {\"a\":1} "), "{\"a\":1}");
        assert_eq!(extract_json("```json\n{\"a\":1}\n```"), "{\"a\":1}");
        assert_eq!(extract_json("```JSON\n[1]\n```\n"), "[1]");
        assert_eq!(extract_json("```\n{\"a\":1}\n```"), "{\"a\":1}");
        assert_eq!(extract_json("```json {\"a\":1}```"), "{\"a\":1}");
        assert_eq!(
            extract_json("Here you go:\n```json\n{\"a\":1}\n```\nEnjoy."),
            "{\"a\":1}"
        );
        assert_eq!(
            extract_json("<think>hmm {\"no\":0}</think>\n```json\n{\"a\":1}\n```"),
            "{\"a\":1}"
        );
        // Fences inside JSON strings are left alone.
        let plain = "{\"front\":\"```graphql\\nquery { a }\\n```\"}";
        assert_eq!(extract_json(plain), plain);
        let fenced = format!("```json\n{plain}\n```");
        assert_eq!(extract_json(&fenced), plain);
    }

    #[test]
    fn excerpt_redacts_collapses_and_truncates() {
        assert_eq!(
            excerpt("bad key\n\tsk-123 given", Some("sk-123")),
            "bad key [redacted] given"
        );
        let long = "é".repeat(500);
        let short = excerpt(&long, None);
        assert_eq!(short.chars().count(), EXCERPT_CHARS);
        assert!(short.ends_with('…'));
        assert_eq!(excerpt("x", Some("  ")), "x");
    }

    #[test]
    fn server_error_messages_in_known_shapes() {
        let shapes: [&[u8]; 4] = [
            br#"{"error":{"message":"nope","type":"invalid_request_error"}}"#,
            br#"{"error":"nope"}"#,
            br#"{"object":"error","message":"nope","code":400}"#,
            br#"{"detail":"nope"}"#,
        ];
        for body in shapes {
            assert_eq!(server_error_message(body).as_deref(), Some("nope"));
        }
        assert_eq!(server_error_message(b"<html>oops</html>"), None);
        assert_eq!(server_error_message(br#"{"error":{"code":1}}"#), None);
        assert_eq!(
            status_message(StatusCode::UNAUTHORIZED, b"", None),
            "Unauthorized"
        );
    }

    #[test]
    fn config_debug_redacts_secrets() {
        let mut config = LlmConfig::new("https://user:hunter2@llm.example/v1", "m");
        config.api_key = Some("sk-very-secret".into());
        let debug = format!("{config:?}");
        assert!(!debug.contains("sk-very-secret"), "{debug}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("[redacted]"), "{debug}");
        let client = LlmClient::new(config).unwrap();
        let debug = format!("{client:?}");
        assert!(!debug.contains("sk-very-secret"), "{debug}");
        assert!(!debug.contains("hunter2"), "{debug}");
    }

    #[test]
    fn config_validation() {
        let ok = LlmConfig::new("http://127.0.0.1:1/v1", "m");
        assert!(LlmClient::new(ok.clone()).is_ok());
        let mut blank_key = ok.clone();
        blank_key.api_key = Some("  ".into());
        assert!(
            LlmClient::new(blank_key)
                .unwrap()
                .inner
                .authorization
                .is_none()
        );
        let mut bad_key = ok.clone();
        bad_key.api_key = Some("sk-\nx".into());
        let err = LlmClient::new(bad_key).unwrap_err();
        assert!(matches!(err, LlmError::Config(_)));
        assert!(!err.to_string().contains("sk-"));
        let mut no_model = ok.clone();
        no_model.model = " ".into();
        assert!(matches!(LlmClient::new(no_model), Err(LlmError::Config(_))));
        let mut no_timeout = ok;
        no_timeout.timeout = Duration::ZERO;
        assert!(matches!(
            LlmClient::new(no_timeout),
            Err(LlmError::Config(_))
        ));
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Card {
        front: String,
    }

    fn reply(message: Value, finish_reason: &str) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "model": "served-model",
            "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
            "usage": {"prompt_tokens": 12, "completion_tokens": 5},
        }))
        .unwrap()
    }

    #[test]
    fn parses_replies() {
        let ok = reply(
            serde_json::json!({"role": "assistant", "content": "{\"front\":\"a\"}", "refusal": null}),
            "stop",
        );
        let parsed = parse_reply::<Card>(&ok, None).unwrap();
        assert_eq!(parsed.value.front, "a");
        assert_eq!(parsed.model.as_deref(), Some("served-model"));
        assert_eq!(
            (parsed.prompt_tokens, parsed.completion_tokens),
            (Some(12), Some(5))
        );

        let parts = reply(
            serde_json::json!({"role": "assistant", "content": [{"type": "text", "text": "{\"front\":\"b\"}"}]}),
            "stop",
        );
        assert_eq!(parse_reply::<Card>(&parts, None).unwrap().value.front, "b");

        let cut = reply(
            serde_json::json!({"role": "assistant", "content": "{\"fro"}),
            "length",
        );
        assert!(matches!(
            parse_reply::<Card>(&cut, None),
            Err(AttemptError::Unusable(_))
        ));
        let filtered = reply(
            serde_json::json!({"role": "assistant", "content": null}),
            "content_filter",
        );
        assert!(matches!(
            parse_reply::<Card>(&filtered, None),
            Err(AttemptError::Refused(_))
        ));
        let empty = reply(
            serde_json::json!({"role": "assistant", "content": null}),
            "stop",
        );
        assert!(matches!(
            parse_reply::<Card>(&empty, None),
            Err(AttemptError::Malformed(_))
        ));
        for body in [
            &b"<html>"[..],
            br#"{"choices":[]}"#,
            br#"{"choices":[{"text":"{}"}]}"#,
            br#"{"error":{"message":"overloaded"}}"#,
        ] {
            assert!(matches!(
                parse_reply::<Card>(body, None),
                Err(AttemptError::Malformed(_))
            ));
        }
    }

    #[test]
    fn error_display_and_transience() {
        let unavailable = LlmError::Unavailable {
            status: Some(503),
            attempts: 3,
            message: "Service Unavailable".into(),
        };
        assert!(unavailable.is_transient());
        assert_eq!(
            unavailable.to_string(),
            "the language model endpoint is unavailable (HTTP 503): Service Unavailable \
             (gave up after 3 attempt(s))"
        );
        let refused = LlmError::Unavailable {
            status: None,
            attempts: 1,
            message: "could not connect".into(),
        };
        assert!(
            refused
                .to_string()
                .starts_with("the language model endpoint is unavailable: ")
        );
        assert!(
            LlmError::Timeout {
                after: Duration::from_secs(1),
                attempts: 1
            }
            .is_transient()
        );
        assert!(!LlmError::Malformed("x".into()).is_transient());
        assert!(!LlmError::Refused("x".into()).is_transient());
        assert!(!LlmError::Config("x".into()).is_transient());
        assert!(
            !LlmError::Rejected {
                status: 400,
                message: "x".into()
            }
            .is_transient()
        );
    }
}

/// The model endpoint an operator configures, flattened into the `agora` CLI. Without
/// `AGORA_LLM_URL` nothing calls a model.
#[derive(Clone, clap::Args)]
pub struct LlmSettings {
    /// Base URL of an OpenAI-compatible API (`{url}/chat/completions`), e.g.
    /// `http://127.0.0.1:8000/v1`. Unset: features fall back to their offline methods.
    #[arg(long = "llm-url", env = "AGORA_LLM_URL", global = true)]
    pub llm_url: Option<String>,

    /// The model asked.
    #[arg(
        long = "llm-model",
        env = "AGORA_LLM_MODEL",
        default_value = "gpt-4o-mini",
        global = true
    )]
    pub llm_model: String,

    /// Bearer key sent to the endpoint (never logged).
    #[arg(
        long = "llm-api-key",
        env = "AGORA_LLM_API_KEY",
        global = true,
        hide_env_values = true
    )]
    pub llm_api_key: Option<String>,

    /// Time limit of one request (the whole reply).
    #[arg(long = "llm-timeout", env = "AGORA_LLM_TIMEOUT", default_value = "30s", global = true,
          value_parser = humantime::parse_duration)]
    pub llm_timeout: Duration,

    /// Extra attempts after a timeout, a 429/5xx or a malformed reply.
    #[arg(long = "llm-retries", env = "AGORA_LLM_RETRIES", default_value_t = DEFAULT_RETRIES,
          global = true, value_parser = clap::value_parser!(u32).range(0..=5))]
    pub llm_retries: u32,
}

impl std::fmt::Debug for LlmSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmSettings")
            .field("llm_url", &self.llm_url)
            .field("llm_model", &self.llm_model)
            .field(
                "llm_api_key",
                &self.llm_api_key.as_ref().map(|_| "[redacted]"),
            )
            .field("llm_timeout", &self.llm_timeout)
            .field("llm_retries", &self.llm_retries)
            .finish()
    }
}

impl LlmSettings {
    /// The client these settings describe; `None` when no URL is set.
    pub fn client(&self) -> Option<Result<LlmClient, LlmError>> {
        let url = self.llm_url.as_deref().filter(|u| !u.trim().is_empty())?;
        let mut config = LlmConfig::new(url, self.llm_model.clone());
        config.api_key = self.llm_api_key.clone();
        config.timeout = self.llm_timeout;
        config.retries = self.llm_retries;
        Some(LlmClient::new(config))
    }
}
