//! Sensor adapters: turn a provider's own JSON payload into [`AdaptedReading`]s.
//!
//! Adapters only *parse*. They do not range-check values or convert units: each
//! reading carries the unit the provider sent, and the caller validates and
//! converts to [`Pollutant::canonical_unit`]. Every other field of a payload is
//! ignored.
//!
//! # PurpleAir — [`purpleair`]
//!
//! Two payload shapes are accepted. A top-level `sensor` object selects the API
//! shape; anything else is read as the local shape.
//!
//! ## Local sensor JSON
//! What a PurpleAir device serves at `http://<sensor>/json` and POSTs to a
//! custom data processor (firmware 6.x/7.x):
//!
//! | Field | Maps to |
//! |---|---|
//! | `SensorId` (MAC address string) | `device_id` |
//! | `DateTime` (`"2022/10/01T16:28:57z"`, UTC; RFC 3339 also accepted) | `observed_at` of every reading; **required** |
//! | `pm2_5_atm` (channel A), `pm2_5_atm_b` (channel B) | `Pm25`, `µg/m³`, A/B combined (see below) |
//! | `pm10_0_atm` (channel A), `pm10_0_atm_b` (channel B) | `Pm10`, `µg/m³`, A/B averaged |
//! | `current_temp_f` | `Temperature`, `°F` |
//! | `current_humidity` | `Humidity`, `%` |
//!
//! ## API v1 single-sensor response
//! `GET https://api.purpleair.com/v1/sensors/{sensor_index}`:
//!
//! | Field | Maps to |
//! |---|---|
//! | `sensor.sensor_index` | `device_id` (as a decimal string) |
//! | `sensor.last_seen` (UNIX seconds) | `observed_at` of every reading; **required** |
//! | `sensor.pm2.5_atm_a`, `sensor.pm2.5_atm_b` | `Pm25`, `µg/m³`, A/B combined (see below) |
//! | `sensor.pm2.5_atm` | `Pm25`, only when neither channel field is present (PurpleAir's own average; no A/B check possible) |
//! | `sensor.pm10.0_atm_a`, `sensor.pm10.0_atm_b` | `Pm10`, `µg/m³`, A/B averaged |
//! | `sensor.pm10.0_atm` | `Pm10`, only when neither channel field is present |
//! | `sensor.temperature` | `Temperature`, `°F` |
//! | `sensor.humidity` | `Humidity`, `%` |
//!
//! Not read, on purpose: the `cf_1` variants, `pm1.0*`, particle counts, the
//! BME680 duplicates (`current_temp_f_680`, ...), `pressure`, the AQI fields, and
//! the API's top-level `time_stamp`/`data_time_stamp` (time of the API response,
//! not of the measurement).
//!
//! Why `atm` and not `cf_1`: the Plantower PMS5003 laser counters report two
//! mass concentrations. `cf_1` uses the factory "standard particle" calibration
//! meant for indoor/industrial use; `atm` is the manufacturer's figure "under
//! atmospheric environment", i.e. ambient air, and is what PurpleAir's map and
//! the API's default `pm2.5_atm` show. The two agree below ~30 µg/m³ and diverge
//! above it. (EPA's US-wide correction, Barkjohn et al. 2021, is fitted on
//! `cf_1`; if that correction is ever applied it must be done on `cf_1`, and not
//! here: we store what the sensor says.)
//!
//! Temperature and humidity are measured *inside* the sensor housing. PurpleAir
//! documents the temperature as reading about 8 °F above ambient and the
//! humidity about 4 % below. They are stored as reported, uncorrected.
//!
//! ### Channel A/B rule for PM2.5
//! A PA-II has two laser counters (channels A and B):
//! * both present → their mean is stored;
//! * they *disagree* — `|A − B| > 5 µg/m³` **and** `|A − B| / ((A + B) / 2) > 70 %`,
//!   the QC rule from Barkjohn et al. 2021 (AMT 14, 4617), used by EPA's
//!   AirNow Fire and Smoke Map — → **no PM reading at all** is stored from that
//!   payload (neither PM2.5 nor PM10, since a failing counter corrupts both size
//!   fractions) and a note says why; temperature and humidity are kept;
//! * only one channel present (single-counter sensors, or a channel reporting
//!   `"nan"`) → that channel is stored, with a note that it was not cross-checked.
//!
//! PM10 channels are averaged the same way but are not QC-checked on their own:
//! the PurpleAir/EPA rule is defined for PM2.5, and PM2.5 decides channel health.
//!
//! The firmware sends the string `"nan"` for a value it could not measure; such
//! a field is skipped with a note. Any other non-numeric value is an error.
//!
//! # AirQo — [`airqo`]
//!
//! The device-registry measurements response (`GET https://api.airqo.net/api/v1/devices/events`):
//! `{"success": true, "measurements": [ … ]}`, or a single measurement object on
//! its own. (The flat v2 export shape, where `pm2_5` is a bare number, is not
//! accepted.) Read from each measurement:
//!
//! | Field | Maps to |
//! |---|---|
//! | `device` (device name, e.g. `"aq_g5_87"`); `device_id` (registry object id) only when `device` is absent | `device_id` |
//! | `time` (RFC 3339, e.g. `"2021-07-27T16:47:43.000Z"`) | `observed_at` of that measurement's readings; **required** |
//! | `pm2_5.calibratedValue`, else `pm2_5.value` | `Pm25`, `µg/m³` |
//! | `pm10.calibratedValue`, else `pm10.value` | `Pm10`, `µg/m³` |
//! | `no2.calibratedValue`, else `no2.value` | `No2`, `ppb` (assumed: AirQo does not state it; its NO2 comes from Clarity nodes' `no2Conc`, a mixing ratio) |
//! | `externalTemperature.calibratedValue`, else `.value` | `Temperature`, `°C` |
//! | `externalHumidity.calibratedValue`, else `.value` | `Humidity`, `%` |
//!
//! Top level: `success: false` is reported as [`AdapterError::ProviderFailure`]
//! with the provider's `message`.
//!
//! Not read, on purpose: `internalTemperature`/`internalHumidity` (the device's
//! enclosure and electronics, not ambient air: typically several °C warmer and
//! much drier than `external*`), the per-sensor channels `s1_*`/`s2_*` (in the
//! API output `pm2_5`/`pm10` are already the device-level values), `average_*`,
//! `pm1`, `battery`, `location`, `altitude`, `speed`, `satellites`, `hdop`,
//! `site_id`, `frequency` (`raw`, `hourly` or `daily`: an hourly/daily average is
//! stored as one reading at its `time`), `uncertaintyValue`,
//! `standardDeviationValue`.
//!
//! Why `calibratedValue` first: AirQo's low-cost optical PM sensors over-read,
//! notably in humid air; AirQo corrects them with a model fitted against
//! collocated reference monitors and publishes the result as `calibratedValue`. It is the better
//! estimate of the true concentration, so we take it when present and fall back
//! to the raw `value` (the only field for raw-frequency data) otherwise.
//!
//! A `null` or missing field is skipped; a payload with no usable readings is
//! `Ok` with an empty list. A present value that is not a number is an error,
//! as is a `time` that is missing or not RFC 3339 (with an offset). All
//! measurements of one payload must come from the same device.
//!
//! # Errors
//! Every [`AdapterError`] has a [`message`](AdapterError::message) naming the
//! field, e.g. ``Field `measurements[1].pm2_5.value` must be a number, but it is
//! a string ("12,3").``

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::{Map, Value};

