//! The outbox dispatcher against the real database: at-least-once delivery, one application
//! per handler, retries with backoff, parking.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use agora_entities::platform::outbox_event;
use agora_platform::{
    AppError, AppResult, Platform,
    clock::ManualClock,
    outbox::{
        self, AfterCommit, EventKind, EventStatus, NewEvent, OutboxDispatcher, OutboxHandler,
    },
};
use async_trait::async_trait;
use chrono::Utc;
use futures::StreamExt;
use sea_orm::{DatabaseTransaction, EntityTrait};

use super::common::{ServerOptions, TestServer};

/// The kind of the events these tests write: any kind does, as only the tests' own handlers
/// run (their servers are idle).
const TEST_EVENT: EventKind = EventKind::UserUpdated;

struct Counting {
    calls: Arc<AtomicUsize>,
    fail_first: usize,
    /// How long each call takes.
    pause: std::time::Duration,
}

#[async_trait]
impl OutboxHandler for Counting {
    fn name(&self) -> &str {
        "test.counting"
    }

    fn consumes(&self) -> &'static [EventKind] {
        &[TEST_EVENT]
    }

    async fn handle_batch(
        &self,
        _txn: &DatabaseTransaction,
        events: &[&outbox_event::Model],
        _platform: &Platform,
    ) -> AppResult<AfterCommit> {
        for _ in events {
            let call = self.calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(self.pause).await;
            if call < self.fail_first {
                return Err(AppError::internal("handler failed on purpose"));
            }
        }
        Ok(AfterCommit::default())
    }
}

/// A server whose own dispatcher stays idle (the test runs its own), on a clock the test
/// moves, started with `args`.
async fn idle_server(args: &[&str]) -> (TestServer, ManualClock) {
    let clock = ManualClock::new(Utc::now());
    let server = TestServer::start_with(ServerOptions {
        clock: Some(clock.clone()),
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        idle: true,
        ..Default::default()
    })
    .await;
    (server, clock)
}

/// One [`Counting`] handler counting into `calls`, failing its first `fail_first` calls and
/// taking `pause_ms` each.
fn counting(
    calls: &Arc<AtomicUsize>,
    fail_first: usize,
    pause_ms: u64,
) -> Vec<Arc<dyn OutboxHandler>> {
    vec![Arc::new(Counting {
        calls: calls.clone(),
        fail_first,
        pause: std::time::Duration::from_millis(pause_ms),
    })]
}

async fn enqueue(platform: &Platform) -> uuid::Uuid {
    let now = agora_platform::clock::Clock::now(platform.clock.as_ref());
    outbox::enqueue(
        &platform.db,
        now,
        NewEvent::raw(TEST_EVENT, None, serde_json::json!({ "n": 1 })),
    )
    .await
    .expect("enqueue")
}

async fn status(platform: &Platform, id: uuid::Uuid) -> outbox_event::Model {
    outbox_event::Entity::find_by_id(id)
        .one(&platform.db)
        .await
        .expect("query")
        .expect("event")
}

