//! GraphQL types of learning.

use agora_entities::learning::{flashcard, topic_completion};
use agora_knowledge::api::{Topic, TopicLoader};
use agora_platform::{AppError, context::ContextExt, ids};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};

/// Global id type name of [`Flashcard`].
pub const FLASHCARD_TYPE: &str = "Flashcard";

/// How hard the learner finds a card: their own label (SM-2's ease factor is what schedules).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "flashcard::Difficulty")]
pub enum FlashcardDifficulty {
    /// Easy.
    Easy,
    /// The default.
    Normal,
    /// Hard.
    Hard,
}

pub(crate) async fn topic_of(ctx: &Context<'_>, id: Option<uuid::Uuid>) -> Result<Option<Topic>> {
    let Some(id) = id else {
        return Ok(None);
    };
    Ok(ctx
        .loader::<TopicLoader>()?
        .load_one(id)
        .await
        .map_err(AppError::Internal)?
        .map(Topic))
}

/// One of your flashcards, with its schedule (SM-2's, and FSRS's memory state once FSRS
/// scheduled it).
pub struct Flashcard(pub flashcard::Model);

/// One of your flashcards, with its schedule (SM-2's, and FSRS's memory state once FSRS
/// scheduled it).
#[Object]
impl Flashcard {
    /// Global id.
    pub async fn id(&self) -> ID {
        ids::encode(FLASHCARD_TYPE, self.0.id)
    }

    /// Its topic; null if the topic was deleted since (the card is kept).
    async fn topic(&self, ctx: &Context<'_>) -> Result<Option<Topic>> {
        topic_of(ctx, self.0.topic_id).await
    }

    /// The prompt side.
    async fn front(&self) -> &str {
        &self.0.front
    }

    /// The answer side.
    async fn back(&self) -> &str {
        &self.0.back
    }

    /// Your own label.
    async fn difficulty(&self) -> FlashcardDifficulty {
        self.0.difficulty.into()
    }

    /// Its tags, lower-cased, in the order given.
    async fn tags(&self) -> Vec<String> {
        crate::service::tag_list(&self.0.tags)
    }

    /// SM-2 ease factor (2.5 for a new card, never below 1.3).
    async fn ease_factor(&self) -> f64 {
        self.0.ease_factor
    }

    /// Days between the last review and the next (0 before the first review).
    async fn interval_days(&self) -> i32 {
        self.0.interval_days
    }

    /// Reviews remembered in a row.
    async fn repetitions(&self) -> i32 {
        self.0.repetitions
    }

    /// When it is due.
    async fn next_review_at(&self) -> DateTime<Utc> {
        self.0.next_review_at
    }

    /// Whether it is due now.
    async fn due(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(self.0.next_review_at <= ctx.platform()?.clock.now())
    }

    /// The last review, if any.
    async fn last_reviewed_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_reviewed_at
    }

    /// Reviews so far.
    async fn review_count(&self) -> i32 {
        self.0.review_count
    }

    /// Reviews graded below 3 (forgotten).
    async fn lapses(&self) -> i32 {
        self.0.lapses
    }

    /// New, relearning (last review forgotten) or in review.
    async fn state(&self) -> FlashcardState {
        FlashcardState::of(&self.0)
    }

    /// FSRS stability in days (how long until recall falls to 90%); null until FSRS has
    /// scheduled or converted the card.
    async fn stability(&self) -> Option<f64> {
        self.0.stability
    }

    /// FSRS difficulty, 1 (easiest) to 10; null with `stability`.
    async fn fsrs_difficulty(&self) -> Option<f64> {
        self.0.fsrs_difficulty
    }

    /// Created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A topic you marked complete.
pub(crate) struct TopicCompletion {
    /// The row.
    pub model: topic_completion::Model,
    /// Whether this request marked it (false when it was complete already).
    pub first_time: bool,
}

/// A topic you marked complete.
#[Object]
impl TopicCompletion {
    /// The topic.
    async fn topic(&self, ctx: &Context<'_>) -> Result<Option<Topic>> {
        topic_of(ctx, Some(self.model.topic_id)).await
    }

    /// When it was first marked complete.
    async fn completed_at(&self) -> DateTime<Utc> {
        self.model.completed_at
    }

    /// Whether this request marked it (points are awarded once, the first time).
    async fn first_time(&self) -> bool {
        self.first_time
    }
}

