//! GraphQL types of the sensor domain.

use agora_entities::sensors::{alert, alert_rule, reading, sensor, station};
use agora_identity::api::{User, load_user};
use agora_platform::{
    AppError,
    context::ContextExt,
    ids,
    pagination::{PageRequest, TimeCursor},
};
use async_graphql::{
    ComplexObject, Context, ID, InputObject, Object, Result, SimpleObject, connection::Connection,
};
use chrono::{DateTime, Duration, Utc};

use crate::{
    api::SensorsRuntime,
    aqi::AqiCategory,
    events::{LiveAqi, LiveReading},
    loaders::SensorsLoader,
    model::{Bucket, Pollutant, Provider},
    service::{self, alerts, ingest, readings, stations},
};

/// Global-id type name of stations.
pub use agora_events::sensors::STATION_TYPE;
/// Global-id type name of alert rules.
pub(crate) const ALERT_RULE_TYPE: &str = "AlertRule";
/// Global-id type name of alerts.
pub(crate) use agora_events::sensors::ALERT_TYPE;

/// A monitoring station.
pub struct Station(pub station::Model);

/// A monitoring station.
#[Object]
impl Station {
    /// Global id.
    pub async fn id(&self) -> ID {
        ids::encode(STATION_TYPE, self.0.id)
    }

    /// Display name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// WGS84 latitude, degrees.
    async fn latitude(&self) -> f64 {
        self.0.latitude
    }

    /// WGS84 longitude, degrees.
    async fn longitude(&self) -> f64 {
        self.0.longitude
    }

    /// City.
    async fn city(&self) -> &str {
        &self.0.city
    }

    /// ISO 3166-1 alpha-2 country code.
    async fn country(&self) -> &str {
        &self.0.country
    }

    /// Hardware provider.
    async fn provider(&self) -> Provider {
        Provider::parse(&self.0.provider).unwrap_or(Provider::Generic)
    }

    /// Who registered it (null if that account is gone).
    async fn owner(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        match self.0.owner_id {
            Some(id) if ctx.viewer().user_id().is_some() => load_user(ctx, id).await,
            _ => Ok(None),
        }
    }

    /// When it was registered.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// One sensor per parameter the station has reported.
    async fn sensors(&self, ctx: &Context<'_>) -> Result<Vec<Sensor>> {
        Ok(self
            .sensor_rows(ctx)
            .await?
            .into_iter()
            .map(Sensor)
            .collect())
    }

    /// The newest reading of every parameter.
    async fn latest(&self, ctx: &Context<'_>) -> Result<Vec<Reading>> {
        Ok(self
            .sensor_rows(ctx)
            .await?
            .into_iter()
            .filter_map(|s| Sensor(s).latest_reading())
            .collect())
    }

    /// The US EPA AQI as of the last ingest (null before any pollutant data).
    async fn aqi(&self) -> Option<Aqi> {
        Aqi::of_station(&self.0)
    }

    /// Time-bucketed statistics of one parameter over `[from, to)`, anomalies excluded; at most
    /// 2,000 buckets.
    async fn series(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The parameter measured.")] parameter: Pollutant,
        #[graphql(desc = "The width of each bucket; the range holds at most 2,000 of them.")]
        bucket: Bucket,
        #[graphql(desc = "The start of the range (included).")] from: DateTime<Utc>,
        #[graphql(desc = "The end of the range (excluded); after `from`.")] to: DateTime<Utc>,
    ) -> Result<Vec<SeriesPoint>> {
        let points =
            readings::series(&ctx.platform()?.db, self.0.id, parameter, bucket, from, to).await?;
        Ok(points.into_iter().map(SeriesPoint).collect())
    }

    /// A forecast of one parameter `horizonHours` (1–72) ahead, from Holt-Winters with daily
    /// seasonality fitted on up to 28 days of hourly averages; null without enough history.
    /// The fit is made once per station, parameter and hour and shared by every horizon.
    async fn forecast(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The parameter to forecast.")] parameter: Pollutant,
        #[graphql(desc = "How many hours ahead, 1 to 72.")] horizon_hours: i32,
    ) -> Result<Option<Forecast>> {
        let horizon = usize::try_from(horizon_hours).unwrap_or(0);
        let platform = ctx.platform()?;
        let runtime = ctx
            .data::<SensorsRuntime>()
            .map_err(|_| AppError::internal("SensorsRuntime missing from the schema data"))?;
        let now = platform.clock.now();
        Ok(runtime
            .forecasts
            .forecast(&platform.db, self.0.id, parameter, horizon, now)
            .await?
            .map(|(forecast, start)| Forecast {
                method: forecast.method,
                points: forecast
                    .points
                    .iter()
                    .map(|p| ForecastPoint {
                        at: start + Duration::hours(p.step as i64 - 1),
                        value: p.value,
                        lower: p.lower,
                        upper: p.upper,
                    })
                    .collect(),
                backtest_mae: forecast.backtest_mae,
                persistence_mae: forecast.persistence_mae,
            }))
    }

