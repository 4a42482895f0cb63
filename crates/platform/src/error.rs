//! [`AppError`]: the one error type a client sees, mapped to a GraphQL error whose
//! `extensions.code` names its kind.
//!
//! Domains have no error enums of their own: their services return [`AppResult`] and build the
//! variant the client should see (add one only for a domain that must match on its own
//! failures). Database and other internal failures become [`AppError::Internal`]: logged in
//! full, shown to the client only as `INTERNAL` (the server adds the request id), never with SQL
//! text.

use async_graphql::ErrorExtensions;

/// The codes clients switch on, sent as `extensions.code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The input is invalid; `extensions.field` names the offending field where there is one.
    BadUserInput,
    /// No valid credentials: missing where required, or invalid, expired or revoked.
    Unauthenticated,
    /// Authenticated, but not allowed to do this.
    Forbidden,
    /// The thing named does not exist (or is not visible to the viewer).
    NotFound,
    /// The request conflicts with the current state (a duplicate, a second answer, ...).
    Conflict,
    /// Too many requests; `extensions.retryAfter` gives the seconds to wait.
    RateLimited,
    /// A fault on our side; `extensions.requestId` identifies it in the logs.
    Internal,
    /// The document does not parse or does not validate against the schema.
    ValidationFailed,
    /// The request itself is malformed (not JSON, no query, a persisted-query hash that does
    /// not match its query...); sent with HTTP 400.
    BadRequest,
    /// The document is over one of the limits measured before execution; `extensions.limit`
    /// names it (`depth`, `aliases`, `directives`, `tokens`, `documentBytes`, `complexity`,
    /// `batch`, `subscriptions`) and `extensions.max` gives its value.
    LimitExceeded,
    /// An automatic persisted query's hash is not known (yet): send the query with its hash.
    PersistedQueryNotFound,
    /// This caller may only run trusted documents and sent something else (an unknown trusted
    /// document id is `PERSISTED_QUERY_NOT_FOUND`).
    PersistedQueryRequired,
    /// The operation ran past the execution timeout.
    Timeout,
    /// A mutation sent with GET; sent with HTTP 405 and `Allow: POST`.
    MethodNotAllowed,
    /// The server is at its limit of requests in flight and its queue is full; sent with
    /// HTTP 503 and `Retry-After`. Nothing was executed: the request is safe to retry.
    Unavailable,
}

impl ErrorCode {
    /// The HTTP status a plain (non-GraphQL) endpoint answers this code with.
    pub fn http_status(self) -> u16 {
        match self {
            Self::BadUserInput
            | Self::BadRequest
            | Self::ValidationFailed
            | Self::LimitExceeded
            | Self::PersistedQueryRequired => 400,
            Self::Unauthenticated => 401,
            Self::Forbidden => 403,
            Self::NotFound | Self::PersistedQueryNotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::Conflict => 409,
            Self::RateLimited => 429,
            Self::Internal => 500,
            Self::Unavailable => 503,
            Self::Timeout => 504,
        }
    }

    /// The wire form, e.g. `BAD_USER_INPUT`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadUserInput => "BAD_USER_INPUT",
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound => "NOT_FOUND",
            Self::Conflict => "CONFLICT",
            Self::RateLimited => "RATE_LIMITED",
            Self::Internal => "INTERNAL",
            Self::ValidationFailed => "GRAPHQL_VALIDATION_FAILED",
            Self::BadRequest => "BAD_REQUEST",
            Self::LimitExceeded => "LIMIT_EXCEEDED",
            Self::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            Self::PersistedQueryRequired => "PERSISTED_QUERY_REQUIRED",
            Self::Timeout => "TIMEOUT",
            Self::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Self::Unavailable => "UNAVAILABLE",
        }
    }
}

