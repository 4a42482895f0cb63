//! What the server asks of the sensor domain: its per-process state, per-request loaders, the
//! provider ingest endpoints, the CSV export and the demo seed.

use std::sync::Arc;

use agora_entities::sensors::station;
use agora_platform::{AppError, AppResult, Platform, auth::Viewer};
use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use futures::Stream;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    SensorsSettings, adapters,
    service::{
        alerts, describe_span,
        exports::{self, ExportPacing, ExportSlots},
        find_station,
        forecasts::ForecastCache,
        ingest, readings, stations,
        windows::WindowCache,
    },
};

pub use crate::service::ingest::IngestReport;
pub use crate::types::STATION_TYPE;

/// Adds the sensor domain's per-request DataLoaders to `data`.
pub fn insert_loaders(data: &mut async_graphql::Data, platform: &Platform) {
    crate::loaders::insert(data, platform);
}

/// The answer of a provider ingest endpoint.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderIngest {
    /// The station written to.
    pub station_id: Uuid,
    /// The device id the payload named, if any.
    pub device_id: Option<String>,
    /// What became of the readings.
    #[serde(flatten)]
    pub report: IngestReport,
    /// What the adapter dropped or could not check (e.g. PurpleAir channels disagreeing).
    pub notes: Vec<String>,
}

/// A `stationId` query parameter: a station's global id or its UUID.
fn station_id(raw: &str) -> AppResult<Uuid> {
    agora_platform::ids::decode(
        &async_graphql::ID(raw.to_owned()),
        STATION_TYPE,
        "stationId",
    )
    .or_else(|_| Uuid::parse_str(raw))
    .map_err(|_| AppError::bad_input("stationId", "not a station id"))
}

/// The station a provider payload is for: the device key's own station, or for an admin the
/// `stationId` query parameter (a global id or a UUID).
fn target_station(viewer: &Viewer, requested: Option<&str>) -> AppResult<Uuid> {
    let requested = requested.map(station_id).transpose()?;
    let station = match (viewer, requested) {
        (Viewer::ApiKey(key), requested) if key.station_id.is_some() => {
            let own = key.station_id.unwrap_or_default();
            if requested.is_some_and(|r| r != own) {
                return Err(AppError::Forbidden(
                    "this device key is bound to another station".into(),
                ));
            }
            own
        }
        (_, Some(requested)) => requested,
        (Viewer::Anonymous, None) => {
            return Err(AppError::Unauthenticated(
                "send the station's device key in X-Api-Key".into(),
            ));
        }
        (_, None) => {
            return Err(AppError::bad_input(
                "stationId",
                "name the station with ?stationId=",
            ));
        }
    };
    ingest::authorize(viewer, station)?;
    Ok(station)
}

/// `POST /ingest/purpleair` and `/ingest/airqo`: adapts the provider's payload and ingests it
/// through the same path as `ingestReadings`.
pub async fn ingest_payload(
    platform: &Platform,
    runtime: &SensorsRuntime,
    viewer: &Viewer,
    provider: Provider,
    station: Option<&str>,
    body: &[u8],
) -> AppResult<ProviderIngest> {
    let station_id = target_station(viewer, station)?;
    let adapted = match provider {
        Provider::Purpleair => adapters::purpleair(body),
        Provider::Airqo => adapters::airqo(body),
        Provider::Generic => {
            return Err(AppError::bad_input(
                "provider",
                "generic devices use the ingestReadings mutation",
            ));
        }
    }
    .map_err(|e| AppError::bad_input("body", e.message()))?;
    let drafts = adapted
        .readings
        .iter()
        .map(|r| ingest::ReadingDraft {
            parameter: r.parameter,
            value: r.value,
            unit: Some(r.unit.to_owned()),
            observed_at: r.observed_at,
        })
        .collect();
    let report = ingest::ingest(platform, runtime, station_id, drafts).await?;
    Ok(ProviderIngest {
        station_id,
        device_id: adapted.device_id,
        report,
        notes: adapted.notes,
    })
}

