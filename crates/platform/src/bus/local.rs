//! The in-process bus for the embedded single-node mode.

use std::sync::Arc;

use async_trait::async_trait;

use super::{BusMessage, EventBus, Subscription, fanout::Fanout};
use crate::error::AppResult;

/// Publish and subscribe inside one process.
pub struct InProcessBus {
    fanout: Arc<Fanout>,
}

impl InProcessBus {
    /// An empty bus.
    pub fn new() -> Self {
        Self {
            fanout: Fanout::new(None),
        }
    }
}

impl Default for InProcessBus {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl EventBus for InProcessBus {
    async fn publish(&self, channel: &str, payload: &str) -> AppResult<()> {
        self.fanout
            .dispatch(channel, BusMessage::Event(payload.into()));
        Ok(())
    }

    async fn subscribe(&self, channel: &str) -> Subscription {
        self.fanout.subscribe(channel).0
    }

    async fn ping(&self) -> AppResult<()> {
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "in-process"
    }
}

#[cfg(test)]
mod tests {
    use futures::StreamExt;

    use super::*;
    use crate::bus::SUBSCRIBER_BUFFER;

    #[tokio::test]
    async fn subscriber_receives_what_is_published_on_its_channel_only() {
        let bus = InProcessBus::new();
        let mut a = bus.subscribe("a").await;
        let mut b = bus.subscribe("b").await;
        bus.publish("a", "{\"n\":1}").await.expect("publish");
        assert_eq!(a.next().await, Some(BusMessage::Event("{\"n\":1}".into())));
        bus.publish("b", "2").await.expect("publish");
        assert_eq!(b.next().await, Some(BusMessage::Event("2".into())));
    }

    #[tokio::test]
    async fn slow_subscriber_sees_a_gap_instead_of_unbounded_memory() {
        let bus = InProcessBus::new();
        let mut slow = bus.subscribe("c").await;
        for n in 0..(SUBSCRIBER_BUFFER + 10) {
            bus.publish("c", &n.to_string()).await.expect("publish");
        }
        assert_eq!(slow.next().await, Some(BusMessage::Gap));
        // After the gap it continues with the oldest message still buffered.
        assert_eq!(slow.next().await, Some(BusMessage::Event("10".into())));
    }

    #[tokio::test]
    async fn last_unsubscribe_forgets_the_channel() {
        let bus = InProcessBus::new();
        let first = bus.subscribe("d").await;
        let second = bus.subscribe("d").await;
        drop(first);
        assert!(bus.fanout.has("d"));
        drop(second);
        assert!(!bus.fanout.has("d"));
    }
}
