//! Outbox events: writing them as another domain would, and reading what was written.

use std::time::Duration;

use agora_entities::platform::outbox_event;
use agora_platform::{
    Platform,
    outbox::{self, NewEvent},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::Value;

use super::TestServer;

/// Writes a source event to the outbox, as another domain would, and wakes the dispatcher.
pub async fn emit(server: &TestServer, event_type: &'static str, payload: Value) {
    let platform = &server.state.platform;
    outbox::enqueue(
        &platform.db,
        platform.clock.now(),
        NewEvent::raw(event_type.parse().expect("a known kind"), None, payload),
    )
    .await
    .expect("enqueue");
    platform.wake_outbox();
}

/// The events of `kind`, oldest first.
pub async fn events_of(platform: &Platform, kind: &str) -> Vec<outbox_event::Model> {
    outbox_event::Entity::find()
        .filter(outbox_event::Column::EventType.eq(kind))
        .order_by_asc(outbox_event::Column::CreatedAt)
        .order_by_asc(outbox_event::Column::Id)
        .all(&platform.db)
        .await
        .expect("events")
}

/// The events of `kind` once there are at least `n` (a background run may still be writing
/// them), after a moment more for any surplus to show.
pub async fn until_events(platform: &Platform, kind: &str, n: usize) -> Vec<outbox_event::Model> {
    for _ in 0..200 {
        if events_of(platform, kind).await.len() >= n {
            tokio::time::sleep(Duration::from_millis(100)).await;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    events_of(platform, kind).await
}
