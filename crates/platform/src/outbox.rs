//! The transactional outbox.
//!
//! A mutation calls [`enqueue`] inside the transaction that changes state, so the event exists
//! exactly when the change does. The [`OutboxDispatcher`] then delivers each event to every
//! [`OutboxHandler`] that wants it, at least once: each delivery runs in its own transaction
//! together with a row in `outbox_deliveries (event_id, handler)`, so a handler's database
//! effects apply exactly once even when an event is retried or claimed twice. Failures retry
//! with exponential backoff; after `max_attempts` the event is parked for an operator.
//! On PostgreSQL, replicas claim events with `FOR UPDATE SKIP LOCKED`; a claim is a lease that
//! lapses if its worker dies.

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseTransaction, DbBackend,
    EntityTrait, FromQueryResult, Statement,
};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use agora_entities::platform::{outbox_delivery, outbox_event};

use crate::{
    context::Platform,
    db::begin_write,
    error::{AppError, AppResult},
};

/// Event status values stored in `outbox_events.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventStatus {
    /// Waiting for delivery (or a retry).
    Pending,
    /// Every handler applied it.
    Done,
    /// Gave up after too many failures; an operator must look.
    Parked,
}

impl EventStatus {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Done => "DONE",
            Self::Parked => "PARKED",
        }
    }
}

/// An event to write: its type name, the entity it concerns, and its JSON body.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// Stable event name, e.g. `USER_UPDATED` (each domain keeps its names in an enum).
    pub event_type: &'static str,
    /// The entity id the event concerns.
    pub aggregate_id: Option<String>,
    /// The body.
    pub payload: serde_json::Value,
}

/// Writes `event` in the caller's transaction; returns its id. Call
/// [`Platform::wake_outbox`] after the commit.
pub async fn enqueue<C: ConnectionTrait>(
    txn: &C,
    now: DateTime<Utc>,
    event: NewEvent,
) -> AppResult<Uuid> {
    let id = Uuid::now_v7();
    outbox_event::ActiveModel {
        id: Set(id),
        event_type: Set(event.event_type.to_owned()),
        aggregate_id: Set(event.aggregate_id),
        payload: Set(event.payload),
        status: Set(EventStatus::Pending.as_str().to_owned()),
        attempts: Set(0),
        available_at: Set(now),
        claimed_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        processed_at: Set(None),
    }
    .insert(txn)
    .await?;
    Ok(id)
}

/// Something that reacts to outbox events.
#[async_trait]
pub trait OutboxHandler: Send + Sync {
    /// A stable name, recorded per delivery; renaming a handler makes it see old events again.
    fn name(&self) -> &'static str;

    /// Whether this handler wants events of `event_type`.
    fn handles(&self, event_type: &str) -> bool;

    /// Applies the event. Database effects go through `txn`, which commits together with the
    /// delivery record. Side effects outside the database (bus publishes) may repeat on retry.
    async fn handle(
        &self,
        txn: &DatabaseTransaction,
        event: &outbox_event::Model,
        platform: &Platform,
    ) -> AppResult<()>;
}

/// Delivers outbox events to handlers; one per replica.
pub struct OutboxDispatcher {
    platform: Platform,
    handlers: Vec<Arc<dyn OutboxHandler>>,
    batch_size: u32,
    lease: Duration,
    poll_interval: Duration,
    max_attempts: i32,
}

impl OutboxDispatcher {
    /// A dispatcher over `handlers`.
    pub fn new(platform: Platform, handlers: Vec<Arc<dyn OutboxHandler>>) -> Self {
        let max_attempts = platform.config.outbox_max_attempts;
        Self {
            platform,
            handlers,
            batch_size: 100,
            lease: Duration::from_secs(60),
            poll_interval: Duration::from_millis(500),
            max_attempts,
        }
    }

    /// Runs until `shutdown`, then drains what is available once more and returns.
    pub async fn run(self, shutdown: CancellationToken) {
        tracing::info!(handlers = self.handlers.len(), "outbox dispatcher started");
        loop {
            match self.process_available().await {
                Ok(0) => {}
                Ok(_) => continue,
                Err(err) => tracing::warn!(error = %err.log_message(), "outbox pass failed"),
            }
            tokio::select! {
                _ = self.platform.outbox_wakeup.notified() => {}
                _ = tokio::time::sleep(self.poll_interval) => {}
                _ = shutdown.cancelled() => break,
            }
        }
        match self.process_available().await {
            Ok(n) => tracing::info!(flushed = n, "outbox dispatcher stopped"),
            Err(err) => {
                tracing::warn!(error = %err.log_message(), "outbox flush at shutdown failed")
            }
        }
    }