    /// Alerts of this station, newest first.
    #[graphql(
        complexity = "first.unwrap_or(20).max(last.unwrap_or(0)) as usize * child_complexity + 1"
    )]
    async fn alerts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many from the start.")] first: Option<i32>,
        #[graphql(desc = "Start after this cursor (a page's `endCursor`).")] after: Option<String>,
        #[graphql(desc = "At most this many from the end.")] last: Option<i32>,
        #[graphql(desc = "End before this cursor (a page's `startCursor`).")] before: Option<
            String,
        >,
    ) -> Result<Connection<String, Alert>> {
        let page = PageRequest::<TimeCursor>::from_args(first, after, last, before)?;
        let page = alerts::page(&ctx.platform()?.db, self.0.id, &page).await?;
        Ok(page.into_connection(Alert))
    }

    /// The station's alert rules: admins and the station's owner; null for anyone else, with
    /// the error saying why.
    async fn alert_rules(&self, ctx: &Context<'_>) -> Result<Option<Vec<AlertRule>>> {
        service::require_manager(ctx.viewer(), &self.0)?;
        Ok(Some(
            alerts::rules(&ctx.platform()?.db, self.0.id)
                .await?
                .into_iter()
                .map(AlertRule)
                .collect(),
        ))
    }

    /// Whether you follow the station (false when signed out).
    async fn viewer_follows(&self, ctx: &Context<'_>) -> Result<bool> {
        match ctx.viewer().user_id() {
            Some(user) => Ok(stations::follows(&ctx.platform()?.db, user, self.0.id).await?),
            None => Ok(false),
        }
    }
}

impl Station {
    async fn sensor_rows(&self, ctx: &Context<'_>) -> Result<Vec<sensor::Model>> {
        Ok(ctx
            .loader::<SensorsLoader>()?
            .load_one(self.0.id)
            .await
            .map_err(AppError::Internal)?
            .unwrap_or_default())
    }
}

/// A station's sensor for one parameter.
pub(crate) struct Sensor(pub sensor::Model);

impl Sensor {
    fn latest_reading(&self) -> Option<Reading> {
        Some(Reading {
            parameter: Pollutant::parse(&self.0.parameter)?,
            value: self.0.latest_value,
            observed_at: self.0.latest_observed_at,
            ingested_at: None,
            anomaly: self.0.latest_anomaly,
            stuck: self.0.latest_stuck,
        })
    }
}

/// A station's sensor for one parameter.
#[Object]
impl Sensor {
    /// What it measures.
    async fn parameter(&self) -> Result<Pollutant> {
        Pollutant::parse(&self.0.parameter).ok_or_else(|| {
            AppError::internal(format!("unknown sensor parameter {:?}", self.0.parameter)).into()
        })
    }

    /// The unit its values are in.
    async fn unit(&self) -> &'static str {
        Pollutant::unit_of(&self.0.parameter)
    }

    /// When its first reading arrived.
    async fn first_seen_at(&self) -> DateTime<Utc> {
        self.0.first_seen_at
    }

    /// Its newest reading.
    async fn latest(&self) -> Option<Reading> {
        self.latest_reading()
    }
}

/// One reading, in its parameter's canonical unit.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(complex)]
pub(crate) struct Reading {
    /// What was measured.
    pub parameter: Pollutant,
    /// The value, in `unit`.
    pub value: f64,
    /// When it was measured.
    pub observed_at: DateTime<Utc>,
    /// When it was stored (on live readings).
    pub ingested_at: Option<DateTime<Utc>>,
    /// Robust z-score above 5 against the previous 24 hours; kept, excluded from the AQI.
    pub anomaly: bool,
    /// The 12th identical value in a row (a stuck sensor); kept, excluded from the AQI.
    pub stuck: bool,
}

#[ComplexObject]
impl Reading {
    /// The canonical unit, e.g. `µg/m³`.
    async fn unit(&self) -> &'static str {
        self.parameter.canonical_unit()
    }
}

impl Reading {
    /// A stored reading; None for a parameter this build does not know.
    pub(crate) fn from_row(r: reading::Model) -> Option<Self> {
        Some(Self {
            parameter: Pollutant::parse(&r.parameter)?,
            value: r.value,
            observed_at: r.observed_at,
            ingested_at: Some(r.ingested_at),
            anomaly: r.anomaly,
            stuck: r.stuck,
        })
    }
}

impl From<LiveReading> for Reading {
    fn from(r: LiveReading) -> Self {
        Self {
            parameter: r.parameter,
            value: r.value,
            observed_at: r.observed_at,
            ingested_at: Some(r.ingested_at),
            anomaly: r.anomaly,
            stuck: r.stuck,
        }
    }
}