use crate::model::Pollutant;

type Object = Map<String, Value>;

/// One reading parsed from a provider payload, before validation (the caller
/// validates ranges and converts units).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AdaptedReading {
    /// What was measured.
    pub parameter: Pollutant,
    /// The value as the provider sent it (for PurpleAir PM, the A/B mean).
    pub value: f64,
    /// The unit the provider sent the value in, e.g. `"°F"`; not necessarily
    /// [`Pollutant::canonical_unit`].
    pub unit: &'static str,
    /// When the value was measured, in UTC.
    pub observed_at: DateTime<Utc>,
}

/// Everything one provider payload yielded.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Adapted {
    /// The provider's identifier for the device, if the payload carried one
    /// (PurpleAir: MAC address or `sensor_index`; AirQo: device name).
    pub device_id: Option<String>,
    /// The readings, in payload order.
    pub readings: Vec<AdaptedReading>,
    /// Human-readable remarks on data that was dropped or not cross-checked
    /// (e.g. PurpleAir channels disagreeing). Empty for a clean payload.
    pub notes: Vec<String>,
}

/// Why a payload could not be adapted. [`AdapterError::message`] gives a
/// sentence naming the offending field.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AdapterError {
    /// The body is not valid JSON.
    MalformedJson {
        /// The JSON parser's description, with line and column.
        detail: String,
    },
    /// A value has the wrong JSON type (e.g. the payload is an array, or
    /// `measurements` is not an array).
    WrongType {
        /// Path of the field; empty for the payload itself.
        field: String,
        /// What was expected, e.g. `"an object"`.
        expected: &'static str,
        /// What was found, e.g. `"an array"`.
        found: &'static str,
    },
    /// A required timestamp field is absent or `null`.
    MissingTimestamp {
        /// Path of the field, e.g. `"DateTime"` or `"measurements[2].time"`.
        field: String,
    },
    /// A timestamp field is present but cannot be read.
    InvalidTimestamp {
        /// Path of the field.
        field: String,
        /// The value found, as JSON.
        value: String,
        /// The accepted format.
        expected: &'static str,
    },
    /// A measurement field holds something other than a number.
    NonNumeric {
        /// Path of the field, e.g. `"pm2_5_atm_b"` or `"measurements[0].pm10.value"`.
        field: String,
        /// The value found, as (possibly shortened) JSON.
        found: String,
    },
    /// An AirQo payload mixes measurements from different devices.
    MixedDevices {
        /// Path of the field naming the second device.
        field: String,
        /// The device named first in the payload.
        first: String,
        /// The different device named at `field`.
        other: String,
    },
    /// The provider answered with `"success": false` instead of data.
    ProviderFailure {
        /// The provider's `message`, if any.
        message: String,
    },
}

impl AdapterError {
    /// A clear sentence describing the problem and naming the field.
    pub(crate) fn message(&self) -> String {
        match self {
            Self::MalformedJson { detail } => {
                format!("The payload is not valid JSON: {detail}.")
            }
            Self::WrongType {
                field,
                expected,
                found,
            } if field.is_empty() => {
                format!("The payload must be {expected}, but it is {found}.")
            }
            Self::WrongType {
                field,
                expected,
                found,
            } => {
                format!("Field `{field}` must be {expected}, but it is {found}.")
            }
            Self::MissingTimestamp { field } => {
                format!("The timestamp field `{field}` is missing or null.")
            }
            Self::InvalidTimestamp {
                field,
                value,
                expected,
            } => {
                format!("The timestamp field `{field}` holds {value}, which is not {expected}.")
            }
            Self::NonNumeric { field, found } => {
                format!("Field `{field}` must be a number, but it is {found}.")
            }
            Self::MixedDevices {
                field,
                first,
                other,
            } => format!(
                "Field `{field}` names device `{other}`, but an earlier measurement is from `{first}`; \
                 a payload must come from a single device."
            ),
            Self::ProviderFailure { message } => {
                format!("The provider reported a failure (`success` is false): {message}")
            }
        }
    }
}

impl std::fmt::Display for AdapterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for AdapterError {}

// ---------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------

