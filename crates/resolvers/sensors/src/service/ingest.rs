//! Ingestion: validate, convert, flag, store idempotently, update the station, evaluate its
//! alert rules; publish what was stored after commit.
//!
//! One call is one transaction. On PostgreSQL the readings go in with one
//! `INSERT ... SELECT FROM UNNEST($arrays) ON CONFLICT DO NOTHING RETURNING` per 5,000 rows:
//! five array parameters however many rows, so the statement is parsed and planned once and
//! no bind-parameter limit applies. SQLite gets multi-row `VALUES` in chunks (its bind limit).

use std::collections::{BTreeMap, HashMap, VecDeque};

use agora_entities::sensors::{reading, reading_hour, sensor, station};
use agora_platform::{AppError, AppResult, Platform, auth::Viewer};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, FromQueryResult,
    QueryFilter, Statement,
    sea_query::{Alias, Expr, ExprTrait as _, OnConflict},
};
use serde::Serialize;
use uuid::Uuid;

use super::{
    alerts, find_station, readings,
    windows::{WINDOW_SPAN, Window, WindowCache},
};
use crate::{
    anomaly,
    api::SensorsRuntime,
    events::{LiveAqi, LiveMessage, LiveReading, channel},
    model::Pollutant,
    units,
};

/// Most readings one call may carry.
pub(crate) const MAX_BATCH: usize = 5_000;
/// How far ahead of the server clock an observation may be stamped (clock skew allowance).
pub(crate) const FUTURE_TOLERANCE: Duration = Duration::minutes(5);
/// The anomaly window: the previous 24 hours of a sensor's values, at most this many.
pub(crate) const WINDOW_LIMIT: u64 = 1_440;
/// Readings per bus message: a subscriber receives a batch as few messages, in order, so a
/// 5,000-reading batch cannot overrun its buffer.
pub(crate) const LIVE_CHUNK: usize = 1_000;
/// Rows per multi-row `VALUES` statement on SQLite (7 binds each, under its 32,766 limit).
const SQLITE_CHUNK: usize = 1_000;
/// Rows per `UNNEST` statement on PostgreSQL: a whole 1,000-reading call in one statement.
/// Before the driver set `TCP_NODELAY` (see `vendor/README.md`), a statement over about 16 KB
/// of parameters waited ~45 ms for the server's delayed ACK and 250 rows was the sweet spot;
/// now one statement measures the same (86,900 readings/s against 83,300).
const PG_CHUNK: usize = 1_000;

/// One reading as a device sent it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadingDraft {
    /// What was measured.
    pub parameter: Pollutant,
    /// The value, in `unit`.
    pub value: f64,
    /// Its unit; none means the parameter's canonical unit.
    pub unit: Option<String>,
    /// When it was measured.
    pub observed_at: DateTime<Utc>,
}

/// A reading refused, by its position in the batch.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rejection {
    /// Index in the submitted list.
    pub index: usize,
    /// Why.
    pub reason: String,
}

/// What became of a batch.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IngestReport {
    /// Readings stored now.
    pub accepted: usize,
    /// Readings already stored (or repeated within the batch): nothing changed.
    pub duplicates: usize,
    /// Readings refused, with reasons.
    pub rejected: Vec<Rejection>,
}

/// Checks that `viewer` may push readings for `station_id`: a `SENSORS_WRITE` key bound to that
/// station, or an admin.
pub(crate) fn authorize(viewer: &Viewer, station_id: Uuid) -> AppResult<()> {
    match viewer {
        Viewer::Anonymous => Err(AppError::Unauthenticated(
            "send a station device key in X-Api-Key".into(),
        )),
        Viewer::ApiKey(key)
            if key
                .scopes
                .contains(&agora_platform::auth::ApiScope::SensorsWrite) =>
        {
            if key.station_id == Some(station_id) {
                Ok(())
            } else {
                Err(AppError::Forbidden(
                    "this device key is bound to another station".into(),
                ))
            }
        }
        // An admin's READ or PARTNER key only reads: writing readings needs a WRITE key.
        _ if viewer.is_admin() && viewer.may_mutate() => Ok(()),
        _ => Err(AppError::Forbidden(
            "readings come from the station's device key, an admin or an admin's WRITE key".into(),
        )),
    }
}

