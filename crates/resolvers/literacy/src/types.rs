//! GraphQL types of literacy.

use std::sync::Arc;

use agora_entities::literacy::{level, mock_test, word, word_progress};
use agora_platform::{AppError, context::ContextExt, ids, pagination};
use async_graphql::{
    Context, Enum, ID, Object, Result, SimpleObject,
    connection::{Connection, Edge},
};
use chrono::{DateTime, Utc};

use crate::{
    lexicon::{self, Analysis, Mistake, MistakeKind, Scored},
    loaders::{LevelLoader, Standing, StandingLoader, WordCountLoader, WordProgressLoader},
    service::{levels, progress::LevelProgress},
};

/// Global id type name of [`Level`].
pub const LEVEL_TYPE: &str = "Level";
/// Global id type name of [`Word`].
pub const WORD_TYPE: &str = "Word";
/// Global id type name of [`MockTest`].
pub const MOCK_TEST_TYPE: &str = "MockTest";

/// The viewer's standing (none when signed out).
async fn standing(ctx: &Context<'_>) -> Result<Option<Arc<Standing>>> {
    let Some(user) = ctx.viewer().user_id() else {
        return Ok(None);
    };
    Ok(ctx
        .loader::<StandingLoader>()?
        .load_one(user)
        .await
        .map_err(AppError::Internal)?)
}

/// A graded level of words; the first is open to everyone, each next one opens when the
/// mock test of the one before is passed.
pub struct Level(pub level::Model);

/// A graded level of words; the first is open to everyone, each next one opens when the
/// mock test of the one before is passed.
#[Object]
impl Level {
    /// Global id.
    pub async fn id(&self) -> ID {
        ids::encode(LEVEL_TYPE, self.0.id)
    }
    /// 1, 2, ...: the order levels unlock in.
    async fn number(&self) -> i32 {
        self.0.number
    }
    /// Title.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Words in the level.
    async fn word_count(&self, ctx: &Context<'_>) -> Result<i32> {
        let count = ctx
            .loader::<WordCountLoader>()?
            .load_one(self.0.id)
            .await
            .map_err(AppError::Internal)?;
        Ok(clamp(count.unwrap_or(0)))
    }
    /// The level's words in order.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity + 1")]
    async fn words(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many from the start.")] first: Option<i32>,
        #[graphql(desc = "Start after this cursor (a page's `endCursor`).")] after: Option<String>,
    ) -> Result<Connection<String, Word>> {
        let page = pagination::PageRequest::<i32>::from_args(first, after, None, None)?;
        let rows = levels::words_page(
            &ctx.platform()?.db,
            self.0.id,
            page.cursor,
            page.limit as u64 + 1,
        )
        .await?;
        let has_next = rows.len() > page.limit;
        let mut connection = Connection::new(page.cursor.is_some(), has_next);
        connection.edges.extend(
            rows.into_iter()
                .take(page.limit)
                .map(|w| Edge::new(pagination::encode_cursor(&w.position), Word(w))),
        );
        Ok(connection)
    }
    /// Whether you may practise it (signed out: the first level only).
    async fn unlocked(&self, ctx: &Context<'_>) -> Result<bool> {
        let unlocked = standing(ctx)
            .await?
            .and_then(|s| s.place.as_ref().map(|p| p.unlocked_level))
            .unwrap_or(1);
        Ok(self.0.number <= unlocked)
    }
    /// Your progress on this level; null when signed out.
    async fn viewer_progress(&self, ctx: &Context<'_>) -> Result<Option<LevelStanding>> {
        Ok(standing(ctx).await?.and_then(|s| {
            s.levels
                .iter()
                .find(|(l, _)| l.id == self.0.id)
                .map(|(l, p)| LevelStanding(l.clone(), p.clone()))
        }))
    }
}

/// A word to practise.
pub struct Word(pub word::Model);

