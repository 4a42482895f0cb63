//! SM-2 (SuperMemo 2, P. Woźniak, 1990), as the learning service has always scheduled cards:
//!
//! - quality 0 (blackout) to 5 (perfect recall); 3 or more is a success;
//! - a success moves the card on: 1 day after the first, 6 after the second, then the previous
//!   interval times the ease factor (rounded), with the ease factor held before this review;
//! - a failure (below 3) starts the card again: repetitions 0, interval 1 day;
//! - every review moves the ease factor by `0.1 − (5 − q)(0.08 + (5 − q)·0.02)` (+0.1 for a 5,
//!   0 for a 4, −0.14 for a 3, −0.32 for a 2, −0.54 for a 1, −0.8 for a 0), never below 1.3.

/// A new card's ease factor.
pub(crate) const INITIAL_EASE: f64 = 2.5;
/// The lowest ease factor: harder cards come back no sooner than this allows.
pub(crate) const MIN_EASE: f64 = 1.3;
/// The highest quality grade.
pub(crate) const MAX_QUALITY: i32 = 5;
/// Grades from this one up count as remembered.
pub(crate) const PASSING_QUALITY: i32 = 3;

/// A card's schedule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Schedule {
    /// The ease factor.
    pub ease_factor: f64,
    /// Days until the next review.
    pub interval_days: i32,
    /// Successful reviews in a row.
    pub repetitions: i32,
}

impl Default for Schedule {
    fn default() -> Self {
        Self {
            ease_factor: INITIAL_EASE,
            interval_days: 0,
            repetitions: 0,
        }
    }
}

/// The schedule after a review graded `quality` (0..=5; callers check the range).
pub(crate) fn review(card: Schedule, quality: i32) -> Schedule {
    let q = f64::from(quality.clamp(0, MAX_QUALITY));
    let (interval_days, repetitions) = if quality >= PASSING_QUALITY {
        let interval = match card.repetitions {
            0 => 1,
            1 => 6,
            _ => (f64::from(card.interval_days) * card.ease_factor).round() as i32,
        };
        (interval.max(1), card.repetitions + 1)
    } else {
        (1, 0)
    };
    let ease = card.ease_factor + (0.1 - (5.0 - q) * (0.08 + (5.0 - q) * 0.02));
    Schedule {
        // Rounded to 2 places so repeated reviews do not accumulate float noise.
        ease_factor: (ease.max(MIN_EASE) * 100.0).round() / 100.0,
        interval_days,
        repetitions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn successes_go_one_day_six_days_then_times_the_ease() {
        let first = review(Schedule::default(), 4);
        assert_eq!((first.interval_days, first.repetitions), (1, 1));
        assert_eq!(first.ease_factor, 2.5);
        let second = review(first, 5);
        assert_eq!((second.interval_days, second.repetitions), (6, 2));
        assert_eq!(second.ease_factor, 2.6);
        // 6 × 2.6 = 15.6 → 16, with the ease held before this review; a 3 lowers it by 0.14.
        let third = review(second, 3);
        assert_eq!((third.interval_days, third.repetitions), (16, 3));
        assert_eq!(third.ease_factor, 2.46);
        let fourth = review(third, 4);
        assert_eq!(fourth.interval_days, 39); // 16 × 2.46 = 39.36
    }

    #[test]
    fn a_failure_starts_again_and_the_ease_never_drops_below_1_3() {
        let mut card = Schedule {
            ease_factor: 2.5,
            interval_days: 40,
            repetitions: 5,
        };
        card = review(card, 2);
        assert_eq!((card.interval_days, card.repetitions), (1, 0));
        assert_eq!(card.ease_factor, 2.18);
        for _ in 0..10 {
            card = review(card, 0);
        }
        assert_eq!(card.ease_factor, MIN_EASE);
        let again = review(card, 3);
        assert_eq!((again.interval_days, again.repetitions), (1, 1));
    }

    #[test]
    fn every_grade_moves_the_ease_by_the_sm2_formula() {
        let deltas = [-0.8, -0.54, -0.32, -0.14, 0.0, 0.1];
        for (quality, delta) in deltas.iter().enumerate() {
            let after = review(Schedule::default(), quality as i32);
            let expected = ((INITIAL_EASE + delta) * 100.0_f64).round() / 100.0;
            assert_eq!(after.ease_factor, expected, "quality {quality}");
        }
    }
}
