//! Anki packages (`.apkg`): notes, cards and their review log into a learner's deck.
//!
//! A package is a zip holding the collection, an SQLite database: `collection.anki21b`
//! (zstd-compressed; Anki 2.1.50 and later), else `collection.anki21`, else the legacy
//! `collection.anki2` (newer Anki leaves a placeholder there beside the real one). The same
//! tables are read from each: `col` (the collection's creation, from which review cards' due
//! days count), `notes` (fields separated by `0x1f`, space-separated tags), `cards` and
//! `revlog`. The file is opened read-only from a scratch copy.
//!
//! - **One card per note**, from its first two fields, HTML reduced to text (line breaks kept;
//!   images and `[sound:…]` dropped, and the row's note says so): front and back. A cloze note
//!   (`{{c1::answer::hint}}`) becomes one card whose front blanks every deletion (`[…]`, or
//!   `[hint]`) and whose back is the text with the answers, then its second field (Anki's
//!   "Back Extra") if any. Further fields and a note's other cards (reverse, further
//!   deletions) are not imported.
//! - **Scheduling from the note's first card** (lowest `ord`): a new card stays new; a review
//!   card keeps its interval, ease (`factor / 1000`), lapses and due day; a (re)learning card is
//!   due when Anki had it due. Suspended and buried cards come in as scheduled.
//! - **The review log** of that card: each learning, review and relearning answer (`revlog`
//!   types 0–2, buttons 1–4; manual reschedules, filtered-deck cramming and entries dated after
//!   now are skipped) becomes one of the card's reviews, graded Again 1, Hard 3, Good 4,
//!   Easy 5 (the reverse of [`crate::scheduler::rating`]), so the optimiser and a change of
//!   scheduler read it. Imported reviews count in the topic's accuracy tallies but earn no
//!   points. Under FSRS each card's memory state is replayed from its log.
//! - **Tags**: Anki's, lower-cased; the first 10 that a card may carry are kept and the rest
//!   dropped, which the row's note says.
//! - **All or nothing**, as text imports: each note is a row (its number in the package, in
//!   note order), checked for both sides and for duplicate fronts within the package and in the
//!   topic; one refused and nothing is stored; `dryRun` only reports.
//! - Limits: the upload itself (the multipart cap), the collection at most
//!   [`MAX_COLLECTION_BYTES`] once unpacked, [`MAX_NOTES`] notes and [`MAX_REVIEWS`] reviews,
//!   and never beyond the deck's 10,000 cards. `col`, `notes`, `cards` and `revlog` must be
//!   tables (a view could cost whatever its author wants), and the read has 30 s.

use std::{
    collections::{HashMap, HashSet},
    io::Read,
    path::Path,
};

use agora_entities::learning::{flashcard, flashcard_review, learning_settings::Scheduler};
use agora_platform::{AppError, AppResult, Platform, db::begin_write};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ConnectOptions, Database, DbBackend, EntityTrait, FromQueryResult, IntoActiveModel, Statement,
};
use uuid::Uuid;

use crate::{
    scheduler::{LoggedReview, fractional_days, replay_sm2, sm2_retrievability},
    service::{MAX_TAGS, new_card, stored_tags, tally},
    settings,
    sm2::PASSING_QUALITY,
    transfer::{Fronts, ImportReport, RowReport, check_room, check_topic, fronts_in, to_store},
};

/// Largest collection, unpacked.
pub(crate) const MAX_COLLECTION_BYTES: u64 = 256 << 20;
/// Most notes one package brings.
pub(crate) const MAX_NOTES: usize = 10_000;
/// Most review log entries one package brings.
pub(crate) const MAX_REVIEWS: usize = 200_000;
/// Longest a collection's read may take.
const READ_TIME: std::time::Duration = std::time::Duration::from_secs(30);

fn refused(message: impl Into<String>) -> AppError {
    AppError::bad_input("input.upload", message)
}

