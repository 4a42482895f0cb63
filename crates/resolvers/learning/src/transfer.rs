//! Flashcard import and export in Anki-compatible text.
//!
//! - **TSV** is Anki's "Notes in Plain Text": one note a line, front, back and tags separated
//!   by tabs, fields holding a tab, a newline or a quote written in double quotes (quotes
//!   doubled). Tags are space-separated in their column, the third unless Anki's
//!   `#tags column:N` header says otherwise, and checked as a card's tags are (lower-cased,
//!   at most 10); a row without the column has none. Other lines starting with `#` are Anki's
//!   file headers (`#separator:tab`, `#html:false`, ...) and are skipped; any other column
//!   (Anki's deck, note type) is ignored and said so.
//! - **CSV** is the same columns separated by commas; a first row `front,back[,tags]` is a
//!   header.
//!
//! Export writes the three columns (`#tags column:3` in TSV's headers, `front,back,tags` in
//! CSV's first row), so an export imports back with its tags, here or into Anki.
//!
//! Import is all or nothing: every row is checked (sides 1–500 and 1–2,000 characters, no
//! duplicate front within the file or among the topic's cards) and the report names each row's
//! line and outcome; one bad row and nothing is stored. `dryRun` checks and reports without
//! storing. At most [`MAX_ROWS`] rows and [`MAX_BYTES`] bytes per import, and never beyond the
//! deck's 10,000 cards.

use std::collections::{HashMap, HashSet};

use agora_entities::learning::flashcard;
use agora_platform::{AppError, AppResult, Platform, db::begin_write};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::service::{MAX_BACK, MAX_CARDS_PER_USER, MAX_FRONT, new_card, stored_tags, tag_list};

/// Most rows one import takes.
pub(crate) const MAX_ROWS: usize = 2_000;
/// Most bytes one import takes.
pub(crate) const MAX_BYTES: usize = 900_000;

/// A file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// Tab-separated, Anki's plain-text notes.
    Tsv,
    /// Comma-separated.
    Csv,
}

impl Format {
    fn delimiter(self) -> u8 {
        match self {
            Self::Tsv => b'\t',
            Self::Csv => b',',
        }
    }
}

/// One row's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RowReport {
    /// Line in the file (1-based; a quoted field spanning lines counts from its first).
    pub line: u64,
    /// The front side as read (trimmed).
    pub front: String,
    /// Why it was refused; `None` when it is fine.
    pub error: Option<String>,
    /// A remark that does not refuse it (ignored columns).
    pub note: Option<String>,
}

/// An import's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImportReport {
    /// Cards stored (0 on a dry run or when any row was refused).
    pub created: usize,
    /// Whether nothing was meant to be stored.
    pub dry_run: bool,
    /// Every row, in file order.
    pub rows: Vec<RowReport>,
}

fn check_side(text: &str, name: &str, max: usize) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(format!("the {name} is blank"));
    }
    if text.chars().count() > max {
        return Err(format!("the {name} is over {max} characters"));
    }
    Ok(text.to_owned())
}

/// The 0-based column holding tags: Anki's `#tags column:N` header (1-based) among the
/// leading `#` lines, else the third.
fn tags_column(content: &str) -> AppResult<usize> {
    for line in content.lines().take_while(|line| line.starts_with('#')) {
        if let Some(number) = line.strip_prefix("#tags column:") {
            return match number.trim().parse::<usize>() {
                Ok(n) if n >= 3 => Ok(n - 1),
                _ => Err(AppError::bad_input(
                    "input.content",
                    format!(
                        "`#tags column:` names a column from 3 on (1 and 2 are the front and \
                         back), not {:?}",
                        number.trim()
                    ),
                )),
            };
        }
    }
    Ok(2)
}

/// Reads `content` into rows (line, fields), skipping `#` headers and a CSV header.
fn read_rows(format: Format, content: &str) -> AppResult<Vec<(u64, Vec<String>)>> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(format.delimiter())
        .has_headers(false)
        .flexible(true)
        .comment(Some(b'#'))
        .from_reader(content.as_bytes());
    // Lines before a byte offset, counted once through the text as the reader moves on.
    let (mut counted_to, mut newlines) = (0_usize, 0_u64);
    let mut line_at = |byte: u64| {
        let end = usize::try_from(byte).unwrap_or(0).min(content.len());
        if end >= counted_to {
            newlines += content.as_bytes()[counted_to..end]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64;
            counted_to = end;
            1 + newlines
        } else {
            1 + content.as_bytes()[..end]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64
        }
    };
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        let more = reader.read_record(&mut record).map_err(|err| {
            let line = err.position().map_or(0, |p| line_at(p.byte()));
            AppError::bad_input("input.content", format!("line {line}: {err}"))
        })?;
        if !more {
            break;
        }
        // The reader counts neither `#` nor blank lines: the record ends where the reader
        // stands now, and starts as many lines up as its fields hold newlines.
        let end = reader.position().byte().saturating_sub(1);
        let inner = record
            .iter()
            .map(|f| f.matches('\n').count() as u64)
            .sum::<u64>();
        let line = line_at(end).saturating_sub(inner);
        if record.iter().all(|field| field.trim().is_empty()) {
            continue;
        }
        let fields: Vec<String> = record.iter().map(str::to_owned).collect();
        if format == Format::Csv
            && rows.is_empty()
            && fields.len() >= 2
            && fields[0].trim().eq_ignore_ascii_case("front")
            && fields[1].trim().eq_ignore_ascii_case("back")
            && fields
                .get(2)
                .is_none_or(|tags| tags.trim().eq_ignore_ascii_case("tags"))
        {
            continue;
        }
        rows.push((line, fields));
        if rows.len() > MAX_ROWS {
            return Err(AppError::bad_input(
                "input.content",
                format!("at most {MAX_ROWS} rows per import"),
            ));
        }
    }
    Ok(rows)
}

