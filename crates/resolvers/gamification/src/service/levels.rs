//! The XP level curve. One point is one XP. Level `L` starts at `50 · L · (L − 1)` XP, so
//! going from level `L` to `L + 1` takes `100 · L` XP: 100 to reach level 2, 300 for level 3,
//! 1,000 for level 5, 4,500 for level 10, 19,000 for level 20. Each level asks a little more
//! than the one before, and a battle (20–150 points) stays a visible step at every level.

/// Highest level the curve names (about 49 million XP).
pub(crate) const MAX_LEVEL: i32 = 1_000;

/// XP at which `level` starts.
pub(crate) fn level_start(level: i32) -> i64 {
    let level = i64::from(level.clamp(1, MAX_LEVEL));
    50 * level * (level - 1)
}

/// The level reached with `xp`.
pub(crate) fn level_for(xp: i64) -> i32 {
    if xp <= 0 {
        return 1;
    }
    // Solve 50·L·(L−1) ≤ xp, then correct any float rounding.
    let estimate = ((1.0 + (1.0 + xp as f64 / 12.5).sqrt()) / 2.0).floor() as i32;
    let mut level = estimate.clamp(1, MAX_LEVEL);
    while level < MAX_LEVEL && level_start(level + 1) <= xp {
        level += 1;
    }
    while level > 1 && level_start(level) > xp {
        level -= 1;
    }
    level
}

/// XP at which the level after `level` starts (for a progress bar with [`level_start`]).
pub(crate) fn next_level_at(level: i32) -> i64 {
    level_start((level + 1).min(MAX_LEVEL))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_follow_the_documented_curve() {
        assert_eq!(level_start(1), 0);
        assert_eq!(level_start(2), 100);
        assert_eq!(level_start(3), 300);
        assert_eq!(level_start(5), 1_000);
        assert_eq!(level_start(10), 4_500);
        assert_eq!(level_start(20), 19_000);
    }

    #[test]
    fn level_for_is_exact_at_every_edge() {
        assert_eq!(level_for(-5), 1);
        assert_eq!(level_for(0), 1);
        for level in 2..200 {
            let start = level_start(level);
            assert_eq!(level_for(start), level, "at {start}");
            assert_eq!(level_for(start - 1), level - 1, "below {start}");
        }
        assert_eq!(level_for(i64::MAX / 4), MAX_LEVEL);
    }

    #[test]
    fn next_level_is_one_step_up() {
        assert_eq!(next_level_at(1), 100);
        assert_eq!(next_level_at(4), 1_000);
    }
}
