//! Anomaly windows kept in memory between ingests.
//!
//! Flagging a reading needs its sensor's previous 24 hours (at most
//! [`WINDOW_LIMIT`](super::ingest::WINDOW_LIMIT) values). Read from the database, that is up to
//! 1,440 rows for every ingest of a sensor reporting once a minute or faster, whatever the
//! batch size: a soak at one reading per second per station showed the ingest's median
//! latency climbing for the 24 minutes the window took to fill. A replica therefore keeps each
//! sensor's window after an ingest and extends it with what that ingest stored.
//!
//! A copy is used only while it is whole. Every ingest that stores readings of a sensor bumps
//! `sensors.revision` in its transaction; a copy records the revision it is whole at, and the
//! next ingest uses it only if the stored revision is still that one and the batch is newer
//! than every stored reading. A write by another replica, a back-fill of older readings, or
//! two concurrent ingests of one sensor leave the copy stale; the ingest then reads the window
//! from the database as before and stores a fresh copy only if its own write was the only one
//! (the revision moved by exactly one).
//!
//! At most `AGORA_SENSOR_WINDOW_CACHE` windows are kept (LRU; ~23 KB each when full); 0 turns
//! the cache off.

use std::{
    collections::VecDeque,
    num::NonZeroUsize,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::ingest::WINDOW_LIMIT;
use crate::model::Pollutant;

/// How far back a window reaches from the first reading it flags.
pub(crate) const WINDOW_SPAN: Duration = Duration::hours(24);

/// A sensor: its station and parameter.
type Key = (Uuid, Pollutant);

/// One sensor's readings as an ingest saw them, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Window {
    /// `sensors.revision` this copy is whole at.
    pub revision: i64,
    /// Every stored reading at or after this time is here (the newest [`WINDOW_LIMIT`] of
    /// them).
    pub floor: DateTime<Utc>,
    /// Observation time and canonical value.
    pub readings: VecDeque<(DateTime<Utc>, f64)>,
}

impl Window {
    /// The part of this copy an ingest whose first reading is at `first` flags against: the
    /// 24 hours before it, newest [`WINDOW_LIMIT`], oldest first. None when this copy cannot
    /// answer for `first`: it reaches back to `floor` only, and must hold nothing at or after
    /// `first`.
    pub(crate) fn before(&self, first: DateTime<Utc>) -> Option<Window> {
        let since = first - WINDOW_SPAN;
        if since < self.floor || self.readings.back().is_some_and(|(at, _)| *at >= first) {
            return None;
        }
        let start = self.readings.partition_point(|(at, _)| *at < since);
        let start = start.max(self.readings.len().saturating_sub(WINDOW_LIMIT as usize));
        Some(Window {
            revision: self.revision,
            floor: since,
            readings: self.readings.range(start..).copied().collect(),
        })
    }

    /// The values, oldest first.
    pub(crate) fn values(&self) -> Vec<f64> {
        self.readings.iter().map(|(_, v)| *v).collect()
    }

    /// This window with `stored` (all newer than it, in time order) appended and the oldest
    /// dropped past [`WINDOW_LIMIT`], whole at `revision`.
    pub(crate) fn extended(
        mut self,
        stored: impl IntoIterator<Item = (DateTime<Utc>, f64)>,
        revision: i64,
    ) -> Self {
        self.readings.extend(stored);
        let excess = self.readings.len().saturating_sub(WINDOW_LIMIT as usize);
        self.readings.drain(..excess);
        self.revision = revision;
        self
    }
}

/// The windows of recent ingests; one per process, shared by every request.
pub struct WindowCache {
    entries: Option<Mutex<lru::LruCache<Key, Arc<Window>>>>,
    hits: AtomicU64,
}

impl WindowCache {
    /// A cache of `size` windows; 0 keeps none.
    pub(crate) fn new(size: u32) -> Self {
        Self {
            entries: NonZeroUsize::new(size as usize)
                .map(|size| Mutex::new(lru::LruCache::new(size))),
            hits: AtomicU64::new(0),
        }
    }