/// How old a reading may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    /// Live data from a device: observed within `max_age` (`AGORA_INGEST_MAX_AGE`, default
    /// 30 days).
    Live {
        /// The oldest a reading may be.
        max_age: std::time::Duration,
    },
    /// An admin's back-fill: any age (still not in the future).
    Backfill,
}

/// Checks that `viewer` may back-fill: a signed-in admin. A key is refused even when its owner
/// is an admin, since station device keys are created by admins and act with their role.
pub(crate) fn authorize_backfill(viewer: &Viewer) -> AppResult<()> {
    match viewer {
        Viewer::User(user) if user.role == agora_platform::auth::Role::Admin => Ok(()),
        _ => Err(AppError::Forbidden(
            "only a signed-in admin back-fills old readings".into(),
        )),
    }
}

/// Validates and stores live `drafts` for `station_id` (the caller has authorized), then
/// publishes the stored readings and any AQI change.
pub async fn ingest(
    platform: &Platform,
    runtime: &SensorsRuntime,
    station_id: Uuid,
    drafts: Vec<ReadingDraft>,
) -> AppResult<IngestReport> {
    let admission = Admission::Live {
        max_age: runtime.settings.ingest_max_age,
    };
    ingest_as(platform, &runtime.windows, station_id, drafts, admission).await
}

/// [`ingest`], with readings of any age admitted when `admission` is [`Admission::Backfill`]
/// (the caller has checked [`authorize_backfill`]).
pub(crate) async fn ingest_as(
    platform: &Platform,
    cache: &WindowCache,
    station_id: Uuid,
    drafts: Vec<ReadingDraft>,
    admission: Admission,
) -> AppResult<IngestReport> {
    if drafts.len() > MAX_BATCH {
        return Err(AppError::bad_input(
            "readings",
            format!("send at most {MAX_BATCH} readings per call"),
        ));
    }
    let now = platform.clock.now();
    // A reading from the year 0 (or last year) is a device clock fault, not data: it would
    // land outside every window the AQI, alerts and forecasts read and stay there.
    let (oldest, max_age) = match admission {
        Admission::Live { max_age } => (
            Some(
                Duration::from_std(max_age)
                    .ok()
                    .and_then(|age| now.checked_sub_signed(age))
                    .unwrap_or(DateTime::<Utc>::MIN_UTC),
            ),
            max_age,
        ),
        Admission::Backfill => (None, std::time::Duration::ZERO),
    };
    let mut report = IngestReport::default();
    let mut seen: HashMap<(Pollutant, DateTime<Utc>), ()> = HashMap::with_capacity(drafts.len());
    let mut by_parameter: BTreeMap<Pollutant, Vec<(DateTime<Utc>, f64)>> = BTreeMap::new();
    for (index, draft) in drafts.into_iter().enumerate() {
        if draft.observed_at > now + FUTURE_TOLERANCE {
            report.rejected.push(Rejection {
                index,
                reason: "observedAt is more than 5 minutes in the future".into(),
            });
            continue;
        }
        if oldest.is_some_and(|oldest| draft.observed_at < oldest) {
            report.rejected.push(Rejection {
                index,
                reason: format!(
                    "observedAt is more than {} old (AGORA_INGEST_MAX_AGE); an admin back-fills \
                     older readings with ingestReadings(backfill: true)",
                    super::describe_span(max_age)
                ),
            });
            continue;
        }
        let value = match units::validate(draft.parameter, draft.value, draft.unit.as_deref()) {
            Ok(value) => value,
            Err(reason) => {
                report.rejected.push(Rejection { index, reason });
                continue;
            }
        };
        // Timestamps are stored to the microsecond; compare at that precision so a repeat
        // within the batch is caught here, not by the database.
        let observed_at = truncate_micros(draft.observed_at);
        if seen.insert((draft.parameter, observed_at), ()).is_some() {
            report.duplicates += 1;
            continue;
        }
        by_parameter
            .entry(draft.parameter)
            .or_default()
            .push((observed_at, value));
    }
    if by_parameter.is_empty() {
        find_station(&platform.db, station_id).await?;
        return Ok(report);
    }

    let mut stages = Stages::start();
    let txn = agora_platform::db::begin_write(&platform.db).await?;
    let station = find_station(&txn, station_id).await?;
    stages.mark("begin");
    let mut checked = Vec::new();
    for values in by_parameter.values_mut() {
        values.sort_by_key(|(at, _)| *at);
    }
    let windows = windows(&txn, cache, station_id, &by_parameter).await?;
    for (parameter, values) in &by_parameter {
        let window = windows.get(parameter).map(|w| w.window.values());
        flag(*parameter, window.unwrap_or_default(), values, &mut checked);
    }
    stages.mark("window");
    let stored = insert(&txn, station_id, &checked, now).await?;
    stages.mark("insert");
    report.accepted = stored.len();
    report.duplicates += checked.len() - stored.len();
    let mut aqi_change = None;
    let mut fired = false;
    let mut revisions = HashMap::new();
    if !stored.is_empty() {
        revisions = update_sensors(&txn, station_id, &stored, now).await?;
        add_to_hours(&txn, station_id, &stored).await?;
        stages.mark("sensors");
        let (current, changed) = refresh_aqi(&txn, &station, now).await?;
        stages.mark("aqi");
        fired = alerts::evaluate(&txn, &station, &stored, current.as_ref(), now).await?;
        stages.mark("alerts");
        aqi_change = current.filter(|_| changed);
    }
    txn.commit().await?;
    stages.mark("commit");
    keep_windows(cache, station_id, windows, &stored, &revisions);
    if fired {
        platform.wake_outbox();
    }
    publish(platform, station_id, &stored, aqi_change, now).await;
    stages.mark("publish");
    metrics::counter!("agora_sensor_readings_accepted_total").increment(report.accepted as u64);
    Ok(report)
}

