//! Bulk import and export of questions, as JSON or CSV.
//!
//! A row has the shape of `createQuestion`'s input, with the topic named by its path or slug
//! (`geography/world-capitals`) so files move between deployments. Import is all or nothing:
//! every row is checked first, and one bad row imports nothing; the report names each bad row
//! and its field. CSV columns: `topic, prompt, choice1 … choice6, correct` (the 1-based number
//! of the correct choice), `explanation, difficulty, tags` (separated by `;`). CSV cells that a
//! spreadsheet would run as formulas are exported behind a `'` ([`csv_cell`]), which import
//! removes again.

use std::collections::HashMap;

use agora_entities::knowledge::{question_choice, question_tag, tag, topic};
use agora_platform::{AppError, AppResult, Platform, csv_cell, db::begin_write};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    ContentStatus, QuestionSource, questions,
    validation::{QuestionDraft, check_question},
};

/// Most rows one import may carry.
pub(crate) const MAX_ROWS: usize = 1000;
/// Most rows one export returns.
pub(crate) const MAX_EXPORT: u64 = 5000;
const CSV_CHOICES: usize = 6;

/// File format of an import or export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum TransferFormat {
    /// A JSON array of rows.
    Json,
    /// CSV with a header line.
    Csv,
}

/// One question row.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Row {
    /// Topic path or unambiguous slug.
    pub topic: String,
    /// Prompt.
    pub prompt: String,
    /// Choices in order.
    pub choices: Vec<RowChoice>,
    /// Explanation.
    pub explanation: String,
    /// 1–5.
    pub difficulty: i32,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
}

/// One choice of a [`Row`].
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RowChoice {
    /// Text.
    pub text: String,
    /// Whether it is the correct one.
    pub is_correct: bool,
}

/// The outcome for one row.
#[derive(Debug, Clone, PartialEq)]
pub struct RowReport {
    /// 0-based row number (data rows; the CSV header does not count).
    pub index: usize,
    /// The offending field, e.g. `rows[3].choices`; None when the row is fine.
    pub field: Option<String>,
    /// What is wrong; None when the row is fine.
    pub message: Option<String>,
    /// The new question, when imported.
    pub question_id: Option<Uuid>,
}

/// What an import did (or, in a dry run or on any error, would have done).
#[derive(Debug, Clone, PartialEq)]
pub struct ImportReport {
    /// Whether questions were written.
    pub committed: bool,
    /// Rows that passed every check.
    pub valid: usize,
    /// Per-row outcomes, in order.
    pub rows: Vec<RowReport>,
}

fn parse_csv(data: &str) -> AppResult<Vec<Result<Row, (String, String)>>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(data.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| AppError::bad_input("data", format!("CSV header: {e}")))?
        .clone();
    let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let required = ["topic", "prompt", "correct", "explanation", "difficulty"];
    if let Some(missing) = required.iter().find(|name| column(name).is_none()) {
        return Err(AppError::bad_input(
            "data",
            format!("CSV header lacks the column {missing:?}"),
        ));
    }
    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                rows.push(Err((
                    format!("rows[{index}]"),
                    format!("unreadable CSV: {e}"),
                )));
                continue;
            }
        };
        // Cells come back without the quote the export put before formula characters.
        let get = |name: &str| {
            let cell = column(name).and_then(|i| record.get(i)).unwrap_or("");
            csv_cell::unescape(cell).to_owned()
        };
        let texts: Vec<String> = (1..=CSV_CHOICES)
            .map(|n| get(&format!("choice{n}")))
            .filter(|t| !t.is_empty())
            .collect();
        let correct = match get("correct").parse::<usize>() {
            Ok(n) if (1..=texts.len()).contains(&n) => n,
            _ => {
                rows.push(Err((
                    format!("rows[{index}].correct"),
                    "correct must be the number of a given choice (1-based)".into(),
                )));
                continue;
            }
        };
        let difficulty = match get("difficulty").parse::<i32>() {
            Ok(d) => d,
            Err(_) => {
                rows.push(Err((
                    format!("rows[{index}].difficulty"),
                    "difficulty must be a whole number 1 to 5".into(),
                )));
                continue;
            }
        };
        rows.push(Ok(Row {
            topic: get("topic"),
            prompt: get("prompt"),
            choices: texts
                .into_iter()
                .enumerate()
                .map(|(i, text)| RowChoice {
                    text,
                    is_correct: i + 1 == correct,
                })
                .collect(),
            explanation: get("explanation"),
            difficulty,
            tags: get("tags")
                .split(';')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect(),
        }));
    }
    Ok(rows)
}