/// A word to practise.
#[Object]
impl Word {
    /// Global id.
    pub async fn id(&self) -> ID {
        ids::encode(WORD_TYPE, self.0.id)
    }
    /// The word.
    async fn text(&self) -> &str {
        &self.0.text
    }
    /// Its sounds in ARPAbet with stress digits (CMU Pronouncing Dictionary), e.g.
    /// `["HH", "AH0", "L", "OW1"]`.
    async fn phonemes(&self) -> Vec<&str> {
        self.0.phonemes.split_whitespace().collect()
    }
    /// The same sounds in IPA.
    async fn ipa(&self) -> Vec<&'static str> {
        self.0
            .phonemes
            .split_whitespace()
            .filter_map(lexicon::ipa)
            .collect()
    }
    /// The written word split by syllable, e.g. `["yel", "low"]`.
    async fn syllables(&self) -> Vec<&str> {
        self.0.syllables.split('-').collect()
    }
    /// Synonyms (WordNet 3.0).
    async fn synonyms(&self) -> Vec<String> {
        serde_json::from_str(&self.0.synonyms).unwrap_or_default()
    }
    /// A short definition (WordNet 3.0), when it has one.
    async fn definition(&self) -> Option<&str> {
        self.0.definition.as_deref()
    }
    /// Difficulty 0–100 (see `analyzeWord`).
    async fn difficulty(&self) -> f64 {
        self.0.difficulty
    }
    /// Its level.
    async fn level(&self, ctx: &Context<'_>) -> Result<Level> {
        ctx.loader::<LevelLoader>()?
            .load_one(self.0.level_id)
            .await
            .map_err(AppError::Internal)?
            .map(Level)
            .ok_or_else(|| AppError::internal("word without its level").into())
    }
    /// The word said by espeak-ng (`/media/tts/{id}.wav`; add `?rate=slow` for a slower
    /// voice); null when the server has no speech synthesis (Debian `espeak-ng`).
    async fn audio_url(&self, ctx: &Context<'_>) -> Option<String> {
        tts_available(ctx)
            .then(|| format!("/media/tts/{}.wav", ids::encode(WORD_TYPE, self.0.id).0))
    }
    /// A picture card: the word in a dyslexia-friendly typeface with a matching emoji
    /// (`/media/picture/{text}.svg`).
    async fn picture_url(&self) -> String {
        picture_url(&self.0.text)
    }
    /// Your record on this word; null when signed out or never practised.
    async fn viewer_progress(&self, ctx: &Context<'_>) -> Result<Option<WordStanding>> {
        let Some(user) = ctx.viewer().user_id() else {
            return Ok(None);
        };
        Ok(ctx
            .loader::<WordProgressLoader>()?
            .load_one((user, self.0.id))
            .await
            .map_err(AppError::Internal)?
            .map(WordStanding))
    }
}

/// Whether the server can synthesise speech (the runtime is in the schema data).
fn tts_available(ctx: &Context<'_>) -> bool {
    ctx.data::<crate::media::LiteracyRuntime>()
        .is_ok_and(crate::media::LiteracyRuntime::tts_available)
}

/// The picture card address of `text`.
pub(crate) fn picture_url(text: &str) -> String {
    format!("/media/picture/{}.svg", percent_encode(text))
}

/// Percent-encodes everything but ASCII letters and digits (words may hold apostrophes).
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Your record on one word.
pub(crate) struct WordStanding(pub word_progress::Model);

/// Your record on one word.
#[Object]
impl WordStanding {
    /// Practice attempts.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    /// Best similarity 0–100.
    async fn best_similarity(&self) -> i32 {
        self.0.best_similarity
    }
    /// Average similarity of your attempts.
    async fn average_similarity(&self) -> f64 {
        if self.0.attempts == 0 {
            return 0.0;
        }
        self.0.similarity_sum as f64 / f64::from(self.0.attempts)
    }
    /// Mastered (passed once above 70).
    async fn mastered(&self) -> bool {
        self.0.mastered_at.is_some()
    }
    /// When it was mastered.
    async fn mastered_at(&self) -> Option<DateTime<Utc>> {
        self.0.mastered_at
    }
    /// Speaking time over all attempts, ms.
    async fn time_spent_ms(&self) -> f64 {
        self.0.time_spent_ms as f64
    }
    /// Speaking time it took to master, ms.
    async fn time_to_master_ms(&self) -> Option<f64> {
        self.0.time_to_master_ms.map(|t| t as f64)
    }
    /// Attempts it took to master.
    async fn attempts_to_master(&self) -> Option<i32> {
        self.0.attempts_to_master
    }
}

/// Your progress on one level.
pub(crate) struct LevelStanding(pub level::Model, pub LevelProgress);