/// Times the stages of one ingest into `agora_sensor_ingest_stage_seconds{stage}` (a fixed
/// set of eight labels: begin, window, insert, sensors, aqi, alerts, commit, publish), so a
/// soak shows which one grows.
struct Stages(std::time::Instant);

impl Stages {
    fn start() -> Self {
        Self(std::time::Instant::now())
    }

    /// Records the time since the previous mark as `stage`.
    fn mark(&mut self, stage: &'static str) {
        let now = std::time::Instant::now();
        metrics::histogram!("agora_sensor_ingest_stage_seconds", "stage" => stage)
            .record((now - self.0).as_secs_f64());
        self.0 = now;
    }
}

fn truncate_micros(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at)
}

/// A validated reading with its flags; what `insert` returns are the ones stored now.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Flagged {
    /// What was measured.
    pub parameter: Pollutant,
    /// Canonical value.
    pub value: f64,
    /// When.
    pub observed_at: DateTime<Utc>,
    /// Anomaly flag.
    pub anomaly: bool,
    /// Stuck flag.
    pub stuck: bool,
}

#[derive(Debug, FromQueryResult)]
struct WindowRow {
    parameter: String,
    observed_at: DateTime<Utc>,
    value: f64,
}

/// One parameter's anomaly window for a batch.
struct Loaded {
    /// Up to [`WINDOW_LIMIT`] readings from the 24 hours before the batch's first, oldest
    /// first, at the sensor's revision when read.
    window: Window,
    /// Whether the batch is newer than every stored reading of the sensor, so the window with
    /// the batch appended is the sensor's whole recent history (a copy worth keeping).
    newest: bool,
}

