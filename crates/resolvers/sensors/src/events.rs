//! What the sensor domain publishes live on `sensor:{stationId}`, and the outbox event it
//! writes when an alert fires: `SENSOR_ALERT`, one per follower of the station (typed in
//! `agora_events`; notifications turn it into a notification on that user's channels).

pub(crate) use agora_events::SensorAlert;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{aqi::AqiCategory, model::Pollutant};

/// The live channel of a station.
pub(crate) fn channel(station_id: Uuid) -> String {
    format!("sensor:{station_id}")
}

/// A reading as published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LiveReading {
    /// What was measured.
    pub parameter: Pollutant,
    /// Canonical value.
    pub value: f64,
    /// When it was measured.
    pub observed_at: DateTime<Utc>,
    /// When it was stored.
    pub ingested_at: DateTime<Utc>,
    /// Anomaly flag.
    pub anomaly: bool,
    /// Stuck flag.
    pub stuck: bool,
}

/// A station's AQI as published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LiveAqi {
    /// The AQI.
    pub value: u32,
    /// Its category.
    pub category: AqiCategory,
    /// The pollutant that set it.
    pub dominant: Pollutant,
    /// When it was computed.
    pub computed_at: DateTime<Utc>,
}

/// One message on `sensor:{stationId}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub(crate) enum LiveMessage {
    /// Readings stored by one ingest call, in observation order.
    Readings {
        /// The readings.
        readings: Vec<LiveReading>,
    },
    /// The station's AQI changed.
    Aqi {
        /// The new AQI.
        aqi: LiveAqi,
    },
}