/// Your progress on one level.
#[Object]
impl LevelStanding {
    /// The level.
    async fn level(&self) -> Level {
        Level(self.0.clone())
    }
    /// Unlocked for you.
    async fn unlocked(&self) -> bool {
        self.1.unlocked
    }
    /// Words in the level.
    async fn word_count(&self) -> i32 {
        clamp(self.1.word_count)
    }
    /// Words you mastered.
    async fn words_mastered(&self) -> i32 {
        clamp(self.1.mastered)
    }
    /// Share of the level's words you mastered, 0–100.
    async fn percent_mastered(&self) -> f64 {
        self.1.percent_mastered()
    }
    /// Words still to master before the mock test opens (0: it is open).
    async fn words_to_mock_test(&self) -> i32 {
        clamp(self.1.words_to_mock_test())
    }
    /// Practice attempts on its words.
    async fn attempts(&self) -> i32 {
        clamp(self.1.attempts)
    }
    /// Average similarity of those attempts.
    async fn average_similarity(&self) -> Option<f64> {
        self.1.average_similarity()
    }
    /// Speaking time over all attempts, ms.
    async fn time_spent_ms(&self) -> f64 {
        self.1.time_spent_ms as f64
    }
    /// Average speaking time to master one of its words, ms.
    async fn average_time_to_master_ms(&self) -> Option<f64> {
        self.1.average_time_to_master_ms()
    }
    /// Mock tests taken.
    async fn mock_test_attempts(&self) -> i32 {
        clamp(self.1.tests)
    }
    /// Best mock-test score.
    async fn best_mock_test_score(&self) -> Option<i32> {
        self.1.best_score
    }
    /// Passed its mock test.
    async fn passed(&self) -> bool {
        self.1.passed
    }
}

fn clamp(value: i64) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// Your literacy progress: the profile dashboard's figures.
pub struct LiteracyProgress(pub(crate) Arc<Standing>);

/// Your literacy progress: the profile dashboard's figures.
#[Object]
impl LiteracyProgress {
    /// The level you practise.
    async fn current_level(&self) -> Option<Level> {
        let number = self.0.place.as_ref().map_or(1, |p| p.current_level);
        self.0
            .levels
            .iter()
            .find(|(l, _)| l.number == number)
            .map(|(l, _)| Level(l.clone()))
    }
    /// Highest level number you unlocked.
    async fn unlocked_level(&self) -> i32 {
        self.0.place.as_ref().map_or(1, |p| p.unlocked_level)
    }
    /// Words you mastered, all levels.
    async fn words_mastered(&self) -> i32 {
        clamp(self.0.levels.iter().map(|(_, p)| p.mastered).sum())
    }
    /// Practice attempts, all levels.
    async fn total_attempts(&self) -> i32 {
        clamp(self.0.levels.iter().map(|(_, p)| p.attempts).sum())
    }
    /// Average similarity over all practice attempts.
    async fn average_similarity(&self) -> Option<f64> {
        let attempts: i64 = self.0.levels.iter().map(|(_, p)| p.attempts).sum();
        let sum: i64 = self.0.levels.iter().map(|(_, p)| p.similarity_sum).sum();
        (attempts > 0).then(|| sum as f64 / attempts as f64)
    }
    /// Speaking time over all attempts, ms.
    async fn time_spent_ms(&self) -> f64 {
        self.0
            .levels
            .iter()
            .map(|(_, p)| p.time_spent_ms as f64)
            .sum()
    }
    /// Average speaking time to master a word, ms.
    async fn average_time_to_master_ms(&self) -> Option<f64> {
        let mastered: i64 = self.0.levels.iter().map(|(_, p)| p.mastered).sum();
        let time: i64 = self.0.levels.iter().map(|(_, p)| p.time_to_master_ms).sum();
        (mastered > 0).then(|| time as f64 / mastered as f64)
    }
    /// Consecutive days with practice, up to your last practice day.
    async fn practice_streak(&self) -> i32 {
        self.0.place.as_ref().map_or(0, |p| p.streak_days)
    }
    /// Your longest practice streak.
    async fn longest_practice_streak(&self) -> i32 {
        self.0.place.as_ref().map_or(0, |p| p.longest_streak)
    }
    /// Mock tests taken, all levels.
    async fn mock_test_attempts(&self) -> i32 {
        clamp(self.0.levels.iter().map(|(_, p)| p.tests).sum())
    }
    /// Every level with your progress.
    async fn levels(&self) -> Vec<LevelStanding> {
        self.0
            .levels
            .iter()
            .map(|(l, p)| LevelStanding(l.clone(), p.clone()))
            .collect()
    }
}

/// One sound that differs between the word and what was heard.
#[derive(SimpleObject)]
pub(crate) struct PhonemeMistake {
    /// The expected sound (ARPAbet); null for an extra sound.
    pub expected: Option<String>,
    /// What was heard instead; null for a missed sound.
    pub heard: Option<String>,
    /// Index in the word's sounds.
    pub position: i32,
    /// What kind of difference.
    pub kind: MistakeKind,
}