/// `createFlashcard` input.
#[derive(InputObject)]
pub(crate) struct CreateFlashcardInput {
    /// The topic it belongs to.
    pub topic_id: ID,
    /// Prompt side, 1 to 500 characters.
    pub front: String,
    /// Answer side, 1 to 2,000 characters.
    pub back: String,
    /// Your label (default `NORMAL`).
    #[graphql(default_with = "FlashcardDifficulty::Normal")]
    pub difficulty: FlashcardDifficulty,
    /// Its tags: at most 10, each 1 to 40 characters without spaces (stored lower-cased,
    /// duplicates dropped; Anki's `a::b` hierarchy is one tag).
    #[graphql(default)]
    pub tags: Vec<String>,
}

/// `updateFlashcard` input: what is left out stays as it is.
#[derive(InputObject)]
pub(crate) struct UpdateFlashcardInput {
    /// Move it to this topic.
    pub topic_id: Option<ID>,
    /// New prompt side.
    pub front: Option<String>,
    /// New answer side.
    pub back: Option<String>,
    /// New label.
    pub difficulty: Option<FlashcardDifficulty>,
    /// Its tags, replacing the ones it has (`[]` removes them all).
    pub tags: Option<Vec<String>>,
}

/// `reviewFlashcard` input.
#[derive(InputObject)]
pub(crate) struct ReviewFlashcardInput {
    /// The card (yours, and due).
    pub flashcard_id: ID,
    /// How well you recalled it: 0 (blackout) to 5 (perfect); below 3 starts it again.
    pub quality: i32,
}

/// Which algorithm schedules a learner's cards.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "agora_entities::learning::learning_settings::Scheduler")]
pub enum Scheduler {
    /// SuperMemo 2: ease factor and repetitions (the default).
    #[graphql(name = "SM2")]
    Sm2,
    /// The Free Spaced Repetition Scheduler (FSRS-6): stability and difficulty per card,
    /// intervals set for your desired retention.
    Fsrs,
}

/// Where a card stands in its learning.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum FlashcardState {
    /// Never reviewed.
    New,
    /// Its last review was forgotten (graded below 3): it is being learnt again.
    Relearning,
    /// Recalled at its last review.
    Review,
}

impl FlashcardState {
    /// The state of `card`.
    pub(crate) fn of(card: &flashcard::Model) -> Self {
        if card.review_count == 0 {
            Self::New
        } else if card.repetitions == 0 {
            Self::Relearning
        } else {
            Self::Review
        }
    }
}

/// Your scheduler and its targets.
pub(crate) struct LearningSettings(pub crate::settings::Settings);

/// Your scheduler and its targets.
#[Object]
impl LearningSettings {
    /// The scheduler in force.
    async fn scheduler(&self) -> Scheduler {
        self.0.scheduler.into()
    }

    /// FSRS's target probability of recall at each review (0.7 to 0.99; default 0.9).
    async fn desired_retention(&self) -> f64 {
        self.0.desired_retention
    }

    /// No interval grows beyond this many days (either scheduler; default 36,500).
    async fn maximum_interval_days(&self) -> i32 {
        self.0.maximum_interval_days
    }

    /// New cards a study session introduces per day of your time zone (default 20).
    async fn new_cards_per_day(&self) -> i32 {
        self.0.new_cards_per_day
    }

    /// The local hour (0–23) you usually review, learnt from your reviews once you made 5:
    /// the due-cards reminder comes then. Null until then (the reminder comes at 09:00).
    async fn study_hour(&self, ctx: &Context<'_>) -> Result<Option<i32>> {
        let platform = ctx.platform()?;
        Ok(
            crate::reminders::study_hour_of(&platform.db, self.0.user_id)
                .await?
                .map(|h| h as i32),
        )
    }

    /// Your fitted FSRS parameters (21 numbers), or null while FSRS uses its defaults.
    async fn fsrs_parameters(&self) -> Option<Vec<f64>> {
        self.0
            .fsrs_parameters
            .as_ref()
            // Each as its shortest decimal, as the optimisation run reports it.
            .map(|p| {
                p.iter()
                    .map(|w| w.to_string().parse().unwrap_or(f64::from(*w)))
                    .collect()
            })
    }
}

