//! The Redis pub/sub bus for replicas.
//!
//! One pub/sub connection per process, owned by a background task, carries every channel any
//! local subscriber listens on: SUBSCRIBE when a channel gets its first local subscriber,
//! UNSUBSCRIBE when it loses its last. Messages fan out in process, so Redis formats each message
//! once per replica rather than once per subscriber. When the connection drops, the task
//! reconnects with exponential backoff, resubscribes every live channel and sends every local
//! subscriber a [`BusMessage::Gap`] so it re-reads state instead of hanging on a silent stream.

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use futures::StreamExt;
use redis::{AsyncCommands, aio::ConnectionManager};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::{BusMessage, EventBus, Subscription, fanout::Fanout};
use crate::error::{AppError, AppResult};

/// How long `subscribe` waits for Redis to confirm before returning anyway.
const CONFIRM_WAIT: Duration = Duration::from_secs(5);
const MAX_BACKOFF: Duration = Duration::from_secs(10);

enum Command {
    /// Subscribe, then acknowledge on the sender.
    Subscribe(String, oneshot::Sender<()>),
    Unsubscribe(String),
}

/// Publish/subscribe across replicas through Redis.
pub struct RedisBus {
    publisher: ConnectionManager,
    prefix: String,
    fanout: Arc<Fanout>,
    commands: mpsc::UnboundedSender<Command>,
}

impl RedisBus {
    /// Connects, starts the pub/sub task, and returns the bus. `prefix` namespaces every channel.
    pub async fn connect(
        client: redis::Client,
        publisher: ConnectionManager,
        prefix: &str,
        shutdown: CancellationToken,
    ) -> AppResult<Self> {
        let (commands, receiver) = mpsc::unbounded_channel();
        let unsubscribe = commands.clone();
        let fanout = Fanout::new(Some(Arc::new(move |channel: &str| {
            let _ = unsubscribe.send(Command::Unsubscribe(channel.to_owned()));
        })));
        let prefix = format!("{prefix}:");
        tokio::spawn(run(
            client,
            prefix.clone(),
            Arc::clone(&fanout),
            receiver,
            shutdown,
        ));
        Ok(Self {
            publisher,
            prefix,
            fanout,
            commands,
        })
    }
}

#[async_trait]
impl EventBus for RedisBus {
    async fn publish(&self, channel: &str, payload: &str) -> AppResult<()> {
        let mut conn = self.publisher.clone();
        let _: i64 = conn
            .publish(format!("{}{channel}", self.prefix), payload)
            .await
            .map_err(|e| AppError::internal(format!("redis publish: {e}")))?;
        Ok(())
    }

    async fn publish_many(&self, messages: &[(String, String)]) -> AppResult<()> {
        if messages.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        for (channel, payload) in messages {
            pipe.publish(format!("{}{channel}", self.prefix), payload)
                .ignore();
        }
        let mut conn = self.publisher.clone();
        pipe.query_async::<()>(&mut conn)
            .await
            .map_err(|e| AppError::internal(format!("redis publish: {e}")))
    }

    async fn subscribe(&self, channel: &str) -> Subscription {
        let (subscription, first) = self.fanout.subscribe(channel);
        if first {
            let (ack, confirmed) = oneshot::channel();
            let _ = self
                .commands
                .send(Command::Subscribe(channel.to_owned(), ack));
            // Wait for Redis to confirm, so an event published right after this call is not
            // missed. While Redis is unreachable, give up waiting; the reconnect sends a Gap.
            let _ = tokio::time::timeout(CONFIRM_WAIT, confirmed).await;
        }
        subscription
    }

    async fn ping(&self) -> AppResult<()> {
        let mut conn = self.publisher.clone();
        let _: String = redis::cmd("PING")
            .query_async(&mut conn)
            .await
            .map_err(|e| AppError::internal(format!("redis ping: {e}")))?;
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "redis"
    }
}

async fn run(
    client: redis::Client,
    prefix: String,
    fanout: Arc<Fanout>,
    mut commands: mpsc::UnboundedReceiver<Command>,
    shutdown: CancellationToken,
) {
    let mut backoff = Duration::from_millis(100);
    let mut reconnecting = false;
    loop {
        if shutdown.is_cancelled() {
            return;
        }
        let pubsub = tokio::select! {
            result = client.get_async_pubsub() => result,
            _ = shutdown.cancelled() => return,
        };
        let (mut sink, mut stream) = match pubsub {
            Ok(pubsub) => pubsub.split(),
            Err(err) => {
                tracing::warn!(error = %err, retry_in = ?backoff, "redis pub/sub connect failed");
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = shutdown.cancelled() => return,
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
                continue;
            }
        };
        let live: Vec<String> = fanout
            .channels()
            .iter()
            .map(|c| format!("{prefix}{c}"))
            .collect();
        if !live.is_empty()
            && let Err(err) = sink.subscribe(&live).await
        {
            tracing::warn!(error = %err, "redis resubscribe failed");
            continue;
        }
        if reconnecting {
            tracing::info!(channels = live.len(), "redis pub/sub reconnected");
            metrics::counter!("agora_bus_reconnects_total").increment(1);
            fanout.gap_all();
        }
        backoff = Duration::from_millis(100);

        loop {
            tokio::select! {
                message = stream.next() => {
                    let Some(message) = message else { break };
                    let Some(channel) = message.get_channel_name().strip_prefix(&prefix) else {
                        continue;
                    };
                    match std::str::from_utf8(message.get_payload_bytes()) {
                        Ok(payload) => fanout.dispatch(channel, BusMessage::Event(payload.into())),
                        Err(_) => tracing::warn!(channel, "dropped a non-UTF-8 bus message"),
                    }
                }
                command = commands.recv() => {
                    let result = match command {
                        // Re-check local interest: a subscriber may have come and gone since.
                        Some(Command::Subscribe(channel, ack)) => {
                            let result = if fanout.has(&channel) {
                                sink.subscribe(format!("{prefix}{channel}")).await
                            } else {
                                Ok(())
                            };
                            let _ = ack.send(());
                            result
                        }
                        Some(Command::Unsubscribe(channel)) if !fanout.has(&channel) => {
                            sink.unsubscribe(format!("{prefix}{channel}")).await
                        }
                        Some(_) => Ok(()),
                        None => return,
                    };
                    if let Err(err) = result {
                        tracing::warn!(error = %err, "redis pub/sub command failed");
                        break;
                    }
                }
                _ = shutdown.cancelled() => return,
            }
        }
        tracing::warn!("redis pub/sub connection lost; reconnecting");
        reconnecting = true;
        fanout.gap_all();
    }
}