impl From<Mistake> for PhonemeMistake {
    fn from(m: Mistake) -> Self {
        Self {
            expected: m.expected,
            heard: m.heard,
            position: m.position,
            kind: m.kind,
        }
    }
}

/// How a spoken word scored.
#[derive(SimpleObject)]
pub(crate) struct PracticeResult {
    /// The word.
    pub word: Word,
    /// 0–100: 100 minus the weighted edit distance between the word's sounds and what was
    /// heard (voicing-only swaps cost less), per sound.
    pub similarity: i32,
    /// Above 70.
    pub passed: bool,
    /// Where it differed.
    pub mistakes: Vec<PhonemeMistake>,
    /// One concrete tip for the most important mistake.
    pub tip: Option<String>,
    /// Your n-th practice of this word.
    pub attempt: i32,
    /// The word is mastered (now or earlier).
    pub mastered: bool,
    /// This attempt mastered it.
    pub newly_mastered: bool,
    /// What was heard, ARPAbet.
    pub heard: Vec<String>,
}

impl PracticeResult {
    /// The result as the upload endpoint answers it: the GraphQL field names and values.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "word": { "id": ids::encode(WORD_TYPE, self.word.0.id).0, "text": self.word.0.text },
            "similarity": self.similarity,
            "passed": self.passed,
            "mistakes": self.mistakes.iter().map(|m| serde_json::json!({
                "expected": m.expected,
                "heard": m.heard,
                "position": m.position,
                "kind": m.kind,
            })).collect::<Vec<_>>(),
            "tip": self.tip,
            "attempt": self.attempt,
            "mastered": self.mastered,
            "newlyMastered": self.newly_mastered,
            "heard": self.heard,
        })
    }

    pub(crate) fn new(outcome: crate::service::practice::Outcome) -> Self {
        let Scored {
            similarity,
            mistakes,
            tip,
        } = outcome.scored;
        Self {
            word: Word(outcome.word),
            similarity,
            passed: outcome.attempt.passed,
            mistakes: mistakes.into_iter().map(Into::into).collect(),
            tip,
            attempt: outcome.number,
            mastered: outcome.mastered,
            newly_mastered: outcome.newly_mastered,
            heard: outcome
                .attempt
                .heard
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
        }
    }
}

/// Where a mock test stands.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "mock_test::Status")]
pub enum MockTestStatus {
    /// Being answered.
    InProgress,
    /// Finished with 70% or more.
    Passed,
    /// Finished below 70%.
    Failed,
    /// Not finished in time; unanswered words failed.
    Expired,
}

/// A mock test of ten words from one level.
pub struct MockTest(pub mock_test::Model);

/// A mock test of ten words from one level.
#[Object]
impl MockTest {
    /// Global id.
    pub async fn id(&self) -> ID {
        ids::encode(MOCK_TEST_TYPE, self.0.id)
    }
    /// The level tested.
    async fn level(&self, ctx: &Context<'_>) -> Result<Level> {
        ctx.loader::<LevelLoader>()?
            .load_one(self.0.level_id)
            .await
            .map_err(AppError::Internal)?
            .map(Level)
            .ok_or_else(|| AppError::internal("mock test without its level").into())
    }
    /// Where it stands.
    async fn status(&self) -> MockTestStatus {
        self.0.status.into()
    }
    /// Started.
    async fn started_at(&self) -> DateTime<Utc> {
        self.0.started_at
    }
    /// Unanswered words fail after this.
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }
    /// Finished or expired.
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }
    /// Words passed so far.
    async fn correct(&self) -> i32 {
        self.0.correct
    }
    /// Percent of its words passed, once finished (70 or more passes).
    async fn score(&self) -> Option<i32> {
        self.0.score
    }
    /// Its words in order, with your answers so far.
    async fn words(&self, ctx: &Context<'_>) -> Result<Vec<MockTestWord>> {
        let rows = crate::service::mock::words(&ctx.platform()?.db, self.0.id).await?;
        Ok(rows
            .into_iter()
            .map(|(slot, word)| MockTestWord {
                word: Word(word),
                answered: slot.answered_at.is_some(),
                similarity: slot.similarity,
                passed: slot.passed,
            })
            .collect())
    }
    /// What went wrong and what to practise next; null until the test is over.
    async fn feedback(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<crate::feedback::MockTestFeedback>> {
        if self.0.status == mock_test::Status::InProgress {
            return Ok(None);
        }
        Ok(Some(
            crate::feedback::of_test(ctx.platform()?, &self.0).await?,
        ))
    }
}

