//! Agora's one schema. Merges every domain's Query, Mutation and Subscription roots, adds the
//! Relay `Node` interface, and wires the limits; [`AgoraExecutor`] runs it with Agora's
//! per-operation checks and metrics. Knows nothing of HTTP: the server crate serves it.
// The merged roots nest deeply enough to pass the default limit of 128.
#![recursion_limit = "256"]
#![warn(missing_docs, unreachable_pub)]

mod executor;
pub mod limits;
mod node;
pub mod operators;
pub mod persisted;

use agora_battle::{BattleMutation, BattleQuery, BattleSubscription};
use agora_community::{CommunityMutation, CommunityQuery};
use agora_dashboard::DashboardQuery;
use agora_gamification::{GamificationQuery, GamificationSubscription};
use agora_identity::{IdentityMutation, IdentityQuery, IdentitySubscription};
use agora_knowledge::{KnowledgeMutation, KnowledgeQuery};
use agora_learning::{LearningMutation, LearningQuery, LearningSubscription};
use agora_literacy::{LiteracyMutation, LiteracyQuery, LiteracySubscription};
use agora_notifications::{NotificationsMutation, NotificationsQuery, NotificationsSubscription};
use agora_platform::{Platform, config::Config};
use agora_sensors::{SensorsMutation, SensorsQuery, SensorsSubscription};
use async_graphql::{MergedObject, MergedSubscription, Schema, SchemaBuilder};

pub use executor::{
    AgoraExecutor, ClientAddr, OperationGuard, OwnedCredentials, QueriesOnly, RequestId,
    SocketCredentials,
};
pub use node::Node;

/// The query root: every domain's queries plus `node`.
#[derive(MergedObject, Default)]
pub struct Query(
    IdentityQuery,
    KnowledgeQuery,
    LearningQuery,
    DashboardQuery,
    LiteracyQuery,
    CommunityQuery,
    BattleQuery,
    GamificationQuery,
    NotificationsQuery,
    SensorsQuery,
    node::NodeQuery,
    persisted::PersistedQuery,
    operators::OperatorsQuery,
);

/// The mutation root.
#[derive(MergedObject, Default)]
pub struct Mutation(
    IdentityMutation,
    KnowledgeMutation,
    LearningMutation,
    LiteracyMutation,
    CommunityMutation,
    BattleMutation,
    NotificationsMutation,
    SensorsMutation,
    persisted::PersistedMutation,
    operators::OperatorsMutation,
);

/// The subscription root.
#[derive(MergedSubscription, Default)]
pub struct Subscription(
    IdentitySubscription,
    BattleSubscription,
    GamificationSubscription,
    NotificationsSubscription,
    SensorsSubscription,
    LiteracySubscription,
    LearningSubscription,
);

/// Adds every domain's per-request data (DataLoaders) to a request's or a WebSocket
/// connection's `data`.
pub fn insert_request_data(data: &mut async_graphql::Data, platform: &Platform) {
    agora_identity::api::insert_loaders(data, platform);
    agora_knowledge::api::insert_loaders(data, platform);
    // Knowledge hides the answers of questions a viewer is playing; battle knows which.
    data.insert(agora_knowledge::api::AnswerSeal::new(
        agora_battle::api::sealed_questions,
    ));
    agora_community::api::insert_loaders(data, platform);
    agora_sensors::api::insert_loaders(data, platform);
    agora_literacy::api::insert_loaders(data, platform);
}

