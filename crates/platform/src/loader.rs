//! DataLoader construction shared by every domain.
//!
//! Loaders are built per request (and per WebSocket connection), never shared, so no cached
//! value outlives the request that read it. Batches are collected for [`BATCH_DELAY`] on tokio's
//! timer (async-graphql's `tokio-timer` feature). Shorter windows were measured and refused: at
//! 100 µs a page's 50 keys arrived over several batches (5–10 statements instead of one per
//! relation), and tokio's timer has a 1 ms tick anyway. Hot list fields avoid the window
//! altogether by preloading their page's relations (see the knowledge hub's `QuestionPreload`).

use std::time::Duration;

use async_graphql::dataloader::{DataLoader, Loader};

/// How long a loader waits to collect keys before running its one query.
pub const BATCH_DELAY: Duration = Duration::from_millis(1);

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

/// Loads rows of `E` by their UUID primary key: one `WHERE id IN (...)` per batch.
pub struct ByIdLoader<E: sea_orm::EntityTrait> {
    db: sea_orm::DatabaseConnection,
    id: E::Column,
    key: fn(&E::Model) -> uuid::Uuid,
}

impl<E: sea_orm::EntityTrait> ByIdLoader<E> {
    /// A loader over `db` that matches `id` and reads each row's key with `key`.
    pub fn new(
        db: sea_orm::DatabaseConnection,
        id: E::Column,
        key: fn(&E::Model) -> uuid::Uuid,
    ) -> Self {
        Self { db, id, key }
    }
}

impl<E> Loader<uuid::Uuid> for ByIdLoader<E>
where
    E: sea_orm::EntityTrait,
    E::Model: Sync,
    E::Column: Send + Sync,
{
    type Value = E::Model;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[uuid::Uuid],
    ) -> Result<std::collections::HashMap<uuid::Uuid, E::Model>, LoadError> {
        use sea_orm::{ColumnTrait, QueryFilter};
        let rows = E::find()
            .filter(self.id.is_in(keys.iter().copied()))
            .all(&self.db)
            .await
            .map_err(|e| format!("loading {}: {e}", E::default().table_name()))?;
        Ok(rows
            .into_iter()
            .map(|row| ((self.key)(&row), row))
            .collect())
    }
}