/// One word of a mock test.
#[derive(SimpleObject)]
pub(crate) struct MockTestWord {
    /// The word.
    pub word: Word,
    /// Answered already.
    pub answered: bool,
    /// Similarity, once answered.
    pub similarity: Option<i32>,
    /// Above 70, once answered.
    pub passed: Option<bool>,
}

/// How one mock-test answer scored.
#[derive(SimpleObject)]
pub(crate) struct MockTestAnswer {
    /// 0–100.
    pub similarity: i32,
    /// Above 70.
    pub passed: bool,
    /// Where it differed.
    pub mistakes: Vec<PhonemeMistake>,
    /// One concrete tip.
    pub tip: Option<String>,
    /// The test after this answer.
    pub test: MockTest,
}

/// A word's analysis.
pub(crate) struct WordAnalysis(pub Analysis);

/// A word's analysis.
#[Object]
impl WordAnalysis {
    /// The word, lowercase.
    async fn text(&self) -> &str {
        &self.0.text
    }
    /// Looks like a given name (in the shipped names list, and capitalised or rare as a word).
    async fn is_name(&self) -> bool {
        self.0.is_name
    }
    /// The written word split by syllable.
    async fn syllables(&self) -> &[String] {
        &self.0.pronounced.syllables
    }
    /// Its sounds in ARPAbet with stress digits.
    async fn phonemes(&self) -> Vec<&str> {
        self.0.pronounced.phonemes.split_whitespace().collect()
    }
    /// The same sounds in IPA.
    async fn ipa(&self) -> Vec<&'static str> {
        self.0
            .pronounced
            .phonemes
            .split_whitespace()
            .filter_map(lexicon::ipa)
            .collect()
    }
    /// The sounds come from the CMU Pronouncing Dictionary (false: guessed by
    /// letter-to-sound rules).
    async fn in_dictionary(&self) -> bool {
        self.0.pronounced.known
    }
    /// Synonyms (WordNet 3.0).
    async fn synonyms(&self) -> Vec<String> {
        self.0
            .sense
            .as_ref()
            .map(|s| s.synonyms.clone())
            .unwrap_or_default()
    }
    /// A short definition (WordNet 3.0), when known.
    async fn definition(&self) -> Option<&str> {
        self.0.sense.as_ref().map(|s| s.definition.as_str())
    }
    /// How hard it is to read, and why.
    async fn difficulty(&self) -> WordDifficulty {
        WordDifficulty {
            score: self.0.difficulty.score,
            level: i32::from(self.0.difficulty.level),
            percentile: self.0.difficulty.percentile,
            features: self
                .0
                .difficulty
                .features
                .iter()
                .map(|f| DifficultyFeature {
                    name: f.name.to_owned(),
                    value: f.value,
                    contribution: f.contribution,
                })
                .collect(),
        }
    }
    /// Concrete tips: chunk by syllable, the irregular letters, letters that flip, a rhyme
    /// family.
    async fn advice(&self) -> &[String] {
        &self.0.advice
    }
    /// The word said by espeak-ng (`/media/say/{text}.wav`, `?rate=slow` for slower); null
    /// without speech synthesis (Debian `espeak-ng`).
    async fn audio_url(&self, ctx: &Context<'_>) -> Option<String> {
        tts_available(ctx).then(|| format!("/media/say/{}.wav", percent_encode(&self.0.text)))
    }
    /// A picture card of the word.
    async fn picture_url(&self) -> String {
        picture_url(&self.0.text)
    }
}

/// A word's difficulty from the fitted model (docs/literacy.md).
#[derive(SimpleObject)]
pub(crate) struct WordDifficulty {
    /// 0–100 (level 1 maps to 0, level 6 to 100).
    pub score: f64,
    /// The nearest graded level, 1–6.
    pub level: i32,
    /// Share of the graded words that are easier, 0–100.
    pub percentile: f64,
    /// Each feature with its value and its contribution in levels.
    pub features: Vec<DifficultyFeature>,
}

/// One feature of the difficulty model.
#[derive(SimpleObject)]
pub(crate) struct DifficultyFeature {
    /// Feature name.
    pub name: String,
    /// Its value for this word.
    pub value: f64,
    /// What it adds to the predicted level (weight × standardised value).
    pub contribution: f64,
}
