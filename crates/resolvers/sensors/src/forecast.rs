//! Hourly forecasting with additive, damped-trend Holt-Winters (daily season).
//!
//! # Model
//! ETS(A,Ad,A) in error-correction form (Hyndman & Athanasopoulos, *Forecasting:
//! Principles and Practice*, 3rd ed. (FPP3), §8.3 and Table 8.7), season m = 24:
//!
//! ```text
//! ŷ(t|t-1) = ℓ(t-1) + φ·b(t-1) + s(t-m)        e(t) = y(t) − ŷ(t|t-1)
//! ℓ(t) = ℓ(t-1) + φ·b(t-1) + α·e(t)
//! b(t) = φ·b(t-1) + β·e(t)
//! s(t) = s(t-m) + γ·e(t)
//! ŷ(T+h|T) = ℓ(T) + (φ + φ² + … + φʰ)·b(T) + s(T+h−m(k+1)),   k = ⌊(h−1)/m⌋
//! ```
//!
//! Parameter space (the "usual" region of FPP3 §8.6 / Hyndman et al. 2008 §5.2):
//! α ∈ [0.01, 0.99], β = α·β* with β* ∈ [0, 1], γ = (1−α)·γ* with γ* ∈ [0, 1],
//! φ ∈ [0.80, 0.98] (FPP3 §8.2 recommends restricting φ to this range).
//!
//! **Initial states** come from the first two seasons (48 h): trend from the
//! difference of the two daily means, level from the first day's mean moved back
//! to t = 0, seasonal indices from the detrended deviations of both days averaged
//! and normalised to sum to zero.
//!
//! **Fitting** minimises the sum of squared one-step-ahead errors over the whole
//! history: a 5×3×4×2 grid over (α, β*, γ*, φ) followed by a bounded
//! Nelder–Mead refinement from the best grid point.
//!
//! # Prediction intervals
//! 80 % intervals (z = 1.2816, the 90th percentile of the standard normal):
//! `ŷ ± 1.2816·σ_h`, with the exact h-step variance of a linear ETS model
//! (Hyndman et al. 2008, *Forecasting with Exponential Smoothing*, §6.1, class 1;
//! FPP3 Table 8.8 lists the closed forms, which this reproduces — see the tests):
//!
//! ```text
//! σ_h² = σ²·(1 + Σ_{j=1}^{h−1} c_j²),   c_j = α + β·(φ + … + φʲ) + γ·[j mod m = 0]
//! ```
//!
//! σ² = SSE / (n − p) of the in-sample one-step errors (p = number of smoothing
//! parameters). Because α ≥ 0.01, every c_j > 0 and intervals widen strictly
//! with the horizon whenever σ > 0.
//!
//! # Short histories
//! With fewer than 48 points (two seasons) simple exponential smoothing,
//! ETS(A,N,N), is used instead (flat forecast, σ_h² = σ²(1 + α²(h−1))). Fewer
//! than 3 points, a non-finite value, or a horizon outside 1..=72 → `None`.
//!
//! # Backtest
//! Rolling origin (Tashman 2000, "Out-of-sample tests of forecasting accuracy"):
//! up to 3 origins, 24 h apart, the latest holding out the last `horizon` points.
//! An origin is used only if at least 48 points remain before it. At each origin
//! the model is refitted on the data before it and forecast `horizon` steps; the
//! absolute errors of all origins are pooled into one MAE. `persistence_mae` pools
//! the errors of carrying the last observed value before each origin forward over
//! the same points. If no origin is feasible (history shorter than 48 + horizon),
//! both fields are `None`.
//!
//! Values are not clamped (additive models can go below zero); callers that need
//! non-negative concentrations use [`clamp_non_negative`].

use crate::model::ForecastMethod;