    /// Ingests since start that flagged against a kept window instead of reading it back.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// The copy of a sensor's window, if one is kept and whole at `revision`.
    pub(crate) fn get(
        &self,
        station_id: Uuid,
        parameter: Pollutant,
        revision: i64,
    ) -> Option<Arc<Window>> {
        let mut entries = self
            .entries
            .as_ref()?
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let found = entries
            .get(&(station_id, parameter))
            .filter(|w| w.revision == revision)
            .cloned();
        if found.is_some() {
            self.hits.fetch_add(1, Ordering::Relaxed);
        }
        metrics::counter!(
            "agora_sensor_window_reads_total",
            "source" => if found.is_some() { "memory" } else { "database" }
        )
        .increment(1);
        found
    }

    /// Keeps `window` as the sensor's copy.
    pub(crate) fn put(&self, station_id: Uuid, parameter: Pollutant, window: Window) {
        if let Some(entries) = &self.entries {
            entries
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .put((station_id, parameter), Arc::new(window));
        }
    }

    /// Drops the sensor's copy (it is no longer whole).
    pub(crate) fn forget(&self, station_id: Uuid, parameter: Pollutant) {
        if let Some(entries) = &self.entries {
            entries
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .pop(&(station_id, parameter));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap() + Duration::minutes(minute)
    }

    fn window(minutes: impl IntoIterator<Item = i64>, floor: i64) -> Window {
        Window {
            revision: 3,
            floor: at(floor),
            readings: minutes.into_iter().map(|m| (at(m), m as f64)).collect(),
        }
    }

    #[test]
    fn a_window_answers_with_the_24_hours_before_the_first_reading() {
        let w = window(0..2_000, 0);
        // A batch at minute 2,000 + 10 reaches back to minute 570.
        let values = w.before(at(2_010)).unwrap().values();
        assert_eq!(values.first(), Some(&570.0));
        assert_eq!(values.last(), Some(&1_999.0));
        assert_eq!(values.len(), 1_430);
    }

    #[test]
    fn a_window_keeps_only_the_newest_readings_within_the_limit() {
        // Two readings a minute: 24 hours hold 2,880, the window the newest 1,440.
        let w = Window {
            revision: 1,
            floor: at(0),
            readings: (0..4_000)
                .map(|i| (at(0) + Duration::seconds(30 * i), i as f64))
                .collect(),
        };
        let values = w.before(at(2_000)).unwrap().values();
        assert_eq!(values.len(), 1_440);
        assert_eq!(values.last(), Some(&3_999.0));
        let extended = w.extended([(at(2_001), -1.0)], 2);
        assert_eq!(extended.readings.len(), 1_440);
        assert_eq!(extended.readings.back(), Some(&(at(2_001), -1.0)));
        assert_eq!(extended.revision, 2);
    }

    #[test]
    fn a_window_does_not_answer_for_times_it_cannot_cover() {
        let w = window(100..200, 100);
        // The 24 hours before minute 1,500 start at minute 60, before the copy's floor.
        assert_eq!(w.before(at(1_500)), None);
        // A batch not newer than the copy's newest reading.
        assert_eq!(w.before(at(199)), None);
        assert!(w.before(at(1_540)).is_some());
    }

    #[test]
    fn the_cache_hands_out_a_copy_only_at_its_revision() {
        let cache = WindowCache::new(2);
        let station = Uuid::now_v7();
        cache.put(station, Pollutant::Pm25, window(0..10, 0));
        assert!(cache.get(station, Pollutant::Pm25, 3).is_some());
        assert!(cache.get(station, Pollutant::Pm25, 4).is_none());
        assert!(cache.get(station, Pollutant::Pm10, 3).is_none());
        cache.forget(station, Pollutant::Pm25);
        assert!(cache.get(station, Pollutant::Pm25, 3).is_none());
        let off = WindowCache::new(0);
        off.put(station, Pollutant::Pm25, window(0..10, 0));
        assert!(off.get(station, Pollutant::Pm25, 3).is_none());
    }
}
