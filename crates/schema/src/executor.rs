//! The schema as the server runs it, over HTTP and WebSocket alike. Before execution it applies
//! the caller's rate limit, finds a persisted document, measures the document against the
//! limits, charges sign-in fields to the address's bucket and keeps read-only and device keys
//! out of what they may not run; it executes under the execution timeout, stores a new APQ
//! once its document validated, marks a public persisted query cacheable, names the request's
//! span after its operation, counts requests, latency and errors by code (and each API key's
//! use), gives `INTERNAL` errors the request id, and counts live subscriptions.
//!
//! This wraps the schema as an [`Executor`] instead of being an async-graphql extension: any
//! registered extension puts every field of every response through the extension chain (a
//! registry lookup and a boxed future per field), which cost about a tenth of the CPU of a
//! 50-question page. Here the document is parsed once (`Request::parsed_query`, reused by the
//! executor) and the checks run once per operation.

use std::{any::TypeId, net::IpAddr, sync::Arc, time::Instant};

use agora_identity::api::KeyUsage;
use agora_platform::{
    AppError, ErrorCode, Platform,
    auth::Viewer,
    ratelimit::{LimitClass, RateLimits},
};
use async_graphql::{
    CacheControl, Data, Executor, Request, Response, ServerError, Value,
    futures_util::{StreamExt, stream::BoxStream},
    parser::types::{
        DocumentOperations, ExecutableDocument, OperationDefinition, OperationType, Selection,
    },
};

use crate::{
    AgoraSchema,
    limits::{AUTH_FIELDS, AUTH_FIELDS_CHARGED_ON_FAILURE, Limits},
    persisted::{DocumentId, Persisted},
};

/// The id of the HTTP request or WebSocket connection, put in the request data by the server.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The client's address as the server saw it (or as the trusted proxy header said), put in
/// the request data by the server; the `Auth` rate limit is kept per address.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<IpAddr>);

/// Credentials as a connection received them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnedCredentials {
    /// The `authorization` value (`Bearer <token>`).
    pub authorization: Option<String>,
    /// The `apiKey` value.
    pub api_key: Option<String>,
}

impl OwnedCredentials {
    /// The viewer these credentials give now (the session or key re-checked, the role read
    /// fresh).
    pub async fn authenticate(&self, platform: &Platform) -> Result<Viewer, AppError> {
        agora_identity::api::authenticate(
            platform,
            agora_identity::api::Credentials {
                authorization: self.authorization.as_deref(),
                api_key: self.api_key.as_deref(),
            },
        )
        .await
    }
}

/// The credentials a WebSocket connection signed in with, in its connection data. Every
/// operation on the socket authenticates them afresh, as HTTP does per request: a revoked
/// session or key, an expired token or a changed role takes effect on the next operation,
/// not at the next connection. The socket swaps in a fresh token when the client
/// re-authenticates.
#[derive(Debug, Clone, Default)]
pub struct SocketCredentials(Arc<std::sync::RwLock<OwnedCredentials>>);

impl SocketCredentials {
    /// Holds `credentials`.
    pub fn new(credentials: OwnedCredentials) -> Self {
        Self(Arc::new(std::sync::RwLock::new(credentials)))
    }

    /// The credentials now.
    pub fn get(&self) -> OwnedCredentials {
        self.0.read().map(|c| c.clone()).unwrap_or_default()
    }

    /// Replaces the credentials (a client re-authenticated).
    pub fn replace(&self, credentials: OwnedCredentials) {
        if let Ok(mut held) = self.0.write() {
            *held = credentials;
        }
    }
}

/// Put in the request data by a transport that may only run queries (HTTP GET).
#[derive(Debug, Clone, Copy)]
pub struct QueriesOnly;

/// Root query fields whose answer is the same for every anonymous caller, with how long a CDN
/// may keep it (seconds). A persisted query over GET selecting only these, asked anonymously,
/// is answered with `Cache-Control: public, max-age=<the smallest>`.
const CACHEABLE_ROOT_FIELDS: &[(&str, i32)] = &[
    ("__typename", 3_600),
    ("achievements", 3_600),
    ("topics", 300),
    ("topic", 300),
    ("articles", 300),
    ("article", 300),
    ("questions", 60),
    ("question", 60),
    ("search", 60),
    ("stations", 60),
    ("station", 30),
    ("leaderboard", 10),
];