/// Length of the seasonal cycle: hourly data with a daily cycle.
pub(crate) const PERIOD: usize = 24;
/// Longest supported horizon, in hours.
pub(crate) const MAX_HORIZON: usize = 72;
/// Two-sided 80 % normal quantile used for the intervals.
pub(crate) const Z_80: f64 = 1.2816;
/// The method reported for the seasonal model.
pub(crate) const METHOD_HOLT_WINTERS: ForecastMethod = ForecastMethod::HoltWintersAdditiveDamped;
/// The method reported for the short-history fallback.
pub(crate) const METHOD_SES: ForecastMethod = ForecastMethod::SimpleExponentialSmoothing;

/// Minimum history for the seasonal model: two full seasons for initialisation.
const MIN_SEASONAL: usize = 2 * PERIOD;
/// Minimum history for any forecast.
const MIN_POINTS: usize = 3;
/// Number of rolling backtest origins, and their spacing in hours.
const BACKTEST_ORIGINS: usize = 3;
const ORIGIN_SPACING: usize = 24;

/// One forecast hour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ForecastPoint {
    /// Hours ahead of the last history value, starting at 1.
    pub step: usize,
    /// Point forecast (conditional mean).
    pub value: f64,
    /// Lower bound of the 80 % prediction interval.
    pub lower: f64,
    /// Upper bound of the 80 % prediction interval.
    pub upper: f64,
}

/// A forecast with its backtest scores.
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    /// [`METHOD_HOLT_WINTERS`] or [`METHOD_SES`].
    pub method: ForecastMethod,
    /// `horizon` points, step 1..=horizon.
    pub points: Vec<ForecastPoint>,
    /// Rolling-origin MAE of this method at this horizon (see module docs).
    pub backtest_mae: Option<f64>,
    /// MAE of the persistence baseline over the same held-out points.
    pub persistence_mae: Option<f64>,
}

/// Sets negative values and bounds to zero (for concentrations).
pub(crate) fn clamp_non_negative(f: &mut Forecast) {
    for p in &mut f.points {
        p.value = p.value.max(0.0);
        p.lower = p.lower.max(0.0);
        p.upper = p.upper.max(0.0);
    }
}

/// Forecasts `horizon` hours (1..=72) after `history` (hourly, oldest first,
/// gap-free). See the module documentation for method, intervals and backtest.
/// Returns `None` for fewer than 3 points, any non-finite value, a horizon out of
/// range, or if the arithmetic overflows (values near `f64::MAX`).
#[cfg(test)]
pub(crate) fn forecast(history: &[f64], horizon: usize) -> Option<Forecast> {
    ModelSet::new(history.to_vec()).forecast(horizon)
}

/// One history and the models fitted on it so far: the model on the whole history, which
/// every horizon extrapolates, and the backtest models on its prefixes. Each is fitted once
/// however many horizons ask (the backtest prefixes of horizon `h` and `h + 24` overlap), so
/// all 72 horizons together cost at most 121 fits.
#[derive(Debug, Clone)]
pub(crate) struct ModelSet {
    history: Vec<f64>,
    /// Fits by prefix length (`None`: too short to fit).
    fits: std::collections::HashMap<usize, Option<Fitted>>,
}

impl ModelSet {
    /// A set over `history` (hourly, oldest first, gap-free), nothing fitted yet.
    pub(crate) fn new(history: Vec<f64>) -> Self {
        Self {
            history,
            fits: std::collections::HashMap::new(),
        }
    }

    /// Models fitted so far.
    pub(crate) fn fitted(&self) -> usize {
        self.fits.len()
    }

    /// [`forecast`] of this history, reusing the fits already made.
    pub(crate) fn forecast(&mut self, horizon: usize) -> Option<Forecast> {
        if !(1..=MAX_HORIZON).contains(&horizon)
            || self.history.len() < MIN_POINTS
            || self.history.iter().any(|v| !v.is_finite())
        {
            return None;
        }
        let model = self.fit_prefix(self.history.len())?;
        let method = model.method;
        let points = model.predict(horizon);

        let (backtest_mae, persistence_mae) = match self.backtest(horizon) {
            Some((m, p)) => (Some(m), Some(p)),
            None => (None, None),
        };

        let finite = points
            .iter()
            .all(|p| p.value.is_finite() && p.lower.is_finite() && p.upper.is_finite())
            && backtest_mae.is_none_or(f64::is_finite)
            && persistence_mae.is_none_or(f64::is_finite);
        finite.then_some(Forecast {
            method,
            points,
            backtest_mae,
            persistence_mae,
        })
    }