/// The error every service returns.
///
/// It deliberately does not implement `Display`: async-graphql converts any `Display` type into
/// an error without a code, and that conversion must never be the one chosen.
#[derive(Debug)]
pub enum AppError {
    /// Client sees `BAD_USER_INPUT` with the message, `field` and an optional `detail` code.
    BadInput {
        /// Human-readable reason.
        message: String,
        /// The input field at fault, as the client named it (e.g. `input.email`).
        field: Option<String>,
        /// A finer machine-readable reason, e.g. `TOO_LATE`.
        detail: Option<&'static str>,
        /// The global id of the object the input clashes with (e.g. a near-duplicate), sent
        /// as `extensions.relatedId`.
        related: Option<String>,
    },
    /// Client sees one `BAD_USER_INPUT` for an input with several problems: the first one's
    /// `field`, a message naming them all, and `violations` listing each (`field`, `message`,
    /// `detail`). One error, as the spec asks of one field, so a form marks every field at once.
    Invalid(Vec<Violation>),
    /// Client sees `UNAUTHENTICATED` with the message.
    Unauthenticated(String),
    /// Client sees `FORBIDDEN` with the message.
    Forbidden(String),
    /// Client sees `NOT_FOUND` with the message.
    NotFound(String),
    /// Client sees `CONFLICT` with the message.
    Conflict(String),
    /// Client sees `RATE_LIMITED` with the message and `retryAfter` seconds.
    RateLimited {
        /// Human-readable reason.
        message: String,
        /// Seconds until a retry can succeed.
        retry_after_secs: u64,
    },
    /// Client sees only `INTERNAL` and a request id; the cause is logged.
    Internal(String),
    /// Client sees `LIMIT_EXCEEDED` with the message, `limit` and `max`.
    LimitExceeded {
        /// Human-readable reason.
        message: String,
        /// Which limit, e.g. `aliases`.
        limit: &'static str,
        /// The limit's value.
        max: usize,
    },
    /// A whole request refused before execution with `code` (a persisted-query or timeout
    /// code) and the message.
    Refused(ErrorCode, String),
    /// Client sees `UNAVAILABLE` (retry shortly): a dependency could not be reached (the
    /// database is restarting, the network to it is down). Nothing was written. The cause is
    /// logged, never shown.
    Unavailable(String),
}

/// Result with [`AppError`].
pub type AppResult<T> = Result<T, AppError>;

/// One problem with an input: the field as the client named it, why, and an optional finer
/// code.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// E.g. `input.latitude`.
    pub field: String,
    /// Human-readable reason.
    pub message: String,
    /// A finer machine-readable reason, e.g. `TOO_LATE`.
    pub detail: Option<&'static str>,
}

/// Collects every problem found in one input, so the client hears of all of them in one
/// answer instead of one per attempt.
///
/// ```
/// # use agora_platform::{AppError, error::Violations};
/// let mut problems = Violations::default();
/// let name = problems.check(Err::<String, _>(AppError::bad_input("input.name", "too long")));
/// let age = problems.check(Ok::<_, AppError>(7));
/// assert_eq!((name, age), (None, Some(7)));
/// assert!(problems.finish().is_err());
/// ```
#[derive(Debug, Default)]
pub struct Violations {
    found: Vec<Violation>,
    /// An error that is not about the input (it wins at `finish`).
    other: Option<AppError>,
}

impl Violations {
    /// `result`'s value, or None with its problem kept.
    pub fn check<T>(&mut self, result: AppResult<T>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(err) => {
                self.add(err);
                None
            }
        }
    }

    /// Keeps `err` (a `BAD_USER_INPUT` naming a field joins the list; any other error is
    /// returned by `finish` instead of the list).
    pub fn add(&mut self, err: AppError) {
        match err {
            AppError::BadInput {
                message,
                field: Some(field),
                detail,
                related: None,
            } => self.found.push(Violation {
                field,
                message,
                detail,
            }),
            AppError::Invalid(found) => self.found.extend(found),
            other => {
                self.other.get_or_insert(other);
            }
        }
    }

    /// Whether nothing is wrong so far.
    pub fn is_empty(&self) -> bool {
        self.found.is_empty() && self.other.is_none()
    }

    /// Ok when nothing was wrong; else the one problem as it was, or all of them together.
    pub fn finish(mut self) -> AppResult<()> {
        if let Some(other) = self.other {
            return Err(other);
        }
        match self.found.len() {
            0 => Ok(()),
            1 => {
                let Violation {
                    field,
                    message,
                    detail,
                } = self.found.remove(0);
                Err(AppError::BadInput {
                    message,
                    field: Some(field),
                    detail,
                    related: None,
                })
            }
            _ => Err(AppError::Invalid(self.found)),
        }
    }
}