/// Each parameter's anomaly window: up to [`WINDOW_LIMIT`] values from the 24 hours before its
/// first reading in the batch, oldest first. From this replica's copy when it is whole (see
/// [`super::windows`]); the rest in one statement for every parameter (a `UNION ALL` of index
/// range scans, each stopping at its limit), so a batch costs one round trip here however many
/// parameters it carries.
async fn windows(
    txn: &DatabaseTransaction,
    cache: &WindowCache,
    station_id: Uuid,
    batch: &BTreeMap<Pollutant, Vec<(DateTime<Utc>, f64)>>,
) -> AppResult<HashMap<Pollutant, Loaded>> {
    let sensors: HashMap<Pollutant, sensor::Model> = sensor::Entity::find()
        .filter(sensor::Column::StationId.eq(station_id))
        .all(txn)
        .await?
        .into_iter()
        .filter_map(|s| Some((Pollutant::parse(&s.parameter)?, s)))
        .collect();
    let mut out = HashMap::new();
    let mut parts = Vec::new();
    let mut values: Vec<sea_orm::Value> = vec![station_id.into()];
    let mut missing = Vec::new();
    for (parameter, readings) in batch {
        let Some(&(first, _)) = readings.first() else {
            continue;
        };
        let stored = sensors.get(parameter);
        let revision = stored.map_or(0, |s| s.revision);
        let newest = stored.is_none_or(|s| s.latest_observed_at < first);
        let kept = if newest {
            cache
                .get(station_id, *parameter, revision)
                .and_then(|copy| copy.before(first))
        } else {
            None
        };
        if let Some(window) = kept {
            out.insert(*parameter, Loaded { window, newest });
            continue;
        }
        let since = first - WINDOW_SPAN;
        missing.push((*parameter, revision, since, newest));
        values.push(first.into());
        values.push(since.into());
        let (before, since) = (values.len() - 1, values.len());
        // The parameter name comes from the closed enum, never from client text.
        parts.push(format!(
            "SELECT * FROM (SELECT parameter, observed_at, value FROM readings \
              WHERE station_id = $1 AND parameter = '{}' AND observed_at < ${before} \
                AND observed_at >= ${since} \
              ORDER BY observed_at DESC LIMIT {WINDOW_LIMIT}) AS w{}",
            parameter.as_str(),
            parts.len()
        ));
    }
    if parts.is_empty() {
        return Ok(out);
    }
    let statement = Statement::from_sql_and_values(
        txn.get_database_backend(),
        parts.join(" UNION ALL "),
        values,
    );
    let mut rows = WindowRow::find_by_statement(statement).all(txn).await?;
    rows.sort_by_key(|r| r.observed_at);
    let mut read: HashMap<Pollutant, VecDeque<(DateTime<Utc>, f64)>> = HashMap::new();
    for row in rows {
        if let Some(parameter) = Pollutant::parse(&row.parameter) {
            read.entry(parameter)
                .or_default()
                .push_back((row.observed_at, row.value));
        }
    }
    for (parameter, revision, floor, newest) in missing {
        let window = Window {
            revision,
            floor,
            readings: read.remove(&parameter).unwrap_or_default(),
        };
        out.insert(parameter, Loaded { window, newest });
    }
    Ok(out)
}

/// After commit: keeps each parameter's window with the batch appended where this ingest was
/// the only write since the window was read (the revision moved by one), and drops the copy
/// of any other sensor this ingest wrote to.
fn keep_windows(
    cache: &WindowCache,
    station_id: Uuid,
    windows: HashMap<Pollutant, Loaded>,
    stored: &[Flagged],
    revisions: &HashMap<Pollutant, i64>,
) {
    for (parameter, loaded) in windows {
        let Some(&revision) = revisions.get(&parameter) else {
            // Nothing of this parameter was stored: the copy, if any, is as whole as before.
            continue;
        };
        if loaded.newest && revision == loaded.window.revision + 1 {
            let added = stored
                .iter()
                .filter(|r| r.parameter == parameter)
                .map(|r| (r.observed_at, r.value));
            cache.put(
                station_id,
                parameter,
                loaded.window.extended(added, revision),
            );
        } else {
            cache.forget(station_id, parameter);
        }
    }
}

