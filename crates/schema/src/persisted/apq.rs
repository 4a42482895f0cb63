//! The automatic-persisted-query store: document text by SHA-256, filled by clients.
//!
//! Production keeps it in Redis, shared by every replica, each entry expiring `AGORA_APQ_TTL`
//! after its last use (`GETEX` renews it); embedded mode keeps the `AGORA_APQ_CACHE_SIZE` most
//! recently used in process. Entries are only stored after their document validated, and the
//! document size limit bounds each one.

use std::{num::NonZeroUsize, sync::Arc, time::Duration};

use agora_platform::config::Config;

pub(crate) enum ApqStore {
    Local(std::sync::Mutex<lru::LruCache<String, Arc<str>>>),
    Redis {
        connection: redis::aio::ConnectionManager,
        prefix: String,
        ttl: Duration,
    },
}

impl ApqStore {
    pub(crate) fn new(config: &Config, redis: Option<redis::aio::ConnectionManager>) -> Self {
        match redis {
            Some(connection) => Self::Redis {
                connection,
                prefix: format!("{}:apq", config.redis.redis_prefix),
                ttl: config.persisted.apq_ttl,
            },
            None => {
                let size = NonZeroUsize::new(config.persisted.apq_cache_size as usize)
                    .unwrap_or(NonZeroUsize::MIN);
                Self::Local(std::sync::Mutex::new(lru::LruCache::new(size)))
            }
        }
    }

    /// The document stored under `hash` (lower-case hex), if any.
    pub(crate) async fn get(&self, hash: &str) -> Option<Arc<str>> {
        match self {
            Self::Local(cache) => cache.lock().ok()?.get(hash).cloned(),
            Self::Redis {
                connection,
                prefix,
                ttl,
            } => {
                let mut connection = connection.clone();
                let found: redis::RedisResult<Option<String>> = redis::cmd("GETEX")
                    .arg(format!("{prefix}:{hash}"))
                    .arg("EX")
                    .arg(ttl.as_secs().max(1))
                    .query_async(&mut connection)
                    .await;
                match found {
                    Ok(found) => found.map(Arc::from),
                    Err(err) => {
                        tracing::warn!(error = %err, "APQ store unavailable");
                        None
                    }
                }
            }
        }
    }

    /// Stores `query` under `hash`.
    pub(crate) async fn put(&self, hash: &str, query: &str) {
        match self {
            Self::Local(cache) => {
                if let Ok(mut cache) = cache.lock() {
                    cache.put(hash.to_owned(), Arc::from(query));
                }
            }
            Self::Redis {
                connection,
                prefix,
                ttl,
            } => {
                let mut connection = connection.clone();
                let stored: redis::RedisResult<()> = redis::cmd("SET")
                    .arg(format!("{prefix}:{hash}"))
                    .arg(query)
                    .arg("EX")
                    .arg(ttl.as_secs().max(1))
                    .query_async(&mut connection)
                    .await;
                if let Err(err) = stored {
                    tracing::warn!(error = %err, "APQ store unavailable; document not kept");
                }
            }
        }
    }
}
