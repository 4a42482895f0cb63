//! Applies a batch of outbox events in the handler's transaction, in a fixed number of
//! statements whatever the batch size:
//!
//! 1. price each user's share of each event (rules are data) and date it in the user's zone;
//! 2. insert the ledger rows, in key order, with `ON CONFLICT (user_id, dedupe_key) DO NOTHING
//!    RETURNING`: only rows that went in count, so a replayed event, or a second sign-in the
//!    same day, awards nothing (the outbox's delivery record is the first guard, this is the
//!    second);
//! 3. lock the progress rows of every user the batch mentions (created first if missing), in
//!    user-id order;
//! 4. compute each user's new progress row: points (the all-time board's total) and when they
//!    last grew, this week's total, level, streak and freezes (a streak day earlier than the
//!    last active one, delivered late, replays the user's active days from the ledger), and the
//!    counters; write them in one statement; add to the TOPIC boards' totals by an upsert that
//!    adds (`points = points + excluded.points`); unlock achievements whose target is met; and
//!    write `LEVEL_UP` / `ACHIEVEMENT_UNLOCKED` to the outbox for notifications.
//!
//! So an award writes its ledger row, its share of one progress row (a HOT update on
//! PostgreSQL: no index covers what it changes) and, from a battle, a topic total: three rows,
//! where it wrote up to seven when the counters, the local day and the all-time and weekly
//! totals were rows of their own (the local day is now a view over the ledger).
//!
//! Concurrent batches (other workers, other replicas) share users, so they wait for each
//! other's row locks. They never wait in a circle: ledger rows go in key order (two batches
//! share a key only for one user's sign-in bonus on one day) before any progress lock, the
//! progress rows are locked in user order, and every row written after that belongs to a user
//! whose progress row the batch holds. The ledger insert runs before the progress locks, so a
//! batch queued behind another's locks has it done already: 5,300–6,100 → 6,900–8,500 awards/s
//! with two workers in interleaved runs (up to 10,400/s on a quieter machine). Moving the
//! board and daily upserts before the locks as well was measured ~6% slower: those rows are
//! shared exactly like the progress rows, so the wait only moves earlier. Batches of different
//! [`Partition`]s touch disjoint users and never wait for each other at all.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use agora_entities::{
    gamification::{
        achievement, leaderboard_score, point_award, point_rule, user_achievement, user_progress,
    },
    platform::outbox_event,
};
use agora_events::{AchievementUnlocked, LevelUp};
use agora_platform::{
    AppResult,
    outbox::{self, NewEvent},
};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::{
    award_rows,
    leaderboard::{GLOBAL_BOARD, Scope, Total, iso_week, month, monthly_board, weekly_board},
    levels, metric, parse_date,
    rules::{self, Activity, Effect},
    streaks::Streak,
    zone,
};

/// What a batch changed.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// Ledger rows written.
    pub awards: usize,
    /// Every board total the batch changed, after the change (for Redis).
    pub totals: Vec<Total>,
    /// Levels gained and achievements unlocked.
    pub level_ups: usize,
    /// Achievements unlocked.
    pub unlocks: usize,
}

/// A share of the users: the points handler of partition `index` (of `count`) applies the
/// awards of the users it [`owns`](Self::owns) and nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Partition {
    /// From 0.
    pub index: u32,
    /// How many (at least 1).
    pub count: u32,
}

impl Partition {
    /// Everyone (one partition).
    #[cfg(test)]
    pub(crate) const ALL: Self = Self { index: 0, count: 1 };

    /// Whether `user` is in this partition: by the id's low 64 bits, random in both the v4
    /// and the v7 ids, so the shares are even and every replica agrees.
    pub(crate) fn owns(self, user: Uuid) -> bool {
        self.count <= 1 || (user.as_u64_pair().1 % u64::from(self.count)) == u64::from(self.index)
    }
}

struct Priced {
    activity: Activity,
    dedupe_key: String,
    local_date: NaiveDate,
    points: i32,
    counts_for_streak: bool,
}

