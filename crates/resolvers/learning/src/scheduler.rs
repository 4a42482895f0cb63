//! The two schedulers side by side: SM-2 ([`crate::sm2`]) and FSRS (the `fsrs` crate, FSRS-6),
//! the mapping between their grades, what each predicts, and replays of a card's review log
//! (how a scheduler switch converts cards, and what the optimiser learns from).
//!
//! Grades: a review is graded 0–5 as SM-2 has always taken it; FSRS has four buttons. 0, 1 and
//! 2 (forgotten, as SM-2 counts them) are **Again**, 3 (recalled with serious difficulty) is
//! **Hard**, 4 (after hesitation) is **Good**, 5 (perfect) is **Easy**. "Recalled" is 3 or more
//! under both.
//!
//! Time: FSRS counts whole days between reviews (a card reviewed twice on one day has 0 days
//! elapsed, as Anki's log has it); the SM-2 prediction uses the exact fraction.

use agora_entities::learning::flashcard_review;
use chrono::{DateTime, Utc};
use fsrs::{FSRS, FSRSItem, FSRSReview, MemoryState};

use crate::sm2::{self, PASSING_QUALITY, Schedule};

/// The FSRS button a 0–5 grade stands for: 1 Again, 2 Hard, 3 Good, 4 Easy.
pub(crate) fn rating(quality: i32) -> u32 {
    match quality {
        i32::MIN..=2 => 1,
        3 => 2,
        4 => 3,
        _ => 4,
    }
}

/// Whether a grade counts as recalled.
pub(crate) fn recalled(quality: i32) -> bool {
    quality >= PASSING_QUALITY
}

/// Whole days from `from` to `to` (0 when `to` is earlier).
pub(crate) fn whole_days(from: DateTime<Utc>, to: DateTime<Utc>) -> u32 {
    u32::try_from((to - from).num_days()).unwrap_or(0)
}

/// Days from `from` to `to` with their fraction.
pub(crate) fn fractional_days(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    ((to - from).num_milliseconds() as f64 / 86_400_000.0).max(0.0)
}

/// An FSRS model with `parameters` (the defaults when `None`) and the forgetting curve's decay.
#[derive(Debug, Clone)]
pub(crate) struct Fsrs {
    model: FSRS,
    decay: f32,
}

impl Fsrs {
    /// The model; parameters that are not 21 finite numbers in FSRS's bounds are an error.
    pub(crate) fn new(parameters: Option<&[f32]>) -> Result<Self, fsrs::FSRSError> {
        let parameters = parameters.unwrap_or(&[]);
        let filled = fsrs::check_and_fill_parameters(parameters)?;
        Ok(Self {
            model: FSRS::new(&filled)?,
            decay: filled.get(20).copied().unwrap_or(fsrs::FSRS6_DEFAULT_DECAY),
        })
    }

    /// The default FSRS-6 model.
    pub(crate) fn default_model() -> Self {
        Self::new(None).expect("the default FSRS parameters are valid")
    }

    /// The memory state after a review graded `quality` `elapsed` whole days after the last
    /// (`before` is `None` for a card's first review), and the interval to the next review in
    /// days for `retention`, before rounding and capping.
    pub(crate) fn next(
        &self,
        before: Option<MemoryState>,
        retention: f32,
        elapsed: u32,
        quality: i32,
    ) -> Result<(MemoryState, f32), fsrs::FSRSError> {
        let states = self.model.next_states(before, retention, elapsed)?;
        let state = match rating(quality) {
            1 => states.again,
            2 => states.hard,
            3 => states.good,
            _ => states.easy,
        };
        Ok((state.memory, state.interval))
    }

    /// The probability of recall `days` after the last review, in `state`.
    pub(crate) fn retrievability(&self, state: MemoryState, days: f64) -> f64 {
        f64::from(fsrs::current_retrievability(state, days as f32, self.decay))
    }

    /// The memory state after each review of one card's log, oldest first (grades and whole
    /// days between them); empty for an empty log.
    pub(crate) fn replay(&self, log: &[LoggedReview]) -> Result<Vec<MemoryState>, fsrs::FSRSError> {
        if log.is_empty() {
            return Ok(Vec::new());
        }
        self.model
            .historical_memory_states(fsrs_item(log, log.len()), None)
    }
}

/// What the replays need of one logged review.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LoggedReview {
    /// 0–5.
    pub quality: i32,
    /// When.
    pub at: DateTime<Utc>,
}

impl From<&flashcard_review::Model> for LoggedReview {
    fn from(review: &flashcard_review::Model) -> Self {
        Self {
            quality: review.quality,
            at: review.reviewed_at,
        }
    }
}