/// Imports `content` into `user`'s deck under `topic`.
pub(crate) async fn import(
    platform: &Platform,
    user: Uuid,
    topic: Uuid,
    format: Format,
    content: &str,
    dry_run: bool,
) -> AppResult<ImportReport> {
    if content.len() > MAX_BYTES {
        return Err(AppError::bad_input(
            "input.content",
            format!("at most {MAX_BYTES} bytes per import"),
        ));
    }
    check_topic(platform, topic).await?;
    let tags_at = tags_column(content)?;
    let rows = read_rows(format, content)?;
    if rows.is_empty() {
        return Err(AppError::bad_input("input.content", "no cards in the file"));
    }
    let mut fronts = fronts_in(platform, user, topic).await?;
    let mut report = Vec::with_capacity(rows.len());
    let mut cards = Vec::with_capacity(rows.len());
    for (line, fields) in rows {
        let front_raw = fields.first().map(String::as_str).unwrap_or_default();
        let mut row = RowReport {
            line,
            front: front_raw.trim().to_owned(),
            error: None,
            note: {
                let ignored = fields.len().saturating_sub(2) - usize::from(fields.len() > tags_at);
                (ignored > 0).then(|| {
                    format!(
                        "{ignored} column(s) besides the front, back and tags ignored (decks \
                         and note types are not imported)"
                    )
                })
            },
        };
        let checked = (|| {
            if fields.len() < 2 {
                return Err("a row needs a front and a back".to_owned());
            }
            let (front, back) = fronts.check(&fields[0], &fields[1], line, "line")?;
            let tags = stored_tags(
                fields
                    .get(tags_at)
                    .map(String::as_str)
                    .unwrap_or_default()
                    .split_whitespace(),
            )?;
            Ok((front, back, tags))
        })();
        match checked {
            Ok(sides) => cards.push(sides),
            Err(message) => row.error = Some(message),
        }
        report.push(row);
    }
    let report = match to_store(report, dry_run) {
        Ok(report) => report,
        Err(answer) => return Ok(answer),
    };
    let txn = begin_write(&platform.db).await?;
    check_room(&txn, user, cards.len()).await?;
    let now = platform.clock.now();
    let models: Vec<flashcard::ActiveModel> = cards
        .iter()
        .map(|(front, back, tags)| {
            let mut card = new_card(
                user,
                Some(topic),
                (front.clone(), back.clone()),
                flashcard::Difficulty::Normal,
                now,
            );
            card.tags.clone_from(tags);
            card.into_active_model()
        })
        .collect();
    for chunk in models.chunks(500) {
        flashcard::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    tracing::info!(%user, cards = cards.len(), "flashcards imported");
    Ok(ImportReport {
        created: cards.len(),
        dry_run,
        rows: report,
    })
}

/// Refuses an import into a topic that does not exist.
pub(crate) async fn check_topic(platform: &Platform, topic: Uuid) -> AppResult<()> {
    agora_knowledge::api::topics::find(&platform.db, topic)
        .await
        .map(|_| ())
        .map_err(|err| match err {
            AppError::NotFound(_) => AppError::bad_input("input.topicId", "no such topic"),
            other => other,
        })
}

/// An import's answer without storing anything, when a row was refused or it is a dry run;
/// else the report, to store.
pub(crate) fn to_store(
    rows: Vec<RowReport>,
    dry_run: bool,
) -> Result<Vec<RowReport>, ImportReport> {
    if dry_run || rows.iter().any(|row| row.error.is_some()) {
        Err(ImportReport {
            created: 0,
            dry_run,
            rows,
        })
    } else {
        Ok(rows)
    }
}

/// The fronts an import must not repeat: those in the topic, and those it has read so far.
pub(crate) struct Fronts {
    existing: HashSet<String>,
    seen: HashMap<String, u64>,
}

impl Fronts {
    /// Both sides checked, and the front new to the topic and to the import (`unit` names
    /// `place` in a refusal: "line", "note").
    pub(crate) fn check(
        &mut self,
        front: &str,
        back: &str,
        place: u64,
        unit: &str,
    ) -> Result<(String, String), String> {
        let front = check_side(front, "front", MAX_FRONT)?;
        let back = check_side(back, "back", MAX_BACK)?;
        let key = front.to_lowercase();
        if self.existing.contains(&key) {
            return Err("a card with this front is in the topic already".to_owned());
        }
        if let Some(first) = self.seen.get(&key) {
            return Err(format!("the same front as {unit} {first}"));
        }
        self.seen.insert(key, place);
        Ok((front, back))
    }
}

/// The fronts (lower-cased) of `user`'s cards in `topic`: an import's duplicates.
pub(crate) async fn fronts_in(platform: &Platform, user: Uuid, topic: Uuid) -> AppResult<Fronts> {
    let existing = flashcard::Entity::find()
        .select_only()
        .column(flashcard::Column::Front)
        .filter(flashcard::Column::OwnerId.eq(user))
        .filter(flashcard::Column::TopicId.eq(topic))
        .into_tuple::<String>()
        .all(&platform.db)
        .await?
        .into_iter()
        .map(|front| front.to_lowercase())
        .collect();
    Ok(Fronts {
        existing,
        seen: HashMap::new(),
    })
}

/// Refuses `adding` cards that would take `user` past the deck's limit (inside the import's
/// transaction).
pub(crate) async fn check_room<C: ConnectionTrait>(
    txn: &C,
    user: Uuid,
    adding: usize,
) -> AppResult<()> {
    let held = flashcard::Entity::find()
        .filter(flashcard::Column::OwnerId.eq(user))
        .count(txn)
        .await?;
    if held + adding as u64 > MAX_CARDS_PER_USER {
        return Err(AppError::Conflict(format!(
            "you hold {held} flashcards; {adding} more would pass the {MAX_CARDS_PER_USER} one \
             learner may hold"
        )));
    }
    Ok(())
}

/// `user`'s cards (of `topic`, if given) in `format`, oldest first, with their tags; TSV
/// starts with Anki's headers.
pub(crate) async fn export(
    platform: &Platform,
    user: Uuid,
    topic: Option<Uuid>,
    format: Format,
) -> AppResult<String> {
    let mut select = flashcard::Entity::find()
        .select_only()
        .columns([
            flashcard::Column::Front,
            flashcard::Column::Back,
            flashcard::Column::Tags,
        ])
        .filter(flashcard::Column::OwnerId.eq(user));
    if let Some(topic) = topic {
        select = select.filter(flashcard::Column::TopicId.eq(topic));
    }
    let cards: Vec<(String, String, String)> = select
        .order_by_asc(flashcard::Column::CreatedAt)
        .order_by_asc(flashcard::Column::Id)
        .into_tuple()
        .all(&platform.db)
        .await?;
    let mut writer = csv::WriterBuilder::new()
        .delimiter(format.delimiter())
        .from_writer(Vec::new());
    if format == Format::Csv {
        writer
            .write_record(["front", "back", "tags"])
            .map_err(AppError::internal)?;
    }
    for (front, back, tags) in &cards {
        writer
            .write_record([front, back, &tag_list(tags).join(" ")])
            .map_err(AppError::internal)?;
    }
    let body = String::from_utf8(writer.into_inner().map_err(AppError::internal)?)
        .map_err(AppError::internal)?;
    Ok(match format {
        Format::Tsv => format!("#separator:tab\n#html:false\n#tags column:3\n{body}"),
        Format::Csv => body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anki_headers_are_skipped_and_quoted_fields_keep_their_tabs_and_lines() {
        let text =
            "#separator:tab\n#html:false\nWhat is 2+2?\t4\n\"A\ttab\"\t\"two\nlines\"\tmytag\n";
        let rows = read_rows(Format::Tsv, text).expect("rows");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].1, ["What is 2+2?", "4"]);
        assert_eq!(rows[1].1, ["A\ttab", "two\nlines", "mytag"]);
        assert_eq!((rows[0].0, rows[1].0), (3, 4));
    }

    #[test]
    fn the_tags_column_is_the_third_unless_a_header_names_another() {
        assert_eq!(tags_column("a\tb\tc\n").expect("default"), 2);
        assert_eq!(
            tags_column("#separator:tab\n#tags column:5\na\tb\n").expect("header"),
            4
        );
        assert!(tags_column("#tags column:1\n").is_err());
        assert!(tags_column("#tags column:x\n").is_err());
        // A header after the first note is not a header.
        assert_eq!(tags_column("a\tb\n#tags column:4\n").expect("late"), 2);
    }

    #[test]
    fn a_csv_header_row_is_skipped() {
        let rows = read_rows(Format::Csv, "front,back\n\"a, b\",c\n").expect("rows");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].1, ["a, b", "c"]);
    }
}