/// The sensor domain's per-process state: the forecast cache, the anomaly windows kept between
/// ingests and the export slots. The
/// server builds one, puts it in the schema's data and keeps it for the export endpoint.
#[derive(Clone)]
pub struct SensorsRuntime {
    /// Fitted forecast models by station, parameter and hour.
    pub forecasts: Arc<ForecastCache>,
    /// Readings exports running on this replica.
    pub exports: Arc<ExportSlots>,
    /// Sensors' anomaly windows as the last ingest left them.
    pub windows: Arc<WindowCache>,
    /// The settings it was built from.
    pub settings: SensorsSettings,
    pacing: ExportPacing,
}

impl SensorsRuntime {
    /// The state `settings` set up.
    pub fn new(settings: SensorsSettings) -> Self {
        Self {
            forecasts: Arc::new(ForecastCache::new(&settings)),
            exports: Arc::new(ExportSlots::new(&settings)),
            windows: Arc::new(WindowCache::new(settings.window_cache_size)),
            pacing: ExportPacing::new(&settings),
            settings,
        }
    }
}

/// Query parameters of `GET /export/readings.csv`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportParams {
    /// The station (global id or UUID).
    pub station_id: String,
    /// One parameter (e.g. `PM25`); all when omitted.
    pub parameter: Option<String>,
    /// Start, RFC 3339 (default: 7 days before `to`).
    pub from: Option<DateTime<Utc>>,
    /// End, exclusive, RFC 3339 (default: now).
    pub to: Option<DateTime<Utc>>,
}

/// Checks an export request and returns the file name and the CSV stream. Signed-in users and
/// keys that act for their owner may export; a station device key only pushes readings
/// (`FORBIDDEN`). One request covers at most `AGORA_EXPORT_MAX_RANGE` (31 days), and a user
/// runs at most `AGORA_EXPORT_MAX_PER_USER` exports at once, a replica
/// `AGORA_EXPORT_MAX_PER_REPLICA` (`RATE_LIMITED` beyond).
pub async fn export_csv(
    platform: &Platform,
    runtime: &SensorsRuntime,
    viewer: &Viewer,
    params: ExportParams,
) -> AppResult<(
    String,
    impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static,
)> {
    let user = viewer.require_user()?;
    if viewer.is_device_key() {
        return Err(AppError::Forbidden(
            "a station device key only pushes readings; export with a user's token".into(),
        ));
    }
    let station_id = station_id(&params.station_id)?;
    let parameter = params
        .parameter
        .as_deref()
        .map(|p| {
            Pollutant::parse(&p.to_ascii_uppercase()).ok_or_else(|| {
                AppError::bad_input(
                    "parameter",
                    "parameter must be one of PM25, PM10, O3, NO2, SO2, CO, TEMPERATURE, HUMIDITY",
                )
            })
        })
        .transpose()?;
    let to = params.to.unwrap_or_else(|| platform.clock.now());
    let from = params.from.unwrap_or(to - Duration::days(7));
    if to <= from {
        return Err(AppError::bad_input("to", "`to` must be after `from`"));
    }
    if (to - from)
        .to_std()
        .is_ok_and(|span| span > runtime.settings.export_max_range)
    {
        return Err(AppError::bad_input(
            "from",
            format!(
                "one export covers at most {} (AGORA_EXPORT_MAX_RANGE); export a longer span \
                 in parts",
                describe_span(runtime.settings.export_max_range)
            ),
        ));
    }
    let station = find_station(&platform.db, station_id).await?;
    let permit = runtime.exports.acquire(user)?;
    let name = format!(
        "readings-{}-{}-{}.csv",
        station.id,
        parameter.map_or("all", |p| p.as_str()),
        from.format("%Y%m%d")
    );
    let range = readings::ExportRange {
        station_id,
        parameters: parameter.map_or_else(|| Pollutant::ALL.to_vec(), |p| vec![p]),
        from,
        to,
    };
    Ok((
        name,
        exports::stream(platform.db.clone(), range, runtime.pacing, permit),
    ))
}

/// A demo station from `fixtures/sensors/stations.json`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StationFixture {
    /// Name (the seed's identity: a station of that name is left alone).
    pub name: String,
    /// Latitude.
    pub latitude: f64,
    /// Longitude.
    pub longitude: f64,
    /// City.
    pub city: String,
    /// ISO country code.
    pub country: String,
    /// `GENERIC`, `PURPLEAIR` or `AIRQO`.
    pub provider: String,
    /// Typical PM2.5, µg/m³, for the simulator.
    pub base_pm25: f64,
    /// Local offset from UTC, hours (the diurnal cycle follows local time).
    pub utc_offset_hours: i32,
    /// After this many samples the PM2.5 sensor sticks (a stuck-sensor demo).
    #[serde(default)]
    pub stuck_pm25_after: Option<usize>,
    /// A PM2.5 alert threshold to create on the station, µg/m³.
    #[serde(default)]
    pub alert_pm25: Option<f64>,
}

