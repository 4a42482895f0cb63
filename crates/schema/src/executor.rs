//! The schema as the server runs it, over HTTP and WebSocket alike: names the request's span
//! after its operation, counts requests, latency and errors by code, gives `INTERNAL` errors the
//! request id, keeps read-only API keys out of mutations, and counts live subscriptions.
//!
//! This wraps the schema as an [`Executor`] instead of being an async-graphql extension: any
//! registered extension puts every field of every response through the extension chain (a
//! registry lookup and a boxed future per field), which cost about a tenth of the CPU of a
//! 50-question page. Here the document is parsed once (`Request::parsed_query`, reused by the
//! executor) and the checks run once per operation.

use std::{any::TypeId, sync::Arc, time::Instant};

use agora_platform::{AppError, auth::Viewer};
use async_graphql::{
    Data, Executor, Request, Response, ServerError, Value,
    futures_util::{StreamExt, stream::BoxStream},
    parser::types::{
        DocumentOperations, ExecutableDocument, OperationDefinition, OperationType, Selection,
    },
};

use crate::AgoraSchema;

/// The id of the HTTP request or WebSocket connection, put in the request data by the server.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// [`AgoraSchema`] with Agora's per-operation checks and metrics.
#[derive(Clone)]
pub struct AgoraExecutor(pub AgoraSchema);

fn get<T: 'static>(data: &Data) -> Option<&T> {
    data.get(&TypeId::of::<T>())
        .and_then(|d| d.downcast_ref::<T>())
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

/// Parses the document (kept on the request for execution) and names the operation; the
/// second value refuses a mutation to a viewer that may not mutate. A document that does not
/// parse passes through: execution reports it.
fn admit(request: &mut Request, viewer: &Viewer) -> (String, Option<ServerError>) {
    let mut name = request.operation_name.clone();
    let (ty, device_ok) = match request.parsed_query() {
        Ok(doc) => {
            // No `operationName` sent: a document with one named operation names itself.
            if name.is_none()
                && let DocumentOperations::Multiple(ops) = &doc.operations
                && ops.len() == 1
            {
                name = ops.keys().next().map(|n| n.to_string());
            }
            let op = selected_operation(doc, name.as_deref());
            (op.map(|op| op.ty), op.is_some_and(only_ingests))
        }
        Err(_) => (None, true),
    };
    let label = name.unwrap_or_else(|| "anonymous".to_owned());
    tracing::Span::current().record("operation", label.as_str());
    // A station device key acts for the admin who created it, but only to push readings: a
    // leaked device key must not be an admin credential.
    if viewer.is_device_key() && !device_ok {
        let refusal = AppError::Forbidden(format!(
            "a station device key may only run the {DEVICE_MUTATION} mutation"
        ));
        return (label, Some(refusal.into_server_error()));
    }
    if ty == Some(OperationType::Mutation) && !viewer.may_mutate() {
        let refusal = AppError::Forbidden(
            "this API key may not run mutations (it needs the WRITE scope)".into(),
        );
        return (label, Some(refusal.into_server_error()));
    }
    (label, None)
}

fn error_code(error: &ServerError) -> String {
    match error.extensions.as_ref().and_then(|ext| ext.get("code")) {
        Some(Value::String(code)) => code.clone(),
        // Parse and validation errors carry no code of ours.
        _ => "GRAPHQL_VALIDATION_FAILED".to_owned(),
    }
}

/// Gives every error a code (validation errors get `GRAPHQL_VALIDATION_FAILED`) and `INTERNAL`
/// ones the request id, and counts them by code.
fn finish_errors(response: &mut Response, request_id: Option<&str>) {
    for error in &mut response.errors {
        let code = error_code(error);
        if code == "GRAPHQL_VALIDATION_FAILED" {
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set("code", code.as_str());
        }
        if let (true, Some(id)) = (code == "INTERNAL", request_id) {
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set("requestId", id);
        }
        metrics::counter!("agora_graphql_errors_total", "code" => code).increment(1);
    }
}

impl Executor for AgoraExecutor {
    async fn execute(&self, mut request: Request) -> Response {
        let started = Instant::now();
        let viewer = get::<Viewer>(&request.data).cloned().unwrap_or_default();
        let request_id = get::<RequestId>(&request.data).map(|r| r.0.clone());
        let (operation, mut response) = match admit(&mut request, &viewer) {
            (operation, None) => (operation, self.0.execute(request).await),
            (operation, Some(refusal)) => (operation, Response::from_errors(vec![refusal])),
        };
        finish_errors(&mut response, request_id.as_deref());
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
        let session = session_data.clone().unwrap_or_default();
        let viewer = get::<Viewer>(&session)
            .or_else(|| get::<Viewer>(&request.data))
            .cloned()
            .unwrap_or_default();
        let request_id = get::<RequestId>(&session).map(|r| r.0.clone());
        if let (_, Some(refusal)) = admit(&mut request, &viewer) {
            let mut response = Response::from_errors(vec![refusal]);
            finish_errors(&mut response, request_id.as_deref());
            return async_graphql::futures_util::stream::once(async move { response }).boxed();
        }
        let guard = ActiveSubscription::new();
        self.0
            .execute_stream_with_session_data(request, session)
            .map(move |mut response| {
                let _alive = &guard;
                finish_errors(&mut response, request_id.as_deref());
                response
            })
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
