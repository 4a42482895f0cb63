//! The Redis bus against a real Redis: one connection shared by local subscribers, and a gap
//! marker (not a hang) when the connection drops, after which messages flow again.

use std::time::Duration;

use agora_platform::bus::{BusMessage, EventBus, RedisBus};
use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use super::common::postgres_and_redis;

async fn next(subscription: &mut agora_platform::bus::Subscription) -> BusMessage {
    tokio::time::timeout(Duration::from_secs(10), subscription.next())
        .await
        .expect("a bus message within 10 s")
        .expect("subscription open")
}

/// How many Redis connections subscribe to `channel`.
async fn redis_subscribers(admin: &mut redis::aio::MultiplexedConnection, channel: &str) -> i64 {
    let counts: Vec<(String, i64)> = redis::cmd("PUBSUB")
        .arg("NUMSUB")
        .arg(channel)
        .query_async(admin)
        .await
        .expect("numsub");
    counts.first().map_or(0, |(_, n)| *n)
}

#[tokio::test]
async fn redis_bus_survives_a_dropped_connection_with_a_gap_requires_postgres_and_redis() {
    let Some((_, redis_url)) = postgres_and_redis("Redis bus reconnect test").await else {
        return;
    };
    let client = redis::Client::open(redis_url.as_str()).expect("client");
    let manager = redis::aio::ConnectionManager::new(client.clone())
        .await
        .expect("connect");
    let prefix = format!("agora_t_{}", uuid::Uuid::new_v4().simple());
    let shutdown = CancellationToken::new();
    let bus = RedisBus::connect(client.clone(), manager, &prefix, shutdown.clone())
        .await
        .expect("bus");

    let mut first = bus.subscribe("room:1").await;
    let mut second = bus.subscribe("room:1").await;
    bus.publish("room:1", "hello").await.expect("publish");
    assert_eq!(next(&mut first).await, BusMessage::Event("hello".into()));
    assert_eq!(next(&mut second).await, BusMessage::Event("hello".into()));

    // One SUBSCRIBE for both local subscribers: Redis counts one subscriber on the channel.
    let mut admin = client
        .get_multiplexed_async_connection()
        .await
        .expect("admin");
    assert_eq!(
        redis_subscribers(&mut admin, &format!("{prefix}:room:1")).await,
        1
    );

    // Kill every pub/sub connection; our subscribers must hear of it and then recover.
    let _: i64 = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("pubsub")
        .query_async(&mut admin)
        .await
        .expect("kill");
    assert_eq!(next(&mut first).await, BusMessage::Gap);
    let mut delivered = false;
    for _ in 0..50 {
        bus.publish("room:1", "after").await.expect("publish");
        match tokio::time::timeout(Duration::from_millis(200), first.next()).await {
            Ok(Some(BusMessage::Event(text))) if &*text == "after" => {
                delivered = true;
                break;
            }
            _ => continue,
        }
    }
    assert!(delivered, "messages flow again after the reconnect");

    // Dropping both subscribers unsubscribes the channel in Redis.
    drop(first);
    drop(second);
    let mut unsubscribed = false;
    for _ in 0..50 {
        if redis_subscribers(&mut admin, &format!("{prefix}:room:1")).await == 0 {
            unsubscribed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(unsubscribed);
    shutdown.cancel();
}

/// `publish_many` (one Redis round trip in production) reaches each channel's subscribers in
/// the order given, on whichever bus the run mode uses.
#[tokio::test]
async fn many_messages_published_at_once_arrive_in_order() {
    let server = super::common::TestServer::start_with(super::common::ServerOptions {
        idle: true,
        ..Default::default()
    })
    .await;
    let bus = &server.state.platform.bus;
    let mut a = bus.subscribe("many:a").await;
    let mut b = bus.subscribe("many:b").await;
    let messages: Vec<(String, String)> = [("many:a", "1"), ("many:b", "2"), ("many:a", "3")]
        .into_iter()
        .map(|(c, m)| (c.to_owned(), m.to_owned()))
        .collect();
    bus.publish_many(&messages).await.expect("publish");
    bus.publish_many(&[]).await.expect("nothing to publish");
    assert_eq!(next(&mut a).await, BusMessage::Event("1".into()));
    assert_eq!(next(&mut a).await, BusMessage::Event("3".into()));
    assert_eq!(next(&mut b).await, BusMessage::Event("2".into()));
}