    /// The model fitted on the first `len` values.
    fn fit_prefix(&mut self, len: usize) -> Option<&Fitted> {
        let history = &self.history;
        self.fits
            .entry(len)
            .or_insert_with(|| fit(&history[..len]))
            .as_ref()
    }

    /// Rolling-origin backtest; `(model MAE, persistence MAE)` or `None` if no
    /// origin leaves at least two seasons for fitting.
    fn backtest(&mut self, horizon: usize) -> Option<(f64, f64)> {
        let n = self.history.len();
        let (mut err_model, mut err_persist, mut count) = (0.0, 0.0, 0usize);
        for k in 0..BACKTEST_ORIGINS {
            let Some(cut) = n.checked_sub(horizon + k * ORIGIN_SPACING) else {
                break;
            };
            if cut < MIN_SEASONAL {
                break;
            }
            let predicted = self.fit_prefix(cut)?.predict(horizon);
            let actual = &self.history[cut..cut + horizon];
            let last = self.history[cut - 1];
            for (p, a) in predicted.iter().zip(actual) {
                err_model += (p.value - a).abs();
                err_persist += (last - a).abs();
            }
            count += horizon;
        }
        (count > 0).then(|| (err_model / count as f64, err_persist / count as f64))
    }
}

/// Smoothing parameters in ETS form (β and γ already multiplied out).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Params {
    alpha: f64,
    beta: f64,
    gamma: f64,
    phi: f64,
}

/// Lower/upper bounds of the optimisation vector (α, β*, γ*, φ).
const LO: [f64; 4] = [0.01, 0.0, 0.0, 0.80];
const HI: [f64; 4] = [0.99, 1.0, 1.0, 0.98];

impl Params {
    /// Maps a (clamped) optimisation vector to ETS parameters.
    fn from_vec(x: &[f64; 4]) -> Self {
        let c: [f64; 4] = std::array::from_fn(|i| x[i].clamp(LO[i], HI[i]));
        let alpha = c[0];
        Params {
            alpha,
            beta: alpha * c[1],
            gamma: (1.0 - alpha) * c[2],
            phi: c[3],
        }
    }
}

/// A fitted model ready to extrapolate.
#[derive(Debug, Clone)]
struct Fitted {
    method: ForecastMethod,
    params: Params,
    level: f64,
    trend: f64,
    season: [f64; PERIOD],
    /// Number of observations consumed (for the seasonal phase).
    n: usize,
    sigma: f64,
}

impl Fitted {
    fn predict(&self, horizon: usize) -> Vec<ForecastPoint> {
        let p = self.params;
        let mut damp_sum = 0.0; // φ + … + φʰ
        let mut phi_pow = 1.0;
        (1..=horizon)
            .map(|h| {
                phi_pow *= p.phi;
                damp_sum += phi_pow;
                let s = self.season[(self.n + h - 1) % PERIOD];
                let value = self.level + damp_sum * self.trend + s;
                let half = Z_80 * self.sigma * variance_factor(p, h).sqrt();
                ForecastPoint {
                    step: h,
                    value,
                    lower: value - half,
                    upper: value + half,
                }
            })
            .collect()
    }
}

/// `σ_h² / σ²` for a linear ETS model with damped trend and period-24 season
/// (Hyndman et al. 2008 §6.1): `1 + Σ_{j=1}^{h−1} c_j²`.
/// With β = γ = 0 this is ETS(A,N,N)'s `1 + α²(h−1)`.
fn variance_factor(p: Params, h: usize) -> f64 {
    let mut v = 1.0;
    let mut damp_sum = 0.0;
    let mut phi_pow = 1.0;
    for j in 1..h {
        phi_pow *= p.phi;
        damp_sum += phi_pow;
        let seasonal = if j % PERIOD == 0 { p.gamma } else { 0.0 };
        let c = p.alpha + p.beta * damp_sum + seasonal;
        v += c * c;
    }
    v
}