impl AppError {
    /// `BAD_USER_INPUT` naming `field`.
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadInput {
            message: message.into(),
            field: Some(field.into()),
            detail: None,
            related: None,
        }
    }

    /// `BAD_USER_INPUT` naming `field`, with a finer `detail` code.
    pub fn bad_input_detail(
        field: impl Into<String>,
        message: impl Into<String>,
        detail: &'static str,
    ) -> Self {
        Self::BadInput {
            message: message.into(),
            field: Some(field.into()),
            detail: Some(detail),
            related: None,
        }
    }

    /// `UNAUTHENTICATED` for an operation that needs a signed-in viewer.
    pub fn sign_in_required() -> Self {
        Self::Unauthenticated("sign in to do this".into())
    }

    /// `INTERNAL` wrapping any displayable cause (logged, never shown).
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::Internal(cause.to_string())
    }

    /// The message the client sees (internal causes are replaced by `internal error`).
    pub fn client_message(&self) -> String {
        match self {
            Self::BadInput { message, .. } | Self::RateLimited { message, .. } => message.clone(),
            Self::Unauthenticated(m)
            | Self::Forbidden(m)
            | Self::NotFound(m)
            | Self::Conflict(m) => m.clone(),
            Self::Internal(_) => "internal error".to_owned(),
            Self::LimitExceeded { message, .. } | Self::Refused(_, message) => message.clone(),
            Self::Unavailable(_) => "the database is unreachable; retry shortly".to_owned(),
            Self::Invalid(found) => format!(
                "{} problems with the input: {}",
                found.len(),
                found
                    .iter()
                    .map(|v| format!("{}: {}", v.field, v.message))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        }
    }

    /// The full description for logs, internal cause included.
    pub fn log_message(&self) -> String {
        match self {
            Self::Internal(cause) => format!("internal error: {cause}"),
            Self::Unavailable(cause) => format!("unavailable: {cause}"),
            other => format!("{}: {}", other.code().as_str(), other.client_message()),
        }
    }

    /// The code this error is sent with.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::BadInput { .. } | Self::Invalid(_) => ErrorCode::BadUserInput,
            Self::Unauthenticated(_) => ErrorCode::Unauthenticated,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::Conflict(_) => ErrorCode::Conflict,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::Internal(_) => ErrorCode::Internal,
            Self::LimitExceeded { .. } => ErrorCode::LimitExceeded,
            Self::Refused(code, _) => *code,
            Self::Unavailable(_) => ErrorCode::Unavailable,
        }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        if unreachable(&err) {
            Self::Unavailable(format!("database: {err}"))
        } else {
            Self::Internal(format!("database: {err}"))
        }
    }
}

/// Whether `err` says the database could not be reached, rather than that a statement failed:
/// no connection to be had, a connection that broke, or a server shutting down or starting up
/// (SQLSTATE classes 08 and 57P). The fault suite (`tests/integration/faults.rs`) produces
/// each of these.
fn unreachable(err: &sea_orm::DbErr) -> bool {
    use sea_orm::{DbErr, RuntimeErr, sqlx};
    let sqlx_error = match err {
        DbErr::ConnectionAcquire(_) => return true,
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => e,
        DbErr::Conn(_) => return true,
        _ => return false,
    };
    match sqlx_error.as_ref() {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
        _ => false,
    }
}

