//! The transactional outbox.
//!
//! A mutation calls [`enqueue`] inside the transaction that changes state, so the event exists
//! exactly when the change does. The [`OutboxDispatcher`] then delivers each event to every
//! [`OutboxHandler`] that wants it, at least once: each delivery runs in its own transaction
//! together with a row in `outbox_deliveries (event_id, handler)`, so a handler's database
//! effects apply exactly once even when an event is retried or claimed twice. Failures retry
//! with exponential backoff; after `max_attempts` the event is parked for an operator.
//! Events are typed ([`agora_events`]): an emitter writes `NewEvent::of(id, &payload)`, a
//! handler lists the [`EventKind`]s it [`consumes`](OutboxHandler::consumes) and reads each
//! body with [`payload`]. A stored type no kind has is consumed by no handler (and marked done).
//! On PostgreSQL, replicas (and the workers inside one replica) claim events with
//! `FOR UPDATE SKIP LOCKED`; a claim is a lease that lapses if its worker dies. Batches of
//! different workers apply concurrently, so a handler must not assume it sees one user's
//! events in order (the points handler locks per-user rows and replays late streak days).

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    DbBackend, EntityTrait, FromQueryResult, QueryFilter, QuerySelect, Statement, sea_query::Expr,
};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use agora_entities::platform::{outbox_delivery, outbox_event};
pub use agora_events::{DomainEvent, EventKind};

use crate::{
    context::Platform,
    db::begin_write,
    error::{AppError, AppResult},
    pagination::{Page, PageRequest, TimeCursor, fetch_time_page},
};

/// Where an event's delivery stands (`outbox_events.status`).
pub use agora_entities::platform::outbox_event::Status as EventStatus;

/// An event to write: its kind, the entity it concerns, and its JSON body.
#[derive(Debug, Clone)]
pub struct NewEvent {
    kind: EventKind,
    aggregate_id: Option<String>,
    payload: serde_json::Value,
}

impl NewEvent {
    /// The outbox record of `payload`, an event about `aggregate_id`.
    pub fn of<E: DomainEvent>(aggregate_id: impl ToString, payload: &E) -> AppResult<Self> {
        Ok(Self {
            kind: E::KIND,
            aggregate_id: Some(aggregate_id.to_string()),
            payload: serde_json::to_value(payload)
                .map_err(|err| AppError::internal(format!("{} payload: {err}", E::KIND)))?,
        })
    }

    /// A record with a body written as it is, unchecked: for tests and tools that need a
    /// stored shape (an old row, a broken payload). Domain code uses [`NewEvent::of`].
    pub fn raw(kind: EventKind, aggregate_id: Option<String>, payload: serde_json::Value) -> Self {
        Self {
            kind,
            aggregate_id,
            payload,
        }
    }
}

/// The body of `event` as `E`; `INTERNAL` when it does not parse (the dispatcher retries the
/// event, then parks it for an operator).
pub fn payload<E: DomainEvent>(event: &outbox_event::Model) -> AppResult<E> {
    E::deserialize(&event.payload)
        .map_err(|err| AppError::internal(format!("{} payload unreadable: {err}", E::KIND)))
}

/// The pending row of `event`, written at `now`.
fn pending_row(id: Uuid, now: DateTime<Utc>, event: NewEvent) -> outbox_event::ActiveModel {
    outbox_event::ActiveModel {
        id: Set(id),
        event_type: Set(event.kind.as_str().to_owned()),
        aggregate_id: Set(event.aggregate_id),
        payload: Set(event.payload),
        status: Set(EventStatus::Pending),
        attempts: Set(0),
        available_at: Set(now),
        claimed_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        processed_at: Set(None),
    }
}

/// Writes `event` in the caller's transaction; returns its id. Call
/// [`Platform::wake_outbox`] after the commit.
pub async fn enqueue<C: ConnectionTrait>(
    txn: &C,
    now: DateTime<Utc>,
    event: NewEvent,
) -> AppResult<Uuid> {
    let id = Uuid::now_v7();
    pending_row(id, now, event).insert(txn).await?;
    Ok(id)
}

/// Events per multi-row insert on SQLite (8 parameters a row, far below its limit).
const ENQUEUE_CHUNK: usize = 500;
/// Delivery records per multi-row insert on SQLite (3 parameters a row).
const DELIVERY_CHUNK: usize = 1_000;