/// `updateLearningSettings` input: what is left out stays as it is.
#[derive(InputObject)]
pub(crate) struct UpdateLearningSettingsInput {
    /// Switch scheduler: your cards are converted from their review log and keep their due
    /// dates.
    pub scheduler: Option<Scheduler>,
    /// 0.7 to 0.99.
    pub desired_retention: Option<f64>,
    /// 1 to 36,500.
    pub maximum_interval_days: Option<i32>,
    /// 0 to 9,999.
    pub new_cards_per_day: Option<i32>,
}

/// What `updateLearningSettings` did.
#[derive(async_graphql::SimpleObject)]
pub(crate) struct UpdateLearningSettingsPayload {
    /// Your settings now.
    pub settings: LearningSettings,
    /// Cards converted to the new scheduler from their review log (0 without a switch).
    pub converted_cards: i32,
}

/// One card of a study session.
pub(crate) struct StudyCard(pub crate::session::StudyCard);

/// One card of a study session.
#[Object]
impl StudyCard {
    /// The card.
    async fn flashcard(&self) -> Flashcard {
        Flashcard(self.0.card.clone())
    }

    /// The probability you recall it now, as its scheduler predicts; null for a new card.
    async fn retrievability(&self) -> Option<f64> {
        self.0.retrievability
    }

    /// Whether it has never been reviewed.
    async fn new(&self) -> bool {
        self.0.card.review_count == 0
    }
}

/// What to study now: due cards first, the least likely to be recalled first, then new cards
/// up to what is left of today's limit.
pub(crate) struct StudySession(pub crate::session::Session);

/// What to study now: due cards first, the least likely to be recalled first, then new cards
/// up to what is left of today's limit.
#[Object]
impl StudySession {
    /// The cards, in the order to study them.
    async fn cards(&self) -> Vec<StudyCard> {
        self.0
            .cards
            .iter()
            .map(|card| StudyCard(card.clone()))
            .collect()
    }

    /// Reviewed cards due now, in all (the session may hold fewer).
    async fn due_count(&self) -> i32 {
        clamp(self.0.due_count)
    }

    /// New cards in this session.
    async fn new_count(&self) -> i32 {
        clamp(self.0.new_count)
    }

    /// New cards today's limit still allows (before this session's are reviewed).
    async fn new_remaining_today(&self) -> i32 {
        clamp(self.0.new_remaining_today)
    }
}

fn clamp(count: u64) -> i32 {
    i32::try_from(count).unwrap_or(i32::MAX)
}

/// Reviews on one day of your time zone.
#[derive(async_graphql::SimpleObject)]
pub(crate) struct ReviewDay {
    /// The day, `YYYY-MM-DD`.
    pub date: String,
    /// Reviews that day.
    pub reviews: i32,
    /// Of which recalled (graded 3 or more).
    pub recalled: i32,
}

/// Cards falling due on one day of your time zone.
#[derive(async_graphql::SimpleObject)]
pub(crate) struct DueDay {
    /// The day, `YYYY-MM-DD`.
    pub date: String,
    /// Cards due that day (today's figure includes every overdue card).
    pub due: i32,
}

/// Your cards in one topic.
pub(crate) struct TopicCardCounts {
    topic: Option<uuid::Uuid>,
    counts: crate::session::TopicCounts,
}

/// Your cards in one topic.
#[Object]
impl TopicCardCounts {
    /// The topic; null for cards whose topic was deleted.
    async fn topic(&self, ctx: &Context<'_>) -> Result<Option<Topic>> {
        topic_of(ctx, self.topic).await
    }

    /// Cards.
    async fn cards(&self) -> i32 {
        clamp(self.counts.cards)
    }

    /// Due now (new cards included).
    async fn due(&self) -> i32 {
        clamp(self.counts.due)
    }

    /// Never reviewed.
    async fn new(&self) -> i32 {
        clamp(self.counts.new)
    }
}

/// How your flashcard study has gone, and what is coming.
pub(crate) struct FlashcardStats(pub crate::session::Stats);

/// How your flashcard study has gone, and what is coming.
#[Object]
impl FlashcardStats {
    /// Cards you hold.
    async fn total_cards(&self) -> i32 {
        clamp(self.0.total)
    }

    /// Cards never reviewed.
    async fn new_cards(&self) -> i32 {
        clamp(self.0.new)
    }

    /// Cards due now (new cards included).
    async fn due_now(&self) -> i32 {
        clamp(self.0.due_now)
    }

    /// The recalled share of the last 30 days' reviews of cards past their first review;
    /// null without such reviews.
    async fn true_retention(&self) -> Option<f64> {
        self.0.true_retention
    }

