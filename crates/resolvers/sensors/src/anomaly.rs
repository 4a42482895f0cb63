//! Per-reading quality flags: robust outlier score and stuck-sensor detection.
//!
//! The outlier score is the classic robust z-score (Iglewicz & Hoaglin, 1993,
//! "How to Detect and Handle Outliers"): the distance from the median in units
//! of the median absolute deviation (MAD), scaled by 1.4826 so that for normally
//! distributed data the denominator estimates the standard deviation
//! (1.4826 ≈ 1/Φ⁻¹(0.75)). Median and MAD each tolerate up to 50 % contamination,
//! so earlier spikes in the window do not mask the next one.

/// |robust z| above this value is an anomaly.
///
/// 5 rather than the textbook 3.5: air-quality series are heavy-tailed (traffic,
/// fires, fireworks) and a flag is meant to be rare enough to be looked at.
pub(crate) const Z_LIMIT: f64 = 5.0;

/// Number of exactly equal consecutive readings (the current one included) that
/// marks a sensor as stuck.
pub(crate) const STUCK_RUN: usize = 12;

/// Minimum number of finite window values needed to score a reading.
pub(crate) const MIN_WINDOW: usize = 12;

/// Smallest absolute difference from the median (in the parameter's canonical
/// unit) that can be an anomaly when the window has no spread at all (MAD = 0
/// and mean absolute deviation = 0, or tiny).
///
/// Used only in the MAD = 0 fallback: the fallback scale is floored at
/// `MATERIAL_DIFFERENCE / Z_LIMIT`, so a perfectly flat window followed by a
/// different value scores |z| > [`Z_LIMIT`] exactly when the difference exceeds
/// this amount. Without a floor, a quantised sensor that reads 3.0 for a day and
/// then 3.1 would score an infinite z. 1.0 unit is negligible for PM (µg/m³),
/// gases in ppb, °C and %RH; for CO (ppm) it is large, so a flat CO window only
/// flags big jumps — acceptable, since a flat CO trace is itself suspicious and
/// is caught by [`is_stuck`].
pub(crate) const MATERIAL_DIFFERENCE: f64 = 1.0;

/// Consistency constant for the MAD: 1/Φ⁻¹(3/4).
const MAD_TO_SIGMA: f64 = 1.4826;

/// Consistency constant for the mean absolute deviation: √(π/2)
/// (E|X − μ| = σ·√(2/π) for a normal distribution).
const MEAN_AD_TO_SIGMA: f64 = 1.2533;

/// Result of [`classify`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg(test)]
pub(crate) struct Flags {
    /// |robust z| > [`Z_LIMIT`] against the previous 24 h.
    pub anomaly: bool,
    /// The reading completes a run of [`STUCK_RUN`] exactly equal readings.
    pub stuck: bool,
}