/// Copies the package's collection to `into`, unpacked.
fn unpack(package: &[u8], into: &Path) -> AppResult<()> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(package))
        .map_err(|_| refused("the upload is not an Anki package (a zip file)"))?;
    let copy = |reader: &mut dyn Read| -> AppResult<()> {
        let mut out = std::fs::File::create(into).map_err(AppError::internal)?;
        let copied = std::io::copy(&mut reader.take(MAX_COLLECTION_BYTES + 1), &mut out)
            .map_err(|err| refused(format!("the collection could not be unpacked: {err}")))?;
        if copied > MAX_COLLECTION_BYTES {
            return Err(refused(format!(
                "the collection is over {} MiB unpacked",
                MAX_COLLECTION_BYTES >> 20
            )));
        }
        Ok(())
    };
    if let Ok(entry) = archive.by_name("collection.anki21b") {
        let mut decoder = zstd::stream::read::Decoder::new(entry)
            .map_err(|err| refused(format!("the collection could not be unpacked: {err}")))?;
        return copy(&mut decoder);
    }
    for name in ["collection.anki21", "collection.anki2"] {
        if let Ok(mut entry) = archive.by_name(name) {
            return copy(&mut entry);
        }
    }
    Err(refused(
        "the package holds no Anki collection (collection.anki21b, .anki21 or .anki2)",
    ))
}

#[derive(Debug, FromQueryResult)]
struct Count {
    n: i64,
}

#[derive(Debug, FromQueryResult)]
struct AnkiNote {
    id: i64,
    tags: String,
    flds: String,
}

#[derive(Debug, FromQueryResult)]
struct AnkiCard {
    id: i64,
    nid: i64,
    kind: i64,
    due: i64,
    ivl: i64,
    factor: i64,
    reps: i64,
    lapses: i64,
}

#[derive(Debug, Clone, FromQueryResult)]
struct AnkiReview {
    id: i64,
    cid: i64,
    ease: i64,
    ivl: i64,
    last_ivl: i64,
    factor: i64,
}

/// What a collection holds, as this import reads it.
struct Collection {
    created: i64,
    notes: Vec<AnkiNote>,
    /// The first card (lowest `ord`) of each note.
    cards: HashMap<i64, AnkiCard>,
    /// Kept answers by card, oldest first.
    reviews: HashMap<i64, Vec<AnkiReview>>,
}

/// Reads the collection at `path`.
async fn read(path: &Path, now: DateTime<Utc>) -> AppResult<Collection> {
    let mut options = ConnectOptions::new(format!("sqlite://{}?mode=ro", path.display()));
    options.max_connections(1).sqlx_logging(false);
    let not_anki = |err: sea_orm::DbErr| {
        tracing::debug!(%err, "an uploaded Anki collection could not be read");
        refused(
            "the package's collection is not an Anki database this import reads (it needs the \
             col, notes, cards and revlog tables)",
        )
    };
    let db = Database::connect(options).await.map_err(not_anki)?;
    let query = |sql: &str| Statement::from_string(DbBackend::Sqlite, sql.to_owned());
    let outcome = async {
        // Only plain tables are read: a view in an uploaded file could make a read as costly
        // as its author likes, and a table's cost is bounded by the file's size.
        let tables = Count::find_by_statement(query(
            "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' \
             AND name IN ('col', 'notes', 'cards', 'revlog')",
        ))
        .one(&db)
        .await
        .map_err(not_anki)?
        .map_or(0, |row| row.n);
        if tables != 4 {
            return Err(not_anki(sea_orm::DbErr::Custom(format!(
                "{tables} of the 4 tables"
            ))));
        }
        let counts = Count::find_by_statement(query(
            "SELECT (SELECT COUNT(*) FROM notes) AS n UNION ALL SELECT COUNT(*) FROM revlog",
        ))
        .all(&db)
        .await
        .map_err(not_anki)?;
        let (notes, reviews) = match counts.as_slice() {
            [notes, reviews] => (notes.n, reviews.n),
            _ => return Err(refused("the package's collection could not be counted")),
        };
        if notes > MAX_NOTES as i64 {
            return Err(refused(format!(
                "the package holds {notes} notes; at most {MAX_NOTES} per import"
            )));
        }
        if reviews > MAX_REVIEWS as i64 {
            return Err(refused(format!(
                "the package's review log holds {reviews} entries; at most {MAX_REVIEWS} per \
                 import"
            )));
        }
        let created = Count::find_by_statement(query("SELECT crt AS n FROM col LIMIT 1"))
            .one(&db)
            .await
            .map_err(not_anki)?
            .map_or(0, |row| row.n);
        let notes =
            AnkiNote::find_by_statement(query("SELECT id, tags, flds FROM notes ORDER BY id"))
                .all(&db)
                .await
                .map_err(not_anki)?;
        let mut cards: HashMap<i64, AnkiCard> = HashMap::new();
        for card in AnkiCard::find_by_statement(query(
            "SELECT id, nid, type AS kind, due, ivl, factor, reps, lapses FROM cards \
             ORDER BY nid, ord DESC, id DESC",
        ))
        .all(&db)
        .await
        .map_err(not_anki)?
        {
            // Ordered so that each note's first card comes last and stays.
            cards.insert(card.nid, card);
        }
        let firsts: HashSet<i64> = cards.values().map(|card| card.id).collect();
        let now_ms = now.timestamp_millis();
        let mut reviews: HashMap<i64, Vec<AnkiReview>> = HashMap::new();
        for review in AnkiReview::find_by_statement(query(
            "SELECT id, cid, ease, ivl, lastIvl AS last_ivl, factor FROM revlog \
             WHERE type IN (0, 1, 2) AND ease BETWEEN 1 AND 4 ORDER BY cid, id",
        ))
        .all(&db)
        .await
        .map_err(not_anki)?
        {
            if firsts.contains(&review.cid) && review.id <= now_ms {
                reviews.entry(review.cid).or_default().push(review);
            }
        }
        Ok(Collection {
            created,
            notes,
            cards,
            reviews,
        })
    }
    .await;
    let _ = db.close().await;
    outcome
}

