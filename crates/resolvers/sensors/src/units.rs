//! Unit normalisation and physical-range validation for incoming readings.
//!
//! Every reading is converted to the canonical unit of its parameter
//! ([`Pollutant::canonical_unit`]) before it is stored or fed to the AQI.

use crate::model::Pollutant;
use std::fmt;

/// Molar volume of an ideal gas at 25 °C and 1 atm, in litres. This is the
/// reference condition US EPA uses for ppb ↔ µg/m³ conversions.
const MOLAR_VOLUME_L: f64 = 24.45;

/// Why a unit could not be used for a reading.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum UnitError {
    /// The unit spelling is not recognised at all (holds the unit as given).
    Unknown(String),
    /// The unit is recognised but measures something else than the parameter
    /// (e.g. ppb for particulate matter, °F for humidity).
    WrongKind {
        /// The unit as given.
        unit: String,
        /// The parameter the reading claims to be.
        parameter: Pollutant,
    },
}

impl UnitError {
    /// A human-readable sentence describing the problem, suitable for API
    /// error responses.
    pub(crate) fn message(&self) -> String {
        match self {
            Self::Unknown(u) => format!("unknown unit '{u}'"),
            Self::WrongKind { unit, parameter } => {
                format!("unit '{unit}' does not measure {}", parameter.as_str())
            }
        }
    }
}

impl fmt::Display for UnitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for UnitError {}

/// A recognised unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    MicrogramPerM3,
    MilligramPerM3,
    Ppb,
    Ppm,
    Celsius,
    Fahrenheit,
    Kelvin,
    Percent,
}

/// Recognises a unit spelling: case-insensitive, whitespace ignored, and both
/// the micro sign (U+00B5) and Greek small mu (U+03BC) accepted, because
/// keyboards and data loggers produce either.
fn parse_unit(raw: &str) -> Option<Unit> {
    let norm: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .map(|c| if c == '\u{03BC}' { '\u{00B5}' } else { c })
        .collect();
    let unit = match norm.as_str() {
        "µg/m³" | "µg/m3" | "ug/m3" | "ug/m³" => Unit::MicrogramPerM3,
        "mg/m3" | "mg/m³" => Unit::MilligramPerM3,
        "ppb" => Unit::Ppb,
        "ppm" => Unit::Ppm,
        "°c" | "c" | "celsius" | "degc" => Unit::Celsius,
        "°f" | "f" | "fahrenheit" => Unit::Fahrenheit,
        "k" | "kelvin" => Unit::Kelvin,
        "%" | "percent" | "%rh" | "rh" => Unit::Percent,
        _ => return None,
    };
    Some(unit)
}

/// Molecular weight in g/mol of the gaseous pollutants, used for mass ↔
/// volume-mixing-ratio conversion. `None` for non-gases.
fn molecular_weight(p: Pollutant) -> Option<f64> {
    match p {
        Pollutant::O3 => Some(48.00),
        Pollutant::No2 => Some(46.0055),
        Pollutant::So2 => Some(64.066),
        Pollutant::Co => Some(28.010),
        _ => None,
    }
}

/// Converts `value` measured in `unit` to the canonical unit of `p`.
///
/// `None` or an empty/blank unit means the value is already canonical.
/// Gases accept ppb, ppm, µg/m³ and mg/m³ (mass is converted at 25 °C, 1 atm:
/// µg/m³ = ppb × MW / 24.45); particulate matter accepts mass units only;
/// temperature accepts °C, °F and K; humidity accepts percent.
///
/// Non-finite values pass through unchanged; [`validate`] rejects them.
pub(crate) fn to_canonical(p: Pollutant, value: f64, unit: Option<&str>) -> Result<f64, UnitError> {
    let raw = match unit {
        None => return Ok(value),
        Some(u) if u.trim().is_empty() => return Ok(value),
        Some(u) => u.trim(),
    };
    let unit = parse_unit(raw).ok_or_else(|| UnitError::Unknown(raw.to_string()))?;
    let wrong = || UnitError::WrongKind {
        unit: raw.to_string(),
        parameter: p,
    };
    match p {
        Pollutant::Pm25 | Pollutant::Pm10 => match unit {
            Unit::MicrogramPerM3 => Ok(value),
            Unit::MilligramPerM3 => Ok(value * 1000.0),
            _ => Err(wrong()),
        },
        Pollutant::O3 | Pollutant::No2 | Pollutant::So2 | Pollutant::Co => {
            let mw = molecular_weight(p).ok_or_else(wrong)?;
            // Work in ppb first, then scale for CO whose canonical unit is ppm.
            let ppb = match unit {
                Unit::Ppb => value,
                Unit::Ppm => value * 1000.0,
                Unit::MicrogramPerM3 => value * MOLAR_VOLUME_L / mw,
                Unit::MilligramPerM3 => value * 1000.0 * MOLAR_VOLUME_L / mw,
                _ => return Err(wrong()),
            };
            Ok(if p == Pollutant::Co {
                ppb / 1000.0
            } else {
                ppb
            })
        }
        Pollutant::Temperature => match unit {
            Unit::Celsius => Ok(value),
            Unit::Fahrenheit => Ok((value - 32.0) * 5.0 / 9.0),
            Unit::Kelvin => Ok(value - 273.15),
            _ => Err(wrong()),
        },
        Pollutant::Humidity => match unit {
            Unit::Percent => Ok(value),
            _ => Err(wrong()),
        },
    }
}

