//! Forecasts from models fitted once per station, parameter and hour.
//!
//! A forecast made in a given hour is fitted on the complete hours before it, so every request
//! in that hour, whatever its horizon, can share one fit: the history is read once, the models
//! are fitted on the blocking pool (a fit is milliseconds of CPU that would otherwise stall an
//! async worker and every request queued on it), at most one fitting per CPU at a time, and
//! the set is kept in an LRU of `AGORA_FORECAST_CACHE_SIZE` entries (at most ~35 KB each: the
//! history and up to 121 fitted models). Readings that arrive late for an earlier hour show in
//! the next hour's fit. Concurrent requests for the same entry wait for the first one's fit
//! instead of fitting again.

use std::{
    num::NonZeroUsize,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

use agora_platform::{AppError, AppResult};
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use tokio::sync::Semaphore;
use uuid::Uuid;

use super::readings;
use crate::{
    SensorsSettings,
    forecast::{self, Forecast, ModelSet},
    model::Pollutant,
};

/// Station, parameter, and the hour (since the epoch) the forecast starts at.
type Key = (Uuid, Pollutant, i64);
/// One entry: empty until its history has been read.
type Entry = Arc<tokio::sync::Mutex<Option<ModelSet>>>;

/// The fitted models of recent forecasts; one per process, shared by every request.
pub struct ForecastCache {
    entries: Mutex<lru::LruCache<Key, Entry>>,
    fitting: Arc<Semaphore>,
    fits: AtomicU64,
}

impl ForecastCache {
    /// An empty cache of `AGORA_FORECAST_CACHE_SIZE` entries.
    pub fn new(settings: &SensorsSettings) -> Self {
        let size =
            NonZeroUsize::new(settings.forecast_cache_size as usize).unwrap_or(NonZeroUsize::MIN);
        let cpus = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        Self {
            entries: Mutex::new(lru::LruCache::new(size)),
            fitting: Arc::new(Semaphore::new(cpus)),
            fits: AtomicU64::new(0),
        }
    }

    /// Models fitted since start (a repeated forecast adds none).
    pub fn fits(&self) -> u64 {
        self.fits.load(Ordering::Relaxed)
    }

    fn entry(&self, key: Key) -> AppResult<Entry> {
        let mut entries = self
            .entries
            .lock()
            .map_err(|_| AppError::internal("forecast cache lock poisoned"))?;
        Ok(entries.get_or_insert(key, Entry::default).clone())
    }

    /// A forecast of `parameter` for the `horizon` hours from the current one (see
    /// [`readings::hourly_history`] for the history). Returns the forecast and the start of its
    /// first hour (the current hour); None without enough data.
    pub async fn forecast<C: ConnectionTrait>(
        &self,
        db: &C,
        station_id: Uuid,
        parameter: Pollutant,
        horizon: usize,
        now: DateTime<Utc>,
    ) -> AppResult<Option<(Forecast, DateTime<Utc>)>> {
        if !(1..=forecast::MAX_HORIZON).contains(&horizon) {
            return Err(AppError::bad_input(
                "horizonHours",
                format!("horizonHours must be 1 to {}", forecast::MAX_HORIZON),
            ));
        }
        let hour = now.timestamp().div_euclid(3_600);
        let start = DateTime::from_timestamp(hour * 3_600, 0).unwrap_or(now);
        let mut models = self
            .entry((station_id, parameter, hour))?
            .lock_owned()
            .await;
        if models.is_none() {
            let history = readings::hourly_history(db, station_id, parameter, start).await?;
            *models = Some(ModelSet::new(history));
        }
        let _cpu = self
            .fitting
            .clone()
            .acquire_owned()
            .await
            .map_err(AppError::internal)?;
        let (result, fitted) = tokio::task::spawn_blocking(move || {
            let set = models.as_mut()?;
            let before = set.fitted();
            let result = set.forecast(horizon);
            Some((result, set.fitted() - before))
        })
        .await
        .map_err(AppError::internal)?
        .unwrap_or((None, 0));
        self.fits.fetch_add(fitted as u64, Ordering::Relaxed);
        metrics::counter!("agora_forecast_fits_total").increment(fitted as u64);
        let Some(mut result) = result else {
            return Ok(None);
        };
        if parameter != Pollutant::Temperature {
            forecast::clamp_non_negative(&mut result);
        }
        Ok(Some((result, start)))
    }
}