/// Applies the share of `events` that belongs to the users of `partition` (see the module
/// doc). `catalog` is the achievement catalog.
pub(crate) async fn apply<C: ConnectionTrait>(
    txn: &C,
    events: &[&outbox_event::Model],
    partition: Partition,
    rules: &HashMap<String, point_rule::Model>,
    catalog: &[achievement::Model],
    now: DateTime<Utc>,
) -> AppResult<Outcome> {
    let asked = read_events(events, partition)?;
    if asked.mentioned.is_empty() {
        return Ok(Outcome::default());
    }
    // Users deleted since the event have nothing to earn.
    let zones = agora_identity::api::time_zones(txn, &asked.mentioned).await?;
    // 1. Price and date each activity.
    let (mut capped, mut priced) = set_aside_capped(price(asked.activities, &zones, rules), rules);
    // 2. The ledger decides what is new, in key order, before the progress locks (see the
    //    module doc).
    let mut inserted = insert_awards(txn, &mut priced, now).await?;
    // 3. Lock (creating) the progress rows of everyone the batch mentions, in user order:
    //    every row written after this belongs to one of them.
    let mut progress = lock_progress(txn, &asked.mentioned, &zones, now).await?;
    if !capped.is_empty() {
        apply_daily_caps(txn, &mut capped, rules).await?;
        inserted.extend(insert_awards(txn, &mut capped, now).await?);
        priced.extend(capped);
    }
    let by_user = fresh_by_user(&priced, &inserted, &asked.profile_changed, &zones);
    if by_user.is_empty() {
        return Ok(Outcome::default());
    }
    let history = read_history(txn, &by_user, &progress, rules).await?;
    // 4. The new state, user by user, then written.
    let mut outcome = Outcome {
        awards: inserted.len(),
        ..Outcome::default()
    };
    let changes = next_state(
        by_user,
        &mut progress,
        &history,
        &zones,
        catalog,
        now,
        &mut outcome,
    )?;
    write(txn, changes, &inserted, now, &mut outcome).await?;
    Ok(outcome)
}

/// What a batch asks of the points handler: the activities of the partition's users, whose
/// profile changed, and every user either mentions, in user order.
struct Asked {
    activities: Vec<Activity>,
    profile_changed: BTreeSet<Uuid>,
    mentioned: Vec<Uuid>,
}

/// Reads what each event means (rules are data) and keeps the partition's share.
fn read_events(events: &[&outbox_event::Model], partition: Partition) -> AppResult<Asked> {
    let mut activities = Vec::new();
    let mut profile_changed = BTreeSet::new();
    for event in events {
        match rules::effect_of(event)? {
            Effect::Activities(list) => {
                activities.extend(list.into_iter().filter(|a| partition.owns(a.user_id)));
            }
            Effect::ProfileChanged(user) if partition.owns(user) => {
                profile_changed.insert(user);
            }
            Effect::ProfileChanged(_) => {}
        }
    }
    let mentioned: Vec<Uuid> = activities
        .iter()
        .map(|a| a.user_id)
        .chain(profile_changed.iter().copied())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    Ok(Asked {
        activities,
        profile_changed,
        mentioned,
    })
}

/// Prices each user's share of each event and dates it in the user's zone; drops users
/// without a zone (deleted) and repeats of one dedupe key.
fn price(
    activities: Vec<Activity>,
    zones: &HashMap<Uuid, String>,
    rules: &HashMap<String, point_rule::Model>,
) -> Vec<Priced> {
    let mut seen = HashSet::new();
    let mut priced = Vec::new();
    for activity in activities {
        let Some(zone_name) = zones.get(&activity.user_id) else {
            continue;
        };
        let local_date = activity
            .occurred_at
            .with_timezone(&zone(zone_name))
            .date_naive();
        let dedupe_key = if activity.once_per_day {
            format!("{}:{local_date}", activity.rule)
        } else {
            activity.event_id.to_string()
        };
        if !seen.insert((activity.user_id, dedupe_key.clone())) {
            continue;
        }
        let rule = rules.get(activity.rule);
        priced.push(Priced {
            points: rule.map_or(0, |r| rules::price(r, &activity)),
            counts_for_streak: rule.is_some_and(|r| r.counts_for_streak),
            activity,
            dedupe_key,
            local_date,
        });
    }
    priced
}

