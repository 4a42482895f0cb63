//! Deterministic synthetic sensor readings for demos, load tests and model tests.
//!
//! Each parameter is `deterministic daily shape (local time) + correlated noise`.
//! The noise terms are Ornstein–Uhlenbeck processes discretised exactly for the
//! actual time elapsed between samples (x' = x·e^(−Δt/τ) + σ·√(1 − e^(−2Δt/τ))·N(0,1)),
//! i.e. AR(1) with a coefficient that depends on the sampling interval, so the
//! series look alike whether sampled every minute or every hour.
//!
//! Shapes follow typical urban behaviour (e.g. WHO/EEA urban monitoring reports;
//! Seinfeld & Pandis, *Atmospheric Chemistry and Physics*, ch. 5–6):
//! PM and NO₂ peak with the morning and evening rush hours and the shallow night
//! boundary layer and are lowest mid-afternoon when mixing is deepest; O₃ is
//! photochemical with a mid-afternoon peak and is titrated by NO where NO₂/PM are
//! high; temperature has its minimum around dawn and maximum around 15:00;
//! relative humidity moves inversely to temperature.
//!
//! Samples must be requested in chronological order; a timestamp earlier than
//! the previous one is treated as zero elapsed time.

use crate::model::Pollutant;
use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::f64::consts::PI;

/// Probability that a PM spike starts at any given sample (~1 in 500).
const SPIKE_PROBABILITY: f64 = 1.0 / 500.0;

/// Configuration of one simulated station.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StationProfile {
    /// Typical PM2.5 level in µg/m³ (also scales traffic gases). Non-finite or
    /// negative values are treated as 0.
    pub base_pm25: f64,
    /// Seed of the random stream; equal seeds and timestamps give equal readings.
    pub seed: u64,
    /// After this many samples PM2.5 repeats its last value forever (a stuck
    /// sensor). `Some(0)` freezes the very first reading.
    pub stuck_pm25_after: Option<usize>,
    /// Offset of local (solar/civil) time from UTC, in hours, for the daily cycles.
    pub utc_offset_hours: i32,
}

/// Ornstein–Uhlenbeck noise state.
#[derive(Debug, Clone, Copy)]
struct Ou {
    x: f64,
    /// Correlation time in hours.
    tau_h: f64,
    /// Stationary standard deviation.
    sigma: f64,
}

impl Ou {
    fn step(&mut self, dt_h: f64, z: f64) -> f64 {
        let r = (-dt_h / self.tau_h).exp();
        self.x = self.x * r + self.sigma * (1.0 - r * r).max(0.0).sqrt() * z;
        self.x
    }
}

/// Stateful generator of readings for one station.
#[derive(Debug, Clone)]
pub struct Simulator {
    profile: StationProfile,
    base: f64,
    rng: StdRng,
    last_at: Option<DateTime<Utc>>,
    samples: usize,
    /// Log-scale PM noise: fast (local sources) and slow (weather/synoptic).
    pm_fast: Ou,
    pm_slow: Ou,
    pm10_ratio: Ou,
    o3: Ou,
    no2: Ou,
    so2: Ou,
    co: Ou,
    temp: Ou,
    humidity: Ou,
    spike_left: u32,
    spike_factor: f64,
    last_live_pm25: Option<f64>,
    frozen_pm25: Option<f64>,
}

/// Standard normal variate by Box–Muller (rand 0.9 has no normal distribution
/// without the separate rand_distr crate).
fn normal(rng: &mut StdRng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>(); // (0, 1]: ln is finite
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (2.0 * PI * u2).cos()
}

/// Gaussian bump centred at `centre` hours on the 24-hour circle.
fn bump(hour: f64, centre: f64, width: f64) -> f64 {
    let d = (hour - centre).abs();
    let d = d.min(24.0 - d);
    (-0.5 * (d / width).powi(2)).exp()
}

/// Temperature shape in [−1, 1]: minimum at 06:00, maximum at 15:00 (faster
/// morning rise than evening fall).
fn temperature_shape(hour: f64) -> f64 {
    if (6.0..15.0).contains(&hour) {
        -(PI * (hour - 6.0) / 9.0).cos()
    } else {
        (PI * (hour - 15.0).rem_euclid(24.0) / 15.0).cos()
    }
}