fn parse(format: TransferFormat, data: &str) -> AppResult<Vec<Result<Row, (String, String)>>> {
    let rows = match format {
        TransferFormat::Json => {
            let values: Vec<serde_json::Value> = serde_json::from_str(data).map_err(|e| {
                AppError::bad_input("data", format!("not a JSON array of rows: {e}"))
            })?;
            values
                .into_iter()
                .enumerate()
                .map(|(index, value)| {
                    serde_json::from_value::<Row>(value)
                        .map_err(|e| (format!("rows[{index}]"), e.to_string()))
                })
                .collect()
        }
        TransferFormat::Csv => parse_csv(data)?,
    };
    if rows.is_empty() {
        return Err(AppError::bad_input("data", "no rows to import"));
    }
    if rows.len() > MAX_ROWS {
        return Err(AppError::bad_input(
            "data",
            format!("at most {MAX_ROWS} rows per import"),
        ));
    }
    Ok(rows)
}

/// Checks every row and, unless `dry_run` or any row is bad, imports them all in one
/// transaction as published questions (source IMPORTED) authored by `author`.
pub async fn import(
    platform: &Platform,
    author: Option<Uuid>,
    format: TransferFormat,
    data: &str,
    dry_run: bool,
) -> AppResult<ImportReport> {
    let parsed = parse(format, data)?;
    let topics = topic::Entity::find().all(&platform.db).await?;
    let by_path: HashMap<&str, Uuid> = topics.iter().map(|t| (t.path.as_str(), t.id)).collect();
    let mut by_slug: HashMap<&str, Vec<Uuid>> = HashMap::new();
    for t in &topics {
        by_slug.entry(t.slug.as_str()).or_default().push(t.id);
    }
    let mut reports = Vec::with_capacity(parsed.len());
    let mut ready = Vec::new();
    for (index, row) in parsed.into_iter().enumerate() {
        let prefix = format!("rows[{index}]");
        let outcome = row.and_then(|row| {
            let wanted = row.topic.trim().to_lowercase();
            let topic_id = by_path.get(wanted.as_str()).copied().or_else(|| {
                match by_slug.get(wanted.as_str()) {
                    Some(ids) if ids.len() == 1 => Some(ids[0]),
                    _ => None,
                }
            });
            let topic_id = topic_id.ok_or_else(|| {
                (
                    format!("{prefix}.topic"),
                    format!("no single topic has the path or slug {:?}", row.topic),
                )
            })?;
            let draft = QuestionDraft {
                prompt: row.prompt,
                choices: row
                    .choices
                    .into_iter()
                    .map(|c| (c.text, c.is_correct))
                    .collect(),
                explanation: row.explanation,
                difficulty: row.difficulty,
                tags: row.tags,
            };
            let checked = check_question(&draft, &prefix).map_err(|e| match &e {
                AppError::BadInput { field, message, .. } => (
                    field.clone().unwrap_or_else(|| prefix.clone()),
                    message.clone(),
                ),
                // Several problems: the first one's field, a message naming them all.
                AppError::Invalid(found) => (
                    found
                        .first()
                        .map_or_else(|| prefix.clone(), |v| v.field.clone()),
                    e.client_message(),
                ),
                _ => (prefix.clone(), e.client_message()),
            })?;
            Ok((topic_id, checked))
        });
        match outcome {
            Ok(question) => {
                ready.push((index, question));
                reports.push(RowReport {
                    index,
                    field: None,
                    message: None,
                    question_id: None,
                });
            }
            Err((field, message)) => reports.push(RowReport {
                index,
                field: Some(field),
                message: Some(message),
                question_id: None,
            }),
        }
    }
    let valid = ready.len();
    if dry_run || valid < reports.len() {
        return Ok(ImportReport {
            committed: false,
            valid,
            rows: reports,
        });
    }
    let now = platform.clock.now();
    let txn = begin_write(&platform.db).await?;
    for (index, (topic_id, checked)) in &ready {
        let question = questions::insert(
            &txn,
            now,
            *topic_id,
            author,
            checked,
            ContentStatus::Published,
            QuestionSource::Imported,
        )
        .await?;
        reports[*index].question_id = Some(question.id);
    }
    txn.commit().await?;
    platform.wake_outbox();
    tracing::info!(rows = valid, "questions imported");
    Ok(ImportReport {
        committed: true,
        valid,
        rows: reports,
    })
}

