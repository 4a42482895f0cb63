//! The observability extension: names the request's span after its operation, counts requests,
//! latency and errors by code, gives `INTERNAL` errors the request id, and keeps read-only API
//! keys out of mutations.

use std::{
    sync::{Arc, Mutex},
    time::Instant,
};

use agora_platform::{AppError, auth::Viewer};
use async_graphql::{
    Request, Response, ServerError, ServerResult, Value, Variables,
    extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextPrepareRequest,
        NextRequest, NextSubscribe,
    },
    futures_util::stream::BoxStream,
    parser::types::{DocumentOperations, ExecutableDocument, OperationType},
};

/// The id of the HTTP request or WebSocket connection, put in the request data by the server.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Factory for the per-request observability extension.
pub struct Observability;

impl ExtensionFactory for Observability {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ObservabilityExtension::default())
    }
}

#[derive(Default)]
struct ObservabilityExtension {
    operation_name: Mutex<Option<String>>,
    /// Copied from the request data in `prepare_request`: the `request` hook's context is made
    /// before the request data is attached.
    request_id: Mutex<Option<String>>,
}

impl ObservabilityExtension {
    fn operation_label(&self) -> String {
        self.operation_name
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .unwrap_or_else(|| "anonymous".to_owned())
    }
}

fn selected_operation_type(doc: &ExecutableDocument, name: Option<&str>) -> Option<OperationType> {
    match (&doc.operations, name) {
        (DocumentOperations::Single(op), _) => Some(op.node.ty),
        (DocumentOperations::Multiple(ops), Some(name)) => ops
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, op)| op.node.ty),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|op| op.node.ty)
        }
        _ => None,
    }
}

fn error_code(error: &ServerError) -> String {
    match error.extensions.as_ref().and_then(|ext| ext.get("code")) {
        Some(Value::String(code)) => code.clone(),
        // Parse and validation errors carry no code of ours.
        _ => "GRAPHQL_VALIDATION_FAILED".to_owned(),
    }
}

#[async_trait::async_trait]
impl Extension for ObservabilityExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let started = Instant::now();
        let mut response = next.run(ctx).await;
        let operation = self.operation_label();
        let request_id = self
            .request_id
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .or_else(|| ctx.data_opt::<RequestId>().map(|r| r.0.clone()));
        for error in &mut response.errors {
            let code = error_code(error);
            if code == "GRAPHQL_VALIDATION_FAILED" {
                error
                    .extensions
                    .get_or_insert_with(Default::default)
                    .set("code", code.as_str());
            }
            if let (true, Some(id)) = (code == "INTERNAL", &request_id) {
                error
                    .extensions
                    .get_or_insert_with(Default::default)
                    .set("requestId", id.as_str());
            }
            metrics::counter!("agora_graphql_errors_total", "code" => code).increment(1);
        }
        metrics::counter!("agora_graphql_requests_total", "operation" => operation.clone())
            .increment(1);
        metrics::histogram!("agora_graphql_request_duration_seconds", "operation" => operation)
            .record(started.elapsed().as_secs_f64());
        response
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        let guard = ActiveSubscription::new();
        let stream = next.run(ctx, stream);
        Box::pin(async_graphql::futures_util::StreamExt::map(
            stream,
            move |response| {
                let _alive = &guard;
                response
            },
        ))
    }

    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let request_id = request
            .data
            .get(&std::any::TypeId::of::<RequestId>())
            .and_then(|data| data.downcast_ref::<RequestId>())
            .or_else(|| ctx.data_opt::<RequestId>())
            .map(|r| r.0.clone());
        *self.request_id.lock().unwrap_or_else(|p| p.into_inner()) = request_id;
        if let Some(name) = &request.operation_name {
            tracing::Span::current().record("operation", name.as_str());
            *self
                .operation_name
                .lock()
                .unwrap_or_else(|p| p.into_inner()) = Some(name.clone());
        }
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let mut name = self
            .operation_name
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        // No `operationName` sent: a document with one named operation names itself.
        if name.is_none()
            && let DocumentOperations::Multiple(ops) = &document.operations
            && ops.len() == 1
        {
            name = ops.keys().next().map(|n| n.to_string());
            if let Some(name) = &name {
                tracing::Span::current().record("operation", name.as_str());
            }
            *self
                .operation_name
                .lock()
                .unwrap_or_else(|p| p.into_inner()) = name.clone();
        }
        let ty = selected_operation_type(&document, name.as_deref());
        let viewer = ctx.data_opt::<Viewer>().cloned().unwrap_or_default();
        if ty == Some(OperationType::Mutation) && !viewer.may_mutate() {
            return Err(AppError::Forbidden(
                "this API key may not run mutations (it needs the WRITE scope)".into(),
            )
            .into_server_error());
        }
        Ok(document)
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