/// PM multiplier in local hours: peaks ~08:00 and ~20:00, low mid-afternoon.
fn pm_shape(hour: f64) -> f64 {
    1.0 + 0.5 * bump(hour, 8.0, 1.8) + 0.6 * bump(hour, 20.0, 2.5) - 0.35 * bump(hour, 15.0, 3.0)
}

fn round_to(x: f64, per_unit: f64) -> f64 {
    (x * per_unit).round() / per_unit
}

impl Simulator {
    /// Creates a simulator; its noise processes start from their stationary
    /// distributions, drawn from the seed.
    pub fn new(profile: StationProfile) -> Self {
        let mut rng = StdRng::seed_from_u64(profile.seed);
        let base = if profile.base_pm25.is_finite() {
            profile.base_pm25.max(0.0)
        } else {
            0.0
        };
        let mut ou = |tau_h: f64, sigma: f64| Ou {
            x: sigma * normal(&mut rng),
            tau_h,
            sigma,
        };
        let pm_fast = ou(1.5, 0.18);
        let pm_slow = ou(36.0, 0.25);
        let pm10_ratio = ou(12.0, 0.1);
        let o3 = ou(3.0, 4.0);
        let no2 = ou(2.0, 0.2);
        let so2 = ou(4.0, 0.6);
        let co = ou(2.0, 0.08);
        let temp = ou(48.0, 2.0);
        let humidity = ou(6.0, 4.0);
        Simulator {
            profile,
            base,
            rng,
            last_at: None,
            samples: 0,
            pm_fast,
            pm_slow,
            pm10_ratio,
            o3,
            no2,
            so2,
            co,
            temp,
            humidity,
            spike_left: 0,
            spike_factor: 1.0,
            last_live_pm25: None,
            frozen_pm25: None,
        }
    }

