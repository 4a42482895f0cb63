//! What the server asks of literacy: the demo levels, its loaders, the picture cards, and the
//! WordNet import.

use std::path::Path;

use agora_entities::literacy::{level, word};
use agora_platform::{AppError, AppResult, Platform, db::begin_write};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde::Deserialize;
use uuid::Uuid;

pub use crate::media::{
    AUDIO_TYPES, LiteracyRuntime, MediaError, practice_recording, text_audio, word_audio,
};
pub use crate::types::{
    LEVEL_TYPE, Level, LiteracyProgress, MOCK_TEST_TYPE, MockTest, WORD_TYPE, Word,
};
use crate::{lexicon, service::found};

/// Adds literacy's per-request DataLoaders to a request's or connection's `data`.
pub fn insert_loaders(data: &mut async_graphql::Data, platform: &Platform) {
    crate::loaders::insert(data, platform);
}

const LEVELS: &str = include_str!("../../../../fixtures/literacy/dolch.json");

#[derive(Deserialize)]
struct LevelsFixture {
    levels: Vec<LevelFixture>,
}

#[derive(Deserialize)]
struct LevelFixture {
    number: i32,
    title: String,
    words: Vec<String>,
}

fn fixture() -> AppResult<LevelsFixture> {
    serde_json::from_str(LEVELS).map_err(|e| AppError::internal(format!("dolch.json: {e}")))
}

/// Every word of the shipped levels, in order.
pub fn level_words() -> AppResult<Vec<String>> {
    Ok(fixture()?
        .levels
        .into_iter()
        .flat_map(|l| l.words)
        .collect())
}

/// Loads the word levels of `fixtures/literacy/dolch.json` (the 220 Dolch sight words in five
/// graded levels and a sixth of harder words) with each word's pronunciation, syllables,
/// WordNet entry and difficulty. Idempotent: levels and words that exist are left as they
/// are. Returns the words created.
pub async fn seed_levels(platform: &Platform) -> AppResult<usize> {
    let fixture = fixture()?;
    let txn = begin_write(&platform.db).await?;
    let now = platform.clock.now();
    let mut created = 0;
    for fixture in fixture.levels {
        level::Entity::insert(level::ActiveModel {
            id: Set(Uuid::now_v7()),
            number: Set(fixture.number),
            title: Set(fixture.title.clone()),
            created_at: Set(now),
        })
        .on_conflict_do_nothing_on([level::Column::Number])
        .exec(&txn)
        .await?;
        let level = level::Entity::find()
            .filter(level::Column::Number.eq(fixture.number))
            .one(&txn)
            .await?
            .ok_or_else(|| AppError::internal("level vanished"))?;
        let before = word::Entity::find()
            .filter(word::Column::LevelId.eq(level.id))
            .count(&txn)
            .await?;
        let rows: Vec<word::ActiveModel> = fixture
            .words
            .iter()
            .enumerate()
            .map(|(position, text)| new_word(level.id, position, text))
            .collect::<AppResult<_>>()?;
        word::Entity::insert_many(rows)
            .on_conflict_do_nothing_on([word::Column::Text])
            .exec(&txn)
            .await?;
        let after = word::Entity::find()
            .filter(word::Column::LevelId.eq(level.id))
            .count(&txn)
            .await?;
        created += (after - before) as usize;
    }
    txn.commit().await?;
    Ok(created)
}

fn new_word(level: Uuid, position: usize, text: &str) -> AppResult<word::ActiveModel> {
    let analysis = lexicon::analyze(text);
    let synonyms = analysis
        .sense
        .as_ref()
        .map(|s| s.synonyms.clone())
        .unwrap_or_default();
    Ok(word::ActiveModel {
        id: Set(Uuid::now_v7()),
        level_id: Set(level),
        position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
        text: Set(analysis.text.clone()),
        phonemes: Set(analysis.pronounced.phonemes.clone()),
        syllables: Set(analysis.pronounced.syllables.join("-")),
        synonyms: Set(serde_json::to_string(&synonyms)
            .map_err(|e| AppError::internal(format!("synonyms: {e}")))?),
        definition: Set(analysis.sense.map(|s| s.definition)),
        difficulty: Set(analysis.difficulty.score),
    })
}

/// Scores `transcript` as a reading of level word `word` (its similarity, 0–100), as
/// `practiceWord` does before it stores anything: for benchmarks and tools.
pub fn score_transcript(word: &str, transcript: &str) -> AppResult<i32> {
    let answer = crate::service::practice::Answer::from_transcript(transcript, 0)?;
    let pronounced = lexicon::pronounce(word);
    Ok(lexicon::score(word, &pronounced.phonemes, &answer.heard).similarity)
}

/// The SVG picture card of `text` (`/media/picture/{text}.svg`); `BAD_USER_INPUT` unless it
/// is one word of 1–64 letters.
pub fn picture_svg(text: &str) -> AppResult<String> {
    let text = lexicon::check_word(text, "text")?;
    Ok(lexicon::picture(&text))
}

/// `agora literacy import-wordnet`: reads WordNet 3.0 from `dir` (Debian `wordnet-base`:
/// `/usr/share/wordnet`) and returns the JSON fixture of the level words' definitions and
/// synonyms (`fixtures/literacy/wordnet.json`), with the number of words found.
pub fn import_wordnet(dir: &Path) -> AppResult<(String, usize)> {
    let db = crate::wordnet::WordNet::open(dir).map_err(|e| {
        AppError::internal(format!(
            "cannot read WordNet in {} (install the Debian package wordnet-base): {e}",
            dir.display()
        ))
    })?;
    let words = level_words()?;
    let refs: Vec<&str> = words.iter().map(String::as_str).collect();
    let fixture = crate::wordnet::build_fixture(&db, &refs);
    let found = fixture["words"].as_object().map_or(0, |w| w.len());
    let text = serde_json::to_string_pretty(&fixture)
        .map_err(|e| AppError::internal(format!("wordnet fixture: {e}")))?;
    Ok((text + "\n", found))
}

/// Level `id` for `node(id:)`.
pub async fn level_node(platform: &Platform, id: Uuid) -> AppResult<Option<Level>> {
    found(
        crate::service::levels::find(&platform.db, id)
            .await
            .map(Level),
    )
}

/// Word `id` for `node(id:)`.
pub async fn word_node(platform: &Platform, id: Uuid) -> AppResult<Option<Word>> {
    found(
        crate::service::levels::word(&platform.db, id)
            .await
            .map(Word),
    )
}

/// Mock test `id` for `node(id:)`: its learner's only.
pub async fn mock_test_node(
    platform: &Platform,
    learner: Uuid,
    id: Uuid,
) -> AppResult<Option<MockTest>> {
    crate::service::mock::expire_overdue(platform, learner).await?;
    found(
        crate::service::mock::own(&platform.db, learner, id)
            .await
            .map(MockTest),
    )
}

/// `user`'s literacy progress as `literacyProgress` shows it, or `None` when they never
/// practised nor chose a level (the dashboard leaves the section out); a fixed number of
/// statements.
pub async fn progress_if_started<C: sea_orm::ConnectionTrait>(
    db: &C,
    user: Uuid,
) -> AppResult<Option<LiteracyProgress>> {
    let (place, levels) = crate::service::progress::all(db, user).await?;
    Ok(place.is_some().then(|| {
        LiteracyProgress(std::sync::Arc::new(crate::loaders::Standing {
            place,
            levels,
        }))
    }))
}