/// Flags each of one parameter's readings (in time order) against its window (oldest first),
/// the batch's own earlier readings included.
fn flag(
    parameter: Pollutant,
    mut window: Vec<f64>,
    values: &[(DateTime<Utc>, f64)],
    out: &mut Vec<Flagged>,
) {
    let limit = WINDOW_LIMIT as usize;
    // A run at the edge of the physical range is a floor or a saturation (ozone at 0 on a
    // still night, humidity at 100 % in fog), not a stuck sensor.
    let (floor, ceiling) = units::physical_range(parameter);
    // The window's median and MAD are recomputed only after it has grown by a twentieth (or
    // while it is short): sorting 1,440 values for every reading of a 1,000-reading batch was
    // most of the ingest CPU, and a 5 % change in a 24-hour window barely moves either.
    let mut stats: Option<anomaly::RobustStats> = None;
    let mut added_since = 0usize;
    for &(observed_at, value) in values {
        let current = &window[window.len().saturating_sub(limit)..];
        if stats.is_none() || added_since * 20 >= current.len().max(20) {
            stats = anomaly::RobustStats::of(current);
            added_since = 0;
        }
        let run: Vec<f64> = window
            .iter()
            .rev()
            .take(anomaly::STUCK_RUN - 1)
            .copied()
            .collect();
        let at_edge = value <= floor || value >= ceiling;
        out.push(Flagged {
            parameter,
            value,
            observed_at,
            anomaly: stats.is_some_and(|s| s.is_anomaly(value)),
            stuck: anomaly::is_stuck(&run, value) && !at_edge,
        });
        window.push(value);
        added_since += 1;
    }
}

#[derive(Debug, FromQueryResult)]
struct InsertedRow {
    parameter: String,
    observed_at: DateTime<Utc>,
}

/// Inserts the readings, skipping ones already stored; returns those stored now, in time order
/// per parameter.
async fn insert(
    txn: &DatabaseTransaction,
    station_id: Uuid,
    rows: &[Flagged],
    now: DateTime<Utc>,
) -> AppResult<Vec<Flagged>> {
    let mut inserted: Vec<(String, DateTime<Utc>)> = Vec::with_capacity(rows.len());
    match txn.get_database_backend() {
        DbBackend::Postgres => {
            for chunk in rows.chunks(PG_CHUNK) {
                let statement = Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "INSERT INTO readings \
                       (station_id, parameter, observed_at, value, anomaly, stuck, ingested_at) \
                     SELECT $1, p, o, v, a, s, $2 \
                       FROM UNNEST($3::text[], $4::timestamptz[], $5::float8[], $6::bool[], $7::bool[]) \
                         AS t(p, o, v, a, s) \
                     ON CONFLICT DO NOTHING \
                     RETURNING parameter, observed_at",
                    [
                        station_id.into(),
                        now.into(),
                        chunk
                            .iter()
                            .map(|r| r.parameter.as_str().to_owned())
                            .collect::<Vec<String>>()
                            .into(),
                        chunk
                            .iter()
                            .map(|r| r.observed_at)
                            .collect::<Vec<DateTime<Utc>>>()
                            .into(),
                        chunk.iter().map(|r| r.value).collect::<Vec<f64>>().into(),
                        chunk
                            .iter()
                            .map(|r| r.anomaly)
                            .collect::<Vec<bool>>()
                            .into(),
                        chunk.iter().map(|r| r.stuck).collect::<Vec<bool>>().into(),
                    ],
                );
                let returned = InsertedRow::find_by_statement(statement).all(txn).await?;
                inserted.extend(returned.into_iter().map(|r| (r.parameter, r.observed_at)));
            }
        }
        _ => {
            for chunk in rows.chunks(SQLITE_CHUNK) {
                let models = chunk.iter().map(|r| reading::ActiveModel {
                    station_id: Set(station_id),
                    parameter: Set(r.parameter.as_str().to_owned()),
                    observed_at: Set(r.observed_at),
                    value: Set(r.value),
                    anomaly: Set(r.anomaly),
                    stuck: Set(r.stuck),
                    ingested_at: Set(now),
                });
                let returned = reading::Entity::insert_many(models)
                    .on_conflict_do_nothing_on([
                        reading::Column::StationId,
                        reading::Column::Parameter,
                        reading::Column::ObservedAt,
                    ])
                    .exec_with_returning_many(txn)
                    .await?;
                if let sea_orm::TryInsertResult::Inserted(rows) = returned {
                    inserted.extend(rows.into_iter().map(|r| (r.parameter, r.observed_at)));
                }
            }
        }
    }
    let new: std::collections::HashSet<(Pollutant, i64)> = inserted
        .into_iter()
        .filter_map(|(p, at)| Some((Pollutant::parse(&p)?, at.timestamp_micros())))
        .collect();
    Ok(rows
        .iter()
        .filter(|r| new.contains(&(r.parameter, r.observed_at.timestamp_micros())))
        .cloned()
        .collect())
}

