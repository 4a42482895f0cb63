//! Feedback after a mock test (mistakes by word and by sound) and the next words to practise,
//! ranked by the recommendation model ([`crate::models::recommend`]) fitted on the learner's
//! own attempts with the population as its prior.

use std::collections::{BTreeMap, HashMap};

use agora_entities::literacy::{attempt, mock_test, phoneme_stat, word};
use agora_platform::{AppResult, Platform};
use async_graphql::SimpleObject;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use crate::{
    lexicon::{self, Mistake},
    models::recommend::{self, Attempt, Candidate, LearnerProfile, PhonemeCounts},
    service::mock,
    types::{PhonemeMistake, Word},
};

/// Most recommendations one request returns.
pub(crate) const MAX_RECOMMENDATIONS: usize = 20;
/// Most of a learner's latest attempts the model reads.
const ATTEMPTS_READ: u64 = 5_000;

/// What went wrong in a mock test, and what to practise next.
#[derive(SimpleObject)]
#[graphql(complex)]
pub(crate) struct MockTestFeedback {
    /// Each word of the test with how it went.
    pub words: Vec<WordFeedback>,
    /// The sounds you confused, most frequent first (e.g. /b/ said as /d/).
    pub confusions: Vec<PhonemeConfusion>,
    #[graphql(skip)]
    learner: Uuid,
    #[graphql(skip)]
    level: Uuid,
}

#[async_graphql::ComplexObject]
impl MockTestFeedback {
    /// The next `first` words (1–20) to practise from this level, best first.
    async fn recommended_words(
        &self,
        ctx: &async_graphql::Context<'_>,
        #[graphql(default = 5, desc = "How many words, 1 to 20.")] first: i32,
    ) -> async_graphql::Result<Vec<RecommendedWord>> {
        let first = checked_count(first)?;
        let platform = agora_platform::context::ContextExt::platform(ctx)?;
        Ok(recommend(platform, self.learner, self.level, first).await?)
    }
}

/// `first` of a recommendation list: `BAD_USER_INPUT` outside 1–20.
pub(crate) fn checked_count(first: i32) -> AppResult<usize> {
    if !(1..=MAX_RECOMMENDATIONS as i32).contains(&first) {
        return Err(agora_platform::AppError::bad_input(
            "first",
            format!("between 1 and {MAX_RECOMMENDATIONS}"),
        ));
    }
    Ok(first as usize)
}

/// One word of a test, with its mistakes.
#[derive(SimpleObject)]
pub(crate) struct WordFeedback {
    /// The word.
    pub word: Word,
    /// Similarity; null when unanswered.
    pub similarity: Option<i32>,
    /// Passed.
    pub passed: bool,
    /// Where it differed.
    pub mistakes: Vec<PhonemeMistake>,
}

/// A sound said as another (or missed) and how often.
#[derive(SimpleObject)]
pub(crate) struct PhonemeConfusion {
    /// The expected sound, ARPAbet.
    pub expected: String,
    /// Its IPA.
    pub expected_ipa: Option<String>,
    /// What was said instead; null when it was left out.
    pub heard: Option<String>,
    /// Its IPA.
    pub heard_ipa: Option<String>,
    /// Times in this test.
    pub count: i32,
}

/// A word to practise next, with why.
#[derive(SimpleObject)]
pub(crate) struct RecommendedWord {
    /// The word.
    pub word: Word,
    /// The model's score (higher first).
    pub score: f64,
    /// Why: `weak-phonemes`, `close-to-the-bar`, `due-for-review`, `new-word`, `mastered`.
    pub reasons: Vec<String>,
}

/// The feedback of finished test `test`.
pub(crate) async fn of_test(
    platform: &Platform,
    test: &mock_test::Model,
) -> AppResult<MockTestFeedback> {
    let db = &platform.db;
    let slots = mock::words(db, test.id).await?;
    let attempts: HashMap<Uuid, attempt::Model> = attempt::Entity::find()
        .filter(attempt::Column::MockTestId.eq(test.id))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.word_id, a))
        .collect();
    let mut confusions: BTreeMap<(String, Option<String>), i32> = BTreeMap::new();
    let mut words = Vec::with_capacity(slots.len());
    for (slot, word) in slots {
        let mistakes: Vec<Mistake> = attempts
            .get(&word.id)
            .and_then(|a| serde_json::from_str(&a.mistakes).ok())
            .unwrap_or_default();
        for m in &mistakes {
            if let Some(expected) = &m.expected {
                *confusions
                    .entry((expected.clone(), m.heard.clone()))
                    .or_default() += 1;
            }
        }
        words.push(WordFeedback {
            word: Word(word),
            similarity: slot.similarity,
            passed: slot.passed.unwrap_or(false),
            mistakes: mistakes.into_iter().map(Into::into).collect(),
        });
    }
    let mut confusions: Vec<PhonemeConfusion> = confusions
        .into_iter()
        .map(|((expected, heard), count)| PhonemeConfusion {
            expected_ipa: lexicon::ipa(&expected).map(str::to_owned),
            heard_ipa: heard.as_deref().and_then(lexicon::ipa).map(str::to_owned),
            expected,
            heard,
            count,
        })
        .collect();
    confusions.sort_by_key(|c| std::cmp::Reverse(c.count));
    Ok(MockTestFeedback {
        words,
        confusions,
        learner: test.user_id,
        level: test.level_id,
    })
}