/// Chooses the model by history length and fits it.
fn fit(y: &[f64]) -> Option<Fitted> {
    if y.len() >= MIN_SEASONAL {
        Some(fit_holt_winters(y))
    } else if y.len() >= MIN_POINTS {
        Some(fit_ses(y))
    } else {
        None
    }
}

/// Initial (level, trend, season) from the first two seasons; `y.len() >= 48`.
fn initial_states(y: &[f64]) -> (f64, f64, [f64; PERIOD]) {
    let m = PERIOD as f64;
    let mean1 = y[..PERIOD].iter().sum::<f64>() / m;
    let mean2 = y[PERIOD..2 * PERIOD].iter().sum::<f64>() / m;
    let trend = (mean2 - mean1) / m;
    // mean1 is the level at the centre of day one, t = (m−1)/2; move it back to
    // t = −1 so that ℓ0 + φ·b0 is the level of the first observation.
    let level = mean1 - (m + 1.0) / 2.0 * trend;
    let mut season = [0.0; PERIOD];
    for (i, s) in season.iter_mut().enumerate() {
        let offset = (i as f64 - (m - 1.0) / 2.0) * trend;
        let d1 = y[i] - (mean1 + offset);
        let d2 = y[i + PERIOD] - (mean2 + offset);
        *s = (d1 + d2) / 2.0;
    }
    let mean_s = season.iter().sum::<f64>() / m;
    season.iter_mut().for_each(|s| *s -= mean_s);
    (level, trend, season)
}

/// Runs the filter over `y`; returns (SSE of one-step errors, final states).
fn run_holt_winters(
    y: &[f64],
    p: Params,
    init: (f64, f64, [f64; PERIOD]),
) -> (f64, f64, f64, [f64; PERIOD]) {
    let (mut level, mut trend, mut season) = init;
    let mut sse = 0.0;
    for (t, &obs) in y.iter().enumerate() {
        let idx = t % PERIOD;
        let base = level + p.phi * trend;
        let e = obs - (base + season[idx]);
        sse += e * e;
        level = base + p.alpha * e;
        trend = p.phi * trend + p.beta * e;
        season[idx] += p.gamma * e;
    }
    (sse, level, trend, season)
}

fn fit_holt_winters(y: &[f64]) -> Fitted {
    let init = initial_states(y);
    let objective = |x: &[f64; 4]| {
        let sse = run_holt_winters(y, Params::from_vec(x), init).0;
        if sse.is_finite() { sse } else { f64::INFINITY }
    };

    // Coarse grid: cheap (120 filter passes) and protects Nelder–Mead from a
    // poor local basin (the SSE surface is flat in γ* and φ for short series).
    let mut best = ([0.3, 0.05, 0.2, 0.9], f64::INFINITY);
    for a in [0.05, 0.2, 0.4, 0.6, 0.85] {
        for b in [0.0, 0.05, 0.3] {
            for g in [0.0, 0.1, 0.3, 0.6] {
                for f in [0.85, 0.95] {
                    let x = [a, b, g, f];
                    let v = objective(&x);
                    if v < best.1 {
                        best = (x, v);
                    }
                }
            }
        }
    }
    let (x, _) = nelder_mead(objective, best.0, [0.1, 0.05, 0.1, 0.04], 400);
    let params = Params::from_vec(&x);
    let (sse, level, trend, season) = run_holt_winters(y, params, init);
    let dof = y.len().saturating_sub(4).max(1) as f64;
    Fitted {
        method: METHOD_HOLT_WINTERS,
        params,
        level,
        trend,
        season,
        n: y.len(),
        sigma: (sse / dof).sqrt(),
    }
}