#[tokio::test]
async fn an_event_is_applied_once_per_handler_even_when_processed_twice() {
    let (server, _clock) = idle_server(&[]).await;
    let platform = &server.state.platform;
    let calls = Arc::new(AtomicUsize::new(0));
    let dispatcher = OutboxDispatcher::new(platform.clone(), counting(&calls, 0, 0));
    let id = enqueue(platform).await;
    assert_eq!(dispatcher.process_available().await.expect("pass"), 1);
    assert_eq!(status(platform, id).await.status, EventStatus::Done);
    // Re-open the event as if a crashed worker's claim lapsed: the delivery record stops a
    // second application.
    let mut reopened: outbox_event::ActiveModel = status(platform, id).await.into();
    reopened.status = sea_orm::ActiveValue::Set(EventStatus::Pending);
    sea_orm::ActiveModelTrait::update(reopened, &platform.db)
        .await
        .expect("reopen");
    dispatcher.process_available().await.expect("pass");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn failures_retry_with_backoff_and_park_after_the_limit() {
    let (server, clock) = idle_server(&["--outbox-max-attempts", "3"]).await;
    let platform = &server.state.platform;
    let calls = Arc::new(AtomicUsize::new(0));
    let dispatcher = OutboxDispatcher::new(platform.clone(), counting(&calls, usize::MAX, 0));
    let id = enqueue(platform).await;
    dispatcher.process_available().await.expect("pass");
    let after_one = status(platform, id).await;
    assert_eq!(
        (after_one.status, after_one.attempts),
        (EventStatus::Pending, 1)
    );
    assert!(
        after_one
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("failed on purpose")
    );
    // Not retried before its backoff has passed.
    dispatcher.process_available().await.expect("pass");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    for _ in 0..2 {
        clock.advance(chrono::Duration::minutes(10));
        dispatcher.process_available().await.expect("pass");
    }
    let parked = status(platform, id).await;
    assert_eq!((parked.status, parked.attempts), (EventStatus::Parked, 3));
    clock.advance(chrono::Duration::hours(1));
    dispatcher.process_available().await.expect("pass");
    assert_eq!(
        calls.load(Ordering::SeqCst),
        3,
        "a parked event is left alone"
    );
}

#[tokio::test]
async fn a_handler_that_recovers_completes_the_event() {
    let (server, clock) = idle_server(&[]).await;
    let platform = &server.state.platform;
    let calls = Arc::new(AtomicUsize::new(0));
    let dispatcher = OutboxDispatcher::new(platform.clone(), counting(&calls, 1, 0));
    let id = enqueue(platform).await;
    dispatcher.process_available().await.expect("pass");
    clock.advance(chrono::Duration::seconds(5));
    dispatcher.process_available().await.expect("pass");
    assert_eq!(status(platform, id).await.status, EventStatus::Done);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

/// Holds each batch a moment and counts how many are inside at once; announces each batch's
/// events after commit.
struct Gate {
    inside: AtomicUsize,
    most: AtomicUsize,
}

#[async_trait]
impl OutboxHandler for Gate {
    fn name(&self) -> &str {
        "test.gate"
    }

    fn consumes(&self) -> &'static [EventKind] {
        &[TEST_EVENT]
    }

    async fn handle_batch(
        &self,
        _txn: &DatabaseTransaction,
        events: &[&outbox_event::Model],
        _platform: &Platform,
    ) -> AppResult<AfterCommit> {
        let now = self.inside.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        self.inside.fetch_sub(1, Ordering::SeqCst);
        Ok(AfterCommit {
            publish: events
                .iter()
                .map(|e| ("test:committed".to_owned(), e.id.to_string()))
                .collect(),
            ..AfterCommit::default()
        })
    }
}

#[tokio::test]
async fn workers_apply_batches_at_once_on_postgres_and_announce_after_commit() {
    let server = TestServer::start_with(ServerOptions {
        idle: true,
        ..Default::default()
    })
    .await;
    let platform = &server.state.platform;
    let gate = Arc::new(Gate {
        inside: AtomicUsize::new(0),
        most: AtomicUsize::new(0),
    });
    let dispatcher = OutboxDispatcher::new(platform.clone(), vec![gate.clone()])
        .with_batch_size(1)
        .with_workers(2);
    let mut announced = platform.bus.subscribe("test:committed").await;
    let mut ids = Vec::new();
    for _ in 0..4 {
        ids.push(enqueue(platform).await);
    }
    assert_eq!(dispatcher.process_available().await.expect("pass"), 4);
    let expected = match platform.db.get_database_backend() {
        sea_orm::DbBackend::Postgres => 2,
        _ => 1, // one writer
    };
    assert_eq!(gate.most.load(Ordering::SeqCst), expected);

    // Each announcement names an event whose delivery record is already visible.
    let mut seen = Vec::new();
    while seen.len() < ids.len() {
        let message = tokio::time::timeout(std::time::Duration::from_secs(5), announced.next())
            .await
            .expect("announced in time")
            .expect("bus open");
        let agora_platform::bus::BusMessage::Event(id) = message else {
            panic!("unexpected gap");
        };
        let id: uuid::Uuid = id.parse().expect("event id");
        let delivered = agora_entities::platform::outbox_delivery::Entity::find_by_id((
            id,
            "test.gate".to_owned(),
        ))
        .one(&platform.db)
        .await
        .expect("query");
        assert!(delivered.is_some(), "announced before its commit");
        seen.push(id);
    }
    seen.sort();
    ids.sort();
    assert_eq!(seen, ids);
}

/// A claim whose lease lapsed while its worker was still applying it is taken by a second
/// worker, which then finds the first one's delivery record: the event ends delivered once,
/// not failed and rescheduled.
#[tokio::test]
async fn a_lapsed_claim_taken_twice_ends_delivered_not_failed() {
    let (server, clock) = idle_server(&[]).await;
    let platform = &server.state.platform;
    let first = OutboxDispatcher::new(platform.clone(), counting(&Arc::default(), 0, 300))
        .with_batch_size(1);
    let second = OutboxDispatcher::new(platform.clone(), counting(&Arc::default(), 0, 300))
        .with_batch_size(1);
    let id = enqueue(platform).await;
    let (a, b) = tokio::join!(first.process_available(), async {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        clock.advance(chrono::Duration::minutes(2));
        second.process_available().await
    });
    a.expect("first pass");
    b.expect("second pass");
    let event = status(platform, id).await;
    assert_eq!(
        (event.status, event.attempts, event.last_error),
        (EventStatus::Done, 0, None)
    );
}

/// A worker that stops in the middle of a batch (its task cancelled, its process killed)
/// leaves nothing applied, and its claim holds the event only until the lease lapses: then
/// another worker delivers it, once.
#[tokio::test]
async fn a_worker_stopped_mid_batch_leaves_the_event_to_the_next_after_its_lease() {
    let (server, clock) = idle_server(&[]).await;
    let platform = &server.state.platform;
    let calls = Arc::new(AtomicUsize::new(0));
    let stuck =
        OutboxDispatcher::new(platform.clone(), counting(&calls, 0, 60_000)).with_batch_size(1);
    let id = enqueue(platform).await;
    let stopped = tokio::time::timeout(
        std::time::Duration::from_millis(300),
        stuck.process_available(),
    )
    .await;
    assert!(stopped.is_err(), "the stuck worker was stopped mid-batch");
    assert_eq!(calls.load(Ordering::SeqCst), 1, "it had started the event");

    let second = OutboxDispatcher::new(platform.clone(), counting(&calls, 0, 0));
    assert_eq!(second.process_available().await.expect("pass"), 0);
    let event = status(platform, id).await;
    assert_eq!((event.status, event.attempts), (EventStatus::Pending, 0));
    assert_eq!(calls.load(Ordering::SeqCst), 1, "the lease held it");

    clock.advance(chrono::Duration::minutes(2));
    assert_eq!(second.process_available().await.expect("pass"), 1);
    let event = status(platform, id).await;
    assert_eq!((event.status, event.attempts), (EventStatus::Done, 0));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}