/// A US EPA Air Quality Index.
#[derive(SimpleObject, Debug, Clone, PartialEq)]
#[graphql(complex)]
pub(crate) struct Aqi {
    /// The index (0–500; above 500 is "Beyond the AQI").
    pub value: i32,
    /// Its category.
    pub category: AqiCategory,
    /// The pollutant with the highest sub-index.
    pub dominant_pollutant: Pollutant,
    /// When it was computed.
    pub computed_at: DateTime<Utc>,
}

#[ComplexObject]
impl Aqi {
    /// The EPA name of the category, e.g. "Unhealthy for Sensitive Groups".
    async fn category_name(&self) -> &'static str {
        self.category.name()
    }
}

impl Aqi {
    /// The AQI stored on a station row.
    pub(crate) fn of_station(s: &station::Model) -> Option<Self> {
        Some(Self {
            value: s.aqi_value?,
            category: AqiCategory::parse(s.aqi_category.as_deref()?)?,
            dominant_pollutant: Pollutant::parse(s.aqi_dominant.as_deref()?)?,
            computed_at: s.aqi_computed_at?,
        })
    }
}

impl From<LiveAqi> for Aqi {
    fn from(a: LiveAqi) -> Self {
        Self {
            value: i32::try_from(a.value).unwrap_or(i32::MAX),
            category: a.category,
            dominant_pollutant: a.dominant,
            computed_at: a.computed_at,
        }
    }
}

/// One bucket of a series.
pub(crate) struct SeriesPoint(pub readings::SeriesPoint);

/// One bucket of a series.
#[Object]
impl SeriesPoint {
    /// Start of the bucket.
    async fn bucket_start(&self) -> DateTime<Utc> {
        self.0.bucket_start
    }
    /// Mean.
    async fn avg(&self) -> f64 {
        self.0.avg
    }
    /// Lowest value.
    async fn min(&self) -> f64 {
        self.0.min
    }
    /// Highest value.
    async fn max(&self) -> f64 {
        self.0.max
    }
    /// Readings in the bucket.
    async fn count(&self) -> i32 {
        i32::try_from(self.0.count).unwrap_or(i32::MAX)
    }
}

/// A forecast with its 80 % prediction intervals and backtest scores.
#[derive(SimpleObject, Debug, Clone)]
pub(crate) struct Forecast {
    /// How it was made.
    pub method: crate::model::ForecastMethod,
    /// One point per hour ahead.
    pub points: Vec<ForecastPoint>,
    /// Mean absolute error of this method at this horizon, from a rolling-origin backtest on
    /// the station's own history (null with too little history).
    pub backtest_mae: Option<f64>,
    /// The same for the persistence baseline (the last value carried forward).
    pub persistence_mae: Option<f64>,
}

/// One forecast hour.
#[derive(SimpleObject, Debug, Clone)]
pub(crate) struct ForecastPoint {
    /// The hour forecast (its start).
    pub at: DateTime<Utc>,
    /// The point forecast.
    pub value: f64,
    /// Lower bound of the 80 % prediction interval.
    pub lower: f64,
    /// Upper bound of the 80 % prediction interval.
    pub upper: f64,
}

/// An alert rule.
pub(crate) struct AlertRule(pub alert_rule::Model);