/// ETS(A,N,N): ℓ0 = y0, α chosen by a 0.01 grid then a golden-section search in
/// the best cell. `y.len() >= 3`.
fn fit_ses(y: &[f64]) -> Fitted {
    let run = |alpha: f64| {
        let mut level = y[0];
        let mut sse = 0.0;
        for &obs in &y[1..] {
            let e = obs - level;
            sse += e * e;
            level += alpha * e;
        }
        (if sse.is_finite() { sse } else { f64::INFINITY }, level)
    };
    let mut best = (0.5, f64::INFINITY);
    for i in 1..=99 {
        let a = f64::from(i) / 100.0;
        let v = run(a).0;
        if v < best.1 {
            best = (a, v);
        }
    }
    // Golden-section refinement within ±0.01 of the grid optimum.
    let (mut lo, mut hi) = ((best.0 - 0.01).max(0.01), (best.0 + 0.01).min(0.99));
    const INV_PHI: f64 = 0.618_033_988_749_895;
    for _ in 0..30 {
        let c = hi - INV_PHI * (hi - lo);
        let d = lo + INV_PHI * (hi - lo);
        if run(c).0 < run(d).0 {
            hi = d;
        } else {
            lo = c;
        }
    }
    let mid = (lo + hi) / 2.0;
    let alpha = if run(mid).0 <= best.1 { mid } else { best.0 };
    let (sse, level) = run(alpha);
    // n − 1 one-step errors (the first is zero by construction), 1 parameter.
    let dof = y.len().saturating_sub(2).max(1) as f64;
    Fitted {
        method: METHOD_SES,
        params: Params {
            alpha,
            beta: 0.0,
            gamma: 0.0,
            phi: 1.0,
        },
        level,
        trend: 0.0,
        season: [0.0; PERIOD],
        n: y.len(),
        sigma: (sse / dof).sqrt(),
    }
}