/// Median of a non-empty slice of finite values (sorted in place).
fn median_in_place(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Robust z-score of `value` against `window` (the previous 24 h of values, any
/// order): `(value − median) / (1.4826 · MAD)`.
///
/// * Non-finite window entries are ignored; `None` when fewer than
///   [`MIN_WINDOW`] (12) finite values remain, or when `value` is not finite.
/// * MAD = 0 (more than half the window equals the median — typical for
///   quantised, slowly varying signals): the scale falls back to
///   1.2533 × mean absolute deviation from the median, floored at
///   [`MATERIAL_DIFFERENCE`]` / `[`Z_LIMIT`] (= 0.2 units). Consequently a perfectly
///   flat window followed by a different value is an anomaly only when the
///   difference exceeds 1.0 unit, and a value equal to the median scores 0. The
///   result is always finite (never ±∞), so it can be stored as-is.
///
/// When MAD > 0 the textbook formula is used unchanged, without the floor.
#[cfg(test)]
pub(crate) fn robust_z(window: &[f64], value: f64) -> Option<f64> {
    RobustStats::of(window)?.z(value)
}

/// The centre and scale of a window, computed once and applied to many values (the ingest
/// path scores a batch against one window instead of sorting it again per reading).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RobustStats {
    /// The window's median.
    pub median: f64,
    /// 1.4826 × MAD, or the documented fallback when MAD is 0 (see [`robust_z`]).
    pub scale: f64,
}

impl RobustStats {
    /// The statistics of `window`; `None` when fewer than [`MIN_WINDOW`] finite values.
    pub(crate) fn of(window: &[f64]) -> Option<Self> {
        let mut v: Vec<f64> = window.iter().copied().filter(|x| x.is_finite()).collect();
        if v.len() < MIN_WINDOW {
            return None;
        }
        let median = median_in_place(&mut v);
        let mut dev: Vec<f64> = v.iter().map(|x| (x - median).abs()).collect();
        let mad = median_in_place(&mut dev);
        let scale = if mad > 0.0 {
            MAD_TO_SIGMA * mad
        } else {
            let mean_ad = dev.iter().sum::<f64>() / dev.len() as f64;
            (MEAN_AD_TO_SIGMA * mean_ad).max(MATERIAL_DIFFERENCE / Z_LIMIT)
        };
        Some(Self { median, scale })
    }

    /// The robust z-score of `value`; `None` when it is not finite or overflows.
    pub(crate) fn z(&self, value: f64) -> Option<f64> {
        if !value.is_finite() {
            return None;
        }
        let z = (value - self.median) / self.scale;
        // Overflow is only possible for values near f64::MAX; report it as "cannot score".
        z.is_finite().then_some(z)
    }

    /// Whether `value` is an anomaly against these statistics.
    pub(crate) fn is_anomaly(&self, value: f64) -> bool {
        self.z(value).is_some_and(|z| z.abs() > Z_LIMIT)
    }
}

/// True when `value` and the [`STUCK_RUN`]` − 1` (= 11) readings before it are all
/// exactly equal. `previous` holds the most recent earlier readings, most
/// recent first; fewer than 11 → false.
///
/// Exact float equality is the definition on purpose: sensors report quantised
/// values, so a live signal practically never repeats 12 times, whereas a hung
/// sensor or a gateway re-sending its cache repeats the identical number. NaN
/// never equals anything, so NaN runs are not "stuck" (they are invalid instead).
pub(crate) fn is_stuck(previous: &[f64], value: f64) -> bool {
    previous.len() >= STUCK_RUN - 1 && previous[..STUCK_RUN - 1].iter().all(|&p| p == value)
}

/// Both flags for one reading.
///
/// `window`: the previous 24 h of values (for [`robust_z`]); `recent_first`: the
/// most recent earlier readings, most recent first (for [`is_stuck`]). A reading
/// that cannot be scored (short window) is not an anomaly.
#[cfg(test)]
pub(crate) fn classify(window: &[f64], recent_first: &[f64], value: f64) -> Flags {
    Flags {
        anomaly: robust_z(window, value).is_some_and(|z| z.abs() > Z_LIMIT),
        stuck: is_stuck(recent_first, value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn median_and_mad_by_hand() {
        // Window: 1..=12 plus 100 (13 values). Sorted median = 7.
        // |x - 7| = 6,5,4,3,2,1,0,1,2,3,4,5,93 → sorted 0,1,1,2,2,3,3,4,4,5,5,6,93 → MAD = 3.
        let mut w: Vec<f64> = (1..=12).map(f64::from).collect();
        w.push(100.0);
        let z = robust_z(&w, 13.0).unwrap();
        assert!(close(z, (13.0 - 7.0) / (1.4826 * 3.0)), "z = {z}");
        // Even count: 1..=12 → median 6.5; |x-6.5| = 0.5,0.5,1.5,1.5,...,5.5,5.5 → MAD = 3.
        let w: Vec<f64> = (1..=12).map(f64::from).collect();
        let z = robust_z(&w, 0.5).unwrap();
        assert!(close(z, (0.5 - 6.5) / (1.4826 * 3.0)), "z = {z}");
    }

    #[test]
    fn spike_detected_and_noise_not_flagged() {
        // Quasi-noise around 20 with spread ~1.
        let w: Vec<f64> = (0..24)
            .map(|i| 20.0 + ((i * 7 % 11) as f64 - 5.0) * 0.3)
            .collect();
        assert!(classify(&w, &[], 80.0).anomaly);
        assert!(classify(&w, &[], -40.0).anomaly);
        for v in [18.5, 20.0, 21.2, 22.0] {
            assert!(!classify(&w, &[], v).anomaly, "{v} flagged");
        }
    }

    #[test]
    fn spikes_in_window_do_not_mask() {
        let mut w: Vec<f64> = (0..24).map(|i| 10.0 + (i % 5) as f64 * 0.5).collect();
        w[3] = 300.0;
        w[10] = 250.0;
        assert!(classify(&w, &[], 60.0).anomaly);
    }

    #[test]
    fn mad_zero_cases() {
        // Perfectly flat window.
        let flat = vec![5.0; 24];
        assert_eq!(robust_z(&flat, 5.0), Some(0.0));
        // Immaterial difference: 0.8 / 0.2 = 4 → not an anomaly.
        let z = robust_z(&flat, 5.8).unwrap();
        assert!(close(z, 4.0), "z = {z}");
        assert!(!classify(&flat, &[], 5.8).anomaly);
        // Material difference: > 1.0 unit → anomaly; still finite.
        let z = robust_z(&flat, 6.5).unwrap();
        assert!(z.is_finite() && z > Z_LIMIT);
        assert!(classify(&flat, &[], 3.9).anomaly);
        // Mostly flat with a few different values: MAD = 0, mean AD > 0.
        // 20 × 3.0 and 4 × 13.0 → median 3, mean AD = 40/24, scale = 1.2533·40/24 ≈ 2.089.
        let mut w = vec![3.0; 20];
        w.extend([13.0; 4]);
        let z = robust_z(&w, 23.0).unwrap();
        assert!(close(z, 20.0 / (1.2533 * 40.0 / 24.0)), "z = {z}");
        // Quantisation jitter (one 3.1 among 3.0s): 3.2 must not score a huge z.
        let mut w = vec![3.0; 23];
        w.push(3.1);
        assert!(!classify(&w, &[], 3.2).anomaly);
    }

    #[test]
    fn too_short_or_invalid() {
        assert_eq!(robust_z(&[1.0; 11], 50.0), None);
        assert!(robust_z(&[1.0; 12], 50.0).is_some());
        assert_eq!(robust_z(&[], 1.0), None);
        // NaNs do not count towards the minimum.
        let mut w = vec![f64::NAN; 5];
        w.extend([1.0; 11]);
        assert_eq!(robust_z(&w, 1.0), None);
        assert_eq!(robust_z(&[1.0; 24], f64::NAN), None);
        assert_eq!(robust_z(&[1.0; 24], f64::INFINITY), None);
        assert_eq!(robust_z(&[f64::MAX; 24], -f64::MAX), None);
        assert_eq!(
            classify(&[1.0; 3], &[], 100.0),
            Flags {
                anomaly: false,
                stuck: false
            }
        );
    }

    #[test]
    fn stuck_runs() {
        assert!(!is_stuck(&[7.0; 10], 7.0), "11 equal values");
        assert!(is_stuck(&[7.0; 11], 7.0), "12 equal values");
        assert!(is_stuck(&[7.0; 30], 7.0));
        // Interrupted run.
        let mut p = vec![7.0; 11];
        p[10] = 7.1;
        assert!(!is_stuck(&p, 7.0));
        // Older values beyond the run do not matter.
        let mut p = vec![7.0; 11];
        p.push(1.0);
        assert!(is_stuck(&p, 7.0));
        assert!(!is_stuck(&[7.0; 11], 7.1));
        assert!(!is_stuck(&[f64::NAN; 11], f64::NAN));
        assert!(!is_stuck(&[], 1.0));
        assert!(classify(&[7.0; 24], &[7.0; 11], 7.0).stuck);
    }
}
