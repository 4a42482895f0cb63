//! The dashboard's GraphQL types. Each section is read when it is selected; sections that need
//! the same data (the next session, the accuracy tallies) read it once per request.

use std::{
    collections::{BTreeSet, HashMap},
    sync::Arc,
};

use agora_battle::api::history::PlayedBattle;
use agora_gamification::api::{ActivityDay, MyProgress};
use agora_knowledge::api::{Article, TOPIC_TYPE, Topic, TopicLoader};
use agora_learning::api::{CardsOverview, Flashcard};
use agora_literacy::api::LiteracyProgress;
use agora_platform::{AppError, Platform, context::ContextExt, ids};
use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Duration, Utc};
use tokio::sync::OnceCell;
use uuid::Uuid;

use crate::recommend::{self, Accuracy, AccuracySource};

/// How many due cards the review recommendation names.
const AT_RISK: usize = 5;
/// How many battles `recentBattles` lists.
const RECENT_BATTLES: u64 = 5;
/// How many articles the reading recommendation names.
const ARTICLES: u64 = 3;
/// Days of activity the dashboard shows.
const DAYS: i64 = 30;

/// Everything the signed-in learner's home page shows.
pub(crate) struct Dashboard {
    platform: Platform,
    user: Uuid,
    cards: OnceCell<Arc<CardsOverview>>,
    facts: OnceCell<Arc<Facts>>,
}

/// What the battle, accuracy and recommendation sections share, read once per request: the
/// recent battles, the accuracy lines and every topic they name (one batch, so the dashboard's
/// statement count does not depend on when each section happens to resolve).
struct Facts {
    battles: Vec<PlayedBattle>,
    accuracy: Vec<Accuracy>,
    topics: HashMap<Uuid, agora_knowledge::api::TopicModel>,
}

impl Facts {
    fn topic(&self, id: Option<Uuid>) -> Option<Topic> {
        id.and_then(|id| self.topics.get(&id)).cloned().map(Topic)
    }
}

impl Dashboard {
    pub(crate) fn new(platform: Platform, user: Uuid) -> Self {
        Self {
            platform,
            user,
            cards: OnceCell::new(),
            facts: OnceCell::new(),
        }
    }

    async fn cards(&self) -> Result<Arc<CardsOverview>> {
        Ok(self
            .cards
            .get_or_try_init(|| async {
                agora_learning::api::cards_overview(&self.platform, self.user, AT_RISK)
                    .await
                    .map(Arc::new)
            })
            .await?
            .clone())
    }

    async fn facts(&self, ctx: &Context<'_>) -> Result<Arc<Facts>> {
        Ok(self
            .facts
            .get_or_try_init(|| async {
                let db = &self.platform.db;
                let (battles, answers, reviews) = futures::try_join!(
                    agora_battle::api::history::recent(db, self.user, RECENT_BATTLES),
                    agora_battle::api::history::answers_by_topic(db, self.user),
                    agora_learning::api::reviews_by_topic(db, self.user),
                )?;
                let accuracy = recommend::accuracy(&answers, &reviews);
                let ids: BTreeSet<Uuid> = battles
                    .iter()
                    .filter_map(|b| b.topic_id)
                    .chain(accuracy.iter().filter_map(|a| a.topic_id))
                    .collect();
                let topics = ctx
                    .loader::<TopicLoader>()?
                    .load_many(ids)
                    .await
                    .map_err(AppError::Internal)?;
                Ok::<_, async_graphql::Error>(Arc::new(Facts {
                    battles,
                    accuracy,
                    topics,
                }))
            })
            .await?
            .clone())
    }
}

/// Everything the signed-in learner's home page shows, in one round trip.
#[Object]
impl Dashboard {
    /// Points, level, streak, achievements and recent awards.
    async fn progress(&self) -> Result<MyProgress> {
        Ok(agora_gamification::api::my_progress(&self.platform, self.user).await?)
    }

    /// Due cards and the next study session.
    async fn flashcards(&self) -> Result<DashboardFlashcards> {
        Ok(DashboardFlashcards(self.cards().await?))
    }

    /// Literacy progress; null until you practise a word or choose a level.
    async fn literacy(&self) -> Result<Option<LiteracyProgress>> {
        Ok(agora_literacy::api::progress_if_started(&self.platform.db, self.user).await?)
    }

    /// Your five newest finished battles, newest first.
    async fn recent_battles(&self, ctx: &Context<'_>) -> Result<Vec<DashboardBattle>> {
        let facts = self.facts(ctx).await?;
        Ok(facts
            .battles
            .iter()
            .map(|battle| DashboardBattle {
                topic: facts.topic(battle.topic_id),
                battle: battle.clone(),
            })
            .collect())
    }

