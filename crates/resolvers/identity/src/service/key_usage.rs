//! Per-key usage counters: operations run and operations answered with errors.
//!
//! A write per request would cost more than most requests, so each replica counts in memory
//! and adds its counts to `api_keys` every few seconds (and once more on shutdown). Additions
//! from several replicas commute, so no count is lost or doubled; a crash loses at most the
//! last interval's counts.

use std::{collections::HashMap, sync::Arc, time::Duration};

use agora_entities::identity::api_key;
use agora_platform::{AppResult, Platform};
use sea_orm::{
    ColumnTrait, EntityTrait, QueryFilter,
    sea_query::{Expr, ExprTrait},
};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// How often counts are written.
pub(crate) const FLUSH_INTERVAL: Duration = Duration::from_secs(5);

/// Counts kept in memory until the next flush; cheap to clone (one shared map).
#[derive(Clone, Default, Debug)]
pub struct KeyUsage(Arc<std::sync::Mutex<HashMap<Uuid, (i64, i64)>>>);

impl KeyUsage {
    /// Counts one operation of `key`, and an error if it `failed`.
    pub fn record(&self, key: Uuid, failed: bool) {
        if let Ok(mut counts) = self.0.lock() {
            let entry = counts.entry(key).or_default();
            entry.0 += 1;
            entry.1 += i64::from(failed);
        }
    }

    /// Adds the counts so far to `api_keys`; returns how many keys were written. Counts that
    /// could not be written are kept for the next flush.
    pub async fn flush(&self, platform: &Platform) -> AppResult<usize> {
        let pending = match self.0.lock() {
            Ok(mut counts) => std::mem::take(&mut *counts),
            Err(_) => return Ok(0),
        };
        let mut written = 0;
        let mut failure = None;
        for (key, (operations, errors)) in pending {
            let result = api_key::Entity::update_many()
                .col_expr(
                    api_key::Column::OperationCount,
                    Expr::col(api_key::Column::OperationCount).add(operations),
                )
                .col_expr(
                    api_key::Column::ErrorCount,
                    Expr::col(api_key::Column::ErrorCount).add(errors),
                )
                .filter(api_key::Column::Id.eq(key))
                .exec(&platform.db)
                .await;
            match result {
                Ok(_) => written += 1,
                Err(err) => {
                    if let Ok(mut counts) = self.0.lock() {
                        let entry = counts.entry(key).or_default();
                        entry.0 += operations;
                        entry.1 += errors;
                    }
                    failure = Some(err);
                }
            }
        }
        match failure {
            Some(err) => Err(err.into()),
            None => Ok(written),
        }
    }

    /// Flushes every [`FLUSH_INTERVAL`] until `shutdown`, then once more.
    pub async fn run(self, platform: Platform, shutdown: CancellationToken) {
        let mut ticks = tokio::time::interval(FLUSH_INTERVAL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                _ = shutdown.cancelled() => break,
            }
            if let Err(err) = self.flush(&platform).await {
                tracing::warn!(error = %err.log_message(), "API key usage not written; kept for the next flush");
            }
        }
        if let Err(err) = self.flush(&platform).await {
            tracing::warn!(error = %err.log_message(), "API key usage lost at shutdown");
        }
    }
}
