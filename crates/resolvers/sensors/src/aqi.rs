//! US EPA Air Quality Index (AQI).
//!
//! Breakpoints, truncation rules and the interpolation equation follow
//! *Technical Assistance Document for the Reporting of Daily Air Quality – the
//! Air Quality Index (AQI)*, EPA-454/B-24-002, May 2024 ("the TAD"), Table 6,
//! which carries the February 2024 PM NAAQS revision (PM2.5 "Good" upper
//! breakpoint lowered from 12.0 to 9.0 µg/m³, 301–500 Hazardous merged into a
//! single band for every pollutant and the PM2.5 Hazardous band moved to
//! 225.5–325.4 µg/m³). The NowCast follows the TAD section "How the NowCast is
//! calculated" (the 2013+ PM method with a 0.5 weight floor).
//!
//! Concentrations enter in canonical units (PM µg/m³, O3/NO2/SO2 ppb, CO ppm,
//! see [`Pollutant::canonical_unit`]). Internally each value is converted to
//! the unit of its EPA table and truncated to the table's precision, then
//! expressed as an integer count of that precision step (e.g. PM2.5 in tenths
//! of µg/m³). Breakpoints are stored the same way, so band lookup compares
//! whole numbers and never suffers from binary floating-point edges.
//!
//! Above the top breakpoint (AQI 500) the index is *not* capped: the TAD calls
//! such values "Beyond the AQI" and AirNow publishes them (e.g. wildfire smoke),
//! computed with the slope of the highest band. We do the same for every
//! pollutant; [`AqiCategory::of`] reports them as Hazardous.

use crate::model::Pollutant;

/// One band of an EPA breakpoint table: `lo..=hi` (in integer precision steps
/// of the table unit) maps linearly onto `ilo..=ihi`.
#[derive(Debug, Clone, Copy)]
struct Band {
    lo: u32,
    hi: u32,
    ilo: u32,
    ihi: u32,
}

const fn b(lo: u32, hi: u32, ilo: u32, ihi: u32) -> Band {
    Band { lo, hi, ilo, ihi }
}

/// PM2.5 24-h, tenths of µg/m³ (TAD Table 6: 0.0–9.0, 9.1–35.4, 35.5–55.4,
/// 55.5–125.4, 125.5–225.4, 225.5–325.4).
const PM25: [Band; 6] = [
    b(0, 90, 0, 50),
    b(91, 354, 51, 100),
    b(355, 554, 101, 150),
    b(555, 1254, 151, 200),
    b(1255, 2254, 201, 300),
    b(2255, 3254, 301, 500),
];

/// PM10 24-h, µg/m³ (TAD Table 6).
const PM10: [Band; 6] = [
    b(0, 54, 0, 50),
    b(55, 154, 51, 100),
    b(155, 254, 101, 150),
    b(255, 354, 151, 200),
    b(355, 424, 201, 300),
    b(425, 604, 301, 500),
];

/// O3 8-h, thousandths of a ppm (TAD Table 6: 0.000–0.054 … 0.106–0.200).
/// The TAD leaves 301+ blank for 8-h O3: "AQI values of 301 or higher are
/// calculated with 1-hour O3 concentrations".
const O3_8H: [Band; 5] = [
    b(0, 54, 0, 50),
    b(55, 70, 51, 100),
    b(71, 85, 101, 150),
    b(86, 105, 151, 200),
    b(106, 200, 201, 300),
];

/// O3 1-h, thousandths of a ppm (TAD Table 6). Blank below AQI 101: the 1-h
/// index only matters where it is more precautionary than the 8-h one.
const O3_1H: [Band; 4] = [
    b(125, 164, 101, 150),
    b(165, 204, 151, 200),
    b(205, 404, 201, 300),
    b(405, 604, 301, 500),
];

/// CO 8-h, tenths of a ppm (TAD Table 6).
const CO_8H: [Band; 6] = [
    b(0, 44, 0, 50),
    b(45, 94, 51, 100),
    b(95, 124, 101, 150),
    b(125, 154, 151, 200),
    b(155, 304, 201, 300),
    b(305, 504, 301, 500),
];

/// SO2 1-h, ppb (TAD Table 6). The TAD's 1-h table stops at 304 ppb / AQI 200:
/// "1-hour SO2 values do not define higher AQI values (≥ 200)".
const SO2_1H: [Band; 4] = [
    b(0, 35, 0, 50),
    b(36, 75, 51, 100),
    b(76, 185, 101, 150),
    b(186, 304, 151, 200),
];

/// SO2 24-h, ppb (TAD Table 6): only AQI ≥ 201 is defined from 24-h averages.
const SO2_24H: [Band; 2] = [b(305, 604, 201, 300), b(605, 1004, 301, 500)];

/// NO2 1-h, ppb (TAD Table 6).
const NO2_1H: [Band; 6] = [
    b(0, 53, 0, 50),
    b(54, 100, 51, 100),
    b(101, 360, 101, 150),
    b(361, 649, 151, 200),
    b(650, 1249, 201, 300),
    b(1250, 2049, 301, 500),
];