/// What the executor needs besides the schema: limits, persisted documents, rate limits and
/// key usage. Built once per process.
pub struct OperationGuard {
    platform: Platform,
    limits: Limits,
    persisted: Persisted,
    rate_limits: Arc<RateLimits>,
    usage: KeyUsage,
    labels: OperationLabels,
}

impl OperationGuard {
    /// The guard for `platform`'s configuration, sharing `rate_limits` and `usage` with the
    /// server.
    pub fn new(platform: Platform, rate_limits: Arc<RateLimits>, usage: KeyUsage) -> Self {
        Self {
            limits: Limits::from_config(&platform.config),
            persisted: Persisted::new(&platform.config, platform.redis.clone()),
            rate_limits,
            usage,
            labels: OperationLabels::default(),
            platform,
        }
    }
}

/// [`AgoraSchema`] with Agora's per-operation checks and metrics.
#[derive(Clone)]
pub struct AgoraExecutor {
    schema: AgoraSchema,
    guard: Arc<OperationGuard>,
}

fn get<T: 'static>(data: &Data) -> Option<&T> {
    data.get(&TypeId::of::<T>())
        .and_then(|d| d.downcast_ref::<T>())
}

/// What the transport said about an operation, read once from its data layers (a WebSocket
/// operation has the connection's data and its own; the first layer holding a value wins).
#[derive(Default)]
struct Caller {
    viewer: Viewer,
    request_id: Option<String>,
    addr: Option<IpAddr>,
    document_id: Option<String>,
    queries_only: bool,
}

impl Caller {
    fn gather(layers: &[&Data]) -> Self {
        fn find<'a, T: 'static>(layers: &[&'a Data]) -> Option<&'a T> {
            layers.iter().find_map(|data| get::<T>(data))
        }
        Self {
            viewer: find::<Viewer>(layers).cloned().unwrap_or_default(),
            request_id: find::<RequestId>(layers).map(|r| r.0.clone()),
            addr: find::<ClientAddr>(layers).and_then(|a| a.0),
            document_id: find::<DocumentId>(layers).map(|d| d.0.clone()),
            queries_only: find::<QueriesOnly>(layers).is_some(),
        }
    }
}

fn selected_operation<'a>(
    doc: &'a ExecutableDocument,
    name: Option<&str>,
) -> Option<&'a OperationDefinition> {
    match (&doc.operations, name) {
        (DocumentOperations::Single(op), _) => Some(&op.node),
        (DocumentOperations::Multiple(ops), Some(name)) => ops
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, op)| &op.node),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|op| &op.node)
        }
        _ => None,
    }
}

/// A required variable (non-null, no default) without a value is a request error: the engine
/// would report it on the first field that uses it, with `data: null` and a path, as if the
/// operation had run.
fn required_variables_given(
    op: &OperationDefinition,
    variables: &async_graphql::Variables,
) -> Result<(), AppError> {
    for definition in &op.variable_definitions {
        let definition = &definition.node;
        let missing = variables
            .get(&definition.name.node)
            .is_none_or(|value| *value == Value::Null);
        if !definition.var_type.node.nullable && definition.default_value.is_none() && missing {
            return Err(AppError::Refused(
                ErrorCode::ValidationFailed,
                format!(
                    "variable ${} of required type {} was not provided",
                    definition.name.node, definition.var_type.node
                ),
            ));
        }
    }
    Ok(())
}

/// The mutation a station device key exists for; it may run nothing else.
const DEVICE_MUTATION: &str = "ingestReadings";

/// Whether `op` is a mutation of `ingestReadings` fields only (and `__typename`).
fn only_ingests(op: &OperationDefinition) -> bool {
    op.ty == OperationType::Mutation
        && op.selection_set.node.items.iter().all(|item| {
            matches!(&item.node, Selection::Field(f)
                if f.node.name.node == DEVICE_MUTATION || f.node.name.node == "__typename")
        })
}

/// What admission found out about an operation.
#[derive(Default)]
struct Admitted {
    /// Store the document as an APQ under this hash once it validated.
    store_apq: Option<String>,
    /// How long a CDN may keep the answer, if it may at all.
    cache_max_age: Option<i32>,
    /// The client address and the response key of a sign-in field whose failure is charged
    /// to the address's `Auth` bucket once the operation has run.
    failures_charged_to: Option<(String, String)>,
}

