//! GraphQL types of gamification.

use std::sync::Arc;

use agora_entities::gamification::{achievement, point_award};
use agora_identity::api::{User, load_user};
use agora_platform::{ids, pagination::encode_cursor};
use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::service::{
    achievements::Standing,
    leaderboard::{Entry, Page, Scope},
    levels,
    progress::Progress,
};

/// Global-id type name of point awards.
pub(crate) const POINT_AWARD_TYPE: &str = "PointAward";

/// Which leaderboard.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum LeaderboardScope {
    /// All-time points.
    Global,
    /// Points this ISO week; resets Monday 00:00 UTC.
    Weekly,
    /// Points earned in battles of one topic (`topicId`).
    Topic,
}

/// An achievement of the catalog.
pub(crate) struct Achievement(pub achievement::Model);

#[Object]
impl Achievement {
    /// Stable key, e.g. `FIRST_WIN`.
    async fn key(&self) -> &str {
        &self.0.key
    }

    /// Display name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What to do to unlock it.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// The counter it watches: `BATTLES_PLAYED`, `BATTLES_WON`, `LONGEST_STREAK`, `LEVEL`,
    /// `FLASHCARDS_REVIEWED`, `QUESTIONS_PUBLISHED`, ...
    async fn metric(&self) -> &str {
        &self.0.metric
    }

    /// The value that unlocks it.
    async fn target(&self) -> i64 {
        self.0.target
    }
}

/// One achievement as a user stands toward it.
pub(crate) struct AchievementProgress(pub Standing);

#[Object]
impl AchievementProgress {
    /// The achievement.
    async fn achievement(&self) -> Achievement {
        Achievement(self.0.achievement.clone())
    }

    /// When it was unlocked; null while locked.
    async fn unlocked_at(&self) -> Option<DateTime<Utc>> {
        self.0.unlocked_at
    }

    /// The counter's value, capped at `target`.
    async fn progress(&self) -> i64 {
        self.0.progress
    }

    /// The value that unlocks it.
    async fn target(&self) -> i64 {
        self.0.achievement.target
    }
}

/// One entry of the points ledger.
pub(crate) struct PointAward(pub point_award::Model);

#[Object]
impl PointAward {
    /// Global id.
    async fn id(&self) -> ID {
        ids::encode(POINT_AWARD_TYPE, self.0.id)
    }

    /// The rule that paid it: the event type (`BATTLE_FINISHED`, ...) or `DAILY_LOGIN`.
    async fn rule(&self) -> &str {
        &self.0.rule
    }

    /// Points awarded.
    async fn points(&self) -> i32 {
        self.0.points
    }

    /// When the rewarded thing happened.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }

    /// Its day in your time zone (`YYYY-MM-DD`).
    async fn local_date(&self) -> &str {
        &self.0.local_date
    }
}

/// Your points, level, streak and achievements.
pub(crate) struct MyProgress {
    pub(crate) progress: Progress,
    pub(crate) standings: Vec<Standing>,
    pub(crate) recent: Vec<point_award::Model>,
}

#[Object]
impl MyProgress {
    /// All-time points.
    async fn points(&self) -> i64 {
        self.progress.points
    }

    /// Level reached (level `L` starts at `50·L·(L−1)` XP).
    async fn level(&self) -> i32 {
        self.progress.level
    }

    /// Total XP (one XP per point).
    async fn xp(&self) -> i64 {
        self.progress.points
    }

    /// Total XP at which the current level started.
    async fn xp_for_current_level(&self) -> i64 {
        levels::level_start(self.progress.level)
    }

    /// Total XP at which the next level starts.
    async fn xp_for_next_level(&self) -> i64 {
        levels::next_level_at(self.progress.level)
    }

    /// Consecutive active days up to today or yesterday in your zone (0 once broken).
    async fn streak(&self) -> i32 {
        self.progress.streak
    }

    /// Longest streak ever.
    async fn longest_streak(&self) -> i32 {
        self.progress.longest_streak
    }

    /// Streak freezes held (one earned every 7 streak days, at most 2; each covers one missed
    /// day).
    async fn freezes(&self) -> i32 {
        self.progress.freezes
    }

    /// Whether today already counts for the streak.
    async fn active_today(&self) -> bool {
        self.progress.active_today
    }