fn parse_object(body: &[u8]) -> Result<Object, AdapterError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| AdapterError::MalformedJson {
        detail: e.to_string(),
    })?;
    match value {
        Value::Object(map) => Ok(map),
        other => Err(AdapterError::WrongType {
            field: String::new(),
            expected: "a JSON object",
            found: json_type(&other),
        }),
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `a string ("12,3")`: type plus a shortened JSON rendering, for messages.
fn describe(value: &Value) -> String {
    const MAX: usize = 40;
    let json = value.to_string();
    let shown: String = if json.chars().count() > MAX {
        json.chars().take(MAX).chain("…".chars()).collect()
    } else {
        json
    };
    format!("{} ({shown})", json_type(value))
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

enum Num {
    Absent,
    Value(f64),
    /// PurpleAir firmware's `"nan"` for "no valid measurement".
    NanString,
}

fn read_number(
    obj: &Object,
    key: &str,
    path: &str,
    allow_nan_string: bool,
) -> Result<Num, AdapterError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(Num::Absent),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(v) if v.is_finite() => Ok(Num::Value(v)),
            _ => Err(AdapterError::NonNumeric {
                field: path.to_owned(),
                found: describe(&Value::Number(n.clone())),
            }),
        },
        Some(Value::String(s)) if allow_nan_string && s.trim().eq_ignore_ascii_case("nan") => {
            Ok(Num::NanString)
        }
        Some(other) => Err(AdapterError::NonNumeric {
            field: path.to_owned(),
            found: describe(other),
        }),
    }
}

/// A device identifier given as a string or an integer.
fn read_id(obj: &Object, key: &str, path: &str) -> Result<Option<String>, AdapterError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(AdapterError::WrongType {
            field: path.to_owned(),
            expected: "a string or a number",
            found: json_type(other),
        }),
    }
}

// ---------------------------------------------------------------------------
// PurpleAir
// ---------------------------------------------------------------------------

/// Above this absolute A/B difference (µg/m³) *and* [`MAX_RELATIVE_DIFF`], the
/// channels disagree (Barkjohn et al. 2021).
const MAX_ABSOLUTE_DIFF: f64 = 5.0;
/// Relative A/B difference, `|A − B| / mean(A, B)`, above which (together with
/// [`MAX_ABSOLUTE_DIFF`]) the channels disagree.
const MAX_RELATIVE_DIFF: f64 = 0.70;

/// Field names of one PurpleAir payload shape.
struct PurpleAirLayout {
    /// Prefix for paths in messages (`""` or `"sensor."`).
    prefix: &'static str,
    device: &'static str,
    pm25_a: &'static str,
    pm25_b: &'static str,
    /// PurpleAir's own A/B mean, used only when both channel fields are absent.
    pm25_mean: Option<&'static str>,
    pm10_a: &'static str,
    pm10_b: &'static str,
    pm10_mean: Option<&'static str>,
    temperature_f: &'static str,
    humidity: &'static str,
}

const LOCAL: PurpleAirLayout = PurpleAirLayout {
    prefix: "",
    device: "SensorId",
    pm25_a: "pm2_5_atm",
    pm25_b: "pm2_5_atm_b",
    pm25_mean: None,
    pm10_a: "pm10_0_atm",
    pm10_b: "pm10_0_atm_b",
    pm10_mean: None,
    temperature_f: "current_temp_f",
    humidity: "current_humidity",
};

const API: PurpleAirLayout = PurpleAirLayout {
    prefix: "sensor.",
    device: "sensor_index",
    pm25_a: "pm2.5_atm_a",
    pm25_b: "pm2.5_atm_b",
    pm25_mean: Some("pm2.5_atm"),
    pm10_a: "pm10.0_atm_a",
    pm10_b: "pm10.0_atm_b",
    pm10_mean: Some("pm10.0_atm"),
    temperature_f: "temperature",
    humidity: "humidity",
};

/// Parses a PurpleAir payload: the sensor's local JSON (`/json`, or a custom
/// data-processor POST) or the API v1 single-sensor response
/// (`{"sensor": {...}}`).
///
/// Readings: PM2.5 and PM10 (`µg/m³`, "atm" values, channels A and B averaged
/// and QC-checked as described in the module docs), temperature (`°F`, read
/// inside the housing, typically ~8 °F above ambient; stored uncorrected) and
/// relative humidity (`%`). All share the payload's timestamp (`DateTime` or
/// `sensor.last_seen`), which is required.
pub(crate) fn purpleair(body: &[u8]) -> Result<Adapted, AdapterError> {
    let root = parse_object(body)?;
    match root.get("sensor") {
        Some(Value::Object(sensor)) => {
            let observed_at = unix_seconds(sensor, "last_seen", "sensor.last_seen")?;
            purpleair_readings(sensor, &API, observed_at)
        }
        Some(other) => Err(AdapterError::WrongType {
            field: "sensor".to_owned(),
            expected: "an object",
            found: json_type(other),
        }),
        None => {
            let observed_at = purpleair_local_time(&root, "DateTime")?;
            purpleair_readings(&root, &LOCAL, observed_at)
        }
    }
}