    /// Reviews on each of the last 30 days, oldest first (today last).
    async fn reviews_per_day(&self) -> Vec<ReviewDay> {
        self.0
            .per_day
            .iter()
            .map(|day| ReviewDay {
                date: day.date.to_string(),
                reviews: clamp(day.reviews),
                recalled: clamp(day.recalled),
            })
            .collect()
    }

    /// Cards falling due on each of the next 30 days, today first.
    async fn forecast(&self) -> Vec<DueDay> {
        self.0
            .forecast
            .iter()
            .map(|day| DueDay {
                date: day.date.to_string(),
                due: clamp(day.due),
            })
            .collect()
    }

    /// Your cards per topic.
    async fn topics(&self) -> Vec<TopicCardCounts> {
        self.0
            .topics
            .iter()
            .map(|(topic, counts)| TopicCardCounts {
                topic: *topic,
                counts: counts.clone(),
            })
            .collect()
    }
}

/// Global id type name of [`SchedulerOptimization`].
pub const SCHEDULER_OPTIMIZATION_TYPE: &str = "SchedulerOptimization";

/// Where an optimisation stands.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "agora_entities::learning::scheduler_optimization::Status")]
pub enum OptimizationStatus {
    /// Fitting (see `progress`).
    Running,
    /// Finished: the fitted parameters are saved to your settings.
    Done,
    /// Stopped; `reason` says why.
    Failed,
}

/// A model an optimisation evaluated.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::optimize::EvaluatedModel")]
pub enum SchedulerModel {
    /// SM-2 (its interval read as the day recall falls to 90%).
    #[graphql(name = "SM2")]
    Sm2,
    /// FSRS-6 with its default parameters.
    FsrsDefault,
    /// FSRS-6 with the parameters fitted to your reviews.
    FsrsFitted,
}

/// How well one model predicted your held-out reviews (lower is better for both figures).
#[derive(async_graphql::SimpleObject)]
pub(crate) struct SchedulerEvaluation {
    /// The model.
    pub model: SchedulerModel,
    /// Mean binary cross-entropy of its predicted probability of recall.
    pub log_loss: f64,
    /// Root mean square error between predicted and actual recall over 20 bins of the
    /// prediction.
    pub rmse: f64,
}

/// A run of the FSRS optimiser over your review log.
pub struct SchedulerOptimization(
    pub(crate) agora_entities::learning::scheduler_optimization::Model,
);

/// A run of the FSRS optimiser over your review log.
#[Object]
impl SchedulerOptimization {
    /// Global id.
    pub async fn id(&self) -> ID {
        ids::encode(SCHEDULER_OPTIMIZATION_TYPE, self.0.id)
    }

    /// Where it stands.
    async fn status(&self) -> OptimizationStatus {
        self.0.status.into()
    }

    /// 0 to 1.
    async fn progress(&self) -> f64 {
        self.0.progress
    }

    /// Why it failed.
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }

    /// Reviews in your log when it started.
    async fn review_count(&self) -> i32 {
        self.0.review_count
    }

    /// Training items it fitted on (one per review after a card's first, before the split).
    async fn train_count(&self) -> i32 {
        self.0.train_count
    }

    /// Held-out reviews it evaluated on (the newest fifth, a day or more after the review
    /// before).
    async fn test_count(&self) -> i32 {
        self.0.test_count
    }

    /// Each model's figures on the held-out reviews, once done: SM-2, default FSRS, fitted
    /// FSRS.
    async fn evaluation(&self) -> Option<Vec<SchedulerEvaluation>> {
        let lines: Vec<crate::optimize::Evaluation> =
            serde_json::from_str(self.0.evaluation.as_deref()?).ok()?;
        Some(
            lines
                .into_iter()
                .map(|line| SchedulerEvaluation {
                    model: line.model.into(),
                    log_loss: line.log_loss,
                    rmse: line.rmse,
                })
                .collect(),
        )
    }

    /// The fitted parameters (21 numbers), once done.
    async fn parameters(&self) -> Option<Vec<f64>> {
        let parameters: Vec<f64> = serde_json::from_str(self.0.parameters.as_deref()?).ok()?;
        Some(parameters)
    }

    /// Requested.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Done or failed.
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }
}