/// Splits `priced` into (awards of a rule with a daily cap, the rest).
fn set_aside_capped(
    priced: Vec<Priced>,
    rules: &HashMap<String, point_rule::Model>,
) -> (Vec<Priced>, Vec<Priced>) {
    // Awards of a rule with a daily cap are counted against it under the progress locks (step
    // 3), so concurrent batches of one user cannot pass the cap together; the rest (battles)
    // take the fast path.
    priced.into_iter().partition(|p| {
        rules
            .get(p.activity.rule)
            .is_some_and(|r| r.daily_cap.is_some())
    })
}

/// Creates the missing progress rows of the `mentioned` users that still exist (have a zone),
/// then locks them all in user order.
async fn lock_progress<C: ConnectionTrait>(
    txn: &C,
    mentioned: &[Uuid],
    zones: &HashMap<Uuid, String>,
    now: DateTime<Utc>,
) -> AppResult<HashMap<Uuid, user_progress::Model>> {
    let candidates: Vec<Uuid> = mentioned
        .iter()
        .copied()
        .filter(|u| zones.contains_key(u))
        .collect();
    let blank: Vec<user_progress::Model> = candidates
        .iter()
        .map(|u| user_progress::Model {
            user_id: *u,
            points: 0,
            level: 1,
            current_streak: 0,
            longest_streak: 0,
            freezes: 0,
            last_active_date: None,
            time_zone: zones.get(u).cloned().unwrap_or_else(|| "UTC".into()),
            updated_at: now,
            stats: Default::default(),
            points_reached_at: 0,
            week: None,
            week_points: 0,
            week_reached_at: 0,
            month: None,
            month_points: 0,
            month_reached_at: 0,
        })
        .collect();
    award_rows::create_progress(txn, &blank).await?;
    Ok(award_rows::lock_progress(txn, &candidates)
        .await?
        .into_iter()
        .map(|row| (row.user_id, row))
        .collect())
}

/// The awards that went into the ledger, by user (and every user whose profile changed, with
/// none): who gets a new progress row.
fn fresh_by_user<'a>(
    priced: &'a [Priced],
    inserted: &[point_award::Model],
    profile_changed: &BTreeSet<Uuid>,
    zones: &HashMap<Uuid, String>,
) -> BTreeMap<Uuid, Vec<&'a Priced>> {
    let fresh: HashSet<(Uuid, &str)> = inserted
        .iter()
        .map(|a| (a.user_id, a.dedupe_key.as_str()))
        .collect();
    let mut by_user: BTreeMap<Uuid, Vec<&Priced>> = BTreeMap::new();
    for p in priced {
        if fresh.contains(&(p.activity.user_id, p.dedupe_key.as_str())) {
            by_user.entry(p.activity.user_id).or_default().push(p);
        }
    }
    for user in profile_changed {
        if zones.contains_key(user) {
            by_user.entry(*user).or_default();
        }
    }
    by_user
}

/// What the new state depends on beyond the progress rows: late streak days and the
/// achievements already unlocked.
struct History {
    late: HashMap<Uuid, BTreeSet<NaiveDate>>,
    unlocked: HashSet<(Uuid, String)>,
}

async fn read_history<C: ConnectionTrait>(
    txn: &C,
    by_user: &BTreeMap<Uuid, Vec<&Priced>>,
    progress: &HashMap<Uuid, user_progress::Model>,
    rules: &HashMap<String, point_rule::Model>,
) -> AppResult<History> {
    let users: Vec<Uuid> = by_user.keys().copied().collect();
    let late = late_streak_days(txn, by_user, progress, rules).await?;
    let unlocked: HashSet<(Uuid, String)> = award_rows::unlocked_of(txn, &users)
        .await?
        .into_iter()
        .map(|row| (row.user_id, row.achievement_key))
        .collect();
    Ok(History { late, unlocked })
}

/// The rows and events a batch writes.
#[derive(Default)]
struct Changes {
    progress_rows: Vec<user_progress::Model>,
    unlocks: Vec<user_achievement::Model>,
    new_events: Vec<outbox::NewEvent>,
}

