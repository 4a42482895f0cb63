//! Local fan-out: one bounded broadcast buffer per channel, reference-counted subscribers.

use std::{
    collections::HashMap,
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
};

use futures::Stream;
use tokio::sync::broadcast;
use tokio_stream::wrappers::{BroadcastStream, errors::BroadcastStreamRecvError};

use super::{BusMessage, SUBSCRIBER_BUFFER};

type ReleaseHook = Arc<dyn Fn(&str) + Send + Sync>;

struct Channel {
    sender: broadcast::Sender<BusMessage>,
    subscribers: usize,
}

/// The subscribers of one process, by channel.
pub(crate) struct Fanout {
    channels: Mutex<HashMap<String, Channel>>,
    /// Called when a channel loses its last local subscriber (Redis: UNSUBSCRIBE).
    on_last_release: Option<ReleaseHook>,
}

impl Fanout {
    pub(crate) fn new(on_last_release: Option<ReleaseHook>) -> Arc<Self> {
        Arc::new(Self {
            channels: Mutex::new(HashMap::new()),
            on_last_release,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Channel>> {
        self.channels.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds a subscriber; the flag says whether it is the channel's first (so the upstream
    /// must subscribe).
    pub(crate) fn subscribe(self: &Arc<Self>, channel: &str) -> (Subscription, bool) {
        let mut channels = self.lock();
        let first = !channels.contains_key(channel);
        let entry = channels
            .entry(channel.to_owned())
            .or_insert_with(|| Channel {
                sender: broadcast::channel(SUBSCRIBER_BUFFER).0,
                subscribers: 0,
            });
        entry.subscribers += 1;
        let receiver = entry.sender.subscribe();
        metrics::gauge!("agora_bus_local_subscribers").increment(1.0);
        (
            Subscription {
                inner: BroadcastStream::new(receiver),
                _guard: Guard {
                    fanout: Arc::clone(self),
                    channel: channel.to_owned(),
                },
            },
            first,
        )
    }

    fn release(&self, channel: &str) {
        let last = {
            let mut channels = self.lock();
            match channels.get_mut(channel) {
                Some(entry) if entry.subscribers > 1 => {
                    entry.subscribers -= 1;
                    false
                }
                Some(_) => {
                    channels.remove(channel);
                    true
                }
                None => false,
            }
        };
        metrics::gauge!("agora_bus_local_subscribers").decrement(1.0);
        if let (true, Some(hook)) = (last, &self.on_last_release) {
            hook(channel);
        }
    }

    /// Delivers `message` to the channel's local subscribers, if any.
    pub(crate) fn dispatch(&self, channel: &str, message: BusMessage) {
        if let Some(entry) = self.lock().get(channel) {
            // An error only means every receiver is gone; nothing to deliver to.
            let _ = entry.sender.send(message);
        }
    }

    /// Tells every local subscriber that messages may have been lost.
    pub(crate) fn gap_all(&self) {
        for entry in self.lock().values() {
            let _ = entry.sender.send(BusMessage::Gap);
        }
    }

    /// Whether any local subscriber listens on `channel`.
    pub(crate) fn has(&self, channel: &str) -> bool {
        self.lock().contains_key(channel)
    }

    /// Channels with local subscribers.
    pub(crate) fn channels(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }
}

struct Guard {
    fanout: Arc<Fanout>,
    channel: String,
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.fanout.release(&self.channel);
    }
}

/// A live subscription to one channel; dropping it unsubscribes.
pub struct Subscription {
    inner: BroadcastStream<BusMessage>,
    _guard: Guard,
}

impl Stream for Subscription {
    type Item = BusMessage;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(message))) => Poll::Ready(Some(message)),
            Poll::Ready(Some(Err(BroadcastStreamRecvError::Lagged(missed)))) => {
                metrics::counter!("agora_bus_lagged_messages_total").increment(missed);
                Poll::Ready(Some(BusMessage::Gap))
            }
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}
