//! Literacy mutations: choose a level, practise a word, take a mock test.

use std::sync::Arc;

use agora_platform::{context::ContextExt, ids};
use async_graphql::{Context, ID, Object, Result};

use crate::{
    loaders::Standing,
    service::{
        levels, mock,
        practice::{self, Answer},
        progress,
    },
    settings::LiteracySettings,
    types::{
        LEVEL_TYPE, LiteracyProgress, MOCK_TEST_TYPE, MockTest, MockTestAnswer, PracticeResult,
        WORD_TYPE,
    },
};

/// Literacy's mutation root.
#[derive(Default)]
pub struct LiteracyMutation;

/// Literacy's mutation root.
#[Object]
impl LiteracyMutation {
    /// Practise `levelId` from now on (any unlocked level; `FORBIDDEN` for a locked one).
    async fn choose_level(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The level's global id.")] level_id: ID,
    ) -> Result<LiteracyProgress> {
        let user = ctx.viewer().require_user()?;
        let level = ids::decode(&level_id, LEVEL_TYPE, "levelId")?;
        let platform = ctx.platform()?;
        levels::choose(platform, user, level).await?;
        practice::announce(platform, user).await;
        let (place, levels) = progress::all(&platform.db, user).await?;
        Ok(LiteracyProgress(Arc::new(Standing { place, levels })))
    }

    /// Scores one spoken try of `wordId` from what your speech recogniser heard
    /// (`transcript`, up to 200 characters) and how long you spoke (`durationMs`, up to
    /// 60,000). Above 70 the word is mastered (the first time: `WORD_MASTERED`, points).
    /// The word's level must be unlocked.
    async fn practice_word(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The word's global id.")] word_id: ID,
        #[graphql(desc = "What your speech recogniser heard, 1 to 200 characters.")]
        transcript: String,
        #[graphql(desc = "How long you spoke, in milliseconds: 0 to 60,000.")] duration_ms: i32,
    ) -> Result<PracticeResult> {
        let user = ctx.viewer().require_user()?;
        let word_id = ids::decode(&word_id, WORD_TYPE, "wordId")?;
        let answer = Answer::from_transcript(&transcript, duration_ms)?;
        let platform = ctx.platform()?;
        let outcome = practice::practice(platform, user, word_id, answer).await?;
        Ok(PracticeResult::new(outcome))
    }

    /// Opens a mock test of ten words of `levelId` (or returns the one open). `FORBIDDEN`
    /// until 80% of the level's words are mastered (the message says how many are left), and
    /// during the cool-down after a failed or expired test.
    async fn start_mock_test(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The level's global id.")] level_id: ID,
    ) -> Result<MockTest> {
        let user = ctx.viewer().require_user()?;
        let level = ids::decode(&level_id, LEVEL_TYPE, "levelId")?;
        let settings = LiteracySettings::of(ctx)?;
        Ok(MockTest(
            mock::start(ctx.platform()?, settings, user, level).await?,
        ))
    }

    /// Answers one word of your open test, like `practiceWord`. `CONFLICT` when the word is
    /// answered already or the test is over (an expired test closes as `EXPIRED`).
    async fn submit_mock_test_answer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The test's global id.")] test_id: ID,
        #[graphql(desc = "The word's global id.")] word_id: ID,
        #[graphql(desc = "What your speech recogniser heard, 1 to 200 characters.")]
        transcript: String,
        #[graphql(desc = "How long you spoke, in milliseconds: 0 to 60,000.")] duration_ms: i32,
    ) -> Result<MockTestAnswer> {
        let user = ctx.viewer().require_user()?;
        let test = ids::decode(&test_id, MOCK_TEST_TYPE, "testId")?;
        let word = ids::decode(&word_id, WORD_TYPE, "wordId")?;
        let answer = Answer::from_transcript(&transcript, duration_ms)?;
        let answered = mock::submit(ctx.platform()?, user, test, word, answer).await?;
        Ok(MockTestAnswer {
            similarity: answered.scored.similarity,
            passed: answered.attempt.passed,
            mistakes: answered
                .scored
                .mistakes
                .into_iter()
                .map(Into::into)
                .collect(),
            tip: answered.scored.tip,
            test: MockTest(answered.test),
        })
    }

    /// Finishes your open test: 70% or more passes and unlocks the next level (the first
    /// pass of a level: `MOCK_TEST_PASSED`, points). Unanswered words count as failed.
    async fn finish_mock_test(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The test's global id.")] test_id: ID,
    ) -> Result<MockTest> {
        let user = ctx.viewer().require_user()?;
        let test = ids::decode(&test_id, MOCK_TEST_TYPE, "testId")?;
        Ok(MockTest(mock::finish(ctx.platform()?, user, test).await?))
    }
}