/// Truncates `value` (already in table units) to `1/steps` and returns the
/// number of whole steps, as the TAD requires ("truncate, do not round").
/// A tolerance of a millionth of a step absorbs binary representation error
/// (e.g. 9.1 µg/m³ × 10 = 90.99999…). `None` for NaN/infinite/negative input.
fn truncate_steps(value: f64, steps: f64) -> Option<u32> {
    let t = (value * steps + 1e-6).floor();
    if t.is_finite() && t >= 0.0 {
        // `as` saturates absurdly large (but finite) values at u32::MAX.
        Some(t as u32)
    } else {
        None
    }
}

/// Applies the TAD equation I = (Ihi−Ilo)/(BPhi−BPlo)·(C−BPlo)+Ilo, rounded to
/// the nearest integer, to a truncated concentration `c` (in steps). Above the
/// last band the last band's slope is extrapolated ("Beyond the AQI") when
/// `extrapolate` is set. Below the first band (only the O3 1-h and SO2 24-h
/// tables start above zero) the table does not apply and `None` is returned.
fn interpolate(table: &[Band], c: u32, extrapolate: bool) -> Option<u32> {
    let band = table
        .iter()
        .find(|b| (b.lo..=b.hi).contains(&c))
        .or_else(|| table.last().filter(|last| extrapolate && c > last.hi))?;
    let (lo, hi) = (f64::from(band.lo), f64::from(band.hi));
    let (ilo, ihi) = (f64::from(band.ilo), f64::from(band.ihi));
    let i = (ihi - ilo) / (hi - lo) * (f64::from(c) - lo) + ilo;
    // `as` saturates; `i` is finite and ≥ 0 here.
    Some(i.round() as u32)
}

/// [`interpolate`] with "Beyond the AQI" extrapolation.
fn aqi_of(table: &[Band], c: u32) -> Option<u32> {
    interpolate(table, c, true)
}

/// The EPA AQI category (TAD Table 1).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    async_graphql::Enum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AqiCategory {
    /// AQI 0–50.
    Good,
    /// AQI 51–100.
    Moderate,
    /// AQI 101–150.
    UnhealthyForSensitiveGroups,
    /// AQI 151–200.
    Unhealthy,
    /// AQI 201–300.
    VeryUnhealthy,
    /// AQI 301 and above (including "Beyond the AQI" values over 500).
    Hazardous,
}

impl AqiCategory {
    /// Every category, from best to worst.
    pub const ALL: [AqiCategory; 6] = [
        Self::Good,
        Self::Moderate,
        Self::UnhealthyForSensitiveGroups,
        Self::Unhealthy,
        Self::VeryUnhealthy,
        Self::Hazardous,
    ];

    /// The EPA display name, e.g. "Unhealthy for Sensitive Groups".
    pub fn name(self) -> &'static str {
        match self {
            Self::Good => "Good",
            Self::Moderate => "Moderate",
            Self::UnhealthyForSensitiveGroups => "Unhealthy for Sensitive Groups",
            Self::Unhealthy => "Unhealthy",
            Self::VeryUnhealthy => "Very Unhealthy",
            Self::Hazardous => "Hazardous",
        }
    }

    /// Stored and wire form, e.g. "UNHEALTHY_FOR_SENSITIVE_GROUPS".
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Good => "GOOD",
            Self::Moderate => "MODERATE",
            Self::UnhealthyForSensitiveGroups => "UNHEALTHY_FOR_SENSITIVE_GROUPS",
            Self::Unhealthy => "UNHEALTHY",
            Self::VeryUnhealthy => "VERY_UNHEALTHY",
            Self::Hazardous => "HAZARDOUS",
        }
    }

    /// Parses the stored form.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == value)
    }

    /// The lowest AQI in the category.
    pub fn lower_bound(self) -> u32 {
        match self {
            Self::Good => 0,
            Self::Moderate => 51,
            Self::UnhealthyForSensitiveGroups => 101,
            Self::Unhealthy => 151,
            Self::VeryUnhealthy => 201,
            Self::Hazardous => 301,
        }
    }

    /// The category an AQI value falls in. Values above 500 ("Beyond the AQI")
    /// are Hazardous, as the TAD advises using the Hazardous messaging.
    pub fn of(aqi: u32) -> Self {
        match aqi {
            0..=50 => Self::Good,
            51..=100 => Self::Moderate,
            101..=150 => Self::UnhealthyForSensitiveGroups,
            151..=200 => Self::Unhealthy,
            201..=300 => Self::VeryUnhealthy,
            _ => Self::Hazardous,
        }
    }
}