/// A flashcard file's format.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::transfer::Format")]
pub enum FlashcardFileFormat {
    /// Anki's "Notes in Plain Text": front and back separated by a tab, `#` header lines.
    Tsv,
    /// Front and back separated by a comma; a `front,back` header row is optional.
    Csv,
}

/// `importFlashcards` input.
#[derive(InputObject)]
pub(crate) struct ImportFlashcardsInput {
    /// The topic every imported card goes to.
    pub topic_id: ID,
    /// The file's format (default `TSV`).
    #[graphql(default_with = "FlashcardFileFormat::Tsv")]
    pub format: FlashcardFileFormat,
    /// The file's text: at most 900,000 bytes and 2,000 cards.
    pub content: String,
    /// Check and report without storing anything.
    #[graphql(default = false)]
    pub dry_run: bool,
}

/// `importAnkiPackage` input.
#[derive(InputObject)]
pub(crate) struct ImportAnkiPackageInput {
    /// The topic every imported card goes to.
    pub topic_id: ID,
    /// The `.apkg` file (a GraphQL multipart upload).
    pub upload: async_graphql::Upload,
    /// Check and report without storing anything.
    #[graphql(default = false)]
    pub dry_run: bool,
}

/// One row of an imported file.
#[derive(async_graphql::SimpleObject)]
pub(crate) struct FlashcardImportRow {
    /// Its line in the file (1-based); for an Anki package, the note's number in note order.
    pub line: i32,
    /// Its front side as read.
    pub front: String,
    /// Why it was refused; null when it is fine.
    pub error: Option<String>,
    /// A remark that does not refuse it (columns ignored).
    pub note: Option<String>,
}

/// What `importFlashcards` did: all rows or none.
#[derive(async_graphql::SimpleObject)]
pub(crate) struct FlashcardImportReport {
    /// Cards stored: every row's, or 0 when any row was refused or on a dry run.
    pub created: i32,
    /// Whether this was a dry run.
    pub dry_run: bool,
    /// Whether every row is fine (on a dry run: the import would store them all).
    pub accepted: bool,
    /// Every row, in file order.
    pub rows: Vec<FlashcardImportRow>,
}

impl From<crate::transfer::ImportReport> for FlashcardImportReport {
    fn from(report: crate::transfer::ImportReport) -> Self {
        Self {
            created: i32::try_from(report.created).unwrap_or(i32::MAX),
            dry_run: report.dry_run,
            accepted: report.rows.iter().all(|row| row.error.is_none()),
            rows: report
                .rows
                .into_iter()
                .map(|row| FlashcardImportRow {
                    line: i32::try_from(row.line).unwrap_or(i32::MAX),
                    front: row.front,
                    error: row.error,
                    note: row.note,
                })
                .collect(),
        }
    }
}

/// Global id type name of [`PersonalTopic`].
pub const PERSONAL_TOPIC_TYPE: &str = "PersonalTopic";
/// Global id type name of [`SyllabusItem`].
pub const SYLLABUS_ITEM_TYPE: &str = "SyllabusItem";

/// One of your own topics: a private hierarchy beside the public tree, with a syllabus.
pub struct PersonalTopic(pub(crate) agora_entities::learning::personal_topic::Model);

/// One of your own topics: a private hierarchy beside the public tree, with a syllabus.
#[Object]
impl PersonalTopic {
    /// Global id.
    pub async fn id(&self) -> ID {
        ids::encode(PERSONAL_TOPIC_TYPE, self.0.id)
    }

    /// Its name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Its parent among your topics; null at the top.
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<PersonalTopic>> {
        let Some(parent) = self.0.parent_id else {
            return Ok(None);
        };
        let platform = ctx.platform()?;
        Ok(Some(PersonalTopic(
            crate::personal::own_topic(&platform.db, self.0.owner_id, parent).await?,
        )))
    }

    /// Its subtopics, by name.
    async fn children(&self, ctx: &Context<'_>) -> Result<Vec<PersonalTopic>> {
        let platform = ctx.platform()?;
        Ok(
            crate::personal::topics(&platform.db, self.0.owner_id, Some(self.0.id))
                .await?
                .into_iter()
                .map(PersonalTopic)
                .collect(),
        )
    }

    /// The public topic it follows, if any.
    async fn linked_topic(&self, ctx: &Context<'_>) -> Result<Option<Topic>> {
        topic_of(ctx, self.0.linked_topic_id).await
    }