    /// The time zone your days are counted in (your profile's).
    async fn time_zone(&self) -> &str {
        &self.progress.time_zone
    }

    /// Every achievement with your progress toward it.
    async fn achievements(&self) -> Vec<AchievementProgress> {
        self.standings
            .iter()
            .cloned()
            .map(AchievementProgress)
            .collect()
    }

    /// Your newest awards (up to 20).
    async fn recent_awards(&self) -> Vec<PointAward> {
        self.recent.iter().cloned().map(PointAward).collect()
    }
}

/// Someone's public progress.
pub(crate) struct UserProfile {
    pub(crate) user_id: Uuid,
    pub(crate) display_name: String,
    pub(crate) progress: Progress,
    pub(crate) unlocked: Vec<Standing>,
}

#[Object]
impl UserProfile {
    /// The user.
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        load_user(ctx, self.user_id).await
    }

    /// Name shown to others.
    async fn display_name(&self) -> &str {
        &self.display_name
    }

    /// Level.
    async fn level(&self) -> i32 {
        self.progress.level
    }

    /// All-time points.
    async fn points(&self) -> i64 {
        self.progress.points
    }

    /// Current streak.
    async fn streak(&self) -> i32 {
        self.progress.streak
    }

    /// Longest streak.
    async fn longest_streak(&self) -> i32 {
        self.progress.longest_streak
    }

    /// Achievements unlocked, in catalog order.
    async fn achievements(&self) -> Vec<AchievementProgress> {
        self.unlocked
            .iter()
            .cloned()
            .map(AchievementProgress)
            .collect()
    }
}

/// Text and links to share someone's progress.
#[derive(SimpleObject)]
pub(crate) struct ShareCard {
    /// The post.
    pub text: String,
    /// The profile page it links to.
    pub url: String,
    /// Twitter/X web intent.
    pub twitter_url: String,
    /// LinkedIn share dialog.
    pub linkedin_url: String,
}

/// One line of a leaderboard.
pub(crate) struct LeaderboardEntry(pub Entry);

#[Object]
impl LeaderboardEntry {
    /// 1 for the top. Equal points rank by who reached them first.
    async fn rank(&self) -> i64 {
        self.0.rank
    }

    /// The player; null if the account was deleted since.
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        load_user(ctx, self.0.user_id).await
    }

    /// Points on this board.
    async fn points(&self) -> i64 {
        self.0.points
    }
}

/// Where a page of a leaderboard ends.
#[derive(SimpleObject)]
pub(crate) struct LeaderboardPageInfo {
    /// More entries follow.
    pub has_next_page: bool,
    /// Pass as `after` for the next page.
    pub end_cursor: Option<String>,
}

/// A page of a leaderboard.
#[derive(Clone)]
pub(crate) struct Leaderboard {
    pub(crate) scope: LeaderboardScope,
    pub(crate) board: Scope,
    pub(crate) period: Option<String>,
    pub(crate) offset: i64,
    pub(crate) page: Arc<Page>,
}

#[Object]
impl Leaderboard {
    /// The scope.
    async fn scope(&self) -> LeaderboardScope {
        self.scope
    }

    /// The topic of a TOPIC board.
    async fn topic_id(&self) -> Option<ID> {
        match self.board {
            Scope::Topic(id) => Some(ids::encode(agora_knowledge::api::TOPIC_TYPE, id)),
            _ => None,
        }
    }

    /// The ISO week of a WEEKLY board, e.g. `2026-W48`.
    async fn period(&self) -> Option<&str> {
        self.period.as_deref()
    }

    /// The page's entries, best first.
    async fn entries(&self) -> Vec<LeaderboardEntry> {
        self.page
            .entries
            .iter()
            .copied()
            .map(LeaderboardEntry)
            .collect()
    }

    /// Players on the board.
    async fn total_players(&self) -> i64 {
        self.page.total
    }

    /// Your entry, wherever you rank; null when anonymous or not on the board.
    async fn my_entry(&self) -> Option<LeaderboardEntry> {
        self.page.mine.map(LeaderboardEntry)
    }

    /// Paging.
    async fn page_info(&self) -> LeaderboardPageInfo {
        let end = self.offset + self.page.entries.len() as i64;
        LeaderboardPageInfo {
            has_next_page: end < self.page.total,
            end_cursor: (!self.page.entries.is_empty()).then(|| encode_cursor(&end)),
        }
    }
}