/// Upserts each parameter's sensor row (its latest reading moves only forward in time) and
/// bumps its revision; returns the new revisions.
async fn update_sensors(
    txn: &DatabaseTransaction,
    station_id: Uuid,
    stored: &[Flagged],
    now: DateTime<Utc>,
) -> AppResult<HashMap<Pollutant, i64>> {
    let mut newest: BTreeMap<Pollutant, &Flagged> = BTreeMap::new();
    for row in stored {
        let entry = newest.entry(row.parameter).or_insert(row);
        if row.observed_at > entry.observed_at {
            *entry = row;
        }
    }
    let models: Vec<sensor::ActiveModel> = newest
        .into_values()
        .map(|r| sensor::ActiveModel {
            station_id: Set(station_id),
            parameter: Set(r.parameter.as_str().to_owned()),
            first_seen_at: Set(now),
            latest_value: Set(r.value),
            latest_observed_at: Set(r.observed_at),
            latest_anomaly: Set(r.anomaly),
            latest_stuck: Set(r.stuck),
            revision: Set(1),
        })
        .collect();
    let current = Expr::col((sensor::Entity, sensor::Column::LatestObservedAt));
    let incoming = Expr::col((Alias::new("excluded"), sensor::Column::LatestObservedAt));
    let newer = incoming.gt(current);
    let pick = |column: sensor::Column| {
        Expr::case(newer.clone(), Expr::col((Alias::new("excluded"), column)))
            .finally(Expr::col((sensor::Entity, column)))
    };
    let revisions = sensor::Entity::insert_many(models)
        .on_conflict(
            OnConflict::columns([sensor::Column::StationId, sensor::Column::Parameter])
                .value(
                    sensor::Column::LatestValue,
                    pick(sensor::Column::LatestValue),
                )
                .value(
                    sensor::Column::LatestAnomaly,
                    pick(sensor::Column::LatestAnomaly),
                )
                .value(
                    sensor::Column::LatestStuck,
                    pick(sensor::Column::LatestStuck),
                )
                .value(
                    sensor::Column::LatestObservedAt,
                    pick(sensor::Column::LatestObservedAt),
                )
                .value(
                    sensor::Column::Revision,
                    Expr::col((sensor::Entity, sensor::Column::Revision)).add(1),
                )
                .to_owned(),
        )
        .exec_with_returning(txn)
        .await?
        .into_iter()
        .filter_map(|s| Some((Pollutant::parse(&s.parameter)?, s.revision)))
        .collect();
    Ok(revisions)
}