/// Inclusive plausible range of a reading in canonical units. Readings outside
/// it are treated as instrument or transmission faults and rejected.
pub(crate) fn physical_range(p: Pollutant) -> (f64, f64) {
    match p {
        // Concentrations cannot be negative. The upper bounds sit well above the
        // worst wildfire-smoke hours recorded (PM2.5 ~ 800–1000 µg/m³) and the
        // ceiling of typical low-cost and FEM optical sensors.
        Pollutant::Pm25 => (0.0, 1000.0),
        // Coarse dust storms reach a few thousand µg/m³ only briefly; 2000 keeps
        // real events while rejecting sensor overflow codes (e.g. 9999).
        Pollutant::Pm10 => (0.0, 2000.0),
        // The EPA 1-h O3 table ends at 0.604 ppm; ambient O3 never approaches
        // 1 ppm, so anything higher is a fault.
        Pollutant::O3 => (0.0, 1000.0),
        // The EPA NO2 table ends at 2049 ppb; 3000 leaves headroom for
        // near-source spikes while catching overflow values.
        Pollutant::No2 => (0.0, 3000.0),
        // SO2 near smelters/volcanoes can exceed the 1004 ppb table top briefly;
        // 3000 ppb is beyond anything ambient monitors report.
        Pollutant::So2 => (0.0, 3000.0),
        // The EPA CO table ends at 50.4 ppm; 1000 ppm is lethal-within-hours
        // territory and only seen in fires/enclosed spaces, not ambient air.
        Pollutant::Co => (0.0, 1000.0),
        // Record surface air temperatures are about -89.2 °C (Vostok) and
        // 56.7 °C (Death Valley).
        Pollutant::Temperature => (-90.0, 60.0),
        // Relative humidity is a percentage of saturation.
        Pollutant::Humidity => (0.0, 100.0),
    }
}

