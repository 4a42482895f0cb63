//! Token-bucket request limits, shared by every replica in production.
//!
//! Each [`LimitClass`] has its own bucket per key (an IP address, a user, an API key): it holds
//! up to its per-minute quota and refills evenly over the minute, so a client may burst a whole
//! minute's allowance and then continues at the steady rate. Embedded mode keeps buckets in
//! process (`governor`); production keeps them in Redis, one GCRA state per key updated by a
//! Lua script against the Redis server's own clock, so all replicas draw from one bucket
//! whatever their clocks say. Both are the same algorithm (GCRA), so they refuse the same
//! requests.
//!
//! If Redis cannot be reached the limit is not applied (and the failure is logged): a limiter
//! outage must not take the API down with it.

use std::{
    num::NonZeroU32,
    time::{Duration, Instant},
};

use governor::{
    DefaultKeyedRateLimiter, Quota,
    clock::{Clock as _, DefaultClock},
};

use crate::config::Config;

/// What a bucket is keyed by, each with its own quota from the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LimitClass {
    /// Every HTTP request and WebSocket upgrade from one client address.
    Ip,
    /// GraphQL operations of one signed-in user.
    User,
    /// GraphQL operations of one API key.
    ApiKey,
    /// Sign-in, registration and password-reset fields from one client address.
    Auth,
}

impl LimitClass {
    const ALL: [LimitClass; 4] = [Self::Ip, Self::User, Self::ApiKey, Self::Auth];

    fn index(self) -> usize {
        self as usize
    }

    /// Short name, used in Redis keys and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ip => "ip",
            Self::User => "user",
            Self::ApiKey => "key",
            Self::Auth => "auth",
        }
    }

    fn per_minute(self, config: &Config) -> u32 {
        match self {
            Self::Ip => config.rate_limits.rate_limit_ip,
            Self::User => config.rate_limits.rate_limit_user,
            Self::ApiKey => config.rate_limits.rate_limit_key,
            Self::Auth => config.rate_limits.rate_limit_auth,
        }
    }
}

/// A request over its limit, and how long until it would pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    /// Time until the bucket holds enough tokens.
    pub retry_after: Duration,
}

impl Refusal {
    /// Whole seconds to wait, rounded up and at least 1 (for `Retry-After`).
    pub fn retry_after_secs(&self) -> u64 {
        let secs = self.retry_after.as_secs() + u64::from(self.retry_after.subsec_nanos() > 0);
        secs.max(1)
    }
}

/// GCRA over Redis: the key holds the bucket's "theoretical arrival time" in µs. Returns 0
/// when admitted, the µs to wait when not, and -1 when `cost` exceeds the whole bucket.
const GCRA_LUA: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
if cost > burst then return -1 end
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval * cost
local allow_at = new_tat - interval * burst
if allow_at > now then return allow_at - now end
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.ceil((new_tat - now) / 1000) + 1)
return 0
"#;

enum Backend {
    InProcess(Vec<Option<DefaultKeyedRateLimiter<String>>>),
    Redis {
        connection: redis::aio::ConnectionManager,
        prefix: String,
        script: redis::Script,
    },
}

/// The request limits of one process: in process (embedded) or in Redis (production).
pub struct RateLimits {
    per_minute: [u32; 4],
    backend: Backend,
    /// Embedded mode's "refused until" marks of buckets charged only after the fact (Redis
    /// keeps them as expiring keys).
    blocked: std::sync::Mutex<std::collections::HashMap<(LimitClass, String), Instant>>,
}

impl std::fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimits")
            .field("per_minute", &self.per_minute)
            .finish_non_exhaustive()
    }
}

fn quota(per_minute: u32) -> Option<Quota> {
    let burst = NonZeroU32::new(per_minute)?;
    Quota::with_period(Duration::from_secs(60) / per_minute).map(|q| q.allow_burst(burst))
}

impl RateLimits {
    /// Limits with the configured quotas, kept in Redis when `redis` is given.
    pub fn new(config: &Config, redis: Option<redis::aio::ConnectionManager>) -> Self {
        let per_minute = LimitClass::ALL.map(|class| class.per_minute(config));
        let backend = match redis {
            Some(connection) => Backend::Redis {
                connection,
                prefix: format!("{}:ratelimit", config.redis.redis_prefix),
                script: redis::Script::new(GCRA_LUA),
            },
            None => Backend::InProcess(
                per_minute
                    .iter()
                    .map(|&n| quota(n).map(DefaultKeyedRateLimiter::dashmap))
                    .collect(),
            ),
        };
        Self {
            per_minute,
            backend,
            blocked: Default::default(),
        }
    }