/// Writes `events` in the caller's transaction in one statement over arrays on PostgreSQL
/// (multi-row inserts on SQLite), for handlers that emit many at once. Call
/// [`Platform::wake_outbox`] after the commit.
pub async fn enqueue_many<C: ConnectionTrait>(
    txn: &C,
    now: DateTime<Utc>,
    events: Vec<NewEvent>,
) -> AppResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    if txn.get_database_backend() == DbBackend::Postgres {
        let mut ids = Vec::with_capacity(events.len());
        let mut types = Vec::with_capacity(events.len());
        let mut aggregates = Vec::with_capacity(events.len());
        let mut has_aggregate = Vec::with_capacity(events.len());
        let mut payloads = Vec::with_capacity(events.len());
        for event in events {
            ids.push(Uuid::now_v7());
            types.push(event.kind.as_str().to_owned());
            has_aggregate.push(event.aggregate_id.is_some());
            aggregates.push(event.aggregate_id.unwrap_or_default());
            payloads.push(event.payload.to_string());
        }
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO outbox_events (id, event_type, aggregate_id, payload, status, attempts, \
               available_at, claimed_until, last_error, created_at, processed_at) \
             SELECT id, event_type, CASE WHEN has_aggregate THEN aggregate_id END, payload::json, \
               'PENDING', 0, $6, NULL, NULL, $6, NULL \
               FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bool[], $5::text[]) \
                 AS v(id, event_type, aggregate_id, has_aggregate, payload)",
            [
                ids.into(),
                types.into(),
                aggregates.into(),
                has_aggregate.into(),
                payloads.into(),
                now.into(),
            ],
        ))
        .await?;
        return Ok(());
    }
    let rows: Vec<outbox_event::ActiveModel> = events
        .into_iter()
        .map(|event| pending_row(Uuid::now_v7(), now, event))
        .collect();
    for chunk in rows.chunks(ENQUEUE_CHUNK) {
        outbox_event::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// One page of the events in `status`, oldest first, for operators (`outboxEvents`,
/// `agora outbox list`).
pub async fn page(
    platform: &Platform,
    status: EventStatus,
    request: &PageRequest<TimeCursor>,
) -> AppResult<Page<outbox_event::Model>> {
    fetch_time_page(
        &platform.db,
        outbox_event::Entity::find().filter(outbox_event::Column::Status.eq(status)),
        (outbox_event::Column::CreatedAt, outbox_event::Column::Id),
        sea_orm::Order::Asc,
        request,
        |e| TimeCursor {
            t: e.created_at,
            id: e.id,
        },
    )
    .await
}

/// Puts a parked event back in the queue with a fresh count of attempts, to be delivered now
/// (`replayOutboxEvent`, `agora outbox replay`). Handlers that already applied it skip it (its
/// delivery rows stay), so a replay only finishes what failed. The last error stays on the
/// row until the next attempt replaces or clears it. `NOT_FOUND` for an unknown id,
/// `CONFLICT` for an event that is not parked.
pub async fn replay(platform: &Platform, id: Uuid) -> AppResult<outbox_event::Model> {
    let now = platform.clock.now();
    let updated = outbox_event::Entity::update_many()
        .col_expr(
            outbox_event::Column::Status,
            Expr::value(EventStatus::Pending),
        )
        .col_expr(outbox_event::Column::Attempts, Expr::value(0))
        .col_expr(outbox_event::Column::AvailableAt, Expr::value(now))
        .col_expr(
            outbox_event::Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(outbox_event::Column::Id.eq(id))
        .filter(outbox_event::Column::Status.eq(EventStatus::Parked))
        .exec(&platform.db)
        .await?;
    let event = outbox_event::Entity::find_by_id(id)
        .one(&platform.db)
        .await?
        .ok_or_else(|| AppError::NotFound("no outbox event has this id".into()))?;
    if updated.rows_affected == 0 {
        let state = match event.status {
            EventStatus::Pending => "is already waiting for delivery",
            EventStatus::Done => "was delivered to every handler",
            EventStatus::Parked => "changed while it was being replayed",
        };
        return Err(AppError::Conflict(format!(
            "only a parked event can be replayed; this one {state}"
        )));
    }
    tracing::info!(event_id = %id, event_type = %event.event_type, "outbox event replayed");
    metrics::counter!("agora_outbox_events_total", "outcome" => "replayed").increment(1);
    platform.wake_outbox();
    Ok(event)
}

/// What a delivery asks for once its transaction committed: bus messages for effects readers
/// re-read (a changed leaderboard), which must not be seen before the commit, and background
/// work the transaction claimed (a capture to process), which must not start before it.
#[derive(Default)]
pub struct AfterCommit {
    /// `(channel, message)` pairs to publish.
    pub publish: Vec<(String, String)>,
    /// Work spawned on this replica once committed. It runs outside the delivery, so it
    /// keeps its own record of progress (the dispatcher does not retry it).
    pub spawn: Vec<futures::future::BoxFuture<'static, ()>>,
}

impl std::fmt::Debug for AfterCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AfterCommit")
            .field("publish", &self.publish)
            .field("spawn", &self.spawn.len())
            .finish()
    }
}