/// Applies the breakpoint table directly to an already-averaged concentration
/// in canonical units, after the TAD truncation (PM2.5 0.1 µg/m³, PM10 1 µg/m³,
/// O3 0.001 ppm, CO 0.1 ppm, SO2/NO2 1 ppb).
///
/// The concentration is taken as the averaging period of the table: PM 24-h
/// (or NowCast), O3 8-h, CO 8-h, NO2 1-h, SO2 1-h. Judgement calls:
/// * O3 above 0.200 ppm (8-h table top) extrapolates the 201–300 band; use
///   [`o3_one_hour_index`] for 1-h values.
/// * SO2 above 304 ppb applies the TAD's 24-h bands (305–604, 605–1004) to the
///   value as given — a precautionary approximation when only 1-h data exist,
///   because a 1-h peak is at least its 24-h average.
///
/// `None` for temperature/humidity and for NaN, infinite or negative input.
pub(crate) fn index_for(parameter: Pollutant, concentration: f64) -> Option<u32> {
    match parameter {
        Pollutant::Pm25 => aqi_of(&PM25, truncate_steps(concentration, 10.0)?),
        Pollutant::Pm10 => aqi_of(&PM10, truncate_steps(concentration, 1.0)?),
        // The TAD table is in ppm; canonical O3 is ppb.
        Pollutant::O3 => aqi_of(&O3_8H, truncate_steps(concentration / 1000.0, 1000.0)?),
        Pollutant::Co => aqi_of(&CO_8H, truncate_steps(concentration, 10.0)?),
        Pollutant::No2 => aqi_of(&NO2_1H, truncate_steps(concentration, 1.0)?),
        Pollutant::So2 => {
            let c = truncate_steps(concentration, 1.0)?;
            interpolate(&SO2_1H, c, false).or_else(|| aqi_of(&SO2_24H, c))
        }
        Pollutant::Temperature | Pollutant::Humidity => None,
    }
}

/// The O3 index from a 1-h concentration in ppb, per the TAD 1-h table.
/// `None` below 0.125 ppm (125 ppb), where the TAD defines no 1-h index, and
/// for NaN/infinite/negative input.
pub(crate) fn o3_one_hour_index(concentration_ppb: f64) -> Option<u32> {
    aqi_of(&O3_1H, truncate_steps(concentration_ppb / 1000.0, 1000.0)?)
}

/// A usable hourly value: finite and non-negative. Negative or non-finite
/// values never pass `units::validate`, so if one shows up it is a sentinel or
/// fault and is treated as missing rather than as zero.
fn usable(v: Option<f64>) -> Option<f64> {
    v.filter(|c| c.is_finite() && *c >= 0.0)
}

/// Mean of the usable values among the first `window` hours, if at least
/// `min_count` of them are usable (EPA 75 % completeness, e.g. 6 of 8).
fn mean_of(series: &[Option<f64>], window: usize, min_count: usize) -> Option<f64> {
    let vals: Vec<f64> = series
        .iter()
        .take(window)
        .filter_map(|v| usable(*v))
        .collect();
    if vals.len() < min_count || vals.is_empty() {
        return None;
    }
    Some(vals.iter().sum::<f64>() / vals.len() as f64)
}

/// The most recent complete hour, if usable. Older hours are deliberately not
/// substituted: a stale value would mislabel the current hour.
fn latest(series: &[Option<f64>]) -> Option<f64> {
    usable(series.first().copied().flatten())
}

/// EPA NowCast for particulate matter (TAD, "How the NowCast is calculated").
///
/// `hourly[0]` is the most recent complete hour; at most 12 hours are used.
/// Missing, NaN, infinite or negative hours are skipped (they keep their
/// position, so weights are still `w^hours_ago`). Requires at least 2 of the
/// 3 most recent hours. Weight factor w = min/max of the available hours,
/// floored at 0.5 (PM method); NowCast = Σ wⁱ·cᵢ / Σ wⁱ.
///
/// The result is truncated to 0.1 µg/m³, the PM2.5 table precision. PM10's
/// coarser truncation (whole µg/m³) is applied by [`index_for`]; truncating to
/// 0.1 first and then to 1 gives the same integer as truncating once.
pub(crate) fn nowcast(hourly: &[Option<f64>]) -> Option<f64> {
    let hours: Vec<(i32, f64)> = hourly
        .iter()
        .take(12)
        .zip(0..)
        .filter_map(|(v, i)| usable(*v).map(|c| (i, c)))
        .collect();
    // TAD: "at least two of the three most recent hours" must be valid.
    if hours.iter().filter(|(i, _)| *i < 3).count() < 2 {
        return None;
    }
    let max = hours
        .iter()
        .map(|(_, c)| *c)
        .fold(f64::NEG_INFINITY, f64::max);
    let min = hours.iter().map(|(_, c)| *c).fold(f64::INFINITY, f64::min);
    // With all-zero data any weight gives 0; avoid 0/0.
    let w = if max > 0.0 { (min / max).max(0.5) } else { 1.0 };
    let (num, den) = hours.iter().fold((0.0, 0.0), |(n, d), (i, c)| {
        let wi = w.powi(*i);
        (n + wi * c, d + wi)
    });
    let steps = truncate_steps(num / den, 10.0)?;
    Some(f64::from(steps) / 10.0)
}

/// Hourly averages of one parameter at a station.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HourlySeries {
    /// The measured parameter.
    pub parameter: Pollutant,
    /// Hourly averages in canonical units; index 0 is the most recent complete
    /// hour, up to 24 entries; `None` for a missing hour.
    pub hourly: Vec<Option<f64>>,
}