/// The first `len` reviews of `log` as FSRS's item: ratings with whole days since the review
/// before (0 for the first).
pub(crate) fn fsrs_item(log: &[LoggedReview], len: usize) -> FSRSItem {
    let mut previous: Option<DateTime<Utc>> = None;
    let reviews = log[..len]
        .iter()
        .map(|review| {
            let delta_t = previous.map_or(0, |last| whole_days(last, review.at));
            previous = Some(review.at);
            FSRSReview {
                rating: rating(review.quality),
                delta_t,
            }
        })
        .collect();
    FSRSItem { reviews }
}

/// The SM-2 schedule after each review of one card's log, oldest first.
pub(crate) fn replay_sm2(log: &[LoggedReview]) -> Vec<Schedule> {
    let mut schedule = Schedule::default();
    log.iter()
        .map(|review| {
            schedule = sm2::review(schedule, review.quality);
            schedule
        })
        .collect()
}

/// SM-2's probability of recall `days` after a review that set `interval_days`. SM-2 predicts
/// nothing itself; its interval is read as the day recall falls to 90% on an exponential
/// forgetting curve, `0.9^(days / interval)`. Null before the first interval.
pub(crate) fn sm2_retrievability(interval_days: i32, days: f64) -> Option<f64> {
    (interval_days > 0).then(|| 0.9_f64.powf(days / f64::from(interval_days)))
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn log(grades: &[(i32, i64)]) -> Vec<LoggedReview> {
        let start = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).expect("time");
        grades
            .iter()
            .map(|&(quality, day)| LoggedReview {
                quality,
                at: start + Duration::days(day) + Duration::hours(2),
            })
            .collect()
    }

    #[test]
    fn grades_map_to_the_four_buttons() {
        let buttons: Vec<u32> = (0..=5).map(rating).collect();
        assert_eq!(buttons, [1, 1, 1, 2, 3, 4]);
        assert!(!recalled(2) && recalled(3));
    }

    #[test]
    fn a_new_card_graded_good_follows_fsrs6_defaults() {
        let model = Fsrs::default_model();
        let (state, interval) = model.next(None, 0.9, 0, 4).expect("next");
        // FSRS-6's default initial stability for Good (w[2]); at 90% the interval equals it.
        assert!((state.stability - 2.3065).abs() < 1e-3, "{state:?}");
        assert!((interval - 2.3065).abs() < 1e-3, "{interval}");
        // A lower target retention schedules further out.
        let (_, longer) = model.next(None, 0.8, 0, 4).expect("next");
        assert!(longer > interval);
        // Again sets a lower stability than Easy.
        let (again, _) = model.next(None, 0.9, 0, 1).expect("next");
        let (easy, _) = model.next(None, 0.9, 0, 5).expect("next");
        assert!(again.stability < easy.stability);
    }

    #[test]
    fn replays_reach_what_one_review_at_a_time_reaches() {
        let model = Fsrs::default_model();
        let history = log(&[(4, 0), (4, 2), (2, 9), (5, 10), (4, 30)]);
        let replayed = model.replay(&history).expect("replay");
        let mut state = None;
        let mut last: Option<DateTime<Utc>> = None;
        for review in &history {
            let elapsed = last.map_or(0, |l| whole_days(l, review.at));
            state = Some(
                model
                    .next(state, 0.9, elapsed, review.quality)
                    .expect("next")
                    .0,
            );
            last = Some(review.at);
        }
        let end = replayed.last().expect("states");
        let one = state.expect("state");
        assert!((end.stability - one.stability).abs() < 1e-4);
        assert!((end.difficulty - one.difficulty).abs() < 1e-4);
        assert_eq!(replayed.len(), history.len());
        let sm2 = replay_sm2(&history);
        assert_eq!(
            sm2.iter().map(|s| s.interval_days).collect::<Vec<_>>(),
            [1, 6, 1, 1, 6]
        );
    }

    #[test]
    fn retrievability_falls_with_time_and_is_90_percent_at_the_interval() {
        let model = Fsrs::default_model();
        let state = MemoryState {
            stability: 10.0,
            difficulty: 5.0,
        };
        let at_stability = model.retrievability(state, 10.0);
        assert!((at_stability - 0.9).abs() < 1e-3, "{at_stability}");
        assert!(model.retrievability(state, 20.0) < at_stability);
        assert_eq!(sm2_retrievability(0, 3.0), None);
        let sm2 = sm2_retrievability(6, 6.0).expect("interval");
        assert!((sm2 - 0.9).abs() < 1e-9);
    }

    #[test]
    fn parameters_out_of_bounds_are_refused() {
        assert!(Fsrs::new(Some(&[1.0, 2.0])).is_err());
        assert!(Fsrs::new(Some(&[f32::NAN; 21])).is_err());
    }
}