/// Longest operation name used as a label; longer names are cut at a character boundary.
const MAX_LABEL_BYTES: usize = 64;
/// Distinct operation labels one process reports; names first seen after that count as
/// [`OTHER_LABEL`], so clients cannot grow `/metrics` (and memory) without bound.
const MAX_LABELS: usize = 500;
/// The label of an operation whose document did not parse or was refused before parsing.
const UNPARSED_LABEL: &str = "unparsed";
/// The label of names past [`MAX_LABELS`].
const OTHER_LABEL: &str = "other";

/// The operation names seen so far, each kept once.
#[derive(Default)]
struct OperationLabels(std::sync::Mutex<std::collections::HashSet<Arc<str>>>);

impl OperationLabels {
    /// The label to report for `name`: itself while fewer than [`MAX_LABELS`] are known.
    fn intern(&self, name: &str) -> Arc<str> {
        let Ok(mut known) = self.0.lock() else {
            return Arc::from(OTHER_LABEL);
        };
        if let Some(label) = known.get(name) {
            return label.clone();
        }
        if known.len() >= MAX_LABELS {
            return Arc::from(OTHER_LABEL);
        }
        let label: Arc<str> = Arc::from(name);
        known.insert(label.clone());
        label
    }
}

/// `text` cut to at most `max` bytes at a character boundary, with `…` when cut.
fn shortened(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// The operation's name for spans and metrics: the selected operation's name as the document
/// declares it (a client's `operationName` that names nothing in the document is never used),
/// cut to [`MAX_LABEL_BYTES`]; `anonymous` for an unnamed operation.
fn label_of(name: Option<&str>, doc: &ExecutableDocument) -> String {
    let declared = match &doc.operations {
        DocumentOperations::Single(_) => None,
        DocumentOperations::Multiple(ops) => match name {
            Some(name) => ops.keys().find(|n| n.as_str() == name),
            None if ops.len() == 1 => ops.keys().next(),
            None => None,
        },
    };
    match declared {
        Some(name) => shortened(name.as_str(), MAX_LABEL_BYTES),
        None => "anonymous".to_owned(),
    }
}

fn rate_limited(class: LimitClass, retry_after_secs: u64) -> AppError {
    let what = match class {
        LimitClass::Auth => "too many sign-in, registration or password-reset attempts",
        LimitClass::ApiKey => "this API key is over its request rate",
        LimitClass::User => "too many requests from this account",
        LimitClass::Ip => "too many requests from this address",
    };
    AppError::RateLimited {
        message: format!("{what}; retry in {retry_after_secs} s"),
        retry_after_secs,
    }
}

impl AgoraExecutor {
    /// The executor of `schema` with `guard`'s checks.
    pub fn new(schema: AgoraSchema, guard: Arc<OperationGuard>) -> Self {
        Self { schema, guard }
    }

    /// The schema it runs.
    pub fn schema(&self) -> &AgoraSchema {
        &self.schema
    }

    /// Everything checked before execution, in order of cost: the caller's rate, the
    /// document's source (persisted or not), its text limits, its parsed limits, sign-in
    /// fields against the address's bucket, then what this kind of credential may run.
    async fn admit(
        &self,
        request: &mut Request,
        caller: &Caller,
        operation: &mut String,
    ) -> Result<Admitted, AppError> {
        *operation = UNPARSED_LABEL.to_owned();
        let guard = &self.guard;
        let viewer = &caller.viewer;
        let bucket = match viewer {
            Viewer::User(user) => Some((LimitClass::User, user.user_id.to_string())),
            Viewer::ApiKey(key) => Some((LimitClass::ApiKey, key.key_id.to_string())),
            Viewer::Anonymous => None,
        };
        if let Some((class, key)) = bucket
            && let Err(refusal) = guard.rate_limits.check(class, &key, 1).await
        {
            return Err(rate_limited(class, refusal.retry_after_secs()));
        }
        // Over HTTP the transport reads `documentId`; a WebSocket `subscribe` carries it in
        // its extensions.
        let document_id =
            caller
                .document_id
                .clone()
                .or_else(|| match request.extensions.get("documentId") {
                    Some(Value::String(id)) => Some(id.clone()),
                    _ => None,
                });
        let resolved = guard
            .persisted
            .resolve(&guard.platform, request, document_id.as_deref(), viewer)
            .await?;
        guard.limits.check_text(&request.query)?;
        let variables = request.variables.clone();
        let name = request.operation_name.clone();
        let Ok(doc) = request.parsed_query() else {
            // Execution reports the syntax error.
            return Ok(Admitted::default());
        };
        *operation = label_of(name.as_deref(), doc);
        tracing::Span::current().record("operation", operation.as_str());
        let op = selected_operation(doc, name.as_deref());
        if op.is_none()
            && let Some(name) = &name
        {
            // The engine would echo the whole name back; a client may send megabytes of it.
            return Err(AppError::Refused(
                ErrorCode::ValidationFailed,
                format!(
                    "the document has no operation named {:?}",
                    shortened(name, MAX_LABEL_BYTES)
                ),
            ));
        }
        let measure = guard.limits.check_document(doc, op, &variables)?;
        if let Some(op) = op {
            required_variables_given(op, &variables)?;
        }
        let auth_fields = measure
            .root_fields
            .iter()
            .filter(|f| AUTH_FIELDS.contains(&f.as_str()))
            .count() as u32;
        let mut failures_charged_to = None;
        if auth_fields > 0 && op.is_some_and(|op| op.ty == OperationType::Mutation) {
            let addr = caller
                .addr
                .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
            let limits = &guard.rate_limits;
            if let Err(refusal) = limits.blocked(LimitClass::Auth, &addr).await {
                return Err(rate_limited(LimitClass::Auth, refusal.retry_after_secs()));
            }
            let on_failure = |f: &&String| AUTH_FIELDS_CHARGED_ON_FAILURE.contains(&f.as_str());
            let up_front = if auth_fields > 1 {
                auth_fields
            } else {
                auth_fields - measure.root_fields.iter().filter(on_failure).count() as u32
            };
            if let Err(refusal) = limits.check(LimitClass::Auth, &addr, up_front).await {
                return Err(rate_limited(LimitClass::Auth, refusal.retry_after_secs()));
            }
            if auth_fields == 1 {
                let keys = measure.root_fields.iter().zip(&measure.root_keys);
                failures_charged_to = keys
                    .filter(|(f, _)| on_failure(f))
                    .map(|(_, key)| (addr.clone(), key.clone()))
                    .next();
            }
        }
        if !guard.platform.config.introspection()
            && measure
                .root_fields
                .iter()
                .any(|f| f == "__schema" || f == "__type")
        {
            return Err(AppError::Refused(
                ErrorCode::ValidationFailed,
                "introspection is disabled on this server".into(),
            ));
        }
        let ty = op.map(|op| op.ty);
        if caller.queries_only && ty.is_some_and(|t| t != OperationType::Query) {
            return Err(AppError::Refused(
                ErrorCode::MethodNotAllowed,
                "mutations must be sent with POST".into(),
            ));
        }
        // A station device key acts for the admin who created it, but only to push readings: a
        // leaked device key must not be an admin credential.
        if viewer.is_device_key() && !op.is_some_and(only_ingests) {
            return Err(AppError::Forbidden(format!(
                "a station device key may only run the {DEVICE_MUTATION} mutation"
            )));
        }
        if ty == Some(OperationType::Mutation) && !viewer.may_mutate() {
            return Err(AppError::Forbidden(
                "this API key may not run mutations (it needs the WRITE scope)".into(),
            ));
        }
        let cache_max_age = (resolved.persisted
            && *viewer == Viewer::Anonymous
            && ty == Some(OperationType::Query))
        .then(|| {
            measure
                .root_fields
                .iter()
                .map(|f| {
                    CACHEABLE_ROOT_FIELDS
                        .iter()
                        .find(|(n, _)| n == f)
                        .map(|(_, age)| *age)
                })
                .try_fold(i32::MAX, |min, age| age.map(|a| min.min(a)))
        })
        .flatten()
        .filter(|age| *age < i32::MAX);
        Ok(Admitted {
            store_apq: resolved.store_apq,
            cache_max_age,
            failures_charged_to,
        })
    }
}

fn error_code(error: &ServerError) -> Option<&str> {
    match error.extensions.as_ref().and_then(|ext| ext.get("code")) {
        Some(Value::String(code)) => Some(code.as_str()),
        _ => None,
    }
}

/// Whether the document parsed and validated: every error is one of ours (with a code).
/// Parse, validation and operation-selection errors come without one.
fn validated(response: &Response) -> bool {
    response.errors.iter().all(|e| error_code(e).is_some())
}

/// Hides "did you mean" suggestions the way graphql-armor does, when suggestions are off.
fn hide_suggestion(message: &mut String) {
    if let Some(at) = message.find(" Did you mean") {
        message.truncate(at);
        message.push_str(" [Suggestion hidden]");
    }
}

/// Gives every error a code (validation errors get `GRAPHQL_VALIDATION_FAILED`) and the
/// request id (so a client's report of any error finds its log line), and counts them by code.
fn finish_errors(response: &mut Response, request_id: Option<&str>, suggestions: bool) {
    for error in &mut response.errors {
        let code = error_code(error)
            .unwrap_or(ErrorCode::ValidationFailed.as_str())
            .to_owned();
        if code == ErrorCode::ValidationFailed.as_str() {
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set("code", code.as_str());
            if !suggestions {
                hide_suggestion(&mut error.message);
            }
        }
        if let Some(id) = request_id {
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set("requestId", id);
        }
        metrics::counter!("agora_graphql_errors_total", "code" => code).increment(1);
    }
}

/// Whether `response` holds an error raised by the root field at `key`.
fn failed_at(response: &Response, key: &str) -> bool {
    response.errors.iter().any(|e| {
        matches!(e.path.first(), Some(async_graphql::PathSegment::Field(f)) if f == key)
            && error_code(e) != Some(ErrorCode::RateLimited.as_str())
    })
}

impl AgoraExecutor {
    /// Charges a failed sign-in field to its address's `Auth` bucket.
    async fn charge_failure(&self, charged_to: Option<&(String, String)>, response: &Response) {
        if let Some((addr, key)) = charged_to
            && failed_at(response, key)
        {
            self.guard
                .rate_limits
                .charge_failure(LimitClass::Auth, addr)
                .await;
        }
    }

    fn finish(&self, response: &mut Response, viewer: &Viewer, request_id: Option<&str>) {
        finish_errors(
            response,
            request_id,
            self.guard.platform.config.field_suggestions(),
        );
        if let Viewer::ApiKey(key) = viewer {
            self.guard
                .usage
                .record(key.key_id, !response.errors.is_empty());
        }
    }
}

impl Executor for AgoraExecutor {
    async fn execute(&self, mut request: Request) -> Response {
        let started = Instant::now();
        let caller = Caller::gather(&[&request.data]);
        let mut operation = String::new();
        let admitted = self.admit(&mut request, &caller, &mut operation).await;
        let mut response = match admitted {
            Ok(admitted) => {
                let query = admitted.store_apq.as_ref().map(|_| request.query.clone());
                let timeout = self.guard.platform.config.limits.execution_timeout;
                let mut response =
                    match tokio::time::timeout(timeout, self.schema.execute(request)).await {
                        Ok(response) => response,
                        Err(_) => Response::from_errors(vec![
                            AppError::Refused(
                                ErrorCode::Timeout,
                                format!("the operation ran longer than {} s", timeout.as_secs()),
                            )
                            .into_server_error(),
                        ]),
                    };
                if let (Some(hash), Some(query)) = (&admitted.store_apq, &query)
                    && validated(&response)
                {
                    self.guard.persisted.store(hash, query).await;
                }
                self.charge_failure(admitted.failures_charged_to.as_ref(), &response)
                    .await;
                response.cache_control = match admitted.cache_max_age {
                    Some(max_age) if response.errors.is_empty() => CacheControl {
                        public: true,
                        max_age,
                    },
                    _ => CacheControl {
                        public: false,
                        max_age: 0,
                    },
                };
                response
            }
            Err(refusal) => Response::from_errors(vec![refusal.into_server_error()]),
        };
        self.finish(&mut response, &caller.viewer, caller.request_id.as_deref());
        let operation = self.guard.labels.intern(&operation);
        metrics::counter!("agora_graphql_requests_total", "operation" => operation.clone())
            .increment(1);
        metrics::histogram!("agora_graphql_request_duration_seconds", "operation" => operation)
            .record(started.elapsed().as_secs_f64());
        response
    }

    fn execute_stream(
        &self,
        mut request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let session = session_data.unwrap_or_default();
        let this = self.clone();
        async_graphql::futures_util::stream::once(async move {
            // The connection's credentials and address, the operation's document id.
            let mut caller = Caller::gather(&[&session, &request.data]);
            if let Some(credentials) = get::<SocketCredentials>(&session) {
                match credentials.get().authenticate(&this.guard.platform).await {
                    Ok(viewer) => {
                        // The operation's own data is read before the connection's.
                        request.data.insert(viewer.clone());
                        caller.viewer = viewer;
                    }
                    Err(refusal) => {
                        let mut response = Response::from_errors(vec![refusal.into_server_error()]);
                        finish_errors(
                            &mut response,
                            caller.request_id.as_deref(),
                            this.guard.platform.config.field_suggestions(),
                        );
                        return async_graphql::futures_util::stream::once(async move { response })
                            .boxed();
                    }
                }
            }
            let (viewer, request_id) = (caller.viewer.clone(), caller.request_id.clone());
            let mut operation = String::new();
            let admitted = this.admit(&mut request, &caller, &mut operation).await;
            match admitted {
                Err(refusal) => {
                    let mut response = Response::from_errors(vec![refusal.into_server_error()]);
                    this.finish(&mut response, &viewer, request_id.as_deref());
                    async_graphql::futures_util::stream::once(async move { response }).boxed()
                }
                Ok(admitted) => {
                    let query = admitted.store_apq.as_ref().map(|_| request.query.clone());
                    let guard = ActiveSubscription::new();
                    let usage_viewer = viewer.clone();
                    let executor = this.clone();
                    let mut first = true;
                    this.schema
                        .execute_stream_with_session_data(request, session)
                        .then(move |mut response| {
                            let _alive = &guard;
                            let store = first
                                .then(|| admitted.store_apq.clone().zip(query.clone()))
                                .flatten()
                                .filter(|_| validated(&response));
                            // Only the first response counts as the operation's use.
                            let count = std::mem::replace(&mut first, false);
                            let executor = executor.clone();
                            let viewer = usage_viewer.clone();
                            let request_id = request_id.clone();
                            let charged_to = count
                                .then(|| admitted.failures_charged_to.clone())
                                .flatten();
                            async move {
                                if let Some((hash, query)) = store {
                                    executor.guard.persisted.store(&hash, &query).await;
                                }
                                executor
                                    .charge_failure(charged_to.as_ref(), &response)
                                    .await;
                                if count {
                                    executor.finish(&mut response, &viewer, request_id.as_deref());
                                } else {
                                    finish_errors(
                                        &mut response,
                                        request_id.as_deref(),
                                        executor.guard.platform.config.field_suggestions(),
                                    );
                                }
                                response
                            }
                        })
                        .boxed()
                }
            }
        })
        .flatten()
        .boxed()
    }
}

/// Counts a live subscription in `agora_subscriptions_active` for as long as it exists.
struct ActiveSubscription;

impl ActiveSubscription {
    fn new() -> Self {
        metrics::gauge!("agora_subscriptions_active").increment(1.0);
        Self
    }
}

impl Drop for ActiveSubscription {
    fn drop(&mut self) {
        metrics::gauge!("agora_subscriptions_active").decrement(1.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(query: &str) -> ExecutableDocument {
        async_graphql::parser::parse_query(query).expect("parses")
    }

    #[test]
    fn labels_name_only_operations_the_document_declares() {
        let doc = parsed("query Page { __typename } query Other { __typename }");
        assert_eq!(label_of(Some("Page"), &doc), "Page");
        assert_eq!(label_of(Some("NotInTheDocument"), &doc), "anonymous");
        assert_eq!(label_of(None, &parsed("{ __typename }")), "anonymous");
        assert_eq!(label_of(None, &parsed("query One { __typename }")), "One");
        let long = format!("query {} {{ __typename }}", "N".repeat(10_000));
        assert!(label_of(None, &parsed(&long)).len() <= MAX_LABEL_BYTES + '…'.len_utf8());
    }

    #[test]
    fn labels_past_the_cap_count_as_other() {
        let labels = OperationLabels::default();
        for i in 0..MAX_LABELS {
            assert_eq!(&*labels.intern(&format!("Op{i}")), format!("Op{i}"));
        }
        assert_eq!(&*labels.intern("OneTooMany"), OTHER_LABEL);
        assert_eq!(&*labels.intern("Op7"), "Op7");
    }

    #[test]
    fn shortened_cuts_at_a_character_boundary() {
        assert_eq!(shortened("abc", 3), "abc");
        assert_eq!(shortened("ééé", 3), "é…");
    }
}