    /// Values for every parameter at `at` (canonical units, rounded as a real
    /// sensor would: PM to 0.1, gases to 0.1, CO to 0.01, temp 0.1, humidity 0.1).
    /// Returned in [`Pollutant::ALL`] order. All values except temperature are
    /// non-negative; humidity stays within 5–100 %.
    pub fn sample(&mut self, at: DateTime<Utc>) -> Vec<(Pollutant, f64)> {
        let dt_h = match self.last_at {
            Some(prev) => ((at - prev).num_milliseconds().max(0) as f64) / 3_600_000.0,
            None => 0.0,
        };
        self.last_at = Some(at);
        let offset_s = i64::from(self.profile.utc_offset_hours) * 3600;
        let hour = (at.timestamp().saturating_add(offset_s)).rem_euclid(86_400) as f64 / 3600.0;

        // Fixed draw order each call, independent of the stuck state, so a stuck
        // profile produces the same other parameters as a healthy one.
        let mut z = [0.0; 9];
        z.iter_mut().for_each(|v| *v = normal(&mut self.rng));
        let spike_roll: f64 = self.rng.random();

        let pm_fast = self.pm_fast.step(dt_h, z[0]);
        let pm_slow = self.pm_slow.step(dt_h, z[1]);
        let ratio_noise = self.pm10_ratio.step(dt_h, z[2]);
        let o3_noise = self.o3.step(dt_h, z[3]);
        let no2_noise = self.no2.step(dt_h, z[4]);
        let so2_noise = self.so2.step(dt_h, z[5]);
        let co_noise = self.co.step(dt_h, z[6]);
        let temp_noise = self.temp.step(dt_h, z[7]);
        let hum_noise = self.humidity.step(dt_h, z[8]);

        // Spikes (fireworks, a passing diesel, a nearby barbecue): ×3–×6 for 2–5 samples.
        let spike = if self.spike_left > 0 {
            self.spike_left -= 1;
            self.spike_factor
        } else if spike_roll < SPIKE_PROBABILITY {
            self.spike_factor = self.rng.random_range(3.0..6.0);
            self.spike_left = self.rng.random_range(1..=4); // this sample + 1..4 more
            self.spike_factor
        } else {
            1.0
        };

        // Log-normal noise keeps PM positive without clipping artefacts.
        let pm25 = self.base * pm_shape(hour) * (pm_fast + pm_slow).exp() * spike;
        let pm25_live = round_to(pm25.max(0.0), 10.0);
        let pm25_out = match self.profile.stuck_pm25_after {
            Some(n) if self.samples >= n => *self
                .frozen_pm25
                .get_or_insert(self.last_live_pm25.unwrap_or(pm25_live)),
            _ => pm25_live,
        };
        self.last_live_pm25 = Some(pm25_live);
        self.samples = self.samples.saturating_add(1);

        // PM10/PM2.5 ratio of urban background stations is typically 1.3–1.8.
        let pm10 = pm25 * (1.55 + ratio_noise).clamp(1.3, 1.8);

        // Traffic gases scale with how polluted the station is.
        let urban = (self.base / 12.0).clamp(0.4, 3.0);
        let no2 = urban
            * (10.0 + 16.0 * bump(hour, 8.0, 1.5) + 14.0 * bump(hour, 18.5, 2.0))
            * no2_noise.exp();
        // CO co-emitted with NO2 by traffic: ~0.2–1.5 ppm.
        let co = (0.12 + 0.022 * no2) * (1.0 + co_noise);
        let so2 = 1.0 + 0.8 * urban + so2_noise;
        // O3: photochemical afternoon peak, titrated where NO2/PM are high.
        let o3 = 8.0 + 38.0 * bump(hour, 15.0, 3.5) + o3_noise
            - 0.25 * (no2 - urban * 10.0)
            - 0.15 * (pm25 - self.base);
        let temperature = 14.0 + 6.0 * temperature_shape(hour) + temp_noise;
        let humidity = 65.0 - 3.5 * (temperature - 14.0) + hum_noise;

        vec![
            (Pollutant::Pm25, pm25_out),
            (Pollutant::Pm10, round_to(pm10.max(0.0), 10.0)),
            (Pollutant::O3, round_to(o3.max(0.0), 10.0)),
            (Pollutant::No2, round_to(no2.max(0.0), 10.0)),
            (Pollutant::So2, round_to(so2.max(0.0), 10.0)),
            (Pollutant::Co, round_to(co.max(0.0), 100.0)),
            (Pollutant::Temperature, round_to(temperature, 10.0)),
            (
                Pollutant::Humidity,
                round_to(humidity.clamp(5.0, 100.0), 10.0),
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anomaly;
    use chrono::{Duration, TimeZone};

    fn profile(seed: u64) -> StationProfile {
        StationProfile {
            base_pm25: 15.0,
            seed,
            stuck_pm25_after: None,
            utc_offset_hours: 2,
        }
    }

    fn start() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 6, 3, 0, 0, 0).unwrap()
    }

    fn value(s: &[(Pollutant, f64)], p: Pollutant) -> f64 {
        s.iter().find(|(q, _)| *q == p).map(|(_, v)| *v).unwrap()
    }

    /// (local hour, readings) every `step_min` minutes for `days`.
    fn run(p: StationProfile, days: i64, step_min: i64) -> Vec<(f64, Vec<(Pollutant, f64)>)> {
        let mut sim = Simulator::new(p);
        (0..days * 24 * 60 / step_min)
            .map(|i| {
                let at = start() + Duration::minutes(i * step_min);
                let local =
                    ((i * step_min) as f64 / 60.0 + f64::from(p.utc_offset_hours)).rem_euclid(24.0);
                (local, sim.sample(at))
            })
            .collect()
    }

    #[test]
    fn deterministic_per_seed() {
        let a = run(profile(7), 2, 10);
        let b = run(profile(7), 2, 10);
        let c = run(profile(8), 2, 10);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a[0].1.len(), Pollutant::ALL.len());
        assert!(a[0].1.iter().zip(Pollutant::ALL).all(|((p, _), q)| *p == q));
    }

    #[test]
    fn non_negative_and_plausible() {
        for seed in 0..3 {
            for (_, s) in run(profile(seed), 7, 5) {
                for (p, v) in s {
                    assert!(v.is_finite());
                    if p != Pollutant::Temperature {
                        assert!(v >= 0.0, "{p:?} = {v}");
                    }
                    if p == Pollutant::Humidity {
                        assert!((5.0..=100.0).contains(&v));
                    }
                    if p == Pollutant::Co {
                        assert!(v < 3.0, "CO {v}");
                    }
                }
            }
        }
        // Degenerate profile must not panic or produce NaN.
        let mut sim = Simulator::new(StationProfile {
            base_pm25: f64::NAN,
            seed: 1,
            stuck_pm25_after: Some(0),
            utc_offset_hours: i32::MIN,
        });
        let s = sim.sample(start());
        assert!(s.iter().all(|(_, v)| v.is_finite()));
    }

