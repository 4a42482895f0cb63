//! Daily streaks, Duolingo-style. A day counts when the user does something that
//! `counts_for_streak` in the rules (battles, reviews, ...; signing in alone does not), in
//! the user's own time zone. Consecutive active days extend the streak; a missed day breaks
//! it unless a streak freeze covers it. A freeze is earned at every 7th day of a streak and at
//! most [`MAX_FREEZES`] are held; each covers one missed day, spent when the user comes back.
//! When more days were missed than freezes held, the streak restarts at 1 and the freezes are
//! kept. Activity dated before the last active day (a late event) changes nothing.

use chrono::NaiveDate;

/// Freezes a user may hold.
pub(crate) const MAX_FREEZES: i32 = 2;
/// A freeze is earned each time the streak reaches a multiple of this.
pub(crate) const FREEZE_EVERY: i32 = 7;

/// A user's streak state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Streak {
    /// Length as of `last_active`.
    pub current: i32,
    /// Longest ever.
    pub longest: i32,
    /// Freezes held.
    pub freezes: i32,
    /// Last active local day.
    pub last_active: Option<NaiveDate>,
}

impl Streak {
    /// Records activity on `day`.
    pub(crate) fn record(&mut self, day: NaiveDate) {
        match self.last_active {
            Some(last) if day <= last => return,
            Some(last) => {
                let missed = (day - last).num_days() - 1;
                if missed == 0 {
                    self.current += 1;
                } else if missed <= i64::from(self.freezes) {
                    self.freezes -= missed as i32;
                    self.current += 1;
                } else {
                    self.current = 1;
                }
            }
            None => self.current = 1,
        }
        self.last_active = Some(day);
        if self.current % FREEZE_EVERY == 0 {
            self.freezes = (self.freezes + 1).min(MAX_FREEZES);
        }
        self.longest = self.longest.max(self.current);
    }

    /// The streak as seen on `today`: still alive if the user was active today or yesterday,
    /// or if the freezes held cover the days missed since; 0 once it is broken.
    pub(crate) fn current_on(&self, today: NaiveDate) -> i32 {
        let Some(last) = self.last_active else {
            return 0;
        };
        let missed = (today - last).num_days() - 1;
        if missed <= i64::from(self.freezes) {
            self.current
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(n: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Duration::days(i64::from(n))
    }

    fn run(days: &[u32]) -> Streak {
        let mut streak = Streak::default();
        for d in days {
            streak.record(day(*d));
        }
        streak
    }

    #[test]
    fn consecutive_days_extend_and_same_day_counts_once() {
        let s = run(&[0, 0, 1, 2, 2]);
        assert_eq!((s.current, s.longest), (3, 3));
    }

    #[test]
    fn a_missed_day_breaks_without_a_freeze() {
        let s = run(&[0, 1, 3]);
        assert_eq!((s.current, s.longest, s.freezes), (1, 2, 0));
    }

    #[test]
    fn the_seventh_day_earns_a_freeze_that_covers_one_missed_day() {
        let mut s = run(&[0, 1, 2, 3, 4, 5, 6]);
        assert_eq!((s.current, s.freezes), (7, 1));
        s.record(day(8)); // day 7 missed, covered
        assert_eq!((s.current, s.freezes), (8, 0));
        s.record(day(10)); // day 9 missed, nothing to cover it
        assert_eq!((s.current, s.longest), (1, 8));
    }

    #[test]
    fn at_most_two_freezes_are_held() {
        let days: Vec<u32> = (0..28).collect();
        let s = run(&days);
        assert_eq!((s.current, s.freezes), (28, MAX_FREEZES));
    }

    #[test]
    fn two_freezes_cover_two_missed_days_but_not_three() {
        let days: Vec<u32> = (0..14).collect();
        let mut s = run(&days);
        assert_eq!(s.freezes, 2);
        s.record(day(16)); // 14 and 15 missed
        assert_eq!((s.current, s.freezes), (15, 0));
        let mut t = run(&days);
        t.record(day(17)); // three missed
        assert_eq!((t.current, t.freezes), (1, 2));
    }

    #[test]
    fn late_activity_changes_nothing() {
        let mut s = run(&[5, 6]);
        s.record(day(2));
        assert_eq!((s.current, s.last_active), (2, Some(day(6))));
    }

    #[test]
    fn current_on_shows_a_broken_streak_as_zero() {
        let s = run(&[0, 1, 2]);
        assert_eq!(s.current_on(day(2)), 3);
        assert_eq!(s.current_on(day(3)), 3);
        assert_eq!(s.current_on(day(4)), 0);
        let frozen = run(&(0..7).collect::<Vec<_>>());
        assert_eq!(frozen.current_on(day(8)), 7, "a freeze keeps it alive");
        assert_eq!(frozen.current_on(day(9)), 0);
        assert_eq!(Streak::default().current_on(day(0)), 0);
    }
}