/// Something that reacts to outbox events.
#[async_trait]
pub trait OutboxHandler: Send + Sync {
    /// A stable name, recorded per delivery; renaming a handler makes it see old events again.
    fn name(&self) -> &str;

    /// The kinds of event this handler applies; the dispatcher hands it no others.
    fn consumes(&self) -> &'static [EventKind];

    /// Applies several events (in claim order, each of a kind it consumes) in one
    /// transaction, and says what to do once it committed. Database effects go through
    /// `txn`, which commits together with the delivery records. Side effects outside the
    /// database (bus publishes) may repeat on retry. If the batch fails, the dispatcher
    /// retries its events one at a time, so one bad event never holds back the others.
    async fn handle_batch(
        &self,
        txn: &DatabaseTransaction,
        events: &[&outbox_event::Model],
        platform: &Platform,
    ) -> AppResult<AfterCommit>;
}

/// Delivers outbox events to handlers; one per replica.
pub struct OutboxDispatcher {
    platform: Platform,
    handlers: Vec<Arc<dyn OutboxHandler>>,
    batch_size: u32,
    workers: usize,
    lease: Duration,
    poll_interval: Duration,
    max_attempts: i32,
    /// Claims this dispatcher gave up on because the database went away mid-batch: released
    /// (back to pending, no attempt counted) as soon as it answers again, instead of holding
    /// their events until the lease lapses.
    abandoned: std::sync::Mutex<Vec<Abandoned>>,
}

/// A claimed batch whose processing stopped on an error: its events and the claim's lease.
struct Abandoned {
    ids: Vec<Uuid>,
    lease_until: DateTime<Utc>,
}

impl OutboxDispatcher {
    /// A dispatcher over `handlers`.
    pub fn new(platform: Platform, handlers: Vec<Arc<dyn OutboxHandler>>) -> Self {
        let max_attempts = platform.config.outbox.outbox_max_attempts;
        let workers = platform.config.outbox.outbox_workers;
        let batch_size = platform.config.outbox.outbox_batch.max(1);
        let lease = platform.config.outbox.outbox_lease;
        Self {
            platform,
            handlers,
            batch_size,
            workers,
            lease,
            poll_interval: Duration::from_millis(500),
            max_attempts,
            abandoned: std::sync::Mutex::default(),
        }
    }

    /// Claims at most `size` events at a time (each handler applies a claim in one
    /// transaction).
    pub fn with_batch_size(mut self, size: u32) -> Self {
        self.batch_size = size.max(1);
        self
    }