fn purpleair_readings(
    obj: &Object,
    layout: &PurpleAirLayout,
    observed_at: DateTime<Utc>,
) -> Result<Adapted, AdapterError> {
    let p = layout.prefix;
    let mut notes = Vec::new();
    let device_id = read_id(obj, layout.device, &format!("{p}{}", layout.device))?;

    let pm25_a = pa_number(obj, p, layout.pm25_a, &mut notes)?;
    let pm25_b = pa_number(obj, p, layout.pm25_b, &mut notes)?;
    let pm10_a = pa_number(obj, p, layout.pm10_a, &mut notes)?;
    let pm10_b = pa_number(obj, p, layout.pm10_b, &mut notes)?;
    let temperature = pa_number(obj, p, layout.temperature_f, &mut notes)?;
    let humidity = pa_number(obj, p, layout.humidity, &mut notes)?;

    let mut readings = Vec::new();
    let mut push = |parameter, value, unit| {
        readings.push(AdaptedReading {
            parameter,
            value,
            unit,
            observed_at,
        })
    };

    if channels_disagree(pm25_a, pm25_b) {
        notes.push(format!(
            "PM2.5 channels disagree (`{p}{}` = {}, `{p}{}` = {}: more than 5 µg/m³ and more than 70 % apart); \
             PM2.5 and PM10 from this payload were dropped.",
            layout.pm25_a,
            pm25_a.unwrap_or(f64::NAN),
            layout.pm25_b,
            pm25_b.unwrap_or(f64::NAN),
        ));
    } else {
        let pm = [
            (
                Pollutant::Pm25,
                "PM2.5",
                pm25_a,
                pm25_b,
                layout.pm25_a,
                layout.pm25_b,
                layout.pm25_mean,
            ),
            (
                Pollutant::Pm10,
                "PM10",
                pm10_a,
                pm10_b,
                layout.pm10_a,
                layout.pm10_b,
                layout.pm10_mean,
            ),
        ];
        for (parameter, label, a, b, a_key, b_key, mean_key) in pm {
            let value = match (a, b) {
                (Some(a), Some(b)) => Some((a + b) / 2.0),
                (Some(v), None) | (None, Some(v)) => {
                    let (have, missing) = if a.is_some() {
                        (a_key, b_key)
                    } else {
                        (b_key, a_key)
                    };
                    notes.push(format!(
                        "{label} taken from `{p}{have}` alone (`{p}{missing}` absent); not cross-checked between channels."
                    ));
                    Some(v)
                }
                (None, None) => match mean_key {
                    Some(key) => {
                        let v = pa_number(obj, p, key, &mut notes)?;
                        if v.is_some() {
                            notes.push(format!(
                                "{label} taken from PurpleAir's pre-averaged `{p}{key}` (channel fields absent); \
                                 not cross-checked between channels."
                            ));
                        }
                        v
                    }
                    None => None,
                },
            };
            if let Some(v) = value {
                push(parameter, v, "µg/m³");
            }
        }
    }
    if let Some(v) = temperature {
        push(Pollutant::Temperature, v, "°F");
    }
    if let Some(v) = humidity {
        push(Pollutant::Humidity, v, "%");
    }
    Ok(Adapted {
        device_id,
        readings,
        notes,
    })
}

/// Reads a PurpleAir number; `"nan"` is skipped with a note.
fn pa_number(
    obj: &Object,
    prefix: &str,
    key: &str,
    notes: &mut Vec<String>,
) -> Result<Option<f64>, AdapterError> {
    let path = format!("{prefix}{key}");
    Ok(match read_number(obj, key, &path, true)? {
        Num::Absent => None,
        Num::Value(v) => Some(v),
        Num::NanString => {
            notes.push(format!(
                "`{path}` was \"nan\" (no valid measurement); skipped."
            ));
            None
        }
    })
}

/// PurpleAir / EPA QC: both channels present, `|A − B| > 5 µg/m³` and
/// `|A − B| / mean(A, B) > 70 %`.
fn channels_disagree(a: Option<f64>, b: Option<f64>) -> bool {
    let (Some(a), Some(b)) = (a, b) else {
        return false;
    };
    let diff = (a - b).abs();
    let mean = (a + b) / 2.0;
    diff > MAX_ABSOLUTE_DIFF && mean > 0.0 && diff / mean > MAX_RELATIVE_DIFF
}

const PURPLEAIR_LOCAL_FORMAT: &str = "a UTC time like \"2020/12/11T21:32:29z\" (or RFC 3339)";

fn purpleair_local_time(obj: &Object, key: &str) -> Result<DateTime<Utc>, AdapterError> {
    let invalid = |value: &Value| AdapterError::InvalidTimestamp {
        field: key.to_owned(),
        value: value.to_string(),
        expected: PURPLEAIR_LOCAL_FORMAT,
    };
    let raw = match obj.get(key) {
        None | Some(Value::Null) => {
            return Err(AdapterError::MissingTimestamp {
                field: key.to_owned(),
            });
        }
        Some(Value::String(s)) => s,
        Some(other) => return Err(invalid(other)),
    };
    let trimmed = raw.trim();
    // Firmware form: "2020/12/11T21:32:29z" (always UTC, lower-case z).
    let naive = trimmed.strip_suffix(['z', 'Z']).unwrap_or(trimmed);
    if let Ok(t) = NaiveDateTime::parse_from_str(naive, "%Y/%m/%dT%H:%M:%S") {
        return Ok(t.and_utc());
    }
    DateTime::parse_from_rfc3339(trimmed)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| invalid(&Value::String(raw.clone())))
}

fn unix_seconds(obj: &Object, key: &str, path: &str) -> Result<DateTime<Utc>, AdapterError> {
    let value = match obj.get(key) {
        None | Some(Value::Null) => {
            return Err(AdapterError::MissingTimestamp {
                field: path.to_owned(),
            });
        }
        Some(v) => v,
    };
    value
        .as_i64()
        .and_then(|secs| DateTime::from_timestamp(secs, 0))
        .ok_or_else(|| AdapterError::InvalidTimestamp {
            field: path.to_owned(),
            value: value.to_string(),
            expected: "a UNIX time in whole seconds",
        })
}

// ---------------------------------------------------------------------------
// AirQo
// ---------------------------------------------------------------------------

/// AirQo measurement field → parameter and the unit AirQo reports it in.
const AIRQO_FIELDS: [(&str, Pollutant, &str); 5] = [
    ("pm2_5", Pollutant::Pm25, "µg/m³"),
    ("pm10", Pollutant::Pm10, "µg/m³"),
    ("no2", Pollutant::No2, "ppb"),
    ("externalTemperature", Pollutant::Temperature, "°C"),
    ("externalHumidity", Pollutant::Humidity, "%"),
];