    /// Its syllabus, in order.
    async fn syllabus(&self, ctx: &Context<'_>) -> Result<Vec<SyllabusItem>> {
        let platform = ctx.platform()?;
        Ok(crate::personal::items(&platform.db, self.0.id)
            .await?
            .into_iter()
            .map(SyllabusItem)
            .collect())
    }

    /// Done items over items.
    async fn progress(&self, ctx: &Context<'_>) -> Result<SyllabusProgress> {
        let platform = ctx.platform()?;
        let items = crate::personal::items(&platform.db, self.0.id).await?;
        let done = items.iter().filter(|i| i.done_at.is_some()).count();
        Ok(SyllabusProgress {
            done: i32::try_from(done).unwrap_or(i32::MAX),
            total: i32::try_from(items.len()).unwrap_or(i32::MAX),
            ratio: if items.is_empty() {
                0.0
            } else {
                done as f64 / items.len() as f64
            },
        })
    }

    /// Created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// How far a syllabus is done.
#[derive(async_graphql::SimpleObject)]
pub(crate) struct SyllabusProgress {
    /// Items done.
    pub done: i32,
    /// Items.
    pub total: i32,
    /// `done / total`, 0 to 1 (0 for an empty syllabus).
    pub ratio: f64,
}

/// One item of a syllabus.
pub struct SyllabusItem(pub(crate) agora_entities::learning::syllabus_item::Model);

/// One item of a syllabus.
#[Object]
impl SyllabusItem {
    /// Global id.
    pub async fn id(&self) -> ID {
        ids::encode(SYLLABUS_ITEM_TYPE, self.0.id)
    }

    /// Its title.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// Its place in the outline, from 0.
    async fn order(&self) -> i32 {
        self.0.position
    }

    /// Whether it is done.
    async fn done(&self) -> bool {
        self.0.done_at.is_some()
    }

    /// When it was marked done.
    async fn done_at(&self) -> Option<DateTime<Utc>> {
        self.0.done_at
    }

    /// An article to read for it, if any.
    async fn linked_article(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<agora_knowledge::api::Article>> {
        let Some(id) = self.0.linked_article_id else {
            return Ok(None);
        };
        Ok(agora_knowledge::api::article_reads::by_id(&ctx.platform()?.db, id).await?)
    }

    /// A public topic it covers, if any.
    async fn linked_topic(&self, ctx: &Context<'_>) -> Result<Option<Topic>> {
        topic_of(ctx, self.0.linked_topic_id).await
    }
}

/// `createMyTopic` input.
#[derive(InputObject)]
pub(crate) struct CreateMyTopicInput {
    /// 1–120 characters.
    pub name: String,
    /// A parent among your topics (at most 5 levels deep).
    pub parent_id: Option<ID>,
    /// A public topic it follows.
    pub linked_topic_id: Option<ID>,
}

/// `updateMyTopic` input: what is left out stays; `null` for `parentId` moves it to the top,
/// for `linkedTopicId` unlinks it.
#[derive(InputObject)]
pub(crate) struct UpdateMyTopicInput {
    /// 1–120 characters.
    pub name: Option<String>,
    /// A new parent among your topics (not itself nor one of its subtopics).
    pub parent_id: async_graphql::MaybeUndefined<ID>,
    /// A public topic to follow.
    pub linked_topic_id: async_graphql::MaybeUndefined<ID>,
}

/// `addSyllabusItem` input.
#[derive(InputObject)]
pub(crate) struct AddSyllabusItemInput {
    /// The topic of yours whose syllabus it joins.
    pub topic_id: ID,
    /// 1–200 characters.
    pub title: String,
    /// Its place (0 = first); left out or beyond the end: last.
    pub order: Option<i32>,
    /// An article to read for it.
    pub linked_article_id: Option<ID>,
    /// A public topic it covers (a done item is evidence for `completeTopic` there).
    pub linked_topic_id: Option<ID>,
}

/// `updateSyllabusItem` input: what is left out stays; `null` for a link unlinks it.
#[derive(InputObject)]
pub(crate) struct UpdateSyllabusItemInput {
    /// 1–200 characters.
    pub title: Option<String>,
    /// Move it to this place (0 = first).
    pub order: Option<i32>,
    /// Mark it done or not.
    pub done: Option<bool>,
    /// An article to read for it.
    pub linked_article_id: async_graphql::MaybeUndefined<ID>,
    /// A public topic it covers.
    pub linked_topic_id: async_graphql::MaybeUndefined<ID>,
}
