//! Reading the data back: the AQI from hourly means, time-bucketed series, the hourly
//! history a forecast fits, and the CSV export's chunks.
//!
//! The AQI and the forecast read `reading_hours` (a sum and count per station, parameter and
//! hour, kept by the ingest transaction): at most one row per hour.
//! Bucketing is SQL on both backends: PostgreSQL floors `extract(epoch ...)`, SQLite floors
//! `strftime('%s', ...)`; both group on the readings' primary key range
//! `(station_id, parameter, observed_at)`, so a 7-day hourly series touches only that
//! station's rows of that parameter in that week.

use std::collections::HashMap;

use agora_entities::sensors::reading_hour;
use agora_platform::{AppError, AppResult, csv_cell};
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    Statement,
};
use uuid::Uuid;

use crate::{
    aqi::{self, HourlySeries, StationAqi},
    model::{Bucket, Pollutant},
};

/// Most points a series may return.
pub(crate) const MAX_POINTS: i64 = 2_000;
/// History a forecast is fitted on.
pub(crate) const FORECAST_HISTORY_DAYS: i64 = 28;

/// One bucket of a series.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesPoint {
    /// Start of the bucket.
    pub bucket_start: DateTime<Utc>,
    /// Mean value.
    pub avg: f64,
    /// Lowest value.
    pub min: f64,
    /// Highest value.
    pub max: f64,
    /// Readings in the bucket.
    pub count: i64,
}

#[derive(Debug, FromQueryResult)]
struct BucketRow {
    bucket: i64,
    avg: f64,
    min: f64,
    max: f64,
    count: i64,
}

/// The SQL expression of `observed_at` floored to `width` seconds, as epoch seconds.
fn bucket_expr(backend: DbBackend, width: i64) -> String {
    match backend {
        DbBackend::Postgres => {
            format!("(floor(extract(epoch from observed_at) / {width}) * {width})::bigint")
        }
        _ => format!("((CAST(strftime('%s', observed_at) AS INTEGER) / {width}) * {width})"),
    }
}

/// Per bucket of `width` seconds: avg, min, max and count of the unflagged readings of
/// `parameter` at `station_id` in `[from, to)`.
async fn buckets<C: ConnectionTrait>(
    db: &C,
    station_id: Uuid,
    parameter: Pollutant,
    width: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> AppResult<Vec<BucketRow>> {
    let backend = db.get_database_backend();
    let bucket = bucket_expr(backend, width);
    let sql = format!(
        "SELECT {bucket} AS bucket, AVG(value) AS avg, MIN(value) AS min, \
                MAX(value) AS max, COUNT(*) AS count \
           FROM readings \
          WHERE station_id = $1 AND parameter = $2 \
            AND observed_at >= $3 AND observed_at < $4 \
            AND NOT anomaly AND NOT stuck \
          GROUP BY {bucket} \
          ORDER BY {bucket}"
    );
    let statement = Statement::from_sql_and_values(
        backend,
        sql,
        [
            station_id.into(),
            parameter.as_str().into(),
            from.into(),
            to.into(),
        ],
    );
    Ok(BucketRow::find_by_statement(statement).all(db).await?)
}

/// The series of one parameter in `[from, to)`, at most [`MAX_POINTS`] buckets.
pub async fn series<C: ConnectionTrait>(
    db: &C,
    station_id: Uuid,
    parameter: Pollutant,
    bucket: Bucket,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> AppResult<Vec<SeriesPoint>> {
    if to <= from {
        return Err(AppError::bad_input("to", "`to` must be after `from`"));
    }
    let width = bucket.seconds();
    let span = (to.timestamp() - from.timestamp() + width - 1) / width + 1;
    if span > MAX_POINTS {
        return Err(AppError::bad_input(
            "bucket",
            format!(
                "that range has {span} buckets of this size; at most {MAX_POINTS} — choose a \
                 wider bucket or a shorter range"
            ),
        ));
    }
    Ok(buckets(db, station_id, parameter, width, from, to)
        .await?
        .into_iter()
        .filter_map(|row| {
            Some(SeriesPoint {
                bucket_start: DateTime::from_timestamp(row.bucket, 0)?,
                avg: row.avg,
                min: row.min,
                max: row.max,
                count: row.count,
            })
        })
        .collect())
}

/// Per parameter, the mean of each hour in `[from_hour, to_hour)` (epoch hours) that has
/// unflagged readings, from `reading_hours`: one row per hour, in parameter and hour order.
async fn hour_means<C: ConnectionTrait>(
    db: &C,
    station_id: Uuid,
    parameters: &[Pollutant],
    from_hour: i64,
    to_hour: i64,
) -> AppResult<Vec<(Pollutant, i64, f64)>> {
    let rows = reading_hour::Entity::find()
        .filter(reading_hour::Column::StationId.eq(station_id))
        .filter(reading_hour::Column::Parameter.is_in(parameters.iter().map(|p| p.as_str())))
        .filter(reading_hour::Column::Hour.gte(from_hour * 3_600))
        .filter(reading_hour::Column::Hour.lt(to_hour * 3_600))
        .order_by_asc(reading_hour::Column::Parameter)
        .order_by_asc(reading_hour::Column::Hour)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|row| row.count > 0)
        .filter_map(|row| {
            let parameter = Pollutant::parse(&row.parameter)?;
            Some((
                parameter,
                row.hour.div_euclid(3_600),
                row.total / row.count as f64,
            ))
        })
        .collect())
}