/// Parses an AirQo measurements payload: `{"measurements": [...]}` (the API
/// response, extra top-level fields ignored) or a single measurement object.
///
/// Each measurement yields its own readings at its own `time` (required):
/// PM2.5 and PM10 (`µg/m³`), NO2 (`ppb`), external temperature (`°C`) and
/// humidity (`%`), preferring `calibratedValue` over `value`. Nulls and missing
/// fields are skipped; an empty `measurements` list is `Ok` with no readings.
pub(crate) fn airqo(body: &[u8]) -> Result<Adapted, AdapterError> {
    let root = parse_object(body)?;
    if root.get("success") == Some(&Value::Bool(false)) {
        let message = root
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("no message given");
        return Err(AdapterError::ProviderFailure {
            message: message.to_owned(),
        });
    }
    let mut out = Adapted::default();
    match root.get("measurements") {
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let path = format!("measurements[{i}]");
                match item {
                    Value::Object(m) => airqo_measurement(m, &path, &mut out)?,
                    other => {
                        return Err(AdapterError::WrongType {
                            field: path,
                            expected: "an object",
                            found: json_type(other),
                        });
                    }
                }
            }
        }
        Some(other) => {
            return Err(AdapterError::WrongType {
                field: "measurements".to_owned(),
                expected: "an array",
                found: json_type(other),
            });
        }
        None => airqo_measurement(&root, "", &mut out)?,
    }
    Ok(out)
}

fn airqo_measurement(m: &Object, prefix: &str, out: &mut Adapted) -> Result<(), AdapterError> {
    let observed_at = airqo_time(m, prefix)?;

    let device_key = if m.get("device").is_some_and(|v| !v.is_null()) {
        "device"
    } else {
        "device_id"
    };
    let device_path = join(prefix, device_key);
    if let Some(device) = read_id(m, device_key, &device_path)? {
        match &out.device_id {
            None => out.device_id = Some(device),
            Some(first) if *first == device => {}
            Some(first) => {
                return Err(AdapterError::MixedDevices {
                    field: device_path,
                    first: first.clone(),
                    other: device,
                });
            }
        }
    }

    for (key, parameter, unit) in AIRQO_FIELDS {
        let path = join(prefix, key);
        let inner = match m.get(key) {
            None | Some(Value::Null) => continue,
            Some(Value::Object(inner)) => inner,
            Some(other) => {
                return Err(AdapterError::WrongType {
                    field: path,
                    expected: "an object with `value`/`calibratedValue`",
                    found: json_type(other),
                });
            }
        };
        // Read both so that a malformed raw value is reported even when a
        // calibrated one exists.
        let calibrated = read_number(
            inner,
            "calibratedValue",
            &join(&path, "calibratedValue"),
            false,
        )?;
        let raw = read_number(inner, "value", &join(&path, "value"), false)?;
        let value = match (calibrated, raw) {
            (Num::Value(v), _) | (_, Num::Value(v)) => v,
            _ => continue,
        };
        out.readings.push(AdaptedReading {
            parameter,
            value,
            unit,
            observed_at,
        });
    }
    Ok(())
}

const AIRQO_TIME_FORMAT: &str = "an RFC 3339 time with offset, like \"2021-07-27T16:47:43.000Z\"";