/// Simulated history: days, and minutes between samples.
pub const DEMO_DAYS: i64 = 7;
/// Minutes between simulated demo samples.
pub const DEMO_STEP_MINUTES: i64 = 10;

/// Registers the demo stations (owned by `admin`) with [`DEMO_DAYS`] of simulated history
/// through the ingest path, alert rules where the fixture asks, and `followers` following
/// each. Idempotent by station name. Returns readings stored.
pub async fn seed_demo(
    platform: &Platform,
    runtime: &SensorsRuntime,
    admin: Uuid,
    fixtures: &[StationFixture],
    followers: &[Uuid],
) -> AppResult<usize> {
    let viewer = Viewer::User(agora_platform::auth::UserViewer {
        user_id: admin,
        role: agora_platform::auth::Role::Admin,
        session_id: Uuid::nil(),
    });
    let mut stored = 0;
    for (n, fixture) in fixtures.iter().enumerate() {
        let exists = station::Entity::find()
            .filter(station::Column::Name.eq(fixture.name.as_str()))
            .count(&platform.db)
            .await?
            > 0;
        if exists {
            continue;
        }
        let provider = Provider::parse(&fixture.provider).unwrap_or(Provider::Generic);
        let created = stations::create(
            platform,
            &viewer,
            stations::NewStation {
                name: fixture.name.clone(),
                latitude: fixture.latitude,
                longitude: fixture.longitude,
                city: fixture.city.clone(),
                country: fixture.country.clone(),
                provider,
            },
        )
        .await?;
        if let Some(threshold) = fixture.alert_pm25 {
            alerts::create_rule(
                platform,
                &viewer,
                created.id,
                alerts::Condition::Threshold(Pollutant::Pm25, threshold),
                30,
            )
            .await?;
        }
        for user in followers {
            stations::follow(platform, *user, created.id).await?;
        }
        let mut simulator = Simulator::new(StationProfile {
            base_pm25: fixture.base_pm25,
            seed: 1_000 + n as u64,
            stuck_pm25_after: fixture.stuck_pm25_after,
            utc_offset_hours: fixture.utc_offset_hours,
        });
        let now = platform.clock.now();
        let start = now - Duration::days(DEMO_DAYS);
        let mut at = start;
        let mut station_readings = 0;
        let mut batch = Vec::with_capacity(ingest::MAX_BATCH);
        while at <= now {
            for (parameter, value) in simulator.sample(at) {
                batch.push(ingest::ReadingDraft {
                    parameter,
                    value,
                    unit: None,
                    observed_at: at,
                });
            }
            if batch.len() + 8 > ingest::MAX_BATCH {
                station_readings +=
                    ingest::ingest(platform, runtime, created.id, std::mem::take(&mut batch))
                        .await?
                        .accepted;
            }
            at += Duration::minutes(DEMO_STEP_MINUTES);
        }
        if !batch.is_empty() {
            station_readings += ingest::ingest(platform, runtime, created.id, batch)
                .await?
                .accepted;
        }
        stored += station_readings;
        tracing::info!(station = %fixture.name, readings = station_readings, "demo station ready");
    }
    Ok(stored)
}

pub use crate::types::Station;

/// Station `id` for `node(id:)`; None when it does not exist.
pub async fn station_node(platform: &Platform, id: Uuid) -> AppResult<Option<Station>> {
    match crate::service::find_station(&platform.db, id).await {
        Ok(found) => Ok(Some(Station(found))),
        Err(AppError::NotFound(_)) => Ok(None),
        Err(other) => Err(other),
    }
}

// The server's simulator task and the sensors benchmark drive the domain directly.
pub use crate::{
    model::{Bucket, Pollutant, Provider},
    service::{
        ingest::{ReadingDraft, ingest as ingest_readings},
        readings::series as reading_series,
        stations::{NewStation, create as create_station},
    },
    simulate::{Simulator, StationProfile},
};
