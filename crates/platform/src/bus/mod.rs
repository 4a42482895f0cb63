//! The live-event bus behind subscriptions.
//!
//! Publishers send a JSON payload to a channel (`battle:{roomId}`, `user:{userId}`, ...);
//! subscribers get a [`Subscription`] stream of [`BusMessage`]s. Two implementations:
//! [`InProcessBus`] for the embedded single node, [`RedisBus`] for replicas. Both fan out to
//! local subscribers through one bounded broadcast buffer per channel, so a slow subscriber
//! loses old messages (and sees [`BusMessage::Gap`]) instead of growing memory.

mod fanout;
mod local;
mod redis;

use std::sync::Arc;

use async_trait::async_trait;

pub use fanout::Subscription;
pub use local::InProcessBus;
pub use redis::RedisBus;

use crate::error::AppResult;

/// Messages each local subscriber may lag behind before it starts losing them.
pub const SUBSCRIBER_BUFFER: usize = 256;

/// What a subscriber receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BusMessage {
    /// A published payload (JSON text).
    Event(Arc<str>),
    /// Messages may have been lost (the subscriber lagged or the bus reconnected): re-read
    /// state from the database before trusting the next event.
    Gap,
}

/// Publish/subscribe by channel name.
#[async_trait]
pub trait EventBus: Send + Sync {
    /// Sends `payload` to every subscriber of `channel`, on every replica.
    async fn publish(&self, channel: &str, payload: &str) -> AppResult<()>;

    /// Sends each `(channel, payload)` in order; on Redis in one round trip.
    async fn publish_many(&self, messages: &[(String, String)]) -> AppResult<()> {
        for (channel, payload) in messages {
            self.publish(channel, payload).await?;
        }
        Ok(())
    }

    /// Subscribes to `channel`; returns once the subscription is live (on Redis: confirmed, or
    /// after a short wait while reconnecting, in which case a `Gap` follows the reconnect).
    async fn subscribe(&self, channel: &str) -> Subscription;

    /// Checks the bus can carry messages; for `/readyz`.
    async fn ping(&self) -> AppResult<()>;

    /// `in-process` or `redis`, for logs.
    fn kind(&self) -> &'static str;
}