/// Computes each user's new progress row (totals, level, streak, counters) and the
/// achievements it unlocks; counts level-ups and changed totals into `outcome`.
fn next_state(
    by_user: BTreeMap<Uuid, Vec<&Priced>>,
    progress: &mut HashMap<Uuid, user_progress::Model>,
    history: &History,
    zones: &HashMap<Uuid, String>,
    catalog: &[achievement::Model],
    now: DateTime<Utc>,
    outcome: &mut Outcome,
) -> AppResult<Changes> {
    let History { late, unlocked } = history;
    let mut changes = Changes::default();
    for (user, mut list) in by_user {
        let Some(row) = progress.remove(&user) else {
            continue;
        };
        list.sort_by_key(|p| p.activity.occurred_at);
        let mut streak = streak_before(&row, late.get(&user));
        let mut totals = Totals::of(&row);
        let mut stats = row.stats.clone();
        for p in &list {
            totals.add(p.points, p.activity.occurred_at);
            if p.counts_for_streak && !late.contains_key(&user) {
                streak.record(p.local_date);
            }
            for m in &p.activity.metrics {
                *stats.0.entry((*m).to_owned()).or_default() += 1;
            }
        }
        totals.changed(&row, &mut outcome.totals);
        let points = totals.points;
        let level = Ord::max(levels::level_for(points), row.level);
        if level > row.level {
            outcome.level_ups += 1;
            let level_up = LevelUp {
                user_id: user,
                level,
                previous_level: row.level,
                xp: points,
            };
            changes.new_events.push(NewEvent::of(user, &level_up)?);
        }
        changes.unlock_met(
            user,
            catalog,
            unlocked,
            |m| match m {
                metric::LEVEL => i64::from(level),
                metric::LONGEST_STREAK => i64::from(streak.longest),
                other => stats.get(other),
            },
            now,
        )?;
        changes.progress_rows.push(user_progress::Model {
            points,
            points_reached_at: totals.points_reached_at,
            week: totals.week,
            week_points: totals.week_points,
            week_reached_at: totals.week_reached_at,
            month: totals.month.period,
            month_points: totals.month.points,
            month_reached_at: totals.month.reached_at,
            stats,
            level,
            current_streak: streak.current,
            longest_streak: streak.longest,
            freezes: streak.freezes,
            last_active_date: streak.last_active.map(|d| d.to_string()),
            time_zone: zones.get(&user).cloned().unwrap_or(row.time_zone),
            updated_at: now,
            ..row
        });
    }
    outcome.unlocks = changes.unlocks.len();
    Ok(changes)
}

/// The streak as it stood before the batch: from the progress row, or, when a day before the
/// last active one arrived, replayed from every active day.
fn streak_before(row: &user_progress::Model, late_days: Option<&BTreeSet<NaiveDate>>) -> Streak {
    match late_days {
        // A day before the last active one arrived (another worker or replica applied a
        // later batch first, or a retry): replay every active day in order.
        Some(days) => {
            let mut replayed = Streak::default();
            for day in days {
                replayed.record(*day);
            }
            replayed.longest = Ord::max(replayed.longest, row.longest_streak);
            replayed
        }
        None => Streak {
            current: row.current_streak,
            longest: row.longest_streak,
            freezes: row.freezes,
            last_active: row.last_active_date.as_deref().and_then(parse_date),
        },
    }
}

impl Changes {
    /// Unlocks for `user` every achievement of `catalog` not unlocked yet whose metric
    /// (`value_of`) meets its target, with its `ACHIEVEMENT_UNLOCKED` event.
    fn unlock_met(
        &mut self,
        user: Uuid,
        catalog: &[achievement::Model],
        unlocked: &HashSet<(Uuid, String)>,
        value_of: impl Fn(&str) -> i64,
        now: DateTime<Utc>,
    ) -> AppResult<()> {
        for a in catalog {
            if unlocked.contains(&(user, a.key.clone())) {
                continue;
            }
            if value_of(a.metric.as_str()) >= a.target {
                self.unlocks.push(user_achievement::Model {
                    user_id: user,
                    achievement_key: a.key.clone(),
                    unlocked_at: now,
                });
                let unlocked = AchievementUnlocked {
                    user_id: user,
                    achievement_key: a.key.clone(),
                    name: a.name.clone(),
                    description: a.description.clone(),
                    unlocked_at: Some(now),
                };
                self.new_events.push(NewEvent::of(user, &unlocked)?);
            }
        }
        Ok(())
    }
}