/// The AQI of a station: the highest sub-index and the pollutant behind it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StationAqi {
    /// The reported AQI (may exceed 500, "Beyond the AQI").
    pub value: u32,
    /// The category of `value`.
    pub category: AqiCategory,
    /// The pollutant giving `value` (ties: first in [`Pollutant::ALL`]).
    pub dominant: Pollutant,
    /// Every pollutant that has an index, in [`Pollutant::ALL`] order.
    pub sub_indices: Vec<(Pollutant, u32)>,
}

/// The current sub-index of one pollutant from its hourly series (index 0 =
/// most recent hour), using the averaging the TAD prescribes:
/// * PM2.5, PM10: [`nowcast`] (needs 2 of the 3 most recent hours).
/// * O3: 8-h average (≥ 6 of the last 8 hours, EPA 75 % completeness) and,
///   when the latest hour is ≥ 0.125 ppm, the 1-h index; the higher is
///   reported (TAD "Using both O3 1-hour and 8-hour values"). Without a valid
///   8-h average only a 1-h value ≥ 0.125 ppm gives an index. Above 0.200 ppm
///   8-h the 1-h index is used when higher; otherwise the extrapolated 8-h
///   index is kept so a missing or lower latest hour cannot drop the index
///   below 300 while the 8-h average says otherwise (judgement call).
/// * CO: 8-h average (≥ 6 of 8).
/// * NO2: latest 1-h value.
/// * SO2: latest 1-h value up to 304 ppb. Above that the TAD requires the
///   24-h average: with ≥ 18 of 24 hours it is used (AQI 200 if it is below
///   305 ppb); with less data the 1-h value is applied to the 24-h bands as a
///   precautionary approximation (see [`index_for`]).
///
/// `None` for temperature/humidity and when the data are insufficient.
pub(crate) fn sub_index(parameter: Pollutant, series: &[Option<f64>]) -> Option<u32> {
    match parameter {
        Pollutant::Pm25 | Pollutant::Pm10 => index_for(parameter, nowcast(series)?),
        Pollutant::O3 => {
            let eight = mean_of(series, 8, 6).and_then(|c| index_for(Pollutant::O3, c));
            let one = latest(series).and_then(o3_one_hour_index);
            match (eight, one) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            }
        }
        Pollutant::Co => index_for(Pollutant::Co, mean_of(series, 8, 6)?),
        Pollutant::No2 => index_for(Pollutant::No2, latest(series)?),
        Pollutant::So2 => {
            let one_hour = latest(series)?;
            let c1 = truncate_steps(one_hour, 1.0)?;
            if let Some(i) = interpolate(&SO2_1H, c1, false) {
                return Some(i);
            }
            match mean_of(series, 24, 18) {
                // TAD: 1-h above 304 ppb with a 24-h average below 305 ppb → 200.
                Some(avg) => aqi_of(&SO2_24H, truncate_steps(avg, 1.0)?).or(Some(200)),
                None => index_for(Pollutant::So2, one_hour),
            }
        }
        Pollutant::Temperature | Pollutant::Humidity => None,
    }
}