impl From<sea_orm::TransactionError<AppError>> for AppError {
    fn from(err: sea_orm::TransactionError<AppError>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(app) => app,
        }
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        let code = err.code();
        match &err {
            // The span of the request carries its id, so this line and the client's
            // `requestId` point at each other.
            AppError::Internal(cause) => tracing::error!(error = %cause, "internal error"),
            AppError::Unavailable(cause) => {
                tracing::warn!(error = %cause, "dependency unavailable")
            }
            _ => {}
        }
        let message = err.client_message();
        async_graphql::Error::new(message).extend_with(|_, ext| {
            ext.set("code", code.as_str());
            match &err {
                AppError::BadInput {
                    field,
                    detail,
                    related,
                    ..
                } => {
                    if let Some(field) = field {
                        ext.set("field", field.as_str());
                    }
                    if let Some(detail) = detail {
                        ext.set("detail", *detail);
                    }
                    if let Some(related) = related {
                        ext.set("relatedId", related.as_str());
                    }
                }
                AppError::Invalid(found) => {
                    if let Some(first) = found.first() {
                        ext.set("field", first.field.as_str());
                    }
                    let list: Vec<serde_json::Value> = found
                        .iter()
                        .map(|v| {
                            let mut one = serde_json::json!({
                                "field": v.field,
                                "message": v.message,
                            });
                            if let Some(detail) = v.detail {
                                one["detail"] = detail.into();
                            }
                            one
                        })
                        .collect();
                    ext.set(
                        "violations",
                        async_graphql::Value::from_json(serde_json::Value::Array(list))
                            .unwrap_or_default(),
                    );
                }
                AppError::RateLimited {
                    retry_after_secs, ..
                } => ext.set("retryAfter", *retry_after_secs),
                AppError::Unavailable(_) => ext.set("retryAfter", 1),
                AppError::LimitExceeded { limit, max, .. } => {
                    ext.set("limit", *limit);
                    ext.set("max", *max as u64);
                }
                _ => {}
            }
        })
    }
}

impl AppError {
    /// The error as a request-level GraphQL error (no source location), for failures before
    /// execution such as invalid credentials.
    pub fn into_server_error(self) -> async_graphql::ServerError {
        let gql: async_graphql::Error = self.into();
        async_graphql::ServerError {
            message: gql.message,
            source: None,
            locations: Vec::new(),
            path: Vec::new(),
            extensions: gql.extensions,
        }
    }
}

/// Maps a unique-key violation to `CONFLICT` with `message`; any other database error stays
/// internal. Use it where a unique index is the source of truth (e.g. `users.email`).
pub fn on_unique_violation(err: sea_orm::DbErr, message: &str) -> AppError {
    match err.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => AppError::Conflict(message.into()),
        _ => err.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn extensions(err: AppError) -> serde_json::Value {
        let gql: async_graphql::Error = err.into();
        let server = gql.into_server_error(async_graphql::Pos::default());
        serde_json::to_value(&server).expect("serialise")
    }

    #[test]
    fn bad_input_carries_code_field_and_detail() {
        let v = extensions(AppError::bad_input_detail(
            "choiceId", "too late", "TOO_LATE",
        ));
        assert_eq!(v["extensions"]["code"], "BAD_USER_INPUT");
        assert_eq!(v["extensions"]["field"], "choiceId");
        assert_eq!(v["extensions"]["detail"], "TOO_LATE");
    }

    #[test]
    fn internal_error_hides_its_cause() {
        let v = extensions(AppError::internal("relation \"users\" does not exist"));
        assert_eq!(v["extensions"]["code"], "INTERNAL");
        assert_eq!(v["message"], "internal error");
        assert!(!v.to_string().contains("relation"));
    }

    #[test]
    fn rate_limited_says_when_to_retry() {
        let v = extensions(AppError::RateLimited {
            message: "slow down".into(),
            retry_after_secs: 42,
        });
        assert_eq!(v["extensions"]["code"], "RATE_LIMITED");
        assert_eq!(v["extensions"]["retryAfter"], 42);
    }
}
