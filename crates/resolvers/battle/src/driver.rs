//! The battle driver: advances every room whose deadline has passed (question end, reveal end,
//! quick-match start, idle-lobby cleanup). The deadlines live in the database, so the driver
//! holds no state: a restarted server, or another replica, carries on from them.
//!
//! One replica drives at a time: in production the one holding the Redis lease
//! `{prefix}:battle:driver` (5 s, renewed every second, released on shutdown, so a dead
//! replica's rooms are taken over within about 5 s and a stopped one's at once); in embedded
//! mode the one process. Each step also locks the room row and re-checks its state, so even a
//! replica that lost its lease mid-step cannot apply a step twice.

use std::time::{Duration, Instant};

use agora_platform::Platform;
use tokio_util::sync::CancellationToken;

use crate::{BattleSettings, service::play};

/// Longest sleep between looks at the deadlines (also bounds how late a step can be when the
/// clock is moved by hand in tests).
pub(crate) const TICK: Duration = Duration::from_millis(200);
/// Lease lifetime: how long a dead driver's rooms wait for another replica.
pub(crate) const LEASE: Duration = Duration::from_secs(5);
/// How often the holder renews its lease.
pub(crate) const RENEW: Duration = Duration::from_secs(1);

/// Renews the lease if it is ours, takes it if it is free; 1 when we hold it afterwards.
const ACQUIRE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0";

/// Deletes the lease if it is ours.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0";

/// The right to drive.
struct Lease {
    redis: Option<redis::aio::ConnectionManager>,
    key: String,
    token: String,
    held_until: Option<Instant>,
    renewed: Option<Instant>,
}

impl Lease {
    fn new(platform: &Platform) -> Self {
        Self {
            redis: platform.redis.clone(),
            key: format!("{}:battle:driver", platform.config.redis.redis_prefix),
            token: uuid::Uuid::new_v4().to_string(),
            held_until: None,
            renewed: None,
        }
    }

    /// Whether this replica may drive now (renewing or taking the lease when due).
    async fn hold(&mut self) -> bool {
        let Some(conn) = self.redis.as_mut() else {
            return true;
        };
        let now = Instant::now();
        if self.renewed.is_some_and(|at| now - at < RENEW)
            && self.held_until.is_some_and(|until| now < until)
        {
            return true;
        }
        let result: redis::RedisResult<i64> = redis::Script::new(ACQUIRE)
            .key(&self.key)
            .arg(&self.token)
            .arg(LEASE.as_millis() as u64)
            .invoke_async(conn)
            .await;
        match result {
            Ok(1) => {
                if self.held_until.is_none() {
                    tracing::info!("this replica drives the battle rooms");
                    metrics::gauge!("agora_battle_driver_lease").set(1.0);
                }
                self.held_until = Some(now + LEASE);
                self.renewed = Some(now);
                true
            }
            Ok(_) => {
                if self.held_until.take().is_some() {
                    tracing::warn!("battle driver lease lost to another replica");
                    metrics::gauge!("agora_battle_driver_lease").set(0.0);
                }
                false
            }
            Err(e) => {
                tracing::warn!(error = %e, "battle driver lease unreachable");
                // Keep driving only while the lease we hold is certainly still ours.
                self.held_until.is_some_and(|until| now < until)
            }
        }
    }

    async fn release(&mut self) {
        let Some(conn) = self.redis.as_mut() else {
            return;
        };
        if self.held_until.take().is_some() {
            metrics::gauge!("agora_battle_driver_lease").set(0.0);
            let result: redis::RedisResult<i64> = redis::Script::new(RELEASE)
                .key(&self.key)
                .arg(&self.token)
                .invoke_async(conn)
                .await;
            if let Err(e) = result {
                tracing::warn!(error = %e, "battle driver lease not released");
            }
        }
    }
}

/// Runs until `shutdown`.
pub async fn run(platform: Platform, settings: BattleSettings, shutdown: CancellationToken) {
    let mut lease = Lease::new(&platform);
    loop {
        let wait = if lease.hold().await {
            drive(&platform, &settings).await
        } else {
            TICK
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = shutdown.cancelled() => break,
        }
    }
    lease.release().await;
}

/// Advances every due room; returns how long to sleep before looking again.
async fn drive(platform: &Platform, settings: &BattleSettings) -> Duration {
    let now = platform.clock.now();
    match play::due_rooms(platform, now).await {
        Ok((due, next)) => {
            for room in due {
                if let Err(e) = play::advance(platform, settings, room).await {
                    tracing::warn!(%room, error = e.log_message(), "battle step failed; will retry");
                }
            }
            next.and_then(|at| (at - now).to_std().ok())
                .map_or(TICK, |d| d.min(TICK))
        }
        Err(e) => {
            tracing::warn!(
                error = e.log_message(),
                "battle driver could not read deadlines"
            );
            Duration::from_secs(1)
        }
    }
}