#[derive(Debug, FromQueryResult)]
struct Totals {
    phoneme: String,
    occurrences: Option<i64>,
    errors: Option<i64>,
}

/// The learner's and everyone's per-sound counts.
async fn profile<C: ConnectionTrait>(db: &C, user: Uuid) -> AppResult<LearnerProfile> {
    let counts = |o: i64, e: i64| PhonemeCounts {
        errors: u64::try_from(e).unwrap_or(0),
        occurrences: u64::try_from(o).unwrap_or(0),
    };
    let learner = phoneme_stat::Entity::find()
        .filter(phoneme_stat::Column::UserId.eq(user))
        .all(db)
        .await?
        .into_iter()
        .map(|s| {
            (
                s.phoneme,
                counts(i64::from(s.occurrences), i64::from(s.errors)),
            )
        })
        .collect();
    let population = phoneme_stat::Entity::find()
        .select_only()
        .column(phoneme_stat::Column::Phoneme)
        .column_as(
            Expr::col(phoneme_stat::Column::Occurrences).sum(),
            "occurrences",
        )
        .column_as(Expr::col(phoneme_stat::Column::Errors).sum(), "errors")
        .group_by(phoneme_stat::Column::Phoneme)
        .into_model::<Totals>()
        .all(db)
        .await?
        .into_iter()
        .map(|t| {
            (
                t.phoneme,
                counts(t.occurrences.unwrap_or(0), t.errors.unwrap_or(0)),
            )
        })
        .collect();
    Ok(LearnerProfile {
        learner,
        population,
    })
}

/// The `n` words of `level` that `user` should practise next, best first.
pub(crate) async fn recommend(
    platform: &Platform,
    user: Uuid,
    level: Uuid,
    n: usize,
) -> AppResult<Vec<RecommendedWord>> {
    let db = &platform.db;
    let words = word::Entity::find()
        .filter(word::Column::LevelId.eq(level))
        .order_by_asc(word::Column::Position)
        .all(db)
        .await?;
    let ids: Vec<Uuid> = words.iter().map(|w| w.id).collect();
    let mut history: HashMap<Uuid, Vec<Attempt>> = HashMap::new();
    for a in attempt::Entity::find()
        .filter(attempt::Column::UserId.eq(user))
        .filter(attempt::Column::WordId.is_in(ids))
        .filter(attempt::Column::MockTestId.is_null())
        .order_by_desc(attempt::Column::CreatedAt)
        .limit(ATTEMPTS_READ)
        .all(db)
        .await?
    {
        history.entry(a.word_id).or_default().push(Attempt {
            similarity: f64::from(a.similarity),
            passed: a.passed,
            at: a.created_at.timestamp(),
        });
    }
    let profile = profile(db, user).await?;
    let phones: Vec<Vec<String>> = words
        .iter()
        .map(|w| lexicon::strip_stress(&w.phonemes))
        .collect();
    let phone_refs: Vec<Vec<&str>> = phones
        .iter()
        .map(|p| p.iter().map(String::as_str).collect())
        .collect();
    let empty = Vec::new();
    let candidates: Vec<Candidate> = words
        .iter()
        .zip(&phone_refs)
        .map(|(w, p)| Candidate {
            phones: p,
            attempts: history.get(&w.id).unwrap_or(&empty),
        })
        .collect();
    let ranked = recommend::rank(&candidates, &profile, platform.clock.now().timestamp(), n);
    Ok(ranked
        .into_iter()
        .filter_map(|r| {
            words.get(r.index).map(|w| RecommendedWord {
                word: Word(w.clone()),
                score: r.score,
                reasons: r.reasons.iter().map(|s| (*s).to_owned()).collect(),
            })
        })
        .collect())
}