/// Writes the new progress rows, the unlocks and the topic totals, and enqueues the
/// `LEVEL_UP` / `ACHIEVEMENT_UNLOCKED` events for notifications.
async fn write<C: ConnectionTrait>(
    txn: &C,
    changes: Changes,
    inserted: &[point_award::Model],
    now: DateTime<Utc>,
    outcome: &mut Outcome,
) -> AppResult<()> {
    award_rows::save_progress(txn, &changes.progress_rows).await?;
    award_rows::insert_unlocks(txn, &changes.unlocks).await?;
    let topics = add_to_topics(txn, inserted).await?;
    outcome.totals.extend(topics);
    outbox::enqueue_many(txn, now, changes.new_events).await?;
    Ok(())
}

/// Writes `priced` to the ledger in (user, dedupe key) order, the order every batch takes its
/// row locks in; returns the rows that went in (an event delivered again finds its own).
async fn insert_awards<C: ConnectionTrait>(
    txn: &C,
    priced: &mut [Priced],
    now: DateTime<Utc>,
) -> AppResult<Vec<point_award::Model>> {
    priced.sort_by(|a, b| {
        (a.activity.user_id, &a.dedupe_key).cmp(&(b.activity.user_id, &b.dedupe_key))
    });
    let ledger: Vec<point_award::Model> = priced
        .iter()
        .map(|p| point_award::Model {
            id: Uuid::now_v7(),
            user_id: p.activity.user_id,
            rule: p.activity.rule.to_owned(),
            source_event_id: Some(p.activity.event_id),
            dedupe_key: p.dedupe_key.clone(),
            points: p.points,
            topic_id: p.activity.topic_id,
            occurred_at: p.activity.occurred_at,
            local_date: p.local_date.to_string(),
            created_at: now,
        })
        .collect();
    let went_in: HashSet<Uuid> = award_rows::insert_ledger(txn, &ledger)
        .await?
        .into_iter()
        .collect();
    Ok(ledger
        .into_iter()
        .filter(|a| went_in.contains(&a.id))
        .collect())
}

/// Zeroes the points of awards past their rule's `daily_cap` in the user's local day: the
/// ledger's earning awards of that day count first, then the batch's in the order they
/// happened. The award itself stays (counters and streaks see the activity); only farming it
/// earns nothing more. Rules without a cap (battles) cost no read.
///
/// Runs under the progress locks of the batch's users, so a concurrent batch of the same user
/// counts after this one's awards are in.
async fn apply_daily_caps<C: ConnectionTrait>(
    txn: &C,
    priced: &mut [Priced],
    rules: &HashMap<String, point_rule::Model>,
) -> AppResult<()> {
    let cap_of = |p: &Priced| rules.get(p.activity.rule).and_then(|r| r.daily_cap);
    let mut capped: Vec<usize> = (0..priced.len())
        .filter(|i| priced[*i].points > 0 && cap_of(&priced[*i]).is_some())
        .collect();
    if capped.is_empty() {
        return Ok(());
    }
    let users: BTreeSet<Uuid> = capped.iter().map(|i| priced[*i].activity.user_id).collect();
    let names: BTreeSet<&str> = capped.iter().map(|i| priced[*i].activity.rule).collect();
    let days: BTreeSet<String> = capped
        .iter()
        .map(|i| priced[*i].local_date.to_string())
        .collect();
    let earned: Vec<(Uuid, String, String, i64)> = point_award::Entity::find()
        .select_only()
        .column(point_award::Column::UserId)
        .column(point_award::Column::Rule)
        .column(point_award::Column::LocalDate)
        .column_as(point_award::Column::Id.count(), "earned")
        .filter(point_award::Column::UserId.is_in(users))
        .filter(point_award::Column::Rule.is_in(names))
        .filter(point_award::Column::LocalDate.is_in(days))
        .filter(point_award::Column::Points.gt(0))
        .group_by(point_award::Column::UserId)
        .group_by(point_award::Column::Rule)
        .group_by(point_award::Column::LocalDate)
        .into_tuple()
        .all(txn)
        .await?;
    let mut counts: HashMap<(Uuid, String, String), i64> = earned
        .into_iter()
        .map(|(user, rule, day, n)| ((user, rule, day), n))
        .collect();
    capped.sort_by_key(|i| priced[*i].activity.occurred_at);
    for i in capped {
        let cap = cap_of(&priced[i]).map_or(i64::MAX, i64::from);
        let p = &mut priced[i];
        let key = (
            p.activity.user_id,
            p.activity.rule.to_owned(),
            p.local_date.to_string(),
        );
        let so_far = counts.entry(key).or_default();
        if *so_far >= cap {
            p.points = 0;
        } else {
            *so_far += 1;
        }
    }
    Ok(())
}

