//! Literacy queries: levels and words (open to all), your progress, mock tests and
//! recommendations (yours), and the analysis of any word.

use agora_platform::{AppError, context::ContextExt, ids};
use async_graphql::{Context, ID, Object, Result};

use crate::{
    feedback::{self, RecommendedWord},
    lexicon,
    loaders::StandingLoader,
    service::{found, levels},
    types::{
        LEVEL_TYPE, Level, LiteracyProgress, MOCK_TEST_TYPE, MockTest, WORD_TYPE, Word,
        WordAnalysis,
    },
};

/// Literacy's query root.
#[derive(Default)]
pub struct LiteracyQuery;

/// Literacy's query root.
#[Object]
impl LiteracyQuery {
    /// Every word level, in order.
    async fn literacy_levels(&self, ctx: &Context<'_>) -> Result<Vec<Level>> {
        Ok(levels::all(&ctx.platform()?.db)
            .await?
            .into_iter()
            .map(Level)
            .collect())
    }

    /// One level; null if there is none with that id.
    async fn literacy_level(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The level's global id.")] id: ID,
    ) -> Result<Option<Level>> {
        let id = ids::decode(&id, LEVEL_TYPE, "id")?;
        Ok(found(
            levels::find(&ctx.platform()?.db, id).await.map(Level),
        )?)
    }

    /// One word; null if there is none with that id.
    async fn word(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The word's global id.")] id: ID,
    ) -> Result<Option<Word>> {
        let id = ids::decode(&id, WORD_TYPE, "id")?;
        Ok(found(
            levels::word(&ctx.platform()?.db, id).await.map(Word),
        )?)
    }

    /// Your literacy progress (signed in).
    async fn literacy_progress(&self, ctx: &Context<'_>) -> Result<Option<LiteracyProgress>> {
        let user = ctx.viewer().require_user()?;
        let standing = ctx
            .loader::<StandingLoader>()?
            .load_one(user)
            .await
            .map_err(AppError::Internal)?
            .ok_or_else(|| AppError::internal("no standing loaded"))?;
        Ok(Some(LiteracyProgress(standing)))
    }

    /// One of your mock tests; null if you have none with that id.
    async fn mock_test(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The test's global id.")] id: ID,
    ) -> Result<Option<MockTest>> {
        let user = ctx.viewer().require_user()?;
        let id = ids::decode(&id, MOCK_TEST_TYPE, "id")?;
        Ok(crate::api::mock_test_node(ctx.platform()?, user, id).await?)
    }

    /// The words you should practise next from `levelId` (default: your current level),
    /// ranked by the recommendation model (docs/literacy.md).
    async fn recommended_words(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The level's global id, if any.")] level_id: Option<ID>,
        #[graphql(default = 5, desc = "How many words, 1 to 20.")] first: i32,
    ) -> Result<Option<Vec<RecommendedWord>>> {
        let user = ctx.viewer().require_user()?;
        let first = feedback::checked_count(first)?;
        let platform = ctx.platform()?;
        let level = match level_id {
            Some(id) => {
                levels::find(&platform.db, ids::decode(&id, LEVEL_TYPE, "levelId")?).await?
            }
            None => {
                let number = levels::learner_if_any(&platform.db, user)
                    .await?
                    .map_or(1, |p| p.current_level);
                levels::by_number(&platform.db, number).await?
            }
        };
        Ok(Some(
            feedback::recommend(platform, user, level.id, first).await?,
        ))
    }

    /// How hard any word is to read and why, with its sounds, syllables, meaning, tips and a
    /// picture card. `text`: one word of 1–64 letters.
    async fn analyze_word(
        &self,
        #[graphql(desc = "One word of 1 to 64 letters (an apostrophe inside is fine).")]
        text: String,
    ) -> Result<WordAnalysis> {
        let text = lexicon::check_word(&text, "text")?;
        Ok(WordAnalysis(lexicon::analyze(&text)))
    }
}
