//! Readings exports: how many may run at once, and the task that feeds one to its client.
//!
//! An export reads its rows in keyset chunks of `AGORA_EXPORT_CHUNK_ROWS` (one statement each,
//! see [`readings::export_chunk`]): no transaction or cursor is held while the client
//! downloads, so the database connection is back in the pool between chunks whatever the
//! client does. A reader task hands each chunk to the response body through a channel of one;
//! when the client has not taken the previous chunk within `AGORA_EXPORT_WRITE_TIMEOUT` the
//! task gives up and the body ends with an error (the client sees a broken download, never a
//! silently short file). At most `AGORA_EXPORT_MAX_PER_USER` exports run per user and
//! `AGORA_EXPORT_MAX_PER_REPLICA` per replica; beyond, `RATE_LIMITED`.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use agora_platform::{AppError, AppResult};
use bytes::Bytes;
use futures::Stream;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::readings::{self, ExportRange};
use crate::SensorsSettings;

/// The exports running on this replica, by user.
pub struct ExportSlots {
    per_user: usize,
    per_replica: usize,
    retry_after_secs: u64,
    running: Mutex<HashMap<Uuid, usize>>,
}

/// One running export's slot, given back when dropped.
pub struct ExportPermit {
    slots: Arc<ExportSlots>,
    user: Uuid,
}

impl ExportSlots {
    /// Slots as `settings` set them.
    pub fn new(settings: &SensorsSettings) -> Self {
        Self {
            per_user: settings.export_max_per_user as usize,
            per_replica: settings.export_max_per_replica as usize,
            retry_after_secs: settings.export_write_timeout.as_secs().max(1),
            running: Mutex::new(HashMap::new()),
        }
    }

    /// Exports running now.
    pub fn running(&self) -> usize {
        self.running.lock().map_or(0, |r| r.values().sum())
    }

    /// A slot for `user`, or `RATE_LIMITED` when they (or the replica) run the most allowed.
    pub fn acquire(self: &Arc<Self>, user: Uuid) -> AppResult<ExportPermit> {
        let mut running = self
            .running
            .lock()
            .map_err(|_| AppError::internal("export slots lock poisoned"))?;
        let refuse = |message: String| {
            metrics::counter!("agora_exports_refused_total").increment(1);
            Err(AppError::RateLimited {
                message,
                retry_after_secs: self.retry_after_secs,
            })
        };
        let mine = running.get(&user).copied().unwrap_or(0);
        if mine >= self.per_user {
            return refuse(format!(
                "you are running {mine} readings exports already (at most {} at once); retry \
                 when one has finished",
                self.per_user
            ));
        }
        if running.values().sum::<usize>() >= self.per_replica {
            return refuse(format!(
                "this server is running its {} readings exports already; retry in {} s",
                self.per_replica, self.retry_after_secs
            ));
        }
        *running.entry(user).or_default() += 1;
        Ok(ExportPermit {
            slots: self.clone(),
            user,
        })
    }
}

impl Drop for ExportPermit {
    fn drop(&mut self) {
        if let Ok(mut running) = self.slots.running.lock()
            && let Some(count) = running.get_mut(&self.user)
        {
            *count -= 1;
            if *count == 0 {
                running.remove(&self.user);
            }
        }
    }
}

/// How an export is read and handed over.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ExportPacing {
    /// Rows per statement.
    pub chunk_rows: u32,
    /// How long a chunk may wait for the client to take the previous one.
    pub write_timeout: Duration,
}

impl ExportPacing {
    /// Pacing as `settings` set it.
    pub(crate) fn new(settings: &SensorsSettings) -> Self {
        Self {
            chunk_rows: settings.export_chunk_rows.max(1),
            write_timeout: settings.export_write_timeout,
        }
    }
}

/// Starts the task that reads `range` chunk by chunk and returns the CSV body it feeds. The
/// task holds `permit` until it has finished, failed, or given up on the client.
pub(crate) fn stream(
    db: DatabaseConnection,
    range: ExportRange,
    pacing: ExportPacing,
    permit: ExportPermit,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Bytes>(1);
    let complete = Arc::new(AtomicBool::new(false));
    tokio::spawn(feed(db, range, pacing, tx, complete.clone(), permit));
    async_stream::stream! {
        while let Some(chunk) = rx.recv().await {
            yield Ok(chunk);
        }
        if !complete.load(Ordering::Acquire) {
            yield Err(std::io::Error::other("the readings export was interrupted"));
        }
    }
}

async fn feed(
    db: DatabaseConnection,
    range: ExportRange,
    pacing: ExportPacing,
    tx: tokio::sync::mpsc::Sender<Bytes>,
    complete: Arc<AtomicBool>,
    _permit: ExportPermit,
) {
    let mut out = String::from(readings::EXPORT_HEADER);
    let mut cursor = None;
    loop {
        let rows = match readings::export_chunk(&db, &range, cursor, pacing.chunk_rows).await {
            Ok(rows) => rows,
            Err(err) => {
                tracing::error!(error = %err.log_message(), "readings export failed");
                return;
            }
        };
        let last = rows.len() < pacing.chunk_rows as usize;
        if let Some(row) = rows.last() {
            let Some(k) = range
                .parameters
                .iter()
                .position(|p| p.as_str() == row.parameter)
            else {
                tracing::error!(parameter = %row.parameter, "readings export met an unknown parameter");
                return;
            };
            cursor = Some((row.observed_at, k));
        }
        readings::write_csv(&mut out, range.station_id, &rows);
        if !out.is_empty() {
            let chunk = Bytes::from(std::mem::take(&mut out));
            match tokio::time::timeout(pacing.write_timeout, tx.send(chunk)).await {
                Ok(Ok(())) => {}
                // The client went away and the body with it.
                Ok(Err(_)) => return,
                Err(_) => {
                    metrics::counter!("agora_exports_stalled_total").increment(1);
                    tracing::info!(
                        station = %range.station_id,
                        "a client took nothing of a readings export for {:?}: export stopped",
                        pacing.write_timeout
                    );
                    return;
                }
            }
        }
        if last {
            complete.store(true, Ordering::Release);
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slots(per_user: u32, per_replica: u32) -> Arc<ExportSlots> {
        let settings = agora_platform::config::parse_args([
            "--export-max-per-user",
            &per_user.to_string(),
            "--export-max-per-replica",
            &per_replica.to_string(),
        ])
        .expect("parses");
        Arc::new(ExportSlots::new(&settings))
    }

    fn refused(result: AppResult<ExportPermit>) -> bool {
        matches!(result, Err(AppError::RateLimited { .. }))
    }

    #[test]
    fn slots_cap_each_user_and_the_replica_and_come_back_when_dropped() {
        let slots = slots(2, 3);
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let a1 = slots.acquire(a).expect("first");
        let _a2 = slots.acquire(a).expect("second");
        assert!(refused(slots.acquire(a)), "a third for one user");
        let _b1 = slots.acquire(b).expect("another user");
        assert!(refused(slots.acquire(b)), "the replica is full");
        assert_eq!(slots.running(), 3);
        drop(a1);
        assert_eq!(slots.running(), 2);
        let _b2 = slots.acquire(b).expect("a slot came back");
    }
}