    /// Applies up to `workers` claimed batches at once (PostgreSQL; SQLite has one writer, so
    /// there it is always one).
    pub fn with_workers(mut self, workers: usize) -> Self {
        self.workers = workers.max(1);
        self
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

    /// Claims and processes every event available now, batch by batch, with up to `workers`
    /// batches in flight; returns how many events it finished (delivered or parked).
    pub async fn process_available(&self) -> AppResult<usize> {
        let workers = match self.platform.db.get_database_backend() {
            DbBackend::Postgres => self.workers,
            _ => 1,
        };
        let passes = futures::future::join_all((0..workers).map(|_| self.drain())).await;
        let mut finished = 0;
        for pass in passes {
            finished += pass?;
        }
        Ok(finished)
    }

    /// One worker: claims and processes batches until none is available.
    async fn drain(&self) -> AppResult<usize> {
        let mut finished = 0;
        self.release_abandoned().await?;
        loop {
            let started = std::time::Instant::now();
            let claimed = self.claim().await?;
            if claimed.is_empty() {
                return Ok(finished);
            }
            let claim_ms = started.elapsed().as_millis() as u64;
            match self.process(&claimed).await {
                Ok(n) => finished += n,
                Err(err) => {
                    // The batch's bookkeeping did not complete (the database went away): give
                    // the claim back once it answers. Handlers that applied their part have
                    // their delivery records and skip it next time.
                    if let Some(lease_until) = claimed.first().and_then(|e| e.claimed_until) {
                        self.abandoned
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push(Abandoned {
                                ids: claimed.iter().map(|e| e.id).collect(),
                                lease_until,
                            });
                    }
                    return Err(err);
                }
            }
            tracing::debug!(
                events = claimed.len(),
                claim_ms,
                total_ms = started.elapsed().as_millis() as u64,
                "outbox batch processed"
            );
        }
    }

    /// Gives back the claims of batches abandoned mid-way, where this dispatcher's lease still
    /// holds them (an event another worker took after the lease lapsed is left alone).
    async fn release_abandoned(&self) -> AppResult<()> {
        let pending: Vec<Abandoned> =
            std::mem::take(&mut *self.abandoned.lock().unwrap_or_else(|p| p.into_inner()));
        let mut left = Vec::new();
        let mut result = Ok(());
        for batch in pending {
            if result.is_err() {
                left.push(batch);
                continue;
            }
            let released = outbox_event::Entity::update_many()
                .col_expr(
                    outbox_event::Column::ClaimedUntil,
                    Expr::value(Option::<DateTime<Utc>>::None),
                )
                .filter(any_id(
                    outbox_event::Column::Id,
                    batch.ids.iter().copied(),
                    self.platform.db.get_database_backend(),
                ))
                .filter(outbox_event::Column::ClaimedUntil.eq(batch.lease_until))
                .filter(outbox_event::Column::Status.eq(EventStatus::Pending))
                .exec(&self.platform.db)
                .await;
            match released {
                Ok(done) => tracing::info!(
                    events = done.rows_affected,
                    "outbox claims of an interrupted batch released"
                ),
                Err(err) => {
                    result = Err(err.into());
                    left.push(batch);
                }
            }
        }
        self.abandoned
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(left);
        result
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

    /// Delivers a claimed batch: each handler applies the events it wants in one transaction
    /// (falling back to one event at a time if that fails); returns how many events finished
    /// (done or parked).
    async fn process(&self, claimed: &[outbox_event::Model]) -> AppResult<usize> {
        let mut failed: Vec<(Uuid, &str, AppError)> = Vec::new();
        let kinds: Vec<Option<EventKind>> = claimed
            .iter()
            .map(|e| EventKind::parse(&e.event_type))
            .collect();
        for handler in &self.handlers {
            let consumes = handler.consumes();
            let wanted: Vec<&outbox_event::Model> = claimed
                .iter()
                .zip(&kinds)
                .filter(|(_, kind)| kind.is_some_and(|kind| consumes.contains(&kind)))
                .map(|(e, _)| e)
                .filter(|e| !failed.iter().any(|(id, ..)| *id == e.id))
                .collect();
            if wanted.is_empty() {
                continue;
            }
            let Err(err) = self.deliver(handler.as_ref(), &wanted).await else {
                continue;
            };
            if matches!(err, AppError::Unavailable(_)) {
                // The database, not the events, failed: retrying them one by one would fail
                // the same way and count attempts against events that did nothing wrong.
                return Err(err);
            }
            if wanted.len() == 1 {
                failed.push((wanted[0].id, handler.name(), err));
                continue;
            }
            tracing::warn!(
                handler = handler.name(),
                events = wanted.len(),
                error = %err.log_message(),
                "outbox batch failed; retrying its events one at a time"
            );
            metrics::counter!("agora_outbox_batch_failures_total", "handler" => handler.name().to_owned())
                .increment(1);
            for event in wanted {
                if let Err(err) = self.deliver(handler.as_ref(), &[event]).await {
                    failed.push((event.id, handler.name(), err));
                }
            }
        }
        let done: Vec<Uuid> = claimed
            .iter()
            .map(|e| e.id)
            .filter(|id| !failed.iter().any(|(f, ..)| f == id))
            .collect();
        if !done.is_empty() {
            let now = self.platform.clock.now();
            outbox_event::Entity::update_many()
                .col_expr(outbox_event::Column::Status, Expr::value(EventStatus::Done))
                .col_expr(outbox_event::Column::ProcessedAt, Expr::value(now))
                .col_expr(
                    outbox_event::Column::ClaimedUntil,
                    Expr::value(Option::<DateTime<Utc>>::None),
                )
                .filter(any_id(
                    outbox_event::Column::Id,
                    done.iter().copied(),
                    self.platform.db.get_database_backend(),
                ))
                .exec(&self.platform.db)
                .await?;
            metrics::counter!("agora_outbox_events_total", "outcome" => "done")
                .increment(done.len() as u64);
        }
        let mut finished = done.len();
        for (id, handler, err) in &failed {
            if let Some(event) = claimed.iter().find(|e| e.id == *id)
                && self.record_failure(event, handler, err).await?
            {
                finished += 1;
            }
        }
        Ok(finished)
    }

    /// Applies `events` through `handler` in one transaction, with their delivery records,
    /// skipping events the handler already applied.
    async fn deliver(
        &self,
        handler: &dyn OutboxHandler,
        events: &[&outbox_event::Model],
    ) -> AppResult<()> {
        let started = std::time::Instant::now();
        let backend = self.platform.db.get_database_backend();
        let txn = begin_write(&self.platform.db).await?;
        let applied: Vec<Uuid> = outbox_delivery::Entity::find()
            .select_only()
            .column(outbox_delivery::Column::EventId)
            .filter(outbox_delivery::Column::Handler.eq(handler.name()))
            .filter(any_id(
                outbox_delivery::Column::EventId,
                events.iter().map(|e| e.id),
                backend,
            ))
            .into_tuple()
            .all(&txn)
            .await?;
        let pending: Vec<&outbox_event::Model> = events
            .iter()
            .copied()
            .filter(|e| !applied.contains(&e.id))
            .collect();
        if pending.is_empty() {
            return Ok(());
        }
        let after = handler.handle_batch(&txn, &pending, &self.platform).await?;
        let now = self.platform.clock.now();
        if backend == DbBackend::Postgres {
            txn.execute_raw(Statement::from_sql_and_values(
                backend,
                "INSERT INTO outbox_deliveries (event_id, handler, delivered_at) \
                 SELECT event_id, $2, $3 FROM unnest($1::uuid[]) AS v(event_id)",
                [
                    pending.iter().map(|e| e.id).collect::<Vec<_>>().into(),
                    handler.name().into(),
                    now.into(),
                ],
            ))
            .await?;
        } else {
            for chunk in pending.chunks(DELIVERY_CHUNK) {
                outbox_delivery::Entity::insert_many(chunk.iter().map(|e| {
                    outbox_delivery::ActiveModel {
                        event_id: Set(e.id),
                        handler: Set(handler.name().to_owned()),
                        delivered_at: Set(now),
                    }
                }))
                .exec_without_returning(&txn)
                .await?;
            }
        }
        txn.commit().await?;
        tracing::debug!(
            handler = handler.name(),
            events = pending.len(),
            ms = started.elapsed().as_millis() as u64,
            "outbox delivery committed"
        );
        for task in after.spawn {
            tokio::spawn(task);
        }
        if let Err(err) = self.platform.bus.publish_many(&after.publish).await {
            tracing::warn!(handler = handler.name(), error = %err.log_message(), "publish after commit failed");
        }
        Ok(())
    }

    async fn record_failure(
        &self,
        event: &outbox_event::Model,
        handler: &str,
        err: &AppError,
    ) -> AppResult<bool> {
        // A claim whose lease lapsed can be taken by a second worker while the first is still
        // applying it: the second then fails on the first's delivery record. That event is
        // delivered, not failed.
        let delivered = outbox_delivery::Entity::find_by_id((event.id, handler.to_owned()))
            .one(&self.platform.db)
            .await?
            .is_some();
        if delivered {
            tracing::debug!(event_id = %event.id, handler, "delivered by another worker");
            return Ok(false);
        }
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
        // Only while still pending: an event another worker finished stays finished.
        outbox_event::Entity::update_many()
            .col_expr(outbox_event::Column::Attempts, Expr::value(attempts))
            .col_expr(outbox_event::Column::Status, Expr::value(status))
            .col_expr(
                outbox_event::Column::AvailableAt,
                Expr::value(now + backoff),
            )
            .col_expr(
                outbox_event::Column::ClaimedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(
                outbox_event::Column::LastError,
                Expr::value(format!("{handler}: {}", err.log_message())),
            )
            .filter(outbox_event::Column::Id.eq(event.id))
            .filter(outbox_event::Column::Status.eq(EventStatus::Pending))
            .exec(&self.platform.db)
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

/// `column IN (ids)`; on PostgreSQL `column = ANY($1)`, one array parameter however many ids.
fn any_id(
    column: impl ColumnTrait,
    ids: impl IntoIterator<Item = Uuid>,
    backend: DbBackend,
) -> sea_orm::Condition {
    let ids: Vec<Uuid> = ids.into_iter().collect();
    match backend {
        DbBackend::Postgres => sea_orm::Condition::all().add(sea_orm::sea_query::ExprTrait::eq(
            Expr::col(column.as_column_ref()),
            sea_orm::sea_query::extension::postgres::PgFunc::any(Expr::val(ids)),
        )),
        _ => sea_orm::Condition::all().add(column.is_in(ids)),
    }
}
