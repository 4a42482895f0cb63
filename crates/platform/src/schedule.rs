//! Scheduled jobs. Every replica runs the scheduler; a job runs once per period across all of
//! them because the first replica to insert `job_runs (job, period)` owns that run and the
//! others see the key taken. A job whose replica dies mid-run is not retried for that period,
//! so jobs are written to be cheap to miss once (reminders), never to lose data.

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, sea_query::OnConflict};
use tokio_util::sync::CancellationToken;

use agora_entities::platform::job_run;

use crate::{context::Platform, error::AppResult};

/// How often the scheduler looks for due periods.
pub const TICK: Duration = Duration::from_secs(30);

/// A job run once per period.
#[async_trait]
pub trait ScheduledJob: Send + Sync {
    /// Stable name, part of the lock key.
    fn name(&self) -> &'static str;

    /// The period that contains `now`, e.g. `2026-11-26T18` for an hourly job.
    fn period(&self, now: DateTime<Utc>) -> String;

    /// Does the job's work for the period starting around `now`.
    async fn run(&self, platform: &Platform, now: DateTime<Utc>) -> AppResult<()>;
}

/// The hourly period key of `now` (UTC).
pub fn hourly(now: DateTime<Utc>) -> String {
    now.format("%Y-%m-%dT%H").to_string()
}

/// Claims `(job, period)`; true when this caller won and must run it.
pub async fn claim<C: ConnectionTrait>(
    db: &C,
    job: &str,
    period: &str,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let inserted = job_run::Entity::insert(job_run::ActiveModel {
        job: Set(job.to_owned()),
        period: Set(period.to_owned()),
        started_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([job_run::Column::Job, job_run::Column::Period])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(inserted == 1)
}

/// Runs every job whose current period no replica has claimed yet; returns the names run.
pub async fn tick(platform: &Platform, jobs: &[Arc<dyn ScheduledJob>]) -> Vec<&'static str> {
    let now = platform.clock.now();
    let mut ran = Vec::new();
    for job in jobs {
        let period = job.period(now);
        match claim(&platform.db, job.name(), &period, now).await {
            Ok(true) => {}
            Ok(false) => continue,
            Err(err) => {
                tracing::warn!(job = job.name(), error = %err.log_message(), "job claim failed");
                continue;
            }
        }
        let started = std::time::Instant::now();
        match job.run(platform, now).await {
            Ok(()) => {
                tracing::info!(job = job.name(), %period, elapsed_ms = started.elapsed().as_millis() as u64, "scheduled job done");
                ran.push(job.name());
            }
            Err(err) => {
                tracing::warn!(job = job.name(), %period, error = %err.log_message(), "scheduled job failed")
            }
        }
    }
    ran
}

/// Ticks every [`TICK`] until `shutdown`.
pub async fn run(
    platform: Platform,
    jobs: Vec<Arc<dyn ScheduledJob>>,
    shutdown: CancellationToken,
) {
    tracing::info!(jobs = jobs.len(), "scheduler started");
    loop {
        tick(&platform, &jobs).await;
        tokio::select! {
            _ = tokio::time::sleep(TICK) => {}
            _ = shutdown.cancelled() => break,
        }
    }
}
