//! Air-quality sensors: stations and their sensors, reading ingestion (GraphQL and the
//! PurpleAir / AirQo adapters), the US EPA AQI, live readings, anomaly flags, alert rules,
//! forecasts and CSV exports.
//!
//! Devices push readings with a station-bound `SENSORS_WRITE` key. Each ingest batch is one
//! transaction: validated and converted readings are flagged (robust z-score, stuck sensor),
//! inserted idempotently, the station's sensors and AQI are updated and its alert rules
//! evaluated; after commit the stored readings are published on `sensor:{stationId}`. A firing
//! alert writes one `SENSOR_ALERT` outbox event (`agora_events::SensorAlert`) per follower for
//! notifications.
//!
//! Modules: [`model`] (parameters, providers, buckets), [`units`] (conversion and physical
//! ranges), [`aqi`] (EPA breakpoints and NowCast), [`anomaly`], [`forecast`] (Holt-Winters),
//! [`adapters`] (provider payloads), [`simulate`] (synthetic data), [`service`] (the rules over
//! the database), and the GraphQL roots.
#![warn(missing_docs, unreachable_pub)]

pub(crate) mod adapters;
pub(crate) mod anomaly;
pub mod api;
pub(crate) mod aqi;
pub(crate) mod events;
pub(crate) mod forecast;
mod loaders;
pub(crate) mod model;
mod mutation;
mod query;
pub(crate) mod service;
mod settings;
pub(crate) mod simulate;
mod subscription;
pub(crate) mod types;
pub(crate) mod units;

pub use mutation::SensorsMutation;
pub use query::SensorsQuery;
pub use settings::SensorsSettings;
pub use subscription::SensorsSubscription;
