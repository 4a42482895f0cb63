//! DataLoader construction shared by every domain.
//!
//! Loaders are built per request (and per WebSocket connection), never shared, so no cached
//! value outlives the request that read it. Batches are collected for [`BATCH_DELAY`] instead of
//! async-graphql's default 1 ms, which three levels of loaders would otherwise spend idle.

use std::time::Duration;

use async_graphql::dataloader::{DataLoader, Loader};

/// How long a loader waits to collect keys before running its one query.
pub const BATCH_DELAY: Duration = Duration::from_micros(100);

/// A loader error: the internal cause, logged by the resolver that maps it to `INTERNAL`.
pub type LoadError = String;

/// Wraps `loader` in a tokio-driven [`DataLoader`] with Agora's batch delay.
pub fn batched<K, L>(loader: L) -> DataLoader<L>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    L: Loader<K>,
{
    DataLoader::new(loader, tokio::spawn).delay(BATCH_DELAY)
}