/// Adds the newly stored unflagged readings to their hours' sums in `reading_hours`, which the
/// AQI and the forecast read: one upsert, its rows in key order so two batches of one station
/// take their row locks in the same order.
async fn add_to_hours(
    txn: &DatabaseTransaction,
    station_id: Uuid,
    stored: &[Flagged],
) -> AppResult<()> {
    let mut hours: BTreeMap<(Pollutant, i64), (f64, i64)> = BTreeMap::new();
    for row in stored.iter().filter(|r| !r.anomaly && !r.stuck) {
        let hour = row.observed_at.timestamp().div_euclid(3_600) * 3_600;
        let (total, count) = hours.entry((row.parameter, hour)).or_default();
        *total += row.value;
        *count += 1;
    }
    if hours.is_empty() {
        return Ok(());
    }
    let models =
        hours.into_iter().map(
            |((parameter, hour), (total, count))| reading_hour::ActiveModel {
                station_id: Set(station_id),
                parameter: Set(parameter.as_str().to_owned()),
                hour: Set(hour),
                total: Set(total),
                count: Set(count),
            },
        );
    let add = |column: reading_hour::Column| {
        Expr::col((reading_hour::Entity, column)).add(Expr::col((Alias::new("excluded"), column)))
    };
    reading_hour::Entity::insert_many(models)
        .on_conflict(
            OnConflict::columns([
                reading_hour::Column::StationId,
                reading_hour::Column::Parameter,
                reading_hour::Column::Hour,
            ])
            .value(
                reading_hour::Column::Total,
                add(reading_hour::Column::Total),
            )
            .value(
                reading_hour::Column::Count,
                add(reading_hour::Column::Count),
            )
            .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// Recomputes the station's AQI; stores it when it changed. Returns it and whether it changed.
async fn refresh_aqi(
    txn: &DatabaseTransaction,
    station: &station::Model,
    now: DateTime<Utc>,
) -> AppResult<(Option<LiveAqi>, bool)> {
    let Some(aqi) = readings::compute_aqi(txn, station.id, now).await? else {
        return Ok((None, false));
    };
    let live = LiveAqi {
        value: aqi.value,
        category: aqi.category,
        dominant: aqi.dominant,
        computed_at: now,
    };
    let unchanged = station.aqi_value == Some(aqi.value as i32)
        && station.aqi_category.as_deref() == Some(aqi.category.as_str())
        && station.aqi_dominant.as_deref() == Some(aqi.dominant.as_str());
    if unchanged {
        return Ok((Some(live), false));
    }
    station::Entity::update_many()
        .col_expr(station::Column::AqiValue, Expr::value(aqi.value as i32))
        .col_expr(
            station::Column::AqiCategory,
            Expr::value(aqi.category.as_str()),
        )
        .col_expr(
            station::Column::AqiDominant,
            Expr::value(aqi.dominant.as_str()),
        )
        .col_expr(station::Column::AqiComputedAt, Expr::value(now))
        .filter(station::Column::Id.eq(station.id))
        .exec(txn)
        .await?;
    Ok((Some(live), true))
}

/// Sends the stored readings (in time order, in chunks) and the AQI change on the station's
/// channel. A failure to publish is logged: the readings are stored, and a subscriber that
/// reconnects reads them back.
async fn publish(
    platform: &Platform,
    station_id: Uuid,
    stored: &[Flagged],
    aqi: Option<LiveAqi>,
    now: DateTime<Utc>,
) {
    let channel = channel(station_id);
    let mut ordered: Vec<&Flagged> = stored.iter().collect();
    ordered.sort_by_key(|r| (r.observed_at, r.parameter));
    for chunk in ordered.chunks(LIVE_CHUNK) {
        let message = LiveMessage::Readings {
            readings: chunk
                .iter()
                .map(|r| LiveReading {
                    parameter: r.parameter,
                    value: r.value,
                    observed_at: r.observed_at,
                    ingested_at: now,
                    anomaly: r.anomaly,
                    stuck: r.stuck,
                })
                .collect(),
        };
        send(platform, &channel, &message).await;
    }
    if let Some(aqi) = aqi {
        send(platform, &channel, &LiveMessage::Aqi { aqi }).await;
    }
}

async fn send(platform: &Platform, channel: &str, message: &LiveMessage) {
    match serde_json::to_string(message) {
        Ok(payload) => {
            if let Err(err) = platform.bus.publish(channel, &payload).await {
                tracing::warn!(channel, error = %err.log_message(), "sensor publish failed");
            }
        }
        Err(err) => tracing::warn!(channel, error = %err, "sensor message did not serialise"),
    }
}
