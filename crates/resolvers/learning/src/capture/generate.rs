//! Cards from text: by a model when one is configured, else (or when it fails) by TextRank.

use agora_llm::{JsonSchema, LlmClient, Message};
use serde::Deserialize;

use super::CARDS;
use crate::service::{MAX_BACK, MAX_FRONT};

/// Most characters of the text sent to a model.
const PROMPT_TEXT: usize = 12_000;

/// What a model answers.
#[derive(Debug, Deserialize)]
struct Generated {
    title: String,
    cards: Vec<GeneratedCard>,
}

#[derive(Debug, Deserialize)]
struct GeneratedCard {
    front: String,
    back: String,
}

fn schema() -> serde_json::Value {
    serde_json::json!({
        "type": "object",
        "properties": {
            "title": { "type": "string", "description": "A short title for the material" },
            "cards": {
                "type": "array",
                "minItems": 1,
                "maxItems": CARDS,
                "items": {
                    "type": "object",
                    "properties": {
                        "front": { "type": "string" },
                        "back": { "type": "string" }
                    },
                    "required": ["front", "back"],
                    "additionalProperties": false
                }
            }
        },
        "required": ["title", "cards"],
        "additionalProperties": false
    })
}

/// The processor's name, the cards' sides and a title if the model gave one.
pub(super) async fn cards(
    llm: Option<&LlmClient>,
    text: &str,
) -> (&'static str, Vec<(String, String)>, Option<String>) {
    if let Some(llm) = llm {
        match by_model(llm, text).await {
            Ok((cards, title)) if !cards.is_empty() => return ("LLM", cards, title),
            Ok(_) => tracing::warn!("the model made no usable card; using TextRank"),
            Err(err) => tracing::warn!(error = %err, "the model failed; using TextRank"),
        }
    }
    // Ranking compares every pair of sentences: CPU work, off the async workers.
    let owned = text.to_owned();
    let drafts = tokio::task::spawn_blocking(move || agora_extract::cards_from_text(&owned, CARDS))
        .await
        .unwrap_or_default();
    let cards = drafts
        .into_iter()
        .map(|c| (c.front, c.back))
        .filter(|(front, back)| usable(front, back))
        .collect();
    ("TEXTRANK", cards, None)
}

async fn by_model(
    llm: &LlmClient,
    text: &str,
) -> Result<(Vec<(String, String)>, Option<String>), agora_llm::LlmError> {
    let excerpt: String = text.chars().take(PROMPT_TEXT).collect();
    let messages = [
        Message::system(format!(
            "You write flashcards for spaced repetition from study material. Write 3 to {CARDS} \
             cards about the most important facts in the material: each a question on the front \
             and its short answer on the back, or a sentence with one key term replaced by _____ \
             on the front and that term on the back. Use only facts stated in the material. \
             Fronts at most {MAX_FRONT} characters, backs at most 200. Also give the material a \
             title of at most 8 words."
        )),
        Message::user(excerpt),
    ];
    let schema = schema();
    let completion = llm
        .complete_json::<Generated>(
            &messages,
            JsonSchema {
                name: "flashcards",
                schema: &schema,
            },
        )
        .await?;
    let mut seen = std::collections::HashSet::new();
    let cards = completion
        .value
        .cards
        .into_iter()
        .map(|c| (c.front.trim().to_owned(), c.back.trim().to_owned()))
        .filter(|(front, back)| usable(front, back))
        .filter(|(front, _)| seen.insert(front.to_lowercase()))
        .take(CARDS)
        .collect();
    let title = Some(completion.value.title.trim().to_owned()).filter(|t| !t.is_empty());
    Ok((cards, title))
}

fn usable(front: &str, back: &str) -> bool {
    !front.trim().is_empty()
        && !back.trim().is_empty()
        && front.chars().count() <= MAX_FRONT
        && back.chars().count() <= MAX_BACK
        && front != back
}