/// Validates a reading and returns it in canonical units.
///
/// Errors (as human-readable sentences) when the value is not finite, the unit
/// is unknown or of the wrong kind, or the converted value lies outside
/// [`physical_range`] (the edges themselves are accepted).
pub(crate) fn validate(p: Pollutant, value: f64, unit: Option<&str>) -> Result<f64, String> {
    if !value.is_finite() {
        return Err("value is not a finite number".to_string());
    }
    let v = to_canonical(p, value, unit).map_err(|e| e.message())?;
    let (lo, hi) = physical_range(p);
    // `!(lo..=hi).contains` also rejects a NaN/inf produced by overflow in
    // the conversion.
    if !(lo..=hi).contains(&v) {
        return Err(format!(
            "value {v} {} is outside the physical range {lo}–{hi} for {}",
            p.canonical_unit(),
            p.as_str()
        ));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Pollutant::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    fn conv(p: Pollutant, v: f64, u: &str) -> f64 {
        match to_canonical(p, v, Some(u)) {
            Ok(x) => x,
            Err(e) => panic!("{p:?} {v} {u}: {}", e.message()),
        }
    }

    #[test]
    fn none_or_empty_unit_is_canonical() {
        for p in Pollutant::ALL {
            assert_eq!(to_canonical(p, 12.5, None), Ok(12.5));
            assert_eq!(to_canonical(p, 12.5, Some("")), Ok(12.5));
            assert_eq!(to_canonical(p, 12.5, Some("   ")), Ok(12.5));
        }
    }

    #[test]
    fn canonical_unit_spelling_is_identity() {
        for p in Pollutant::ALL {
            assert_eq!(
                to_canonical(p, 7.0, Some(p.canonical_unit())),
                Ok(7.0),
                "{p:?}"
            );
        }
    }

    #[test]
    fn pm_mass_units_all_spellings_and_both_mus() {
        for p in [Pm25, Pm10] {
            for u in [
                "µg/m³",        // micro sign U+00B5
                "\u{03BC}g/m³", // Greek mu U+03BC
                "\u{03BC}g/m3",
                "µg/m3",
                "ug/m3",
                "ug/m³",
                "UG/M3",
                "  ug/m3  ",
                "\u{039C}G/M3", // uppercase Greek mu lowercases to U+03BC
            ] {
                assert!(close(conv(p, 35.5, u), 35.5), "{u}");
            }
            for u in ["mg/m3", "mg/m³", "MG/M3", " mg/m³ "] {
                assert!(close(conv(p, 0.0355, u), 35.5), "{u}");
            }
        }
    }

    #[test]
    fn pm_rejects_volume_and_other_units() {
        for u in ["ppb", "ppm", "°C", "%"] {
            assert_eq!(
                to_canonical(Pm25, 1.0, Some(u)),
                Err(UnitError::WrongKind {
                    unit: u.to_string(),
                    parameter: Pm25
                })
            );
        }
        let e = to_canonical(Pm25, 1.0, Some("ppb")).unwrap_err();
        assert_eq!(e.message(), "unit 'ppb' does not measure PM25");
        assert_eq!(e.to_string(), e.message());
    }

    #[test]
    fn gas_ppb_ppm() {
        for p in [O3, No2, So2] {
            assert!(close(conv(p, 40.0, "ppb"), 40.0));
            assert!(close(conv(p, 0.040, "ppm"), 40.0));
            assert!(close(conv(p, 0.040, " PPM "), 40.0));
        }
        assert!(close(conv(Co, 4.4, "ppm"), 4.4));
        assert!(close(conv(Co, 4400.0, "ppb"), 4.4));
    }

    #[test]
    fn gas_mass_conversion_uses_25c_molar_volume() {
        // 1 ppb O3 = 48.00 / 24.45 µg/m³ ≈ 1.9632 µg/m³
        assert!(close(conv(O3, 48.0, "µg/m³"), 24.45));
        assert!(close(conv(O3, 100.0, "ug/m3"), 100.0 * 24.45 / 48.0));
        // NO2: 100 µg/m³ ≈ 53.15 ppb (close to the 53 ppb AQI breakpoint)
        assert!(close(
            conv(No2, 100.0, "\u{03BC}g/m3"),
            100.0 * 24.45 / 46.0055
        ));
        assert!((conv(No2, 100.0, "µg/m³") - 53.146).abs() < 1e-3);
        assert!(close(conv(So2, 64.066, "µg/m3"), 24.45));
        assert!(close(conv(So2, 0.064066, "mg/m3"), 24.45));
        // CO canonical is ppm: 1 mg/m³ CO = 24.45/28.010 ppm ≈ 0.8729 ppm
        assert!(close(conv(Co, 1.0, "mg/m³"), 24.45 / 28.010));
        assert!(close(conv(Co, 1000.0, "ug/m3"), 24.45 / 28.010));
        assert!(close(conv(O3, 1.0, "mg/m3"), 1000.0 * 24.45 / 48.0));
    }

    #[test]
    fn gas_round_trips() {
        // ppb -> µg/m³ by hand, then back through to_canonical.
        for (p, mw) in [(O3, 48.00), (No2, 46.0055), (So2, 64.066)] {
            for ppb in [0.0, 1.0, 53.0, 123.456, 1004.0] {
                let ug = ppb * mw / 24.45;
                assert!(close(conv(p, ug, "µg/m³"), ppb), "{p:?} {ppb}");
                assert!(close(conv(p, ug / 1000.0, "mg/m3"), ppb), "{p:?} {ppb}");
                assert!(close(conv(p, ppb / 1000.0, "ppm"), ppb), "{p:?} {ppb}");
            }
        }
        for ppm in [0.0, 4.4, 50.4] {
            let mg = ppm * 28.010 / 24.45;
            assert!(close(conv(Co, mg, "mg/m³"), ppm));
            assert!(close(conv(Co, mg * 1000.0, "µg/m3"), ppm));
            assert!(close(conv(Co, ppm * 1000.0, "ppb"), ppm));
        }
        for c in [-40.0, 0.0, 21.5, 37.0] {
            let f = c * 9.0 / 5.0 + 32.0;
            assert!(close(conv(Temperature, f, "°F"), c));
            assert!(close(conv(Temperature, c + 273.15, "K"), c));
        }
    }

    #[test]
    fn gases_reject_non_gas_units() {
        for p in [O3, No2, So2, Co] {
            for u in ["°C", "%", "K"] {
                assert_eq!(
                    to_canonical(p, 1.0, Some(u)),
                    Err(UnitError::WrongKind {
                        unit: u.to_string(),
                        parameter: p
                    })
                );
            }
        }
    }

    #[test]
    fn temperature_units() {
        for u in ["°C", "°c", "C", "c", "celsius", "Celsius", "degC", "DEGC"] {
            assert!(close(conv(Temperature, 21.0, u), 21.0), "{u}");
        }
        for u in ["°F", "F", "f", "fahrenheit", "Fahrenheit"] {
            assert!(close(conv(Temperature, 212.0, u), 100.0), "{u}");
            assert!(close(conv(Temperature, -40.0, u), -40.0), "{u}");
        }
        for u in ["K", "k", "kelvin", "Kelvin"] {
            assert!(close(conv(Temperature, 273.15, u), 0.0), "{u}");
        }
        for u in ["ppb", "%", "µg/m³"] {
            assert!(matches!(
                to_canonical(Temperature, 1.0, Some(u)),
                Err(UnitError::WrongKind {
                    parameter: Temperature,
                    ..
                })
            ));
        }
    }

    #[test]
    fn humidity_units() {
        for u in ["%", "percent", "PERCENT", "%RH", "%rh", "rh", "RH", " % "] {
            assert!(close(conv(Humidity, 55.0, u), 55.0), "{u}");
        }
        for u in ["°C", "ppm", "mg/m3"] {
            assert!(matches!(
                to_canonical(Humidity, 1.0, Some(u)),
                Err(UnitError::WrongKind {
                    parameter: Humidity,
                    ..
                })
            ));
        }
        assert_eq!(
            to_canonical(Humidity, 1.0, Some("K"))
                .unwrap_err()
                .message(),
            "unit 'K' does not measure HUMIDITY"
        );
    }

    #[test]
    fn unknown_unit() {
        let e = to_canonical(Pm25, 1.0, Some(" furlongs ")).unwrap_err();
        assert_eq!(e, UnitError::Unknown("furlongs".to_string()));
        assert_eq!(e.message(), "unknown unit 'furlongs'");
        assert!(matches!(
            to_canonical(O3, 1.0, Some("ppt")),
            Err(UnitError::Unknown(_))
        ));
        assert_eq!(
            validate(Co, 1.0, Some("furlongs")),
            Err("unknown unit 'furlongs'".to_string())
        );
    }

    #[test]
    fn validate_rejects_non_finite() {
        for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            for p in Pollutant::ALL {
                assert_eq!(
                    validate(p, v, None),
                    Err("value is not a finite number".to_string())
                );
                assert_eq!(
                    validate(p, v, Some("furlongs")),
                    Err("value is not a finite number".to_string())
                );
            }
        }
    }

    #[test]
    fn validate_overflow_in_conversion_is_rejected() {
        // Finite input that overflows to +inf during mg→µg conversion.
        assert!(validate(Pm25, f64::MAX, Some("mg/m3")).is_err());
    }

    #[test]
    fn validate_range_edges() {
        for p in Pollutant::ALL {
            let (lo, hi) = physical_range(p);
            assert_eq!(validate(p, lo, None), Ok(lo), "{p:?} low edge");
            assert_eq!(validate(p, hi, None), Ok(hi), "{p:?} high edge");
            let below = lo - 1e-9;
            let above = hi + 1e-9 * hi.abs().max(1.0);
            assert!(validate(p, below, None).is_err(), "{p:?} below");
            assert!(validate(p, above, None).is_err(), "{p:?} above");
        }
        assert_eq!(
            validate(Pm25, 1000.5, None),
            Err("value 1000.5 µg/m³ is outside the physical range 0–1000 for PM25".to_string())
        );
        assert_eq!(
            validate(Temperature, -91.0, Some("°C")),
            Err("value -91 °C is outside the physical range -90–60 for TEMPERATURE".to_string())
        );
        assert_eq!(
            validate(Pm10, -0.1, None),
            Err("value -0.1 µg/m³ is outside the physical range 0–2000 for PM10".to_string())
        );
    }

    #[test]
    fn validate_converts_before_range_check() {
        // 1 mg/m³ = 1000 µg/m³ is exactly on the PM2.5 edge.
        assert_eq!(validate(Pm25, 1.0, Some("mg/m³")), Ok(1000.0));
        assert!(validate(Pm25, 1.001, Some("mg/m³")).is_err());
        // 1 ppm O3 = 1000 ppb on the edge; 1.001 ppm past it.
        assert_eq!(validate(O3, 1.0, Some("ppm")), Ok(1000.0));
        assert!(validate(O3, 1.001, Some("ppm")).is_err());
        // 140 °F = 60 °C (edge), 141 °F past it.
        assert!(validate(Temperature, 140.0, Some("°F")).is_ok_and(|c| close(c, 60.0)));
        assert!(validate(Temperature, 141.0, Some("°F")).is_err());
        // 0 K is far below -90 °C.
        assert!(validate(Temperature, 0.0, Some("K")).is_err());
        assert_eq!(
            validate(Pm25, 1.0, Some("ppb")),
            Err("unit 'ppb' does not measure PM25".to_string())
        );
    }
}