fn airqo_time(m: &Object, prefix: &str) -> Result<DateTime<Utc>, AdapterError> {
    let path = join(prefix, "time");
    match m.get("time") {
        None | Some(Value::Null) => Err(AdapterError::MissingTimestamp { field: path }),
        Some(Value::String(s)) => DateTime::parse_from_rfc3339(s.trim())
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| AdapterError::InvalidTimestamp {
                field: path,
                value: Value::String(s.clone()).to_string(),
                expected: AIRQO_TIME_FORMAT,
            }),
        Some(other) => Err(AdapterError::InvalidTimestamp {
            field: path,
            value: other.to_string(),
            expected: AIRQO_TIME_FORMAT,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const PA_LOCAL: &[u8] = include_bytes!("adapters/purpleair_local.json");
    const PA_API: &[u8] = include_bytes!("adapters/purpleair_api.json");
    const AIRQO: &[u8] = include_bytes!("adapters/airqo_measurements.json");

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
            .single()
            .expect("valid test instant")
    }

    fn value_of(a: &Adapted, p: Pollutant) -> Option<f64> {
        a.readings
            .iter()
            .find(|r| r.parameter == p)
            .map(|r| r.value)
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    /// The local sample, edited.
    fn local_edited(edit: impl FnOnce(&mut Object)) -> Vec<u8> {
        let mut v: Value = serde_json::from_slice(PA_LOCAL).expect("sample parses");
        edit(v.as_object_mut().expect("sample is an object"));
        serde_json::to_vec(&v).expect("serialises")
    }

    /// The local sample, with some fields replaced.
    fn local_with(changes: &[(&str, Value)]) -> Vec<u8> {
        local_edited(|obj| {
            for (k, val) in changes {
                obj.insert((*k).to_owned(), val.clone());
            }
        })
    }

    // ---- PurpleAir, local JSON -------------------------------------------

    #[test]
    fn purpleair_local_maps_fields_and_averages_channels() {
        let a = purpleair(PA_LOCAL).expect("sample adapts");
        assert_eq!(a.device_id.as_deref(), Some("44:17:93:1:e8:e6"));
        assert_eq!(a.readings.len(), 4);
        let t = utc(2022, 10, 1, 16, 28, 57);
        assert!(a.readings.iter().all(|r| r.observed_at == t));

        let pm25 = &a.readings[0];
        assert_eq!((pm25.parameter, pm25.unit), (Pollutant::Pm25, "µg/m³"));
        assert!(
            close(pm25.value, (2.22 + 1.79) / 2.0),
            "atm A/B mean, not cf_1: {}",
            pm25.value
        );
        let pm10 = &a.readings[1];
        assert_eq!((pm10.parameter, pm10.unit), (Pollutant::Pm10, "µg/m³"));
        assert!(close(pm10.value, (2.53 + 1.79) / 2.0));
        let temp = &a.readings[2];
        assert_eq!(
            (temp.parameter, temp.value, temp.unit),
            (Pollutant::Temperature, 64.0, "°F")
        );
        let hum = &a.readings[3];
        assert_eq!(
            (hum.parameter, hum.value, hum.unit),
            (Pollutant::Humidity, 30.0, "%")
        );
        assert!(a.notes.is_empty(), "{:?}", a.notes);
    }

    #[test]
    fn purpleair_local_timestamp_forms() {
        let cases = [
            ("2020/12/11T21:32:29z", utc(2020, 12, 11, 21, 32, 29)),
            ("2020/03/20T17:18:02Z", utc(2020, 3, 20, 17, 18, 2)),
            ("2020/01/01T00:00:00z", utc(2020, 1, 1, 0, 0, 0)),
            ("2023-06-05T08:09:10Z", utc(2023, 6, 5, 8, 9, 10)),
            ("2023-06-05T10:09:10+02:00", utc(2023, 6, 5, 8, 9, 10)),
        ];
        for (raw, want) in cases {
            let a = purpleair(&local_with(&[("DateTime", Value::from(raw))])).expect(raw);
            assert_eq!(a.readings[0].observed_at, want, "{raw}");
        }
    }

    #[test]
    fn purpleair_channel_disagreement_drops_pm_and_keeps_weather() {
        // |A−B| = 38 > 5 and 38 / 21 = 181 % > 70 %.
        let body = local_with(&[
            ("pm2_5_atm", Value::from(40.0)),
            ("pm2_5_atm_b", Value::from(2.0)),
        ]);
        let a = purpleair(&body).expect("adapts");
        assert_eq!(value_of(&a, Pollutant::Pm25), None);
        assert_eq!(
            value_of(&a, Pollutant::Pm10),
            None,
            "PM10 goes with a failing PM2.5 channel"
        );
        assert_eq!(value_of(&a, Pollutant::Temperature), Some(64.0));
        assert_eq!(value_of(&a, Pollutant::Humidity), Some(30.0));
        assert_eq!(a.notes.len(), 1);
        assert!(
            a.notes[0].contains("disagree") && a.notes[0].contains("pm2_5_atm_b"),
            "{}",
            a.notes[0]
        );
    }

    #[test]
    fn purpleair_qc_needs_both_absolute_and_relative_difference() {
        // 10 µg/m³ apart but only 9.5 % (high concentration): kept.
        let a = purpleair(&local_with(&[
            ("pm2_5_atm", Value::from(100.0)),
            ("pm2_5_atm_b", Value::from(110.0)),
        ]))
        .expect("adapts");
        assert_eq!(value_of(&a, Pollutant::Pm25), Some(105.0));
        // 120 % apart but only 3 µg/m³ (clean air): kept.
        let a = purpleair(&local_with(&[
            ("pm2_5_atm", Value::from(1.0)),
            ("pm2_5_atm_b", Value::from(4.0)),
        ]))
        .expect("adapts");
        assert_eq!(value_of(&a, Pollutant::Pm25), Some(2.5));
        // Just past both thresholds: 6 µg/m³ and 6/5 = 120 %.
        let a = purpleair(&local_with(&[
            ("pm2_5_atm", Value::from(2.0)),
            ("pm2_5_atm_b", Value::from(8.0)),
        ]))
        .expect("adapts");
        assert_eq!(value_of(&a, Pollutant::Pm25), None);
        assert!(a.notes.iter().any(|n| n.contains("disagree")));
    }

    #[test]
    fn purpleair_nan_strings_are_skipped_with_notes() {
        // Shape seen from a sensor whose laser counter failed (weewx-purple test data).
        let body = local_with(&[
            ("pm2_5_atm", Value::from("nan")),
            ("pm2_5_atm_b", Value::from("nan")),
            ("pm10_0_atm", Value::from("nan")),
            ("pm10_0_atm_b", Value::from("nan")),
        ]);
        let a = purpleair(&body).expect("adapts");
        assert_eq!(value_of(&a, Pollutant::Pm25), None);
        assert_eq!(value_of(&a, Pollutant::Pm10), None);
        assert_eq!(a.readings.len(), 2);
        assert_eq!(a.notes.len(), 4, "{:?}", a.notes);
        assert!(a.notes[0].contains("`pm2_5_atm`") && a.notes[0].contains("nan"));
    }

    #[test]
    fn purpleair_single_channel_is_used_and_noted() {
        let a = purpleair(&local_with(&[("pm2_5_atm_b", Value::Null)])).expect("adapts");
        assert_eq!(value_of(&a, Pollutant::Pm25), Some(2.22));
        assert!(
            a.notes.iter().any(|n| n.contains("`pm2_5_atm` alone")),
            "{:?}",
            a.notes
        );
    }

    #[test]
    fn purpleair_missing_or_bad_timestamp_names_the_field() {
        let e = purpleair(&local_edited(|o| {
            o.remove("DateTime");
        }))
        .expect_err("no DateTime");
        assert_eq!(
            e,
            AdapterError::MissingTimestamp {
                field: "DateTime".into()
            }
        );
        assert_eq!(
            e.message(),
            "The timestamp field `DateTime` is missing or null."
        );

        let e = purpleair(&local_with(&[("DateTime", Value::Null)])).expect_err("null DateTime");
        assert!(matches!(e, AdapterError::MissingTimestamp { .. }));

        let e = purpleair(&local_with(&[("DateTime", Value::from("yesterday"))]))
            .expect_err("bad DateTime");
        assert!(matches!(e, AdapterError::InvalidTimestamp { .. }));
        assert!(
            e.message().contains("`DateTime`") && e.message().contains("\"yesterday\""),
            "{}",
            e.message()
        );

        let e = purpleair(&local_with(&[("DateTime", Value::from(1_664_641_737))]))
            .expect_err("number DateTime");
        assert!(e.message().contains("`DateTime`"), "{}", e.message());
    }

    #[test]
    fn purpleair_non_numeric_value_is_an_error() {
        let e = purpleair(&local_with(&[("current_temp_f", Value::from("hot"))]))
            .expect_err("string temp");
        assert_eq!(
            e,
            AdapterError::NonNumeric {
                field: "current_temp_f".into(),
                found: "a string (\"hot\")".into()
            }
        );
        assert_eq!(
            e.message(),
            "Field `current_temp_f` must be a number, but it is a string (\"hot\")."
        );
        let e = purpleair(&local_with(&[("pm10_0_atm_b", Value::from(true))])).expect_err("bool");
        assert!(e.message().contains("`pm10_0_atm_b`"));
    }

    // ---- PurpleAir, API v1 -------------------------------------------------

    #[test]
    fn purpleair_api_maps_fields() {
        let a = purpleair(PA_API).expect("sample adapts");
        assert_eq!(a.device_id.as_deref(), Some("99999"));
        assert_eq!(a.readings.len(), 4);
        // last_seen 1657577216, not the response's time_stamp.
        let t = utc(2022, 7, 11, 22, 6, 56);
        assert!(a.readings.iter().all(|r| r.observed_at == t));
        assert!(close(
            value_of(&a, Pollutant::Pm25).unwrap_or(0.0),
            (9.19 + 9.82) / 2.0
        ));
        assert!(close(
            value_of(&a, Pollutant::Pm10).unwrap_or(0.0),
            (9.71 + 10.18) / 2.0
        ));
        let temp = a
            .readings
            .iter()
            .find(|r| r.parameter == Pollutant::Temperature)
            .expect("temperature");
        assert_eq!((temp.value, temp.unit), (103.0, "°F"));
        assert_eq!(value_of(&a, Pollutant::Humidity), Some(13.0));
        assert!(a.notes.is_empty(), "{:?}", a.notes);
    }

    #[test]
    fn purpleair_api_falls_back_to_pre_averaged_field() {
        let body = br#"{"sensor": {"sensor_index": 131075, "last_seen": 1700000000, "pm2.5_atm": 7.5, "pm10.0_atm": null}}"#;
        let a = purpleair(body).expect("adapts");
        assert_eq!(a.device_id.as_deref(), Some("131075"));
        assert_eq!(a.readings.len(), 1);
        assert_eq!(value_of(&a, Pollutant::Pm25), Some(7.5));
        assert_eq!(a.readings[0].observed_at, utc(2023, 11, 14, 22, 13, 20));
        assert!(
            a.notes.iter().any(|n| n.contains("`sensor.pm2.5_atm`")),
            "{:?}",
            a.notes
        );
    }

    #[test]
    fn purpleair_api_disagreement_uses_api_field_names() {
        let body = br#"{"sensor": {"sensor_index": 1, "last_seen": 1700000000,
            "pm2.5_atm_a": 55.0, "pm2.5_atm_b": 3.1, "pm10.0_atm_a": 60.0, "pm10.0_atm_b": 4.0, "humidity": 40}}"#;
        let a = purpleair(body).expect("adapts");
        assert_eq!(a.readings.len(), 1);
        assert_eq!(value_of(&a, Pollutant::Humidity), Some(40.0));
        assert!(
            a.notes[0].contains("`sensor.pm2.5_atm_a` = 55"),
            "{}",
            a.notes[0]
        );
    }

    #[test]
    fn purpleair_api_missing_or_bad_last_seen() {
        let e = purpleair(br#"{"sensor": {"sensor_index": 1, "pm2.5_atm": 3}}"#)
            .expect_err("no last_seen");
        assert_eq!(
            e.message(),
            "The timestamp field `sensor.last_seen` is missing or null."
        );
        let e =
            purpleair(br#"{"sensor": {"last_seen": "2024-01-01"}}"#).expect_err("string last_seen");
        assert!(
            e.message().contains("`sensor.last_seen`") && e.message().contains("UNIX"),
            "{}",
            e.message()
        );
        let e = purpleair(br#"{"sensor": [1, 2]}"#).expect_err("sensor not an object");
        assert_eq!(
            e.message(),
            "Field `sensor` must be an object, but it is an array."
        );
    }

    #[test]
    fn purpleair_malformed_or_non_object_json() {
        let e = purpleair(b"{\"SensorId\": \"84:f3:eb\", ").expect_err("truncated");
        assert!(matches!(e, AdapterError::MalformedJson { .. }));
        assert!(
            e.message().starts_with("The payload is not valid JSON: "),
            "{}",
            e.message()
        );
        let e = purpleair(b"[1, 2, 3]").expect_err("array");
        assert_eq!(
            e.message(),
            "The payload must be a JSON object, but it is an array."
        );
        assert!(purpleair(b"").is_err());
    }

    // ---- AirQo ---------------------------------------------------------------

    #[test]
    fn airqo_sample_maps_fields_per_measurement() {
        let a = airqo(AIRQO).expect("sample adapts");
        assert_eq!(a.device_id.as_deref(), Some("aq_g5_87"));
        assert!(a.notes.is_empty());
        let got: Vec<(Pollutant, f64, &str, DateTime<Utc>)> = a
            .readings
            .iter()
            .map(|r| (r.parameter, r.value, r.unit, r.observed_at))
            .collect();
        let t1 = utc(2021, 7, 27, 16, 0, 0);
        let t2 = utc(2021, 7, 27, 17, 0, 0);
        assert_eq!(
            got,
            vec![
                // calibratedValue preferred over value (48.12).
                (Pollutant::Pm25, 41.37, "µg/m³", t1),
                // calibratedValue null: raw value.
                (Pollutant::Pm10, 58.88, "µg/m³", t1),
                // external, not internal (29 °C / 38 %).
                (Pollutant::Temperature, 23.52, "°C", t1),
                (Pollutant::Humidity, 62.68, "%", t1),
                (Pollutant::Pm25, 52.4, "µg/m³", t2),
                // pm10 all-null, externalTemperature value null and externalHumidity null: skipped.
                (Pollutant::No2, 18.2, "ppb", t2),
            ]
        );
    }

    #[test]
    fn airqo_single_measurement_object() {
        let body =
            br#"{"device": "aq_g5_87", "time": "2024-01-01T10:00:00.000Z", "frequency": "raw",
            "pm2_5": {"value": 12.3, "calibratedValue": 10.1}, "pm10": {"value": 20.5}}"#;
        let a = airqo(body).expect("adapts");
        assert_eq!(a.device_id.as_deref(), Some("aq_g5_87"));
        assert_eq!(a.readings.len(), 2);
        assert_eq!(a.readings[0].value, 10.1);
        assert_eq!(a.readings[1].value, 20.5);
        assert_eq!(a.readings[0].observed_at, utc(2024, 1, 1, 10, 0, 0));
    }

    #[test]
    fn airqo_time_with_offset_is_converted_to_utc() {
        let a = airqo(br#"{"time": "2024-01-01T13:00:00+03:00", "pm2_5": {"value": 5}}"#)
            .expect("adapts");
        assert_eq!(a.readings[0].observed_at, utc(2024, 1, 1, 10, 0, 0));
        assert_eq!(a.device_id, None);
    }

    #[test]
    fn airqo_nulls_and_empty_payloads_are_ok() {
        let a = airqo(br#"{"success": true, "measurements": []}"#).expect("empty list");
        assert!(a.readings.is_empty() && a.device_id.is_none());
        let a = airqo(
            br#"{"measurements": [{"device": "aq_g5_1", "time": "2024-01-01T10:00:00Z",
            "pm2_5": {"value": null, "calibratedValue": null}, "pm10": null, "no2": {},
            "externalTemperature": {"value": null}}]}"#,
        )
        .expect("all nulls");
        assert!(a.readings.is_empty());
        assert_eq!(a.device_id.as_deref(), Some("aq_g5_1"));
    }

    #[test]
    fn airqo_non_numeric_value_names_the_field() {
        let body = br#"{"measurements": [{"time": "2024-01-01T10:00:00Z", "pm2_5": {"value": 1}},
            {"time": "2024-01-01T11:00:00Z", "pm2_5": {"value": "12,3", "calibratedValue": 10}}]}"#;
        let e = airqo(body).expect_err("string value");
        assert_eq!(
            e.message(),
            "Field `measurements[1].pm2_5.value` must be a number, but it is a string (\"12,3\")."
        );
        let e = airqo(br#"{"time": "2024-01-01T10:00:00Z", "pm10": 17}"#).expect_err("bare number");
        assert!(
            e.message().contains("`pm10`") && e.message().contains("calibratedValue"),
            "{}",
            e.message()
        );
    }

    #[test]
    fn airqo_missing_or_bad_time_names_the_field() {
        let body =
            br#"{"measurements": [{"time": "2024-01-01T10:00:00Z"}, {"pm2_5": {"value": 3}}]}"#;
        let e = airqo(body).expect_err("no time");
        assert_eq!(
            e,
            AdapterError::MissingTimestamp {
                field: "measurements[1].time".into()
            }
        );
        let e = airqo(br#"{"time": "2024-01-01 10:00:00", "pm2_5": {"value": 3}}"#)
            .expect_err("no offset");
        assert!(
            e.message().contains("`time`") && e.message().contains("RFC 3339"),
            "{}",
            e.message()
        );
        let e = airqo(br#"{"pm2_5": {"value": 3}}"#).expect_err("single, no time");
        assert_eq!(
            e.message(),
            "The timestamp field `time` is missing or null."
        );
    }

    #[test]
    fn airqo_structural_errors() {
        assert!(matches!(
            airqo(b"{\"measurements\": [").expect_err("truncated"),
            AdapterError::MalformedJson { .. }
        ));
        let e = airqo(b"\"aq_g5_87\"").expect_err("string");
        assert_eq!(
            e.message(),
            "The payload must be a JSON object, but it is a string."
        );
        let e =
            airqo(br#"{"measurements": {"time": "2024-01-01T10:00:00Z"}}"#).expect_err("not array");
        assert_eq!(
            e.message(),
            "Field `measurements` must be an array, but it is an object."
        );
        let e = airqo(br#"{"measurements": [42]}"#).expect_err("item not object");
        assert_eq!(
            e.message(),
            "Field `measurements[0]` must be an object, but it is a number."
        );
        let e = airqo(
            br#"{"success": false, "message": "bad request errors", "errors": {"tenant": "x"}}"#,
        )
        .expect_err("provider failure");
        assert!(e.message().contains("bad request errors"));
    }

    #[test]
    fn airqo_rejects_mixed_devices() {
        let body = br#"{"measurements": [
            {"device": "aq_g5_87", "time": "2024-01-01T10:00:00Z", "pm2_5": {"value": 1}},
            {"device": "aq_g5_88", "time": "2024-01-01T10:00:00Z", "pm2_5": {"value": 2}}]}"#;
        let e = airqo(body).expect_err("two devices");
        assert!(
            e.message().contains("`measurements[1].device`") && e.message().contains("aq_g5_88"),
            "{}",
            e.message()
        );
    }
}
