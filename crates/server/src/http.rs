//! HTTP endpoints: GraphQL over POST and GET, GraphiQL, health, readiness and metrics.

use agora_identity::api::{self, Credentials};
use agora_platform::{AppError, auth::Viewer, db};
use agora_schema::RequestId;
use async_graphql::{
    http::GraphiQLSource,
    parser::types::{DocumentOperations, OperationType},
};
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{Html, IntoResponse, Response},
};

use crate::{AppState, REQUEST_ID_HEADER};

/// GraphiQL, pointed at `/graphql` and `/graphql/ws`.
pub async fn graphiql() -> Html<String> {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql/ws")
            .title("Agora GraphiQL")
            .finish(),
    )
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

fn error_response(err: AppError) -> Response {
    metrics::counter!("agora_graphql_errors_total", "code" => err.code().as_str()).increment(1);
    let response = async_graphql::Response::from_errors(vec![err.into_server_error()]);
    GraphQLResponse::from(response).into_response()
}

async fn execute(state: AppState, headers: HeaderMap, request: GraphQLRequest) -> Response {
    let viewer = match viewer_for(&state, &headers).await {
        Ok(viewer) => viewer,
        Err(err) => return error_response(err),
    };
    let request_id = header_str(&headers, REQUEST_ID_HEADER.as_str())
        .unwrap_or("-")
        .to_owned();
    let mut request = request
        .into_inner()
        .data(viewer)
        .data(RequestId(request_id));
    agora_schema::insert_request_data(&mut request.data, &state.platform);
    let executor = agora_schema::AgoraExecutor(state.schema.clone());
    GraphQLResponse::from(async_graphql::Executor::execute(&executor, request).await)
        .into_response()
}

/// `POST /graphql`.
pub async fn graphql_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> Response {
    execute(state, headers, request).await
}

/// `GET /graphql`: queries only; a mutation is answered 405 with `Allow: POST`.
pub async fn graphql_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> Response {
    if let Ok(document) = async_graphql::parser::parse_query(&request.0.query) {
        let name = request.0.operation_name.as_deref();
        let is_mutation = match &document.operations {
            DocumentOperations::Single(op) => op.node.ty == OperationType::Mutation,
            DocumentOperations::Multiple(ops) => ops.iter().any(|(n, op)| {
                name.is_none_or(|name| n.as_str() == name) && op.node.ty == OperationType::Mutation
            }),
        };
        if is_mutation {
            return (
                StatusCode::METHOD_NOT_ALLOWED,
                [(header::ALLOW, "POST")],
                "mutations must be sent with POST",
            )
                .into_response();
        }
    }
    execute(state, headers, request).await
}

/// `GET /healthz`: the process is alive.
pub async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: 200 when the database and the bus answer, 503 otherwise.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let database = db::ping(&state.platform.db).await;
    let bus = state.platform.bus.ping().await;
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

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(State(state): State<AppState>) -> Response {
    // Refresh the gauges that are read rather than counted.
    let _ = &state;
    match crate::telemetry::render_metrics() {
        Some(text) => ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics recorder unavailable",
        )
            .into_response(),
    }
}