/// A user's all-time, weekly and monthly board totals, as their progress row holds them.
struct Totals {
    points: i64,
    points_reached_at: i64,
    week: Option<String>,
    week_points: i64,
    week_reached_at: i64,
    month: Period,
}

/// The total of one period's board (a month), as the progress row holds it.
struct Period {
    period: Option<String>,
    points: i64,
    reached_at: i64,
}

impl Period {
    /// Adds `points` reached at `at_secs` in `period`: a later period starts over, an earlier
    /// one (a late award) belongs to a board nothing reads any more.
    fn add(&mut self, period: String, points: i32, at_secs: i64) {
        match self.period.as_deref().cmp(&Some(period.as_str())) {
            std::cmp::Ordering::Less => {
                self.period = Some(period);
                self.points = i64::from(points);
                self.reached_at = at_secs;
            }
            std::cmp::Ordering::Equal => {
                self.points += i64::from(points);
                self.reached_at = Ord::max(self.reached_at, at_secs);
            }
            std::cmp::Ordering::Greater => {}
        }
    }
}

impl Totals {
    fn of(row: &user_progress::Model) -> Self {
        Self {
            points: row.points,
            points_reached_at: row.points_reached_at,
            week: row.week.clone(),
            week_points: row.week_points,
            week_reached_at: row.week_reached_at,
            month: Period {
                period: row.month.clone(),
                points: row.month_points,
                reached_at: row.month_reached_at,
            },
        }
    }

    /// Adds an award of `points` earned at `at`. Only points count on the boards, and an award
    /// from a week before the one held belongs to that past week's board, which nothing reads
    /// any more (`WEEKLY` is always this week's), so it counts all-time only.
    fn add(&mut self, points: i32, at: DateTime<Utc>) {
        self.points += i64::from(points);
        if points <= 0 {
            return;
        }
        let at_secs = at.timestamp();
        self.points_reached_at = Ord::max(self.points_reached_at, at_secs);
        self.month.add(month(at), points, at_secs);
        let week = iso_week(at);
        match self.week.as_deref().cmp(&Some(week.as_str())) {
            std::cmp::Ordering::Less => {
                self.week = Some(week);
                self.week_points = i64::from(points);
                self.week_reached_at = at_secs;
            }
            std::cmp::Ordering::Equal => {
                self.week_points += i64::from(points);
                self.week_reached_at = Ord::max(self.week_reached_at, at_secs);
            }
            std::cmp::Ordering::Greater => {}
        }
    }

    /// Appends to `out` the board totals that differ from `before` (for Redis).
    fn changed(&self, before: &user_progress::Model, out: &mut Vec<Total>) {
        if self.points > 0
            && (self.points_reached_at != before.points_reached_at || self.points != before.points)
        {
            out.push(Total {
                board: GLOBAL_BOARD.to_owned(),
                user_id: before.user_id,
                points: self.points,
                reached_at: self.points_reached_at,
            });
        }
        if let Some(week) = &self.week
            && self.week_points > 0
            && (self.week != before.week || self.week_points != before.week_points)
        {
            out.push(Total {
                board: weekly_board(week),
                user_id: before.user_id,
                points: self.week_points,
                reached_at: self.week_reached_at,
            });
        }
        if let Some(month) = &self.month.period
            && self.month.points > 0
            && (self.month.period != before.month || self.month.points != before.month_points)
        {
            out.push(Total {
                board: monthly_board(month),
                user_id: before.user_id,
                points: self.month.points,
                reached_at: self.month.reached_at,
            });
        }
    }
}