    /// Whether `class` is limited at all.
    pub fn is_enabled(&self, class: LimitClass) -> bool {
        self.per_minute[class.index()] > 0
    }

    /// Takes `cost` tokens from `key`'s bucket of `class`, or says how long to wait.
    pub async fn check(&self, class: LimitClass, key: &str, cost: u32) -> Result<(), Refusal> {
        let per_minute = self.per_minute[class.index()];
        if per_minute == 0 || cost == 0 {
            return Ok(());
        }
        let result = match &self.backend {
            Backend::InProcess(limiters) => {
                let Some(limiter) = &limiters[class.index()] else {
                    return Ok(());
                };
                let n = NonZeroU32::new(cost).unwrap_or(NonZeroU32::MIN);
                let result = match limiter.check_key_n(&key.to_owned(), n) {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(not_until)) => Err(Refusal {
                        retry_after: not_until.wait_time_from(DefaultClock::default().now()),
                    }),
                    Err(_) => Err(Refusal {
                        retry_after: Duration::from_secs(60),
                    }),
                };
                // Forget buckets that have refilled, now and then, so memory follows the
                // number of recent clients rather than every client ever seen.
                if limiter.len() > 10_000 {
                    limiter.retain_recent();
                }
                result
            }
            Backend::Redis {
                connection,
                prefix,
                script,
            } => {
                let interval_us = 60_000_000 / u64::from(per_minute);
                let mut connection = connection.clone();
                let waited: redis::RedisResult<i64> = script
                    .key(format!("{prefix}:{}:{key}", class.as_str()))
                    .arg(interval_us)
                    .arg(per_minute)
                    .arg(cost)
                    .invoke_async(&mut connection)
                    .await;
                match waited {
                    Ok(0) => Ok(()),
                    Ok(-1) => Err(Refusal {
                        retry_after: Duration::from_secs(60),
                    }),
                    Ok(us) => Err(Refusal {
                        retry_after: Duration::from_micros(us.unsigned_abs()),
                    }),
                    Err(err) => {
                        tracing::warn!(error = %err, "rate limiter unavailable; request admitted");
                        Ok(())
                    }
                }
            }
        };
        if result.is_err() {
            metrics::counter!("agora_rate_limited_total", "class" => class.as_str()).increment(1);
        }
        result
    }

    /// Charges one failure to `key`'s bucket of `class` after the fact (a failed sign-in): once
    /// the bucket is empty, [`RateLimits::blocked`] refuses the key until a token is back.
    /// Successes are never charged, so a classroom behind one address is not locked out by its
    /// own sign-ins.
    pub async fn charge_failure(&self, class: LimitClass, key: &str) {
        let Err(refusal) = self.check(class, key, 1).await else {
            return;
        };
        match &self.backend {
            Backend::InProcess(_) => {
                if let Ok(mut blocked) = self.blocked.lock() {
                    let now = Instant::now();
                    if blocked.len() > 10_000 {
                        blocked.retain(|_, until| *until > now);
                    }
                    blocked.insert((class, key.to_owned()), now + refusal.retry_after);
                }
            }
            Backend::Redis {
                connection, prefix, ..
            } => {
                let millis = refusal.retry_after.as_millis().max(1) as u64;
                let set: redis::RedisResult<()> = redis::cmd("SET")
                    .arg(format!("{prefix}:blocked:{}:{key}", class.as_str()))
                    .arg(1)
                    .arg("PX")
                    .arg(millis)
                    .query_async(&mut connection.clone())
                    .await;
                if let Err(err) = set {
                    tracing::warn!(error = %err, "rate limiter unavailable; failure not recorded");
                }
            }
        }
    }

    /// Whether `key` is refused in `class` because [`RateLimits::charge_failure`] emptied its
    /// bucket; says how long until it is not. Takes nothing from the bucket.
    pub async fn blocked(&self, class: LimitClass, key: &str) -> Result<(), Refusal> {
        if !self.is_enabled(class) {
            return Ok(());
        }
        let remaining = match &self.backend {
            Backend::InProcess(_) => self
                .blocked
                .lock()
                .ok()
                .and_then(|blocked| blocked.get(&(class, key.to_owned())).copied())
                .and_then(|until| until.checked_duration_since(Instant::now())),
            Backend::Redis {
                connection, prefix, ..
            } => {
                let ttl: redis::RedisResult<i64> = redis::cmd("PTTL")
                    .arg(format!("{prefix}:blocked:{}:{key}", class.as_str()))
                    .query_async(&mut connection.clone())
                    .await;
                match ttl {
                    Ok(ms) if ms > 0 => Some(Duration::from_millis(ms.unsigned_abs())),
                    Ok(_) => None,
                    Err(err) => {
                        tracing::warn!(error = %err, "rate limiter unavailable; request admitted");
                        None
                    }
                }
            }
        };
        match remaining {
            Some(retry_after) if !retry_after.is_zero() => {
                metrics::counter!("agora_rate_limited_total", "class" => class.as_str())
                    .increment(1);
                Err(Refusal { retry_after })
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(args: &[&str]) -> RateLimits {
        RateLimits::new(&crate::config::parse_args(args).expect("config"), None)
    }

    #[tokio::test]
    async fn a_bucket_admits_its_quota_then_says_how_long_to_wait() {
        let limits = limits(&["--rate-limit-auth", "3"]);
        for _ in 0..3 {
            assert!(limits.check(LimitClass::Auth, "10.0.0.1", 1).await.is_ok());
        }
        let refusal = limits
            .check(LimitClass::Auth, "10.0.0.1", 1)
            .await
            .expect_err("the fourth is over the quota");
        // One token comes back every 20 s.
        assert!(refusal.retry_after <= Duration::from_secs(20));
        assert!(refusal.retry_after > Duration::from_secs(19));
        assert_eq!(refusal.retry_after_secs(), 20);
        // Another key has its own bucket.
        assert!(limits.check(LimitClass::Auth, "10.0.0.2", 1).await.is_ok());
    }

    #[tokio::test]
    async fn a_cost_above_the_whole_bucket_is_refused_outright() {
        let limits = limits(&["--rate-limit-auth", "10"]);
        let refusal = limits
            .check(LimitClass::Auth, "ip", 100)
            .await
            .expect_err("100 sign-ins at once never fit a bucket of 10");
        assert_eq!(refusal.retry_after, Duration::from_secs(60));
        // Nothing was taken: the bucket still admits its quota.
        assert!(limits.check(LimitClass::Auth, "ip", 10).await.is_ok());
    }

    #[tokio::test]
    async fn failures_charged_after_the_fact_block_the_key_once_its_bucket_is_empty() {
        let limits = limits(&["--rate-limit-auth", "3"]);
        for _ in 0..3 {
            assert!(limits.blocked(LimitClass::Auth, "school").await.is_ok());
            limits.charge_failure(LimitClass::Auth, "school").await;
        }
        // Three failures took the bucket; the fourth finds it empty and blocks the address.
        assert!(limits.blocked(LimitClass::Auth, "school").await.is_ok());
        limits.charge_failure(LimitClass::Auth, "school").await;
        let refusal = limits
            .blocked(LimitClass::Auth, "school")
            .await
            .expect_err("blocked after the bucket ran out");
        assert!(refusal.retry_after <= Duration::from_secs(20));
        assert!(limits.blocked(LimitClass::Auth, "elsewhere").await.is_ok());
    }

    #[tokio::test]
    async fn zero_disables_a_class() {
        let limits = limits(&["--rate-limit-user", "0"]);
        assert!(!limits.is_enabled(LimitClass::User));
        for _ in 0..1_000 {
            assert!(limits.check(LimitClass::User, "u", 1).await.is_ok());
        }
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        let secs = |ms| {
            Refusal {
                retry_after: Duration::from_millis(ms),
            }
            .retry_after_secs()
        };
        assert_eq!(secs(1), 1);
        assert_eq!(secs(999), 1);
        assert_eq!(secs(1_000), 1);
        assert_eq!(secs(1_001), 2);
        assert_eq!(secs(0), 1);
    }
}
