//! The sensors domain's settings, flattened into the `agora` CLI; the server builds the
//! [`SensorsRuntime`](crate::api::SensorsRuntime) from them.

use std::time::Duration;

/// Ingest, export and forecast limits.
#[derive(Debug, Clone, clap::Args)]
pub struct SensorsSettings {
    /// Readings observed longer ago than this are refused by ingest, each with its reason;
    /// admins back-fill older ones with `ingestReadings(backfill: true)`.
    #[arg(long = "ingest-max-age", env = "AGORA_INGEST_MAX_AGE", default_value = "30d",
          global = true, value_parser = agora_platform::config::parse_duration)]
    pub ingest_max_age: Duration,

    /// Longest span of time one `GET /export/readings.csv` may cover (400 beyond).
    #[arg(long = "export-max-range", env = "AGORA_EXPORT_MAX_RANGE", default_value = "31d",
          global = true, value_parser = agora_platform::config::parse_duration)]
    pub export_max_range: Duration,

    /// Readings exports one user (with their keys) may run at once on a replica (429 beyond).
    #[arg(
        long = "export-max-per-user",
        env = "AGORA_EXPORT_MAX_PER_USER",
        default_value_t = 2,
        global = true,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub export_max_per_user: u32,

    /// Readings exports a replica runs at once, all users together (429 beyond).
    #[arg(
        long = "export-max-per-replica",
        env = "AGORA_EXPORT_MAX_PER_REPLICA",
        default_value_t = 8,
        global = true,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub export_max_per_replica: u32,

    /// Rows a readings export reads per statement; its database connection goes back to the
    /// pool between statements.
    #[arg(
        long = "export-chunk-rows",
        env = "AGORA_EXPORT_CHUNK_ROWS",
        default_value_t = 5_000,
        global = true,
        value_parser = clap::value_parser!(u32).range(1..=50_000)
    )]
    pub export_chunk_rows: u32,

    /// A client that takes no bytes of a readings export for this long is disconnected.
    #[arg(long = "export-write-timeout", env = "AGORA_EXPORT_WRITE_TIMEOUT", default_value = "10s",
          global = true, value_parser = agora_platform::config::parse_duration)]
    pub export_write_timeout: Duration,

    /// Fitted forecast models kept in memory, one per station, parameter and hour (LRU).
    #[arg(
        long = "forecast-cache-size",
        env = "AGORA_FORECAST_CACHE_SIZE",
        default_value_t = 1_000,
        global = true,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub forecast_cache_size: u32,

    /// Sensors whose anomaly window (up to 1,440 recent values, ~23 KB) a replica keeps in
    /// memory between ingests instead of reading it back each time (LRU); 0 keeps none.
    #[arg(
        long = "sensor-window-cache",
        env = "AGORA_SENSOR_WINDOW_CACHE",
        default_value_t = 4_096,
        global = true
    )]
    pub window_cache_size: u32,
}