    /// Points and rewarded actions on each of the last 30 days of your time zone, oldest
    /// first (today last), from the points ledger's daily view.
    async fn activity(&self) -> Result<ActivitySummary> {
        let zone: chrono_tz::Tz =
            agora_gamification::api::zone_name_of(&self.platform.db, self.user)
                .await?
                .parse()
                .unwrap_or(chrono_tz::UTC);
        let today = self.platform.clock.now().with_timezone(&zone).date_naive();
        let first = today - Duration::days(DAYS - 1);
        let rows = agora_gamification::api::daily_activity(
            &self.platform.db,
            self.user,
            &first.to_string(),
        )
        .await?;
        let days = (0..DAYS)
            .map(|offset| {
                let date = (first + Duration::days(offset)).to_string();
                rows.iter()
                    .find(|row| row.local_date == date)
                    .cloned()
                    .unwrap_or(ActivityDay {
                        local_date: date,
                        points: 0,
                        actions: 0,
                    })
            })
            .collect();
        Ok(ActivitySummary(days))
    }

    /// Accuracy by topic: battle answers by question difficulty, then flashcard reviews.
    async fn accuracy(&self, ctx: &Context<'_>) -> Result<Vec<TopicAccuracy>> {
        let facts = self.facts(ctx).await?;
        Ok(facts
            .accuracy
            .iter()
            .map(|line| TopicAccuracy {
                topic: facts.topic(line.topic_id),
                line: line.clone(),
            })
            .collect())
    }

    /// What to do next, each with its reason: review the cards most at risk, work on your
    /// weakest topic (lowest accuracy over at least 5 answers and reviews), read its articles.
    async fn recommendations(&self, ctx: &Context<'_>) -> Result<Vec<Recommendation>> {
        let (cards, facts) = futures::try_join!(self.cards(), self.facts(ctx))?;
        let mut out = Vec::new();
        if cards.due > 0 {
            out.push(Recommendation {
                kind: RecommendationKind::ReviewCards,
                reason: format!(
                    "{} card{} due; these are the most likely to be forgotten now",
                    cards.due,
                    if cards.due == 1 { " is" } else { "s are" }
                ),
                topic: None,
                topic_id: None,
                flashcards: cards.most_at_risk.iter().map(|c| c.0.id).collect(),
                articles: Vec::new(),
            });
        }
        if let Some((topic, attempts, correct)) = recommend::weakest(&facts.accuracy) {
            out.push(Recommendation {
                kind: RecommendationKind::NextTopic,
                reason: format!(
                    "your lowest accuracy: {}% over {attempts} answers and reviews",
                    recommend::percent(correct, attempts)
                ),
                topic: facts.topic(Some(topic)),
                topic_id: Some(topic),
                flashcards: Vec::new(),
                articles: Vec::new(),
            });
            let articles =
                agora_knowledge::api::article_reads::for_topic(&self.platform.db, topic, ARTICLES)
                    .await?;
            if !articles.is_empty() {
                out.push(Recommendation {
                    kind: RecommendationKind::ReadArticles,
                    reason: "articles on your weakest topic, shortest first".into(),
                    topic: facts.topic(Some(topic)),
                    topic_id: Some(topic),
                    flashcards: Vec::new(),
                    articles,
                });
            }
        }
        Ok(out)
    }
}

/// Due cards and the next study session.
pub(crate) struct DashboardFlashcards(Arc<CardsOverview>);

/// Due cards and the next study session.
#[Object]
impl DashboardFlashcards {
    /// Reviewed cards due now.
    async fn due(&self) -> i32 {
        clamp(self.0.due)
    }

    /// Cards the next study session holds (at most 50: due first, then new within today's
    /// limit).
    async fn next_session_size(&self) -> i32 {
        clamp(self.0.next_session_size)
    }

    /// New cards in the next study session.
    async fn new_in_next_session(&self) -> i32 {
        clamp(self.0.new_in_next_session)
    }

    /// The five due cards least likely to be recalled now, most at risk first.
    async fn most_at_risk(&self) -> Vec<Flashcard> {
        self.0
            .most_at_risk
            .iter()
            .map(|card| Flashcard(card.0.clone()))
            .collect()
    }
}

fn clamp(value: u64) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// One of your finished battles.
pub(crate) struct DashboardBattle {
    battle: PlayedBattle,
    topic: Option<Topic>,
}

/// One of your finished battles.
#[Object]
impl DashboardBattle {
    /// The room's global id.
    async fn room_id(&self) -> ID {
        ids::encode(agora_battle::api::BATTLE_ROOM_TYPE, self.battle.room_id)
    }

    /// The room's join code.
    async fn code(&self) -> &str {
        &self.battle.code
    }

    /// Its topic, if it had one.
    async fn topic(&self) -> Option<Topic> {
        self.topic.as_ref().map(|t| Topic(t.0.clone()))
    }

    /// When it ended.
    async fn finished_at(&self) -> DateTime<Utc> {
        self.battle.finished_at
    }

    /// Questions played.
    async fn question_count(&self) -> i32 {
        self.battle.question_count
    }

    /// Your final score.
    async fn score(&self) -> i32 {
        self.battle.score
    }

    /// Your correct answers.
    async fn correct_count(&self) -> i32 {
        self.battle.correct_count
    }