/// An alert rule.
#[Object]
impl AlertRule {
    /// Global id.
    async fn id(&self) -> ID {
        ids::encode(ALERT_RULE_TYPE, self.0.id)
    }
    /// The parameter watched (threshold rules).
    async fn parameter(&self) -> Option<Pollutant> {
        self.0.parameter.as_deref().and_then(Pollutant::parse)
    }
    /// The threshold in the parameter's canonical unit (threshold rules).
    async fn threshold(&self) -> Option<f64> {
        self.0.threshold
    }
    /// The AQI category that triggers (AQI rules).
    async fn aqi_category(&self) -> Option<AqiCategory> {
        self.0.aqi_category.as_deref().and_then(AqiCategory::parse)
    }
    /// Minutes the condition must hold before firing (and stay clear before resolving).
    async fn for_minutes(&self) -> i32 {
        self.0.for_minutes
    }
    /// Where the rule stands.
    async fn state(&self) -> crate::model::AlertRuleState {
        self.0.state.into()
    }
    /// The condition in words.
    async fn condition(&self) -> String {
        alerts::describe(&self.0)
    }
    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// One firing of an alert rule.
pub(crate) struct Alert(pub alert::Model);

/// One firing of an alert rule.
#[Object]
impl Alert {
    /// Global id.
    async fn id(&self) -> ID {
        ids::encode(ALERT_TYPE, self.0.id)
    }
    /// The condition that fired, in words.
    async fn condition(&self) -> &str {
        &self.0.condition
    }
    /// The value that fired it.
    async fn value(&self) -> f64 {
        self.0.value
    }
    /// When it fired.
    async fn started_at(&self) -> DateTime<Utc> {
        self.0.started_at
    }
    /// When it resolved; null while open.
    async fn resolved_at(&self) -> Option<DateTime<Utc>> {
        self.0.resolved_at
    }
}

/// What became of an ingest call.
#[derive(SimpleObject, Debug, Clone)]
pub(crate) struct IngestReport {
    /// Readings stored now.
    pub accepted: i32,
    /// Readings already stored, or repeated in the call: nothing changed.
    pub duplicates: i32,
    /// Readings refused, by index, with the reason.
    pub rejected: Vec<RejectedReading>,
}

/// A refused reading.
#[derive(SimpleObject, Debug, Clone)]
pub(crate) struct RejectedReading {
    /// Its index in `readings`.
    pub index: i32,
    /// Why it was refused.
    pub reason: String,
}

impl From<ingest::IngestReport> for IngestReport {
    fn from(r: ingest::IngestReport) -> Self {
        let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
        Self {
            accepted: count(r.accepted),
            duplicates: count(r.duplicates),
            rejected: r
                .rejected
                .into_iter()
                .map(|x| RejectedReading {
                    index: count(x.index),
                    reason: x.reason,
                })
                .collect(),
        }
    }
}

/// One reading to ingest.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct ReadingInput {
    /// What was measured.
    pub parameter: Pollutant,
    /// The value.
    pub value: f64,
    /// Its unit (e.g. `ppm`, `µg/m³`, `°F`); omitted means the canonical unit.
    pub unit: Option<String>,
    /// When it was measured: at most 5 minutes ahead of the server clock, and at most
    /// `AGORA_INGEST_MAX_AGE` (default 30 days) ago unless an admin back-fills.
    pub observed_at: DateTime<Utc>,
}

/// `createStation` input.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct CreateStationInput {
    /// 1 to 200 characters.
    pub name: String,
    /// −90 to 90.
    pub latitude: f64,
    /// −180 to 180.
    pub longitude: f64,
    /// 1 to 100 characters.
    pub city: String,
    /// ISO 3166-1 alpha-2 code, e.g. `KE`.
    pub country: String,
    /// Hardware provider (default `GENERIC`).
    #[graphql(default_with = "Provider::Generic")]
    pub provider: Provider,
}

/// `updateStation` input: omitted fields stay as they are.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct UpdateStationInput {
    /// The station.
    pub id: ID,
    /// New name.
    pub name: Option<String>,
    /// New latitude.
    pub latitude: Option<f64>,
    /// New longitude.
    pub longitude: Option<f64>,
    /// New city.
    pub city: Option<String>,
    /// New country code.
    pub country: Option<String>,
    /// New provider.
    pub provider: Option<Provider>,
}

/// `createAlertRule` input: a parameter with a threshold, or an AQI category.
#[derive(InputObject, Debug, Clone)]
pub(crate) struct CreateAlertRuleInput {
    /// The station.
    pub station_id: ID,
    /// The parameter watched (with `threshold`).
    pub parameter: Option<Pollutant>,
    /// The threshold, in the parameter's canonical unit (with `parameter`).
    pub threshold: Option<f64>,
    /// Fire when the AQI is in this category or worse (instead of `parameter`/`threshold`).
    pub aqi_category: Option<AqiCategory>,
    /// Minutes the condition must hold before the alert fires (0–1440).
    #[graphql(default = 0)]
    pub for_minutes: i32,
}

/// A circle to search in.
#[derive(InputObject, Debug, Clone, Copy)]
pub(crate) struct NearInput {
    /// Centre latitude.
    pub latitude: f64,
    /// Centre longitude.
    pub longitude: f64,
    /// Radius in km (up to 1,000).
    pub radius_km: f64,
}

/// A box to search in; `minLongitude > maxLongitude` crosses the antimeridian.
#[derive(InputObject, Debug, Clone, Copy)]
pub(crate) struct BoundingBoxInput {
    /// South edge.
    pub min_latitude: f64,
    /// West edge.
    pub min_longitude: f64,
    /// North edge.
    pub max_latitude: f64,
    /// East edge.
    pub max_longitude: f64,
}

impl From<NearInput> for stations::Near {
    fn from(n: NearInput) -> Self {
        Self {
            latitude: n.latitude,
            longitude: n.longitude,
            radius_km: n.radius_km,
        }
    }
}

impl From<BoundingBoxInput> for stations::BoundingBox {
    fn from(b: BoundingBoxInput) -> Self {
        Self {
            min_latitude: b.min_latitude,
            min_longitude: b.min_longitude,
            max_latitude: b.max_latitude,
            max_longitude: b.max_longitude,
        }
    }
}
