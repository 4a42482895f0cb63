//! The operator's view of the outbox: `outboxEvents` lists events by status (parked ones by
//! default), `replayOutboxEvent` puts a parked event back in the queue. Admins only; the same
//! as `agora outbox list` and `agora outbox replay`.

use agora_entities::platform::outbox_event;
use agora_platform::{
    auth::Role,
    context::ContextExt,
    ids, outbox,
    pagination::{PageRequest, TimeCursor},
};
use async_graphql::{
    Context, Enum, ID, Json, Object, Result, SimpleObject, connection::Connection,
};
use chrono::{DateTime, Utc};

/// The global id type of outbox events.
const OUTBOX_EVENT_TYPE: &str = "OutboxEvent";

/// Where an outbox event's delivery stands.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "agora_entities::platform::outbox_event::Status")]
pub enum OutboxStatus {
    /// Waiting for delivery, or for its next retry.
    Pending,
    /// Every handler applied it.
    Done,
    /// Delivery failed `AGORA_OUTBOX_MAX_ATTEMPTS` times; waits for an operator.
    Parked,
}

/// A domain event in the outbox.
#[derive(SimpleObject)]
pub struct OutboxEvent {
    /// Its global id (for `replayOutboxEvent`).
    pub id: ID,
    /// The event's kind, e.g. `BATTLE_FINISHED`.
    pub event_type: String,
    /// The entity it is about (a user or room id), if any.
    pub aggregate_id: Option<String>,
    /// The event's body.
    pub payload: Json<serde_json::Value>,
    /// Where delivery stands.
    pub status: OutboxStatus,
    /// Delivery attempts since it was written or last replayed.
    pub attempts: i32,
    /// Not tried before this time.
    pub available_at: DateTime<Utc>,
    /// The last handler error, as logged.
    pub last_error: Option<String>,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// When every handler had applied it.
    pub processed_at: Option<DateTime<Utc>>,
}

impl From<outbox_event::Model> for OutboxEvent {
    fn from(m: outbox_event::Model) -> Self {
        Self {
            id: ids::encode(OUTBOX_EVENT_TYPE, m.id),
            event_type: m.event_type,
            aggregate_id: m.aggregate_id,
            payload: Json(m.payload),
            status: m.status.into(),
            attempts: m.attempts,
            available_at: m.available_at,
            last_error: m.last_error,
            created_at: m.created_at,
            processed_at: m.processed_at,
        }
    }
}

/// Operator queries.
#[derive(Default)]
pub struct OperatorsQuery;

/// Operator queries.
#[Object]
impl OperatorsQuery {
    /// Outbox events in `status` (default `PARKED`), oldest first (admins only).
    async fn outbox_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "OutboxStatus::Parked", desc = "Which events to list.")]
        status: OutboxStatus,
        #[graphql(desc = "Page size, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last event seen.")] after: Option<String>,
        #[graphql(desc = "Page size when paging backward.")] last: Option<i32>,
        #[graphql(desc = "Cursor of the first event seen, paging backward.")] before: Option<
            String,
        >,
    ) -> Result<Option<Connection<String, OutboxEvent>>> {
        ctx.viewer().require_role(Role::Admin)?;
        let request = PageRequest::<TimeCursor>::from_args(first, after, last, before)?;
        let page = outbox::page(ctx.platform()?, status.into(), &request).await?;
        Ok(Some(page.into_connection(OutboxEvent::from)))
    }
}

/// Operator mutations.
#[derive(Default)]
pub struct OperatorsMutation;

/// Operator mutations.
#[Object]
impl OperatorsMutation {
    /// Puts a parked outbox event back in the queue, delivered at once with a fresh count of
    /// attempts; handlers that already applied it are skipped (admins only). `CONFLICT` when
    /// the event is not parked.
    async fn replay_outbox_event(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The parked event's id.")] id: ID,
    ) -> Result<OutboxEvent> {
        ctx.viewer().require_role(Role::Admin)?;
        let id = ids::decode(&id, OUTBOX_EVENT_TYPE, "id")?;
        let event = outbox::replay(ctx.platform()?, id).await?;
        Ok(event.into())
    }
}