/// `text` with every `{{cN::answer::hint}}` blanked (front) and answered (back); `None` when
/// it holds no deletion.
fn cloze(text: &str) -> Option<(String, String)> {
    let (mut front, mut back, mut rest, mut found) = (String::new(), String::new(), text, false);
    while let Some(start) = rest.find("{{c") {
        let after = &rest[start + 3..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let body = digits + 2;
        let end = (digits > 0 && after[digits..].starts_with("::"))
            .then(|| after[body..].find("}}"))
            .flatten();
        let Some(end) = end else {
            front.push_str(&rest[..start + 3]);
            back.push_str(&rest[..start + 3]);
            rest = after;
            continue;
        };
        let (answer, hint) = match after[body..body + end].split_once("::") {
            Some((answer, hint)) => (answer, Some(hint)),
            None => (&after[body..body + end], None),
        };
        front.push_str(&rest[..start]);
        back.push_str(&rest[..start]);
        front.push_str(&format!("[{}]", hint.unwrap_or("…")));
        back.push_str(answer);
        rest = &after[body + end + 2..];
        found = true;
    }
    front.push_str(rest);
    back.push_str(rest);
    found.then_some((front, back))
}

/// A field's HTML as text, without `[sound:…]` references.
fn field_text(html: &str) -> String {
    let mut text = agora_extract::fragment_text(html);
    while let Some(start) = text.find("[sound:") {
        let end = text[start..]
            .find(']')
            .map_or(text.len(), |end| start + end + 1);
        text.replace_range(start..end, "");
    }
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A note's front and back, and whether media was dropped.
fn sides(fields: &str) -> (String, String, bool) {
    let fields: Vec<&str> = fields.split('\u{1f}').collect();
    let first = fields.first().copied().unwrap_or_default();
    let second = fields.get(1).copied().unwrap_or_default();
    let media = fields
        .iter()
        .take(2)
        .any(|f| f.contains("<img") || f.contains("[sound:"));
    match cloze(first) {
        Some((front, back)) => {
            let extra = field_text(second);
            let back = field_text(&back);
            let back = if extra.is_empty() {
                back
            } else {
                format!("{back}\n{extra}")
            };
            (field_text(&front), back, media)
        }
        None => (field_text(first), field_text(second), media),
    }
}

/// Anki's button (1–4) as a 0–5 grade.
fn grade(ease: i64) -> i32 {
    match ease {
        1 => 1,
        2 => 3,
        3 => 4,
        _ => 5,
    }
}

fn at_millis(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// A note ready to store: its card and its reviews.
struct Imported {
    card: flashcard::Model,
    reviews: Vec<flashcard_review::Model>,
    log: Vec<LoggedReview>,
}

/// The card and reviews a note becomes under `user` and `topic`.
fn note_to_card(
    user: Uuid,
    topic: Uuid,
    (front, back, tags): (String, String, String),
    card: Option<&AnkiCard>,
    log: &[AnkiReview],
    created: i64,
    now: DateTime<Utc>,
) -> Imported {
    let mut model = new_card(
        user,
        Some(topic),
        (front, back),
        flashcard::Difficulty::Normal,
        now,
    );
    model.tags = tags;
    let ease_of = |factor: i64| (factor > 0).then(|| (factor as f64 / 1000.0).max(1.3));
    let mut reviews = Vec::with_capacity(log.len());
    let mut logged = Vec::with_capacity(log.len());
    let (mut previous, mut ease) = (None::<DateTime<Utc>>, 2.5);
    for entry in log {
        let at = at_millis(entry.id);
        let quality = grade(entry.ease);
        let interval_before = i32::try_from(entry.last_ivl.max(0)).unwrap_or(i32::MAX);
        let elapsed = previous.map(|last| fractional_days(last, at));
        let after = ease_of(entry.factor).unwrap_or(ease);
        reviews.push(flashcard_review::Model {
            id: Uuid::now_v7(),
            flashcard_id: model.id,
            user_id: user,
            quality,
            reviewed_at: at,
            interval_days: i32::try_from(entry.ivl.max(0)).unwrap_or(i32::MAX),
            ease_factor: after,
            scheduler: Scheduler::Sm2,
            elapsed_days: elapsed,
            interval_before,
            ease_before: Some(ease),
            stability_before: None,
            difficulty_before: None,
            stability_after: None,
            difficulty_after: None,
            retrievability: elapsed.and_then(|days| sm2_retrievability(interval_before, days)),
        });
        logged.push(LoggedReview { quality, at });
        previous = Some(at);
        ease = after;
    }
    if let Some(card) = card.filter(|card| card.kind != 0) {
        let day = |days: i64| at_millis(created.saturating_add(days.saturating_mul(86_400)) * 1000);
        let interval = i32::try_from(card.ivl.max(0)).unwrap_or(i32::MAX);
        model.interval_days = if card.kind == 1 { 0 } else { interval };
        model.ease_factor = ease_of(card.factor).unwrap_or(ease);
        // Review cards are due on a day of the collection; (re)learning ones at a moment,
        // unless they wait a day or more (then a day, too).
        model.next_review_at = if card.kind == 2 || card.due < 1_000_000_000 {
            day(card.due)
        } else {
            DateTime::from_timestamp(card.due, 0).unwrap_or(now)
        };
        model.lapses = i32::try_from(card.lapses.max(0)).unwrap_or(i32::MAX);
        model.review_count = i32::try_from(reviews.len())
            .unwrap_or(i32::MAX)
            .max(i32::try_from(card.reps).unwrap_or(0))
            .max(1);
        model.repetitions = replay_sm2(&logged)
            .last()
            .map_or(i32::from(card.kind == 2), |s| s.repetitions);
        model.last_reviewed_at =
            Some(previous.unwrap_or(model.next_review_at - Duration::days(i64::from(interval))));
    }
    Imported {
        card: model,
        reviews,
        log: logged,
    }
}

/// Imports the Anki package `package` into `user`'s deck under `topic`.
pub(crate) async fn import(
    platform: &Platform,
    user: Uuid,
    topic: Uuid,
    package: Vec<u8>,
    dry_run: bool,
) -> AppResult<ImportReport> {
    check_topic(platform, topic).await?;
    if package.is_empty() {
        return Err(refused("the upload is empty"));
    }
    let scratch = tempfile::NamedTempFile::new().map_err(AppError::internal)?;
    let path = scratch.path().to_owned();
    tokio::task::spawn_blocking(move || unpack(&package, &path))
        .await
        .map_err(AppError::internal)??;
    let now = platform.clock.now();
    let collection = tokio::time::timeout(READ_TIME, read(scratch.path(), now))
        .await
        .map_err(|_| {
            refused(format!(
                "the package's collection took over {} s to read",
                READ_TIME.as_secs()
            ))
        })??;
    drop(scratch);
    if collection.notes.is_empty() {
        return Err(refused("the package holds no notes"));
    }
    let fronts = fronts_in(platform, user, topic).await?;
    // Converting thousands of notes' HTML is CPU work: off the async workers.
    let (report, imported) =
        tokio::task::spawn_blocking(move || convert(user, topic, &collection, fronts, now))
            .await
            .map_err(AppError::internal)?;
    let report = match to_store(report, dry_run) {
        Ok(report) => report,
        Err(answer) => return Ok(answer),
    };
    let settings = settings::of(&platform.db, user).await?;
    let model = (settings.scheduler == Scheduler::Fsrs)
        .then(|| settings.fsrs())
        .transpose()?;
    let txn = begin_write(&platform.db).await?;
    check_room(&txn, user, imported.len()).await?;
    let (mut attempts, mut recalled) = (0_i64, 0_i64);
    let mut cards = Vec::with_capacity(imported.len());
    let mut reviews = Vec::new();
    for mut note in imported {
        if let (Some(model), false) = (&model, note.log.is_empty()) {
            let states = model
                .replay(&note.log)
                .map_err(|err| AppError::internal(format!("FSRS replay: {err}")))?;
            if let Some(state) = states.last() {
                note.card.stability = Some(f64::from(state.stability));
                note.card.fsrs_difficulty = Some(f64::from(state.difficulty));
            }
        }
        attempts += note.reviews.len() as i64;
        recalled += note
            .reviews
            .iter()
            .filter(|review| review.quality >= PASSING_QUALITY)
            .count() as i64;
        cards.push(note.card.into_active_model());
        reviews.extend(
            note.reviews
                .into_iter()
                .map(flashcard_review::ActiveModel::from),
        );
    }
    let created = cards.len();
    for chunk in cards.chunks(500) {
        flashcard::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    for chunk in reviews.chunks(500) {
        flashcard_review::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    if attempts > 0 {
        tally(&txn, user, topic, attempts, recalled).await?;
    }
    txn.commit().await?;
    tracing::info!(%user, cards = created, reviews = attempts, "Anki package imported");
    Ok(ImportReport {
        created,
        dry_run,
        rows: report,
    })
}

/// Each note checked and converted; the report has a row per note.
fn convert(
    user: Uuid,
    topic: Uuid,
    collection: &Collection,
    mut fronts: Fronts,
    now: DateTime<Utc>,
) -> (Vec<RowReport>, Vec<Imported>) {
    let mut report = Vec::with_capacity(collection.notes.len());
    let mut imported = Vec::with_capacity(collection.notes.len());
    for (n, note) in collection.notes.iter().enumerate() {
        let line = n as u64 + 1;
        let (front, back, media) = sides(&note.flds);
        let mut notes = Vec::new();
        if media {
            notes.push("images and sounds are not imported".to_owned());
        }
        let mut kept: Vec<&str> = Vec::new();
        let mut dropped = 0;
        for tag in note.tags.split_whitespace() {
            let mut trial = kept.clone();
            trial.push(tag);
            if kept.len() < MAX_TAGS && stored_tags(trial.iter().copied()).is_ok() {
                kept = trial;
            } else {
                dropped += 1;
            }
        }
        if dropped > 0 {
            notes.push(format!(
                "{dropped} tag(s) dropped (at most {MAX_TAGS}, each 1 to 40 characters)"
            ));
        }
        let mut row = RowReport {
            line,
            front: front.clone(),
            error: None,
            note: (!notes.is_empty()).then(|| notes.join("; ")),
        };
        let checked = (|| {
            let (front, back) = fronts.check(&front, &back, line, "note")?;
            let tags = stored_tags(kept.iter().copied())?;
            Ok((front, back, tags))
        })();
        match checked {
            Ok(sides) => {
                let card = collection.cards.get(&note.id);
                let log = card
                    .and_then(|card| collection.reviews.get(&card.id))
                    .map_or(&[][..], Vec::as_slice);
                imported.push(note_to_card(
                    user,
                    topic,
                    sides,
                    card,
                    log,
                    collection.created,
                    now,
                ));
            }
            Err(message) => row.error = Some(message),
        }
        report.push(row);
    }
    (report, imported)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloze_deletions_blank_the_front_and_fill_the_back() {
        assert_eq!(
            cloze("{{c1::Paris}} is the capital of {{c2::France::country}}."),
            Some((
                "[…] is the capital of [country].".to_owned(),
                "Paris is the capital of France.".to_owned()
            ))
        );
        assert_eq!(cloze("no deletions {{here}}"), None);
        assert_eq!(cloze("{{c1::unclosed"), None);
    }

    #[test]
    fn a_basic_note_keeps_its_first_two_fields_as_text() {
        let (front, back, media) =
            sides("What <b>bends</b> light?\u{1f}A lens<br>[sound:lens.mp3]\u{1f}extra");
        assert_eq!(
            (front.as_str(), back.as_str(), media),
            ("What bends light?", "A lens", true)
        );
        let (front, back, _) = sides("{{c1::Mitochondria}} make ATP\u{1f}<i>cells</i>");
        assert_eq!(
            (front.as_str(), back.as_str()),
            ("[…] make ATP", "Mitochondria make ATP\ncells")
        );
    }

    #[test]
    fn buttons_map_to_grades_that_map_back_to_the_same_buttons() {
        for ease in 1..=4 {
            assert_eq!(
                i64::from(crate::scheduler::rating(grade(ease))),
                ease,
                "button {ease}"
            );
        }
    }
}