/// The station's AQI now, from the hourly means of the last 24 hours of unflagged readings.
/// Hour 0 is the current hour so far: a station's AQI moves with its readings instead of an
/// hour later (EPA's NowCast uses complete hours; with live sensors the partial hour is the
/// freshest evidence there is). At most 24 rows per pollutant, whatever the reading rate.
pub(crate) async fn compute_aqi<C: ConnectionTrait>(
    db: &C,
    station_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<Option<StationAqi>> {
    let pollutants: Vec<Pollutant> = Pollutant::ALL
        .into_iter()
        .filter(|p| p.is_pollutant())
        .collect();
    let current_hour = now.timestamp().div_euclid(3_600);
    let rows = hour_means(
        db,
        station_id,
        &pollutants,
        current_hour - 23,
        current_hour + 1,
    )
    .await?;
    let mut series: HashMap<Pollutant, Vec<Option<f64>>> = HashMap::new();
    for (parameter, hour, mean) in rows {
        let age = current_hour - hour;
        if !(0..24).contains(&age) {
            continue;
        }
        let hours = series.entry(parameter).or_insert_with(|| vec![None; 24]);
        hours[age as usize] = Some(mean);
    }
    let series: Vec<HourlySeries> = pollutants
        .into_iter()
        .filter_map(|parameter| {
            series
                .remove(&parameter)
                .map(|hourly| HourlySeries { parameter, hourly })
        })
        .collect();
    Ok(aqi::station_aqi(&series))
}

/// The hourly means a forecast made in the hour starting at `to` is fitted on: up to
/// [`FORECAST_HISTORY_DAYS`] of complete hours before `to`, from the first hour with data,
/// gaps filled by linear interpolation. Empty without data.
pub(crate) async fn hourly_history<C: ConnectionTrait>(
    db: &C,
    station_id: Uuid,
    parameter: Pollutant,
    to: DateTime<Utc>,
) -> AppResult<Vec<f64>> {
    let current_hour = to.timestamp().div_euclid(3_600);
    let rows = hour_means(
        db,
        station_id,
        &[parameter],
        current_hour - FORECAST_HISTORY_DAYS * 24,
        current_hour,
    )
    .await?;
    let Some(&(_, first, _)) = rows.first() else {
        return Ok(Vec::new());
    };
    let last = current_hour - 1;
    let mut hourly: Vec<Option<f64>> = vec![None; (last - first + 1).max(0) as usize];
    for &(_, hour, mean) in &rows {
        if let Some(slot) = hourly.get_mut((hour - first) as usize) {
            *slot = Some(mean);
        }
    }
    Ok(interpolate(&hourly))
}

/// Fills gaps linearly between known neighbours (and flat at the ends).
fn interpolate(values: &[Option<f64>]) -> Vec<f64> {
    let known: Vec<(usize, f64)> = values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| (i, v)))
        .collect();
    let Some(&(_, first_v)) = known.first() else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(values.len());
    let mut next = 0;
    for i in 0..values.len() {
        while next < known.len() && known[next].0 < i {
            next += 1;
        }
        let value = match (
            next.checked_sub(1).and_then(|p| known.get(p)),
            known.get(next),
        ) {
            (_, Some(&(j, v))) if j == i => v,
            (Some(&(a, va)), Some(&(b, vb))) => va + (vb - va) * (i - a) as f64 / (b - a) as f64,
            (Some(&(_, va)), None) => va,
            (None, _) => first_v,
        };
        out.push(value);
    }
    out
}

