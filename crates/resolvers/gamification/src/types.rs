//! GraphQL types of gamification.

use std::sync::Arc;

use agora_entities::gamification::{achievement, point_award};
use agora_identity::api::{User, load_user};
use agora_platform::{AppError, ids, pagination::encode_cursor};
use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject, connection::PageInfo};
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
    /// Points this calendar month; resets on the 1st, 00:00 UTC.
    Monthly,
    /// Points earned in battles of one topic (`topicId`).
    Topic,
}

/// The counter an achievement watches.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum AchievementMetric {
    /// Battles finished.
    BattlesPlayed,
    /// Battles won against at least one other player.
    BattlesWon,
    /// Flashcards reviewed.
    FlashcardsReviewed,
    /// Own questions published.
    QuestionsPublished,
    /// Topics completed.
    TopicsCompleted,
    /// Words mastered.
    WordsMastered,
    /// Literacy mock tests passed.
    MockTestsPassed,
    /// The longest daily word-practice streak.
    LongestPracticeStreak,
    /// The level reached.
    Level,
    /// The longest daily activity streak.
    LongestStreak,
}

impl AchievementMetric {
    /// The stored name's value (`BATTLES_PLAYED`, ...).
    fn parse(stored: &str) -> Option<Self> {
        use crate::service::metric as m;
        Some(match stored {
            m::BATTLES_PLAYED => Self::BattlesPlayed,
            m::BATTLES_WON => Self::BattlesWon,
            m::FLASHCARDS_REVIEWED => Self::FlashcardsReviewed,
            m::QUESTIONS_PUBLISHED => Self::QuestionsPublished,
            m::TOPICS_COMPLETED => Self::TopicsCompleted,
            m::WORDS_MASTERED => Self::WordsMastered,
            m::MOCK_TESTS_PASSED => Self::MockTestsPassed,
            m::LONGEST_PRACTICE_STREAK => Self::LongestPracticeStreak,
            m::LEVEL => Self::Level,
            m::LONGEST_STREAK => Self::LongestStreak,
            _ => return None,
        })
    }
}

/// What earned a point award: the event a rule pays for.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum PointRule {
    /// Playing a battle.
    BattleFinished,
    /// Reviewing a flashcard.
    FlashcardReviewed,
    /// Completing a topic.
    TopicCompleted,
    /// A question you wrote was published.
    QuestionPublished,
    /// Mastering a word.
    WordMastered,
    /// Passing a literacy mock test.
    MockTestPassed,
    /// A new longest daily word-practice streak.
    PracticeStreakExtended,
    /// Signing in, once per local day.
    DailyLogin,
}

impl PointRule {
    /// The stored rule's value (`BATTLE_FINISHED`, ...).
    fn parse(stored: &str) -> Option<Self> {
        Some(match stored {
            "BATTLE_FINISHED" => Self::BattleFinished,
            "FLASHCARD_REVIEWED" => Self::FlashcardReviewed,
            "TOPIC_COMPLETED" => Self::TopicCompleted,
            "QUESTION_PUBLISHED" => Self::QuestionPublished,
            "WORD_MASTERED" => Self::WordMastered,
            "MOCK_TEST_PASSED" => Self::MockTestPassed,
            "PRACTICE_STREAK_EXTENDED" => Self::PracticeStreakExtended,
            crate::service::rules::DAILY_LOGIN => Self::DailyLogin,
            _ => return None,
        })
    }
}

/// An achievement of the catalog.
pub(crate) struct Achievement(pub achievement::Model);

/// An achievement of the catalog.
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

    /// The counter it watches.
    async fn metric(&self) -> Result<AchievementMetric> {
        AchievementMetric::parse(&self.0.metric).ok_or_else(|| {
            AppError::internal(format!("unknown achievement metric {:?}", self.0.metric)).into()
        })
    }

    /// The value that unlocks it.
    async fn target(&self) -> i64 {
        self.0.target
    }
}

/// One achievement as a user stands toward it.
pub(crate) struct AchievementProgress(pub Standing);

/// One achievement as a user stands toward it.
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

/// One entry of the points ledger.
#[Object]
impl PointAward {
    /// Global id.
    async fn id(&self) -> ID {
        ids::encode(POINT_AWARD_TYPE, self.0.id)
    }

    /// The rule that paid it.
    async fn rule(&self) -> Result<PointRule> {
        PointRule::parse(&self.0.rule).ok_or_else(|| {
            AppError::internal(format!("unknown point rule {:?}", self.0.rule)).into()
        })
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
pub struct MyProgress {
    pub(crate) progress: Progress,
    pub(crate) standings: Vec<Standing>,
    pub(crate) recent: Vec<point_award::Model>,
}

/// Your points, level, streak and achievements.
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

/// Someone's public progress.
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

/// One line of a leaderboard.
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

/// One entry of a leaderboard page with its cursor (a Relay edge).
#[derive(SimpleObject)]
pub(crate) struct LeaderboardEdge {
    /// Pass as `after` to continue below this entry.
    pub cursor: String,
    /// The entry.
    pub node: LeaderboardEntry,
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

/// A page of a leaderboard.
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

    /// The period of a WEEKLY board (its ISO week, e.g. `2026-W48`) or a MONTHLY one (its
    /// month, e.g. `2026-12`).
    async fn period(&self) -> Option<&str> {
        self.period.as_deref()
    }

    /// The page's entries, best first, each with its cursor (the standard connection shape:
    /// Apollo's `relayStylePagination` and urql's `relayPagination` page it as is).
    async fn edges(&self) -> Vec<LeaderboardEdge> {
        self.page
            .entries
            .iter()
            .enumerate()
            .map(|(i, entry)| LeaderboardEdge {
                cursor: encode_cursor(&(self.offset + i as i64 + 1)),
                node: LeaderboardEntry(*entry),
            })
            .collect()
    }

    /// The page's entries, best first (`edges` without cursors).
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

    /// Paging, as every connection has it.
    async fn page_info(&self) -> PageInfo {
        let end = self.offset + self.page.entries.len() as i64;
        let any = !self.page.entries.is_empty();
        PageInfo {
            has_previous_page: self.offset > 0,
            has_next_page: end < self.page.total,
            start_cursor: any.then(|| encode_cursor(&(self.offset + 1))),
            end_cursor: any.then(|| encode_cursor(&end)),
        }
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::resolver_utils::EnumType as _;

    use super::*;

    #[test]
    fn every_enum_value_reads_back_from_its_stored_name() {
        for item in AchievementMetric::items() {
            assert_eq!(
                AchievementMetric::parse(item.name),
                Some(item.value),
                "{}",
                item.name
            );
        }
        for item in PointRule::items() {
            assert_eq!(
                PointRule::parse(item.name),
                Some(item.value),
                "{}",
                item.name
            );
        }
        assert_eq!(PointRule::parse("SOMETHING_NEW"), None);
    }
}