/// Adds fresh battle awards to their topic's board, in `(board, user)` order; returns the
/// changed totals (for Redis).
async fn add_to_topics<C: ConnectionTrait>(
    txn: &C,
    inserted: &[point_award::Model],
) -> AppResult<Vec<Total>> {
    let mut board_deltas: BTreeMap<(String, Uuid), (i64, i64)> = BTreeMap::new();
    for award in inserted.iter().filter(|a| a.points > 0) {
        if let Some(topic) = award.topic_id {
            let total = board_deltas
                .entry((Scope::Topic(topic).board(award.occurred_at), award.user_id))
                .or_default();
            total.0 += i64::from(award.points);
            total.1 = Ord::max(total.1, award.occurred_at.timestamp());
        }
    }
    let rows: Vec<leaderboard_score::Model> = board_deltas
        .into_iter()
        .map(
            |((board, user_id), (points, reached_at))| leaderboard_score::Model {
                board,
                user_id,
                points,
                reached_at,
            },
        )
        .collect();
    award_rows::add_to_boards(txn, &rows).await
}

/// The users of `by_user` with a streak day earlier than their last active day, and every
/// local day each was active on (from the ledger, which holds this batch's rows already), in
/// order: a streak is a function of the ordered active days, so replaying them gives what
/// in-order delivery would have given.
async fn late_streak_days<C: ConnectionTrait>(
    txn: &C,
    by_user: &BTreeMap<Uuid, Vec<&Priced>>,
    progress: &HashMap<Uuid, user_progress::Model>,
    rules: &HashMap<String, point_rule::Model>,
) -> AppResult<HashMap<Uuid, BTreeSet<NaiveDate>>> {
    let late: Vec<Uuid> = by_user
        .iter()
        .filter(|(user, list)| {
            let last = progress
                .get(user)
                .and_then(|row| row.last_active_date.as_deref())
                .and_then(parse_date);
            last.is_some_and(|last| {
                list.iter()
                    .any(|p| p.counts_for_streak && p.local_date < last)
            })
        })
        .map(|(user, _)| *user)
        .collect();
    let mut days: HashMap<Uuid, BTreeSet<NaiveDate>> = HashMap::new();
    if late.is_empty() {
        return Ok(days);
    }
    let streak_rules = rules
        .values()
        .filter(|r| r.counts_for_streak)
        .map(|r| r.event_type.clone());
    let rows: Vec<(Uuid, String)> = point_award::Entity::find()
        .select_only()
        .column(point_award::Column::UserId)
        .column(point_award::Column::LocalDate)
        .distinct()
        .filter(point_award::Column::UserId.is_in(late))
        .filter(point_award::Column::Rule.is_in(streak_rules))
        .into_tuple()
        .all(txn)
        .await?;
    for (user, day) in rows {
        if let Some(day) = parse_date(&day) {
            days.entry(user).or_default().insert(day);
        }
    }
    Ok(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_user_is_in_exactly_one_partition_and_the_shares_are_even() {
        let users: Vec<Uuid> = (0..12_000)
            .map(|i| {
                if i % 2 == 0 {
                    Uuid::now_v7()
                } else {
                    Uuid::new_v4()
                }
            })
            .collect();
        for count in [1, 2, 3, 4, 16] {
            let mut shares = vec![0usize; count as usize];
            for user in &users {
                let owners: Vec<u32> = (0..count)
                    .filter(|&index| Partition { index, count }.owns(*user))
                    .collect();
                assert_eq!(owners.len(), 1, "{user} in {owners:?} of {count}");
                shares[owners[0] as usize] += 1;
            }
            let fair = users.len() / count as usize;
            for share in shares {
                assert!(
                    share.abs_diff(fair) * 5 < fair,
                    "share {share} of {count} partitions, fair {fair}"
                );
            }
        }
        assert!(users.iter().all(|u| Partition::ALL.owns(*u)));
    }
}
