//! What the server and other domains may ask of the contributor workflow: loaders and seeding.

use agora_entities::community::submission;
use agora_knowledge::api::{QuestionDraft, QuestionFixture, topics};
use agora_platform::{AppError, AppResult, Platform};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde::Deserialize;
use uuid::Uuid;

pub use crate::loaders::insert_loaders;
use crate::service::submissions;

/// A submission of `fixtures/community/submissions.json`: a question fixture and its author.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubmissionFixture {
    /// The author's e-mail (a demo user).
    pub author: String,
    /// The question.
    pub question: QuestionFixture,
}

/// Submits the demo submissions through the real quality gate, for authors who have none yet
/// (idempotent). `author_of` maps a fixture's e-mail to its user. Returns how many were made.
pub async fn seed(
    platform: &Platform,
    rows: &[SubmissionFixture],
    author_of: impl Fn(&str) -> Option<Uuid>,
) -> AppResult<usize> {
    let mut created = 0;
    for (index, row) in rows.iter().enumerate() {
        let at = format!("submissions[{index}]");
        let author = author_of(&row.author)
            .ok_or_else(|| AppError::bad_input(&at, format!("unknown author {}", row.author)))?;
        let already = submission::Entity::find()
            .filter(submission::Column::AuthorId.eq(author))
            .filter(submission::Column::Prompt.eq(row.question.prompt.trim()))
            .count(&platform.db)
            .await?;
        if already > 0 {
            continue;
        }
        let topic = topics::by_slug(platform, &row.question.topic)
            .await?
            .ok_or_else(|| AppError::bad_input(&at, "unknown topic"))?;
        let q = &row.question;
        let draft = QuestionDraft {
            prompt: q.prompt.clone(),
            choices: q
                .choices
                .iter()
                .map(|c| (c.text.clone(), c.is_correct))
                .collect(),
            explanation: q.explanation.clone(),
            difficulty: q.difficulty,
            tags: q.tags.clone(),
        };
        submissions::submit(platform, author, topic.id, draft).await?;
        created += 1;
    }
    Ok(created)
}

pub use crate::types::{SUBMISSION_TYPE, Submission};

/// Submission `id` for `node(id:)`: its author's and reviewers' only.
pub async fn submission_node(
    platform: &Platform,
    viewer: &agora_platform::auth::Viewer,
    id: Uuid,
) -> AppResult<Option<Submission>> {
    Ok(submissions::find_visible(platform, viewer, id)
        .await?
        .map(Submission))
}