/// What one readings export covers.
#[derive(Debug, Clone)]
pub(crate) struct ExportRange {
    /// The station.
    pub station_id: Uuid,
    /// The parameters exported (one, or all).
    pub parameters: Vec<Pollutant>,
    /// Start, inclusive.
    pub from: DateTime<Utc>,
    /// End, exclusive.
    pub to: DateTime<Utc>,
}

/// Where an export has got to: the last row written, as its observation time and the index of
/// its parameter in [`ExportRange::parameters`].
pub(crate) type ExportCursor = (DateTime<Utc>, usize);

/// One exported row.
#[derive(Debug, Clone, FromQueryResult)]
pub(crate) struct ExportRow {
    /// The parameter's stored name.
    pub parameter: String,
    /// When it was measured.
    pub observed_at: DateTime<Utc>,
    /// The value, canonical unit.
    pub value: f64,
    /// Anomaly flag.
    pub anomaly: bool,
    /// Stuck flag.
    pub stuck: bool,
    /// When it was stored.
    pub ingested_at: DateTime<Utc>,
}

/// The next `limit` rows of `range` after `after`, ordered by observation time, then
/// parameter. One statement, each parameter an index range scan on the primary key that stops
/// at `limit` rows, so a chunk costs the same at the end of a month as at its start, and the
/// connection goes back to the pool as soon as the chunk is read.
pub(crate) async fn export_chunk<C: ConnectionTrait>(
    db: &C,
    range: &ExportRange,
    after: Option<ExportCursor>,
    limit: u32,
) -> AppResult<Vec<ExportRow>> {
    let (lower, last_k) = match after {
        Some((at, k)) => (at, Some(k)),
        None => (range.from, None),
    };
    // The parameter names come from the closed enum, never from client text; `k` is the
    // parameter's position, so the order is the same on every backend and collation.
    let parts: Vec<String> = range
        .parameters
        .iter()
        .enumerate()
        .map(|(k, parameter)| {
            // Past the cursor: a later time, or the same time and a later parameter.
            let op = if last_k.is_some_and(|last| k <= last) {
                ">"
            } else {
                ">="
            };
            format!(
                "SELECT * FROM (SELECT parameter, observed_at, value, anomaly, stuck, \
                        ingested_at, CAST({k} AS BIGINT) AS k FROM readings \
                  WHERE station_id = $1 AND parameter = '{}' AND observed_at {op} $2 \
                    AND observed_at < $3 \
                  ORDER BY observed_at LIMIT {limit}) AS p{k}",
                parameter.as_str()
            )
        })
        .collect();
    if parts.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "{} ORDER BY observed_at, k LIMIT {limit}",
        parts.join(" UNION ALL ")
    );
    let statement = Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        [range.station_id.into(), lower.into(), range.to.into()],
    );
    Ok(ExportRow::find_by_statement(statement).all(db).await?)
}

/// The first line of a readings export.
pub(crate) const EXPORT_HEADER: &str =
    "station_id,parameter,unit,observed_at,value,anomaly,stuck,ingested_at\n";

/// Appends `rows` of `station_id` to `out` as CSV lines. Every cell passes through
/// [`csv_cell::escape`]: none carries client text today, and a column that one day does
/// cannot open as a formula in a spreadsheet.
pub(crate) fn write_csv(out: &mut String, station_id: Uuid, rows: &[ExportRow]) {
    use std::fmt::Write as _;
    let station = station_id.to_string();
    for row in rows {
        let time = |at: DateTime<Utc>| at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
        let cells = [
            station.clone(),
            row.parameter.clone(),
            Pollutant::unit_of(&row.parameter).to_owned(),
            time(row.observed_at),
            row.value.to_string(),
            row.anomaly.to_string(),
            row.stuck.to_string(),
            time(row.ingested_at),
        ];
        for (i, cell) in cells.iter().enumerate() {
            let separator = if i + 1 == cells.len() { '\n' } else { ',' };
            let _ = write!(out, "{}{separator}", csv_cell::escape(cell));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolation_fills_gaps_linearly_and_flat_at_the_ends() {
        let filled = interpolate(&[None, Some(1.0), None, None, Some(4.0), None]);
        assert_eq!(filled, vec![1.0, 1.0, 2.0, 3.0, 4.0, 4.0]);
    }
}