    /// Your final rank (1 for the winner).
    async fn rank(&self) -> Option<i32> {
        self.battle.rank
    }

    /// Players ranked.
    async fn players(&self) -> i32 {
        self.battle.players
    }
}

/// One day of your activity.
#[derive(SimpleObject)]
pub(crate) struct DashboardDay {
    /// The day in your time zone, `YYYY-MM-DD`.
    pub date: String,
    /// Points earned.
    pub points: i32,
    /// Rewarded actions.
    pub actions: i32,
}

/// Your activity over the last 30 days.
pub(crate) struct ActivitySummary(Vec<ActivityDay>);

impl ActivitySummary {
    fn totals(&self, days: usize) -> ActivityTotals {
        let recent = &self.0[self.0.len().saturating_sub(days)..];
        ActivityTotals {
            points: recent.iter().map(|d| i64::from(d.points)).sum(),
            actions: recent.iter().map(|d| i64::from(d.actions)).sum(),
            active_days: recent.iter().filter(|d| d.actions > 0).count() as i32,
        }
    }
}

/// Points and actions summed over a span of days.
#[derive(SimpleObject)]
pub(crate) struct ActivityTotals {
    /// Points earned.
    pub points: i64,
    /// Rewarded actions.
    pub actions: i64,
    /// Days with at least one rewarded action.
    pub active_days: i32,
}

/// Your activity over the last 30 days.
#[Object]
impl ActivitySummary {
    /// Each of the last 30 days, oldest first (today last).
    async fn days(&self) -> Vec<DashboardDay> {
        self.0
            .iter()
            .map(|day| DashboardDay {
                date: day.local_date.clone(),
                points: day.points,
                actions: day.actions,
            })
            .collect()
    }

    /// The last 7 days (today included).
    async fn last7_days(&self) -> ActivityTotals {
        self.totals(7)
    }

    /// The last 30 days (today included).
    async fn last30_days(&self) -> ActivityTotals {
        self.totals(30)
    }
}

/// Accuracy in one topic from one source.
pub(crate) struct TopicAccuracy {
    line: Accuracy,
    topic: Option<Topic>,
}

/// Accuracy in one topic from one source.
#[Object]
impl TopicAccuracy {
    /// The topic; null for reviews of cards whose topic was deleted.
    async fn topic(&self) -> Option<Topic> {
        self.topic.as_ref().map(|t| Topic(t.0.clone()))
    }

    /// Battle answers or flashcard reviews.
    async fn source(&self) -> AccuracySource {
        self.line.source
    }

    /// The questions' difficulty (1–5) for battle answers; null for reviews.
    async fn difficulty(&self) -> Option<i32> {
        self.line.difficulty
    }

    /// Answers or reviews.
    async fn attempts(&self) -> i32 {
        i32::try_from(self.line.attempts).unwrap_or(i32::MAX)
    }

    /// Of which correct (reviews: recalled, graded 3 or more).
    async fn correct(&self) -> i32 {
        i32::try_from(self.line.correct).unwrap_or(i32::MAX)
    }

    /// `correct / attempts`, 0 to 1.
    async fn rate(&self) -> f64 {
        if self.line.attempts == 0 {
            0.0
        } else {
            self.line.correct as f64 / self.line.attempts as f64
        }
    }
}

/// What a recommendation asks of you.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum RecommendationKind {
    /// Review the cards named: they are due and the most likely to be forgotten.
    ReviewCards,
    /// Work on the topic named: your weakest.
    NextTopic,
    /// Read the articles named, on your weakest topic.
    ReadArticles,
}

/// Something to do next, and why.
pub(crate) struct Recommendation {
    kind: RecommendationKind,
    reason: String,
    topic: Option<Topic>,
    topic_id: Option<Uuid>,
    flashcards: Vec<Uuid>,
    articles: Vec<Article>,
}

/// Something to do next, and why.
#[Object]
impl Recommendation {
    /// What it asks of you.
    async fn kind(&self) -> RecommendationKind {
        self.kind
    }

    /// Why, in words.
    async fn reason(&self) -> &str {
        &self.reason
    }

    /// The topic it is about, if any.
    async fn topic(&self) -> Option<Topic> {
        self.topic.as_ref().map(|t| Topic(t.0.clone()))
    }

    /// The topic's global id, if any.
    async fn topic_id(&self) -> Option<ID> {
        self.topic_id.map(|id| ids::encode(TOPIC_TYPE, id))
    }

    /// The flashcards' global ids, for `REVIEW_CARDS` (the cards themselves are in
    /// `flashcards.mostAtRisk`).
    async fn flashcard_ids(&self) -> Vec<ID> {
        self.flashcards
            .iter()
            .map(|id| ids::encode(agora_learning::api::FLASHCARD_TYPE, *id))
            .collect()
    }

    /// The articles, for `READ_ARTICLES`.
    async fn articles(&self) -> Vec<Article> {
        self.articles
            .iter()
            .map(|article| Article(article.0.clone()))
            .collect()
    }
}