    #[test]
    fn rounding_like_a_sensor() {
        for (_, s) in run(profile(3), 1, 30) {
            for (p, v) in s {
                let per = if p == Pollutant::Co { 100.0 } else { 10.0 };
                assert!(((v * per).round() - v * per).abs() < 1e-6, "{p:?} {v}");
            }
        }
    }

    #[test]
    fn diurnal_peaks_higher_than_mid_afternoon() {
        let data = run(profile(11), 7, 5);
        let mean_at = |h: f64, p: Pollutant| {
            let v: Vec<f64> = data
                .iter()
                .filter(|(l, _)| (l - h).abs() < 0.5)
                .map(|(_, s)| value(s, p))
                .collect();
            v.iter().sum::<f64>() / v.len() as f64
        };
        let (m8, m15, m20) = (
            mean_at(8.0, Pollutant::Pm25),
            mean_at(15.0, Pollutant::Pm25),
            mean_at(20.0, Pollutant::Pm25),
        );
        assert!(
            m8 > m15 && m20 > m15,
            "PM2.5 08:00 {m8}, 15:00 {m15}, 20:00 {m20}"
        );
        assert!(mean_at(15.0, Pollutant::O3) > mean_at(8.0, Pollutant::O3));
        assert!(mean_at(15.0, Pollutant::Temperature) > mean_at(6.0, Pollutant::Temperature));
        assert!(mean_at(15.0, Pollutant::Humidity) < mean_at(6.0, Pollutant::Humidity));
        assert!(mean_at(8.0, Pollutant::No2) > mean_at(3.0, Pollutant::No2));
        // Consecutive 5-minute readings are strongly correlated (AR(1) noise).
        let pm: Vec<f64> = data
            .iter()
            .map(|(_, s)| value(s, Pollutant::Pm25))
            .collect();
        let mean = pm.iter().sum::<f64>() / pm.len() as f64;
        let var: f64 = pm.iter().map(|v| (v - mean).powi(2)).sum();
        let cov: f64 = pm.windows(2).map(|w| (w[0] - mean) * (w[1] - mean)).sum();
        assert!(cov / var > 0.8, "lag-1 autocorrelation {}", cov / var);
    }

    #[test]
    fn stuck_sensor_repeats_and_is_flagged() {
        let n = 30;
        let healthy = run(profile(5), 3, 60);
        let stuck = run(
            StationProfile {
                stuck_pm25_after: Some(n),
                ..profile(5)
            },
            3,
            60,
        );
        let pm: Vec<f64> = stuck
            .iter()
            .map(|(_, s)| value(s, Pollutant::Pm25))
            .collect();
        let frozen = pm[n - 1];
        assert!(pm[n..].iter().all(|&v| v == frozen));
        // Identical until the fault, other parameters unaffected afterwards.
        for (i, (h, s)) in healthy.iter().zip(&stuck).enumerate() {
            if i < n {
                assert_eq!(h.1, s.1);
            } else {
                assert_eq!(h.1[1..], s.1[1..]);
            }
        }
        // anomaly::classify raises `stuck` exactly on the 12th equal value.
        let first_flag = (0..pm.len()).find(|&i| {
            let start = i.saturating_sub(24);
            let recent: Vec<f64> = pm[..i].iter().rev().copied().collect();
            anomaly::classify(&pm[start..i], &recent, pm[i]).stuck
        });
        assert_eq!(first_flag, Some(n - 1 + anomaly::STUCK_RUN - 1));
    }

    #[test]
    fn spikes_occur_and_decay() {
        // ~1 in 500 samples: over 4 weeks of 5-minute samples expect ~16 spikes.
        let data = run(profile(21), 28, 5);
        let pm: Vec<f64> = data
            .iter()
            .map(|(_, s)| value(s, Pollutant::Pm25))
            .collect();
        let jumps = pm
            .windows(2)
            .filter(|w| w[0] > 0.0 && w[1] / w[0] > 2.5)
            .count();
        assert!((4..=40).contains(&jumps), "{jumps} spikes");
    }
}
