//! Events the sensor domain emits.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{DomainEvent, EventKind};

/// The global-id type names of stations and alerts: the sensor crate encodes their ids with
/// them, and notifications links an alert's notification to both.
pub const STATION_TYPE: &str = "Station";
/// See [`STATION_TYPE`].
pub const ALERT_TYPE: &str = "Alert";

/// `SENSOR_ALERT`: an alert fired at a station one user follows (one event per follower;
/// notifications turn it into a notification on that user's channels).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SensorAlert {
    /// The follower told.
    pub user_id: Uuid,
    /// The alert.
    pub alert_id: Uuid,
    /// Its station.
    pub station_id: Uuid,
    /// The station's name.
    pub station_name: String,
    /// The condition in words.
    pub condition: String,
    /// The value that fired it, with its unit.
    pub value: String,
    /// When it fired.
    pub started_at: DateTime<Utc>,
}

impl DomainEvent for SensorAlert {
    const KIND: EventKind = EventKind::SensorAlert;
}