/// Minimal Nelder–Mead (Nelder & Mead 1965; standard coefficients 1, 2, ½, ½).
/// Bounds are handled by the objective clamping its argument, and the result is
/// clamped by the caller via [`Params::from_vec`].
fn nelder_mead<F: Fn(&[f64; 4]) -> f64>(
    f: F,
    x0: [f64; 4],
    step: [f64; 4],
    max_iter: usize,
) -> ([f64; 4], f64) {
    const D: usize = 4;
    let clamp = |x: [f64; D]| -> [f64; D] { std::array::from_fn(|i| x[i].clamp(LO[i], HI[i])) };
    let mut simplex: Vec<([f64; D], f64)> = Vec::with_capacity(D + 1);
    simplex.push((x0, f(&x0)));
    for i in 0..D {
        let mut x = x0;
        // Step inward if the outward step would leave the box.
        x[i] = if x[i] + step[i] <= HI[i] {
            x[i] + step[i]
        } else {
            x[i] - step[i]
        };
        let x = clamp(x);
        simplex.push((x, f(&x)));
    }
    for _ in 0..max_iter {
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (best, worst) = (simplex[0].1, simplex[D].1);
        let size = (1..=D)
            .flat_map(|k| (0..D).map(move |i| (k, i)))
            .map(|(k, i)| (simplex[k].0[i] - simplex[0].0[i]).abs())
            .fold(0.0, f64::max);
        if (worst - best).abs() <= 1e-10 * best.abs() + 1e-300 || size < 1e-6 {
            break;
        }
        let mut centroid = [0.0; D];
        for (x, _) in &simplex[..D] {
            for i in 0..D {
                centroid[i] += x[i] / D as f64;
            }
        }
        let towards = |t: f64| -> [f64; D] {
            clamp(std::array::from_fn(|i| {
                centroid[i] + t * (simplex[D].0[i] - centroid[i])
            }))
        };
        let xr = towards(-1.0);
        let fr = f(&xr);
        if fr < best {
            let xe = towards(-2.0);
            let fe = f(&xe);
            simplex[D] = if fe < fr { (xe, fe) } else { (xr, fr) };
        } else if fr < simplex[D - 1].1 {
            simplex[D] = (xr, fr);
        } else {
            let (xc, fc) = if fr < worst {
                let x = towards(-0.5);
                (x, f(&x))
            } else {
                let x = towards(0.5);
                (x, f(&x))
            };
            if fc < worst.min(fr) {
                simplex[D] = (xc, fc);
            } else {
                let x_best = simplex[0].0;
                for vertex in simplex.iter_mut().skip(1) {
                    let x: [f64; D] =
                        std::array::from_fn(|i| x_best[i] + 0.5 * (vertex.0[i] - x_best[i]));
                    *vertex = (x, f(&x));
                }
            }
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    simplex[0]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::{Simulator, StationProfile};
    use chrono::{DateTime, Duration, TimeZone, Utc};
    use std::time::Instant;

    fn seasonal_series(n: usize, noise: f64) -> Vec<f64> {
        // Deterministic pseudo-noise (LCG) to keep the test independent of rand.
        let mut state: u64 = 42;
        (0..n)
            .map(|t| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let u = (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
                let h = (t % 24) as f64;
                20.0 + 0.01 * t as f64
                    + 8.0 * (2.0 * std::f64::consts::PI * h / 24.0).sin()
                    + noise * u
            })
            .collect()
    }

    #[test]
    fn rejects_bad_input() {
        assert!(forecast(&[], 4).is_none());
        assert!(forecast(&[1.0, 2.0], 4).is_none());
        assert!(forecast(&[1.0, 2.0, 3.0], 0).is_none());
        assert!(forecast(&[1.0, 2.0, 3.0], 73).is_none());
        assert!(forecast(&[1.0, f64::NAN, 3.0], 4).is_none());
        let mut y = seasonal_series(100, 1.0);
        y[50] = f64::INFINITY;
        assert!(forecast(&y, 4).is_none());
        // Overflowing arithmetic: must not panic; either None or finite.
        let huge: Vec<f64> = (0..100)
            .map(|i| if i % 2 == 0 { f64::MAX } else { -f64::MAX })
            .collect();
        if let Some(f) = forecast(&huge, 24) {
            assert!(f.points.iter().all(|p| p.value.is_finite()));
        }
    }

    #[test]
    fn short_history_uses_ses() {
        let y = [10.0, 12.0, 11.0];
        let f = forecast(&y, 5).unwrap();
        assert_eq!(f.method, METHOD_SES);
        assert_eq!(f.points.len(), 5);
        assert!(f.backtest_mae.is_none() && f.persistence_mae.is_none());
        let y47 = seasonal_series(47, 2.0);
        let f = forecast(&y47, 72).unwrap();
        assert_eq!(f.method, METHOD_SES);
        // Flat point forecast, widening interval.
        assert!(f.points.windows(2).all(|w| w[0].value == w[1].value));
        assert!(
            f.points
                .windows(2)
                .all(|w| w[1].upper - w[1].lower > w[0].upper - w[0].lower)
        );
        let f = forecast(&seasonal_series(48, 2.0), 1).unwrap();
        assert_eq!(f.method, METHOD_HOLT_WINTERS);
    }

    #[test]
    fn constant_series() {
        let f = forecast(&[5.0; 200], 24).unwrap();
        for p in &f.points {
            assert!((p.value - 5.0).abs() < 1e-9, "{p:?}");
            assert!((p.upper - p.lower).abs() < 1e-9);
        }
        assert!(f.backtest_mae.unwrap() < 1e-9);
    }

    #[test]
    fn recovers_seasonal_pattern_and_intervals_widen() {
        let y = seasonal_series(24 * 14, 1.0);
        let truth = seasonal_series(24 * 14 + 72, 0.0);
        let f = forecast(&y, 72).unwrap();
        assert_eq!(f.method, METHOD_HOLT_WINTERS);
        assert_eq!(f.points.len(), 72);
        for p in &f.points {
            let t = truth[y.len() + p.step - 1];
            assert!(
                (p.value - t).abs() < 1.5,
                "step {} forecast {} truth {}",
                p.step,
                p.value,
                t
            );
            assert!(p.lower < p.value && p.value < p.upper);
        }
        for w in f.points.windows(2) {
            assert!(w[1].upper - w[1].lower > w[0].upper - w[0].lower);
        }
        assert!(f.backtest_mae.unwrap() < f.persistence_mae.unwrap());
    }

    #[test]
    fn backtest_availability() {
        let y = seasonal_series(48 + 24, 1.0);
        assert!(forecast(&y, 24).unwrap().backtest_mae.is_some());
        assert!(forecast(&y, 25).unwrap().backtest_mae.is_none());
        assert!(forecast(&y, 72).unwrap().persistence_mae.is_none());
    }

    /// The summed variance equals FPP3 Table 8.8's closed forms.
    #[test]
    fn variance_matches_closed_forms() {
        let (a, b, g, phi) = (0.4_f64, 0.05_f64, 0.2_f64, 0.9_f64);
        let m = PERIOD as f64;
        for h in [1usize, 2, 5, 24, 25, 48, 49, 72] {
            let hf = h as f64;
            let k = ((h - 1) / PERIOD) as f64;
            // ETS(A,Ad,A)
            let closed = 1.0
                + a * a * (hf - 1.0)
                + g * k * (2.0 * a + g)
                + b * phi * hf / (1.0 - phi).powi(2) * (2.0 * a * (1.0 - phi) + b * phi)
                - b * phi * (1.0 - phi.powi(h as i32)) / ((1.0 - phi).powi(2) * (1.0 - phi * phi))
                    * (2.0 * a * (1.0 - phi * phi)
                        + b * phi * (1.0 + 2.0 * phi - phi.powi(h as i32)))
                + 2.0 * b * g * phi / ((1.0 - phi) * (1.0 - phi.powf(m)))
                    * (k * (1.0 - phi.powf(m)) - phi.powf(m) * (1.0 - phi.powf(m * k)));
            let ours = variance_factor(
                Params {
                    alpha: a,
                    beta: b,
                    gamma: g,
                    phi,
                },
                h,
            );
            assert!(
                (ours - closed).abs() < 1e-9 * closed,
                "h={h}: {ours} vs {closed}"
            );
            // ETS(A,A,A) (φ = 1)
            let closed = 1.0
                + (hf - 1.0) * (a * a + a * b * hf + b * b * hf * (2.0 * hf - 1.0) / 6.0)
                + g * k * (2.0 * a + g + b * m * (k + 1.0));
            let ours = variance_factor(
                Params {
                    alpha: a,
                    beta: b,
                    gamma: g,
                    phi: 1.0,
                },
                h,
            );
            assert!(
                (ours - closed).abs() < 1e-9 * closed,
                "h={h}: {ours} vs {closed}"
            );
        }
    }

    #[test]
    fn clamp_helper() {
        let mut f = Forecast {
            method: METHOD_SES,
            points: vec![ForecastPoint {
                step: 1,
                value: -1.0,
                lower: -3.0,
                upper: 2.0,
            }],
            backtest_mae: None,
            persistence_mae: None,
        };
        clamp_non_negative(&mut f);
        assert_eq!(
            f.points[0],
            ForecastPoint {
                step: 1,
                value: 0.0,
                lower: 0.0,
                upper: 2.0
            }
        );
    }

    /// Hourly means of 5-minute simulator samples.
    fn simulated_hourly_pm25(seed: u64, days: usize) -> Vec<f64> {
        let mut sim = Simulator::new(StationProfile {
            base_pm25: 15.0,
            seed,
            stuck_pm25_after: None,
            utc_offset_hours: 1,
        });
        let start: DateTime<Utc> = Utc.with_ymd_and_hms(2024, 3, 4, 0, 0, 0).unwrap();
        (0..days * 24)
            .map(|h| {
                let sum: f64 = (0..12)
                    .map(|k| {
                        let at = start + Duration::minutes((h * 60 + k * 5) as i64);
                        sim.sample(at)
                            .iter()
                            .find(|(p, _)| *p == crate::model::Pollutant::Pm25)
                            .map_or(0.0, |s| s.1)
                    })
                    .sum();
                sum / 12.0
            })
            .collect()
    }

    /// Cross-check against the simulator: Holt-Winters beats persistence at 24 h.
    #[test]
    fn beats_persistence_on_simulated_pm25() {
        let seeds = [1u64, 2, 3, 4, 5, 6];
        let series: Vec<Vec<f64>> = seeds
            .iter()
            .map(|&s| simulated_hourly_pm25(s, 14))
            .collect();
        let mut hw24 = 0.0;
        let mut pe24 = 0.0;
        for horizon in [4usize, 24, 72] {
            let (mut hw, mut pe) = (0.0, 0.0);
            for (seed, y) in seeds.iter().zip(&series) {
                let f = forecast(y, horizon).unwrap();
                let (m, p) = (f.backtest_mae.unwrap(), f.persistence_mae.unwrap());
                println!("seed {seed} h={horizon:>2}: HW MAE {m:6.2}  persistence MAE {p:6.2}");
                hw += m / seeds.len() as f64;
                pe += p / seeds.len() as f64;
            }
            println!("MEAN  h={horizon:>2}: HW MAE {hw:6.2}  persistence MAE {pe:6.2}  (µg/m³)");
            if horizon == 24 {
                (hw24, pe24) = (hw, pe);
            }
        }
        assert!(hw24 < pe24, "HW {hw24} vs persistence {pe24}");
    }

    /// Empirical coverage of the 80 % intervals on simulated data (informative).
    #[test]
    fn interval_coverage_on_simulated_pm25() {
        let (mut inside, mut total) = (0usize, 0usize);
        for seed in 10..16u64 {
            let y = simulated_hourly_pm25(seed, 14);
            let cut = y.len() - 24;
            let f = forecast(&y[..cut], 24).unwrap();
            for p in &f.points {
                let a = y[cut + p.step - 1];
                inside += usize::from(p.lower <= a && a <= p.upper);
                total += 1;
            }
        }
        let coverage = inside as f64 / total as f64;
        println!(
            "80% interval empirical coverage at 1..24 h: {:.0}% ({inside}/{total})",
            coverage * 100.0
        );
        assert!(coverage > 0.5, "coverage {coverage}");
    }

    #[test]
    fn a_model_set_fits_each_prefix_once_for_every_horizon() {
        let y = seasonal_series(24 * 10, 2.0);
        let mut set = ModelSet::new(y.clone());
        let day = set.forecast(24).expect("forecast");
        // The whole history, and the backtest origins n−24, n−48, n−72.
        assert_eq!(set.fitted(), 4);
        assert_eq!(set.forecast(24), Some(day.clone()));
        assert_eq!(set.fitted(), 4, "a repeated horizon fits nothing");
        // Horizon 48 backtests from n−48, n−72 (fitted already) and n−96.
        let two_days = set.forecast(48).expect("forecast");
        assert_eq!(set.fitted(), 5);
        // Reusing fits changes nothing in the answers.
        assert_eq!(forecast(&y, 24), Some(day));
        assert_eq!(forecast(&y, 48), Some(two_days));
        for h in 1..=MAX_HORIZON {
            set.forecast(h);
        }
        assert!(set.fitted() <= 121, "{}", set.fitted());
    }

    #[test]
    fn fit_time_672_points() {
        let y = seasonal_series(24 * 28, 3.0);
        let start = Instant::now();
        let reps = 5;
        for _ in 0..reps {
            std::hint::black_box(fit(std::hint::black_box(&y)));
        }
        let per_fit = start.elapsed() / reps;
        let start = Instant::now();
        let f = forecast(&y, 72).unwrap();
        let full = start.elapsed();
        println!(
            "672 points: one fit {per_fit:?}; forecast(72) incl. 3-origin backtest {full:?} ({} build)",
            if cfg!(debug_assertions) {
                "debug"
            } else {
                "release"
            }
        );
        assert!(f.backtest_mae.is_some());
        if !cfg!(debug_assertions) {
            assert!(per_fit.as_millis() < 50);
        }
    }
}