/// Exports the questions matching `filter` (at most 5,000, newest first) as rows.
pub async fn export(
    platform: &Platform,
    filter: questions::QuestionFilter,
    format: TransferFormat,
) -> AppResult<String> {
    let page = agora_platform::pagination::PageRequest {
        limit: MAX_EXPORT as usize,
        backward: false,
        cursor: None,
    };
    // The same filtered, keyset-ordered query as `questions`, in one large page.
    let found: Vec<_> = questions::list(platform, filter, &page)
        .await?
        .rows
        .into_iter()
        .map(|(_, q)| q)
        .collect();
    let ids: Vec<Uuid> = found.iter().map(|q| q.id).collect();
    let db = &platform.db;
    let topics: HashMap<Uuid, String> = topic::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.path))
        .collect();
    let mut choices: HashMap<Uuid, Vec<question_choice::Model>> = HashMap::new();
    for choice in question_choice::Entity::find()
        .filter(question_choice::Column::QuestionId.is_in(ids.clone()))
        .order_by_asc(question_choice::Column::Position)
        .all(db)
        .await?
    {
        choices.entry(choice.question_id).or_default().push(choice);
    }
    let mut tags: HashMap<Uuid, Vec<String>> = HashMap::new();
    let links: Vec<(Uuid, String)> = question_tag::Entity::find()
        .select_only()
        .column(question_tag::Column::QuestionId)
        .column(tag::Column::Slug)
        .inner_join(tag::Entity)
        .filter(question_tag::Column::QuestionId.is_in(ids))
        .order_by_asc(tag::Column::Slug)
        .into_tuple()
        .all(db)
        .await?;
    for (question_id, slug) in links {
        tags.entry(question_id).or_default().push(slug);
    }
    let rows: Vec<Row> = found
        .into_iter()
        .map(|q| Row {
            topic: topics.get(&q.topic_id).cloned().unwrap_or_default(),
            choices: choices
                .remove(&q.id)
                .unwrap_or_default()
                .into_iter()
                .map(|c| RowChoice {
                    text: c.text,
                    is_correct: c.is_correct,
                })
                .collect(),
            tags: tags.remove(&q.id).unwrap_or_default(),
            prompt: q.prompt,
            explanation: q.explanation,
            difficulty: q.difficulty.into(),
        })
        .collect();
    match format {
        TransferFormat::Json => serde_json::to_string_pretty(&rows).map_err(AppError::internal),
        TransferFormat::Csv => {
            let mut writer = csv::Writer::from_writer(Vec::new());
            let mut header = vec!["topic".to_owned(), "prompt".to_owned()];
            header.extend((1..=CSV_CHOICES).map(|n| format!("choice{n}")));
            header.extend(["correct", "explanation", "difficulty", "tags"].map(str::to_owned));
            writer.write_record(&header).map_err(AppError::internal)?;
            for row in rows {
                let correct = row
                    .choices
                    .iter()
                    .position(|c| c.is_correct)
                    .map_or(0, |i| i + 1);
                let mut record = vec![row.topic, row.prompt];
                record.extend((0..CSV_CHOICES).map(|i| {
                    row.choices
                        .get(i)
                        .map(|c| c.text.clone())
                        .unwrap_or_default()
                }));
                record.extend([
                    correct.to_string(),
                    row.explanation,
                    row.difficulty.to_string(),
                    row.tags.join(";"),
                ]);
                // OWASP CSV injection: a cell a spreadsheet would run as a formula
                // (`=HYPERLINK(...)`) is written with a leading quote; import removes it.
                let record = record
                    .iter()
                    .map(|cell| csv_cell::escape(cell).into_owned());
                writer.write_record(record).map_err(AppError::internal)?;
            }
            let bytes = writer.into_inner().map_err(AppError::internal)?;
            String::from_utf8(bytes).map_err(AppError::internal)
        }
    }
}