/// The station AQI: the maximum sub-index over all series (TAD "How to handle
/// values from multiple pollutants"). If a parameter appears in several
/// series, its highest sub-index counts. `None` when no pollutant has an index.
pub(crate) fn station_aqi(series: &[HourlySeries]) -> Option<StationAqi> {
    let sub_indices: Vec<(Pollutant, u32)> = Pollutant::ALL
        .into_iter()
        .filter_map(|p| {
            series
                .iter()
                .filter(|s| s.parameter == p)
                .filter_map(|s| sub_index(p, &s.hourly))
                .max()
                .map(|i| (p, i))
        })
        .collect();
    // Strictly-greater comparison keeps the first pollutant on ties.
    let (dominant, value) = sub_indices
        .iter()
        .copied()
        .reduce(|best, cur| if cur.1 > best.1 { cur } else { best })?;
    Some(StationAqi {
        value,
        category: AqiCategory::of(value),
        dominant,
        sub_indices,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Pollutant::*;

    /// Bands written out in canonical units straight from TAD Table 6
    /// (independently of the integer tables above): (lo, hi, Ilo, Ihi).
    type Bands = &'static [(f64, f64, u32, u32)];

    const T_PM25: Bands = &[
        (0.0, 9.0, 0, 50),
        (9.1, 35.4, 51, 100),
        (35.5, 55.4, 101, 150),
        (55.5, 125.4, 151, 200),
        (125.5, 225.4, 201, 300),
        (225.5, 325.4, 301, 500),
    ];
    const T_PM10: Bands = &[
        (0.0, 54.0, 0, 50),
        (55.0, 154.0, 51, 100),
        (155.0, 254.0, 101, 150),
        (255.0, 354.0, 151, 200),
        (355.0, 424.0, 201, 300),
        (425.0, 604.0, 301, 500),
    ];
    /// O3 8-h in ppb (0.000–0.054 ppm etc.).
    const T_O3: Bands = &[
        (0.0, 54.0, 0, 50),
        (55.0, 70.0, 51, 100),
        (71.0, 85.0, 101, 150),
        (86.0, 105.0, 151, 200),
        (106.0, 200.0, 201, 300),
    ];
    /// O3 1-h in ppb.
    const T_O3_1H: Bands = &[
        (125.0, 164.0, 101, 150),
        (165.0, 204.0, 151, 200),
        (205.0, 404.0, 201, 300),
        (405.0, 604.0, 301, 500),
    ];
    const T_CO: Bands = &[
        (0.0, 4.4, 0, 50),
        (4.5, 9.4, 51, 100),
        (9.5, 12.4, 101, 150),
        (12.5, 15.4, 151, 200),
        (15.5, 30.4, 201, 300),
        (30.5, 50.4, 301, 500),
    ];
    /// SO2: 1-h bands then the 24-h bands (applied by `index_for` as documented).
    const T_SO2: Bands = &[
        (0.0, 35.0, 0, 50),
        (36.0, 75.0, 51, 100),
        (76.0, 185.0, 101, 150),
        (186.0, 304.0, 151, 200),
        (305.0, 604.0, 201, 300),
        (605.0, 1004.0, 301, 500),
    ];
    const T_NO2: Bands = &[
        (0.0, 53.0, 0, 50),
        (54.0, 100.0, 51, 100),
        (101.0, 360.0, 101, 150),
        (361.0, 649.0, 151, 200),
        (650.0, 1249.0, 201, 300),
        (1250.0, 2049.0, 301, 500),
    ];

    /// For each band: lo → Ilo, hi → Ihi, hi + half a truncation step → Ihi
    /// (truncation), and the next band's lo (the value just past hi after
    /// truncation) → next Ilo. Past the last band the index keeps rising.
    fn check_edges(name: &str, f: impl Fn(f64) -> Option<u32>, bands: Bands, step: f64) {
        for (k, &(lo, hi, ilo, ihi)) in bands.iter().enumerate() {
            assert_eq!(f(lo), Some(ilo), "{name} lo {lo}");
            assert_eq!(f(hi), Some(ihi), "{name} hi {hi}");
            assert_eq!(
                f(hi + step * 0.5),
                Some(ihi),
                "{name} truncation above {hi}"
            );
            assert_eq!(
                f(hi + step * 0.999),
                Some(ihi),
                "{name} truncation just below {}",
                hi + step
            );
            let next = hi + step;
            match bands.get(k + 1) {
                Some(&(nlo, _, nilo, _)) => {
                    assert!(
                        (next - nlo).abs() < 1e-9,
                        "{name}: bands not contiguous at {hi}"
                    );
                    assert_eq!(f(next), Some(nilo), "{name} just past {hi}");
                }
                None => {
                    let i = f(hi + step * 100.0).unwrap_or(0);
                    assert!(i > ihi, "{name} beyond the top band: {i}");
                }
            }
        }
    }

    #[test]
    fn pm25_every_edge() {
        check_edges("PM25", |c| index_for(Pm25, c), T_PM25, 0.1);
    }

    #[test]
    fn pm10_every_edge() {
        check_edges("PM10", |c| index_for(Pm10, c), T_PM10, 1.0);
    }

    #[test]
    fn o3_8h_every_edge() {
        check_edges("O3 8h", |c| index_for(O3, c), T_O3, 1.0);
    }

    #[test]
    fn o3_1h_every_edge() {
        check_edges("O3 1h", o3_one_hour_index, T_O3_1H, 1.0);
        // Below 0.125 ppm the 1-h table has no index.
        assert_eq!(o3_one_hour_index(124.0), None);
        assert_eq!(o3_one_hour_index(124.9), None);
        assert_eq!(o3_one_hour_index(0.0), None);
    }

    #[test]
    fn co_every_edge() {
        check_edges("CO", |c| index_for(Co, c), T_CO, 0.1);
    }

    #[test]
    fn so2_every_edge() {
        check_edges("SO2", |c| index_for(So2, c), T_SO2, 1.0);
    }

    #[test]
    fn no2_every_edge() {
        check_edges("NO2", |c| index_for(No2, c), T_NO2, 1.0);
    }

    #[test]
    fn truncation_examples() {
        // PM2.5 truncates to 0.1: 9.04 → 9.0 and 9.05 → 9.0 (both 50), 9.1 → 51.
        assert_eq!(index_for(Pm25, 9.04), Some(50));
        assert_eq!(index_for(Pm25, 9.05), Some(50));
        assert_eq!(index_for(Pm25, 9.09999), Some(50));
        assert_eq!(index_for(Pm25, 9.1), Some(51));
        // PM10 truncates to integer: 54.9 → 54 → 50.
        assert_eq!(index_for(Pm10, 54.9), Some(50));
        assert_eq!(index_for(Pm10, 55.0), Some(51));
        // O3: 54.9 ppb = 0.0549 ppm → 0.054 → 50.
        assert_eq!(index_for(O3, 54.9), Some(50));
        // CO: 4.49 ppm → 4.4 → 50.
        assert_eq!(index_for(Co, 4.49), Some(50));
        // NO2/SO2: 53.7 ppb → 53 → 50; 35.9 → 35 → 50.
        assert_eq!(index_for(No2, 53.7), Some(50));
        assert_eq!(index_for(So2, 35.9), Some(50));
    }

    #[test]
    fn interpolation_mid_band() {
        // PM2.5 35.9: (150−101)/(55.4−35.5)·(35.9−35.5)+101 = 101.98 → 102.
        assert_eq!(index_for(Pm25, 35.9), Some(102));
        // PM2.5 12.0: (100−51)/(35.4−9.1)·(12.0−9.1)+51 = 56.40 → 56.
        assert_eq!(index_for(Pm25, 12.0), Some(56));
        // O3 8-h 0.0874 ppm → 0.087: (200−151)/(0.105−0.086)·0.001+151 = 153.58 → 154.
        assert_eq!(index_for(O3, 87.4125), Some(154));
        // CO 6.0 ppm: 49/4.9·1.5+51 = 66.
        assert_eq!(index_for(Co, 6.0), Some(66));
    }

    #[test]
    fn beyond_the_aqi_extrapolates() {
        // PM2.5 425.4: 500 + (199/99.9)·100 = 699.2 → 699 (slope of 301–500 band).
        assert_eq!(index_for(Pm25, 425.4), Some(699));
        assert_eq!(AqiCategory::of(699), AqiCategory::Hazardous);
        // PM10 704: 500 + 199/179·100 = 611.2 → 611.
        assert_eq!(index_for(Pm10, 704.0), Some(611));
        // O3 8-h above 0.200 ppm: 201 + 99/94·(210−106) = 310.5 → 311.
        assert_eq!(index_for(O3, 210.0), Some(311));
    }

    #[test]
    fn bad_inputs_give_none_without_panicking() {
        for p in Pollutant::ALL {
            for c in [
                f64::NAN,
                f64::INFINITY,
                f64::NEG_INFINITY,
                -1.0,
                -1e300,
                f64::MIN,
            ] {
                assert_eq!(index_for(p, c), None, "{p:?} {c}");
            }
            // Huge but finite values saturate instead of panicking.
            let _ = index_for(p, f64::MAX);
            let _ = index_for(p, 1e12);
            let _ = sub_index(p, &[Some(f64::MAX); 24]);
            let _ = sub_index(p, &[Some(f64::NAN); 24]);
            let _ = sub_index(p, &[]);
        }
        assert_eq!(index_for(Temperature, 20.0), None);
        assert_eq!(index_for(Humidity, 50.0), None);
        assert_eq!(o3_one_hour_index(f64::NAN), None);
        assert_eq!(nowcast(&[Some(f64::MAX), Some(f64::MAX)]), None);
    }

    #[test]
    fn categories() {
        let expected = [
            (AqiCategory::Good, "Good", "GOOD"),
            (AqiCategory::Moderate, "Moderate", "MODERATE"),
            (
                AqiCategory::UnhealthyForSensitiveGroups,
                "Unhealthy for Sensitive Groups",
                "UNHEALTHY_FOR_SENSITIVE_GROUPS",
            ),
            (AqiCategory::Unhealthy, "Unhealthy", "UNHEALTHY"),
            (
                AqiCategory::VeryUnhealthy,
                "Very Unhealthy",
                "VERY_UNHEALTHY",
            ),
            (AqiCategory::Hazardous, "Hazardous", "HAZARDOUS"),
        ];
        for (i, (cat, name, wire)) in expected.into_iter().enumerate() {
            assert_eq!(AqiCategory::ALL[i], cat);
            assert_eq!(cat.name(), name);
            assert_eq!(cat.as_str(), wire);
        }
        use AqiCategory::*;
        for (aqi, cat) in [
            (0, Good),
            (50, Good),
            (51, Moderate),
            (100, Moderate),
            (101, UnhealthyForSensitiveGroups),
            (150, UnhealthyForSensitiveGroups),
            (151, Unhealthy),
            (200, Unhealthy),
            (201, VeryUnhealthy),
            (300, VeryUnhealthy),
            (301, Hazardous),
            (500, Hazardous),
            (501, Hazardous),
            (u32::MAX, Hazardous),
        ] {
            assert_eq!(AqiCategory::of(aqi), cat, "{aqi}");
        }
    }

    #[test]
    fn nowcast_epa_worked_example() {
        // Hourly PM2.5, most recent first:
        //   13, 16, 10, 21, 74, 64, 53, 82, 90, 75, 80, 50
        // min = 10, max = 90 → w* = 10/90 = 0.111 < 0.5 → w = 0.5.
        // Σ wⁱcᵢ = 13 + 8 + 2.5 + 2.625 + 4.625 + 2 + 0.828125 + 0.640625
        //        + 0.3515625 + 0.146484375 + 0.078125 + 0.0244140625
        //        = 34.8193359375
        // Σ wⁱ   = 2 − 0.5¹¹ = 1.99951171875
        // NowCast = 17.4136… → truncated 17.4 µg/m³
        // AQI = (100−51)/(35.4−9.1)·(17.4−9.1)+51 = 66.46 → 66.
        let h: Vec<Option<f64>> = [
            13.0, 16.0, 10.0, 21.0, 74.0, 64.0, 53.0, 82.0, 90.0, 75.0, 80.0, 50.0,
        ]
        .into_iter()
        .map(Some)
        .collect();
        assert_eq!(nowcast(&h), Some(17.4));
        assert_eq!(sub_index(Pm25, &h), Some(66));
        // Hours beyond 12 are ignored.
        let mut long = h.clone();
        long.extend([Some(999.0); 12]);
        assert_eq!(nowcast(&long), Some(17.4));
    }

    #[test]
    fn nowcast_weight_above_floor() {
        // 20, 18, 16, 15: w = 15/20 = 0.75.
        // Σ wⁱcᵢ = 20 + 13.5 + 9 + 6.328125 = 48.828125
        // Σ wⁱ   = 1 + 0.75 + 0.5625 + 0.421875 = 2.734375
        // NowCast = 17.857… → 17.8
        let h = [Some(20.0), Some(18.0), Some(16.0), Some(15.0)];
        assert_eq!(nowcast(&h), Some(17.8));
        // Constant data: w = 1, NowCast = the value.
        assert_eq!(nowcast(&[Some(5.0); 12]), Some(5.0));
        // All zero: no division by zero.
        assert_eq!(nowcast(&[Some(0.0); 3]), Some(0.0));
    }

    #[test]
    fn nowcast_missing_hours() {
        // Hour 1 missing: weights keep the hour position. w = 10/20 = 0.5.
        // (10 + 0.25·20) / (1 + 0.25) = 12.0
        assert_eq!(nowcast(&[Some(10.0), None, Some(20.0)]), Some(12.0));
        // NaN / negative counted as missing.
        assert_eq!(
            nowcast(&[Some(10.0), Some(f64::NAN), Some(20.0)]),
            Some(12.0)
        );
        assert_eq!(nowcast(&[Some(10.0), Some(-5.0), Some(20.0)]), Some(12.0));
        // Fewer than 2 of the 3 most recent hours → None, however much older data.
        let mut h = vec![None, None, Some(5.0)];
        h.extend([Some(5.0); 9]);
        assert_eq!(nowcast(&h), None);
        assert_eq!(
            nowcast(&[Some(5.0), None, None, Some(5.0), Some(5.0)]),
            None
        );
        assert_eq!(nowcast(&[Some(5.0)]), None);
        assert_eq!(nowcast(&[]), None);
        assert_eq!(sub_index(Pm25, &[Some(5.0)]), None);
        assert_eq!(sub_index(Pm10, &[None, Some(5.0), None]), None);
    }

    #[test]
    fn pm10_uses_nowcast_and_integer_truncation() {
        // Constant 54.95 → NowCast 54.9 → PM10 truncation 54 → 50.
        assert_eq!(sub_index(Pm10, &[Some(54.95); 12]), Some(50));
        assert_eq!(sub_index(Pm10, &[Some(55.0); 12]), Some(51));
    }

    #[test]
    fn o3_eight_hour_and_one_hour_rules() {
        // 8-h average 60 ppb (index (100−51)/15·5+51 = 67.3 → 67); latest 1-h 60 < 125.
        assert_eq!(sub_index(O3, &[Some(60.0); 8]), Some(67));
        // Latest hour 0.150 ppm: 1-h index (150−101)/39·25+101 = 132.4 → 132;
        // 8-h average (150 + 7·60)/8 = 71.25 → 0.071 → 101. Higher (132) reported.
        let mut h = vec![Some(150.0)];
        h.extend([Some(60.0); 7]);
        assert_eq!(sub_index(O3, &h), Some(132));
        // 8-h higher than the 1-h: 8-h 100 ppb → (200−151)/19·14+151 = 187.1 → 187;
        // 1-h 130 ppb → 107. Report 187.
        let mut h = vec![Some(130.0)];
        h.extend([Some(95.0 + 5.0 / 7.0); 7]);
        let avg: f64 = (130.0 + 7.0 * (95.0 + 5.0 / 7.0)) / 8.0; // = 100.0
        assert!((avg - 100.0).abs() < 1e-9);
        assert_eq!(sub_index(O3, &h), Some(187));
        // 6 of 8 hours is enough for the 8-h average.
        let h = [
            Some(60.0),
            Some(60.0),
            None,
            Some(60.0),
            Some(60.0),
            None,
            Some(60.0),
            Some(60.0),
        ];
        assert_eq!(sub_index(O3, &h), Some(67));
        // 5 of 8 is not; the latest hour < 125 ppb cannot stand in → None.
        let h = [
            Some(60.0),
            None,
            None,
            Some(60.0),
            Some(60.0),
            None,
            Some(60.0),
            Some(60.0),
        ];
        assert_eq!(sub_index(O3, &h), None);
        // ... but a latest hour ≥ 0.125 ppm gives the 1-h index alone.
        let h = [Some(125.0), None, None, None];
        assert_eq!(sub_index(O3, &h), Some(101));
        // 8-h above 0.200 ppm with a higher 1-h index: 1-h 0.500 ppm → 396.
        let mut h = vec![Some(500.0)];
        h.extend([Some(210.0); 7]);
        // 8-h = (500 + 1470)/8 = 246.25 → 0.246 → 300 + 99/94·46 = 348.4 → 348.
        // 1-h 0.500: (500−301)/199·95+301 = 396.
        assert_eq!(sub_index(O3, &h), Some(396));
        // Hours beyond 8 do not count towards the 8-h average.
        let mut h = vec![Some(60.0); 8];
        h.extend([Some(1000.0); 16]);
        assert_eq!(sub_index(O3, &h), Some(67));
    }

    #[test]
    fn co_eight_hour_average() {
        // 8-h mean 9.45 → 9.4 → 100.
        assert_eq!(sub_index(Co, &[Some(9.45); 8]), Some(100));
        let h = [
            Some(9.5),
            Some(9.5),
            Some(9.5),
            Some(9.5),
            Some(9.5),
            Some(9.5),
            None,
            None,
        ];
        assert_eq!(sub_index(Co, &h), Some(101));
        let h = [
            Some(9.5),
            Some(9.5),
            Some(9.5),
            Some(9.5),
            Some(9.5),
            None,
            None,
            None,
        ];
        assert_eq!(sub_index(Co, &h), None);
        // Only the last 8 hours count.
        let mut h = vec![Some(1.0); 8];
        h.extend([Some(40.0); 16]);
        assert_eq!(index_for(Co, 1.0), sub_index(Co, &h));
    }

    #[test]
    fn no2_latest_hour() {
        assert_eq!(sub_index(No2, &[Some(101.0), Some(10.0)]), Some(101));
        // Latest hour missing → None (older hours are not substituted).
        assert_eq!(sub_index(No2, &[None, Some(101.0)]), None);
        assert_eq!(sub_index(No2, &[]), None);
    }

    #[test]
    fn so2_one_hour_and_24_hour_rules() {
        assert_eq!(sub_index(So2, &[Some(75.0)]), Some(100));
        assert_eq!(sub_index(So2, &[Some(304.0)]), Some(200));
        // 1-h above 304 ppb with a complete 24-h average below 305 → 200 (TAD).
        let mut h = vec![Some(400.0)];
        h.extend([Some(100.0); 23]);
        assert_eq!(sub_index(So2, &h), Some(200));
        // ... with a 24-h average ≥ 305 → the 24-h index. All 320 → 201 + 99/299·15 = 206.
        assert_eq!(sub_index(So2, &[Some(320.0); 24]), Some(206));
        // 18 of 24 hours is enough for the 24-h average.
        let mut h = vec![Some(400.0)];
        h.extend([Some(100.0); 17]);
        h.extend([None; 6]);
        assert_eq!(sub_index(So2, &h), Some(200));
        // Less than 18 hours: the 1-h value is applied to the 24-h bands
        // (approximation): 400 → 201 + 99/299·95 = 232.45 → 232.
        let mut h = vec![Some(400.0)];
        h.extend([Some(100.0); 16]);
        assert_eq!(sub_index(So2, &h), Some(232));
        assert_eq!(sub_index(So2, &[Some(400.0)]), index_for(So2, 400.0));
        assert_eq!(sub_index(So2, &[None, Some(50.0)]), None);
    }

    #[test]
    fn temperature_and_humidity_have_no_index() {
        assert_eq!(sub_index(Temperature, &[Some(20.0); 24]), None);
        assert_eq!(sub_index(Humidity, &[Some(50.0); 24]), None);
    }

    fn series(p: Pollutant, v: f64) -> HourlySeries {
        HourlySeries {
            parameter: p,
            hourly: vec![Some(v); 24],
        }
    }

    #[test]
    fn station_dominant_pollutant() {
        let s = [
            series(Temperature, 25.0),
            series(No2, 120.0), // 1-h 120 → (150−101)/259·19+101 = 104.6 → 105
            series(Pm25, 35.9), // NowCast 35.9 → 102
            series(Co, 1.0),    // 11
        ];
        let a = station_aqi(&s).expect("has indices");
        assert_eq!(a.value, 105);
        assert_eq!(a.dominant, No2);
        assert_eq!(a.category, AqiCategory::UnhealthyForSensitiveGroups);
        assert_eq!(a.sub_indices, vec![(Pm25, 102), (No2, 105), (Co, 11)]);
    }

    #[test]
    fn station_ties_go_to_first_in_all_order() {
        // PM10 55 → 51 and NO2 54 → 51, given in reverse order.
        let s = [series(No2, 54.0), series(Pm10, 55.0)];
        let a = station_aqi(&s).expect("has indices");
        assert_eq!(a.value, 51);
        assert_eq!(a.dominant, Pm10);
        assert_eq!(a.category, AqiCategory::Moderate);
    }

    #[test]
    fn station_duplicate_parameter_uses_highest() {
        let s = [series(Pm25, 5.0), series(Pm25, 40.0)];
        let a = station_aqi(&s).expect("has indices");
        assert_eq!(a.sub_indices.len(), 1);
        assert_eq!(a.value, index_for(Pm25, 40.0).unwrap_or(0));
    }

    #[test]
    fn station_none_without_indices() {
        assert_eq!(station_aqi(&[]), None);
        assert_eq!(
            station_aqi(&[series(Temperature, 20.0), series(Humidity, 40.0)]),
            None
        );
        let sparse = HourlySeries {
            parameter: Pm25,
            hourly: vec![Some(10.0), None, None],
        };
        assert_eq!(station_aqi(&[sparse]), None);
    }
}