    /// Claims and processes every event available now, batch by batch; returns how many
    /// events it finished (delivered or parked).
    pub async fn process_available(&self) -> AppResult<usize> {
        let mut finished = 0;
        loop {
            let claimed = self.claim().await?;
            if claimed.is_empty() {
                return Ok(finished);
            }
            for event in claimed {
                if self.process(&event).await? {
                    finished += 1;
                }
            }
        }
    }

    async fn claim(&self) -> AppResult<Vec<outbox_event::Model>> {
        let db = &self.platform.db;
        let now = self.platform.clock.now();
        let lease_until =
            now + chrono::Duration::from_std(self.lease).map_err(AppError::internal)?;
        let backend = db.get_database_backend();
        // PostgreSQL: concurrent replicas skip rows another is claiming. SQLite serialises
        // writers, so the plain UPDATE ... RETURNING is already atomic there.
        let sql = match backend {
            DbBackend::Postgres => {
                "UPDATE outbox_events SET claimed_until = $1 WHERE id IN (\
                   SELECT id FROM outbox_events WHERE status = 'PENDING' AND available_at <= $2 \
                   AND (claimed_until IS NULL OR claimed_until < $2) \
                   ORDER BY created_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING *"
            }
            _ => {
                "UPDATE outbox_events SET claimed_until = $1 WHERE id IN (\
                   SELECT id FROM outbox_events WHERE status = 'PENDING' AND available_at <= $2 \
                   AND (claimed_until IS NULL OR claimed_until < $2) \
                   ORDER BY created_at, id LIMIT $3) RETURNING *"
            }
        };
        let statement = Statement::from_sql_and_values(
            backend,
            sql,
            [
                lease_until.into(),
                now.into(),
                (self.batch_size as i64).into(),
            ],
        );
        let mut events = outbox_event::Model::find_by_statement(statement)
            .all(db)
            .await?;
        events.sort_by_key(|e| (e.created_at, e.id));
        Ok(events)
    }

    /// Delivers one claimed event; true when it is finished (done or parked).
    async fn process(&self, event: &outbox_event::Model) -> AppResult<bool> {
        for handler in self
            .handlers
            .iter()
            .filter(|h| h.handles(&event.event_type))
        {
            if let Err(err) = self.deliver(handler.as_ref(), event).await {
                return self.record_failure(event, handler.name(), &err).await;
            }
        }
        let now = self.platform.clock.now();
        outbox_event::ActiveModel {
            id: Set(event.id),
            status: Set(EventStatus::Done.as_str().to_owned()),
            processed_at: Set(Some(now)),
            claimed_until: Set(None),
            ..Default::default()
        }
        .update(&self.platform.db)
        .await?;
        metrics::counter!("agora_outbox_events_total", "outcome" => "done").increment(1);
        Ok(true)
    }

    async fn deliver(
        &self,
        handler: &dyn OutboxHandler,
        event: &outbox_event::Model,
    ) -> AppResult<()> {
        let txn = begin_write(&self.platform.db).await?;
        let done = outbox_delivery::Entity::find_by_id((event.id, handler.name().to_owned()))
            .one(&txn)
            .await?;
        if done.is_some() {
            return Ok(());
        }
        handler.handle(&txn, event, &self.platform).await?;
        outbox_delivery::ActiveModel {
            event_id: Set(event.id),
            handler: Set(handler.name().to_owned()),
            delivered_at: Set(self.platform.clock.now()),
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        Ok(())
    }

    async fn record_failure(
        &self,
        event: &outbox_event::Model,
        handler: &str,
        err: &AppError,
    ) -> AppResult<bool> {
        let attempts = event.attempts + 1;
        let parked = attempts >= self.max_attempts;
        let now = self.platform.clock.now();
        // 1 s, 2 s, 4 s ... capped at 5 minutes.
        let backoff = chrono::Duration::seconds(1i64 << attempts.clamp(0, 8).min(8))
            .min(chrono::Duration::minutes(5));
        let status = if parked {
            EventStatus::Parked
        } else {
            EventStatus::Pending
        };
        outbox_event::ActiveModel {
            id: Set(event.id),
            attempts: Set(attempts),
            status: Set(status.as_str().to_owned()),
            available_at: Set(now + backoff),
            claimed_until: Set(None),
            last_error: Set(Some(format!("{handler}: {}", err.log_message()))),
            ..Default::default()
        }
        .update(&self.platform.db)
        .await?;
        if parked {
            tracing::error!(event_id = %event.id, event_type = %event.event_type, handler, error = %err.log_message(), attempts, "outbox event parked");
            metrics::counter!("agora_outbox_events_total", "outcome" => "parked").increment(1);
        } else {
            tracing::warn!(event_id = %event.id, event_type = %event.event_type, handler, error = %err.log_message(), attempts, "outbox delivery failed; will retry");
            metrics::counter!("agora_outbox_events_total", "outcome" => "retry").increment(1);
        }
        Ok(parked)
    }
}