/// The settings that belong to one domain each, flattened into the `agora` CLI beside the
/// platform's [`Config`]; the server hands each domain its own.
#[derive(Debug, Clone, clap::Args)]
pub struct DomainSettings {
    /// Battle timings.
    #[command(flatten)]
    pub battle: agora_battle::BattleSettings,
    /// Points partitions.
    #[command(flatten)]
    pub gamification: agora_gamification::GamificationSettings,
    /// The push gateway.
    #[command(flatten)]
    pub notifications: agora_notifications::NotificationsSettings,
    /// Ingest, export and forecast limits.
    #[command(flatten)]
    pub sensors: agora_sensors::SensorsSettings,
    /// Mock-test cool-down and duration.
    #[command(flatten)]
    pub literacy: agora_literacy::LiteracySettings,
    /// How captured URLs are fetched and uploads read.
    #[command(flatten)]
    pub capture: agora_learning::CaptureSettings,
    /// The language-model endpoint, if any.
    #[command(flatten)]
    pub llm: agora_llm::LlmSettings,
}

/// Every domain's outbox handlers, for the dispatcher, as `settings` set them up.
pub fn outbox_handlers(
    settings: &DomainSettings,
) -> Vec<std::sync::Arc<dyn agora_platform::outbox::OutboxHandler>> {
    let mut handlers = Vec::new();
    handlers.extend(agora_identity::api::outbox_handlers());
    handlers.extend(agora_gamification::api::outbox_handlers(
        settings.gamification.points_partitions,
    ));
    handlers.extend(agora_notifications::api::outbox_handlers());
    handlers.extend(agora_learning::api::outbox_handlers(
        &agora_learning::api::CaptureRuntime::new(&settings.capture, &settings.llm),
    ));
    handlers
}

/// Every domain's scheduled jobs, for the scheduler.
pub fn scheduled_jobs() -> Vec<std::sync::Arc<dyn agora_platform::schedule::ScheduledJob>> {
    let mut jobs = agora_gamification::api::jobs();
    jobs.extend(agora_learning::api::jobs());
    jobs
}

/// The executable schema type.
pub type AgoraSchema = Schema<Query, Mutation, Subscription>;

fn builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
}

/// Builds the schema served by `agora serve`, with limits and features from the platform's
/// config, and the domains' settings (`battle`, `literacy`) and per-process state (`sensors`:
/// the forecast cache; `literacy`: the speech engines) as schema data.
///
/// Depth, complexity, aliases, directives and tokens are measured by [`limits`] before the
/// schema sees the document; the schema keeps only the parser's recursion limit. Suggestions
/// stay on here: when they are off, the executor replaces them with `[Suggestion hidden]`.
pub fn build(
    platform: Platform,
    settings: &DomainSettings,
    sensors: agora_sensors::api::SensorsRuntime,
    literacy: agora_literacy::api::LiteracyRuntime,
) -> AgoraSchema {
    let config: &Config = &platform.config;
    let mut builder = builder().limit_recursive_depth(config.limits.max_recursion);
    if !config.introspection() {
        builder = builder.disable_introspection();
    }
    builder
        .data(platform)
        .data(settings.battle.clone())
        .data(settings.literacy.clone())
        .data(sensors)
        .data(literacy)
        .data(agora_learning::api::CaptureRuntime::new(
            &settings.capture,
            &settings.llm,
        ))
        .finish()
}

/// Checks `document` against the schema without executing it; the errors as messages.
pub async fn validate_document(document: &str) -> Result<(), Vec<String>> {
    static SCHEMA: std::sync::LazyLock<AgoraSchema> =
        std::sync::LazyLock::new(|| builder().finish());
    // Validation runs before the operation is chosen, so naming an operation no document can
    // have (a name cannot contain a space) validates everything and executes nothing.
    const NO_OPERATION: &str = "no operation";
    let response = SCHEMA
        .execute(async_graphql::Request::new(document).operation_name(NO_OPERATION))
        .await;
    let errors: Vec<String> = response
        .errors
        .into_iter()
        .map(|e| e.message)
        .filter(|m| !m.contains(NO_OPERATION))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// The SDL, as `agora export-schema` writes it to `schema.graphql`.
pub fn sdl() -> String {
    let options = async_graphql::SDLExportOptions::new()
        .sorted_fields()
        .sorted_enum_items()
        .include_specified_by();
    builder().finish().sdl_with_options(options)
}
