//! What to study now, and how studying has gone.
//!
//! A study session is the due cards first, the least likely to be recalled first (the
//! scheduler's retrievability now: FSRS's forgetting curve for a card with a memory state,
//! SM-2's `0.9^(elapsed / interval)` otherwise), then new cards, oldest first, up to what is
//! left of the day's new-card limit (a new card counts against the day it is first reviewed,
//! in the learner's time zone).
//!
//! Statistics read three statements whatever the deck's size: the learner's time zone, one row
//! per card (topic, due time, reviews) and one row per review of the last 30 days.

use std::collections::BTreeMap;

use agora_entities::learning::{flashcard, flashcard_review};
use agora_platform::{AppError, AppResult, Platform};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use sea_orm::{
    ColumnTrait, DbBackend, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement,
};
use uuid::Uuid;

use crate::{
    scheduler::{fractional_days, recalled, sm2_retrievability},
    service::zone_of,
    settings,
};

/// Cards a session holds when the caller does not say.
pub(crate) const DEFAULT_SESSION: i32 = 50;
/// Most cards one session holds.
pub(crate) const MAX_SESSION: i32 = 500;
/// Days the statistics look back and forecast ahead.
pub(crate) const STATS_DAYS: i64 = 30;

/// One card of a session.
#[derive(Clone)]
pub(crate) struct StudyCard {
    /// The card.
    pub card: flashcard::Model,
    /// The probability of recalling it now (null for a new card).
    pub retrievability: Option<f64>,
}

/// A study session.
pub(crate) struct Session {
    /// Due cards (least retrievable first), then new ones.
    pub cards: Vec<StudyCard>,
    /// Reviewed cards due now, in all (the session may hold fewer).
    pub due_count: u64,
    /// New cards in this session.
    pub new_count: u64,
    /// New cards the day's limit still allows, before this session.
    pub new_remaining_today: u64,
}

/// The start of the local day holding `at`, in UTC.
fn local_midnight(zone: chrono_tz::Tz, at: DateTime<Utc>) -> DateTime<Utc> {
    let date = at.with_timezone(&zone).date_naive();
    start_of(zone, date)
}

fn start_of(zone: chrono_tz::Tz, date: NaiveDate) -> DateTime<Utc> {
    zone.from_local_datetime(&date.and_time(NaiveTime::MIN))
        .earliest()
        .map_or_else(|| date.and_time(NaiveTime::MIN).and_utc(), |t| t.to_utc())
}

/// A due card as the ranking returns it, with the count of all due cards.
#[derive(FromQueryResult)]
struct DueRow {
    id: Uuid,
    stability: Option<f64>,
    fsrs_difficulty: Option<f64>,
    interval_days: i32,
    last_reviewed_at: Option<DateTime<Utc>>,
    next_review_at: DateTime<Utc>,
    /// Due cards in all (the same on every row).
    due: i64,
}

/// One statement that ranks `user`'s due cards (of `topic`) in the database and returns the
/// first `limit` of each kind, each row with the count of all due cards: cards with an FSRS memory state by days elapsed over stability,
/// the others by days elapsed over SM-2's interval (an interval of 0 first), most elapsed
/// first. Each scheduler's retrievability falls as its ratio grows (FSRS:
/// `(1 + f·t/S)^-d`; SM-2: `0.9^(t/I)`), so the `limit` least retrievable cards overall are
/// among the rows returned, and only those are scored exactly; the two kinds' ratios are not
/// comparable, hence one ranking per kind. A learner with thousands of overdue cards costs
/// one index range and two top-N sorts in the database and `2 × limit` rows here.
fn due_ranking(
    backend: DbBackend,
    user: Uuid,
    topic: Option<Uuid>,
    now: DateTime<Utc>,
    limit: usize,
) -> Statement {
    // `date_part` answers a double; `EXTRACT` a numeric, slower to divide.
    let elapsed = match backend {
        DbBackend::Postgres => {
            "GREATEST(COALESCE(date_part('epoch', $2 - last_reviewed_at) / 86400.0, 0), 0)"
        }
        _ => "MAX(COALESCE(julianday($2) - julianday(last_reviewed_at), 0), 0)",
    };
    let fsrs = "stability IS NOT NULL AND fsrs_difficulty IS NOT NULL";
    let topic_filter = if topic.is_some() {
        " AND topic_id = $4"
    } else {
        ""
    };
    // The due cards are read once (materialised), then two top-N sorts, cheaper than ranking
    // every row with a window, and a count of them.
    let ranked = |alias: &str, kind: &str, key: &str| {
        format!(
            "SELECT *, (SELECT COUNT(*) FROM due_cards) AS due \
               FROM (SELECT * FROM due_cards WHERE {kind} \
                      ORDER BY {key} DESC, next_review_at, id LIMIT $3) AS {alias}"
        )
    };
    let sql = format!(
        "WITH due_cards AS MATERIALIZED ( \
           SELECT id, stability, fsrs_difficulty, interval_days, last_reviewed_at, \
                  next_review_at \
             FROM flashcards \
            WHERE owner_id = $1 AND review_count > 0 AND next_review_at <= $2{topic_filter}) \
         {} UNION ALL {}",
        ranked(
            "by_stability",
            fsrs,
            &format!("COALESCE({elapsed} / NULLIF(stability, 0), 1e300)")
        ),
        ranked(
            "by_interval",
            &format!("NOT ({fsrs})"),
            &format!("CASE WHEN interval_days <= 0 THEN 1e300 ELSE {elapsed} / interval_days END")
        ),
    );
    let mut values: Vec<sea_orm::Value> = vec![user.into(), now.into(), (limit as i64).into()];
    if let Some(topic) = topic {
        values.push(topic.into());
    }
    Statement::from_sql_and_values(backend, sql, values)
}

/// `user`'s study session of at most `limit` cards, of one topic with `topic`.
pub(crate) async fn study_session(
    platform: &Platform,
    user: Uuid,
    topic: Option<Uuid>,
    limit: Option<i32>,
) -> AppResult<Session> {
    let limit = limit.unwrap_or(DEFAULT_SESSION);
    if !(1..=MAX_SESSION).contains(&limit) {
        return Err(AppError::bad_input(
            "limit",
            format!("`limit` is 1 to {MAX_SESSION}"),
        ));
    }
    let limit = limit as usize;
    let db = &platform.db;
    let now = platform.clock.now();
    let settings = settings::of(db, user).await?;
    let zone = zone_of(db, user).await?;
    // The database ranks the due cards and returns the first `limit` of each kind with the
    // count of all of them; only those are scored exactly here (see `due_ranking`).
    let due = DueRow::find_by_statement(due_ranking(
        db.get_database_backend(),
        user,
        topic,
        now,
        limit,
    ))
    .all(db)
    .await?;
    let due_count = due
        .first()
        .map_or(0, |row| u64::try_from(row.due).unwrap_or(0));
    let model = settings.fsrs()?;
    let mut ranked: Vec<(Option<f64>, DateTime<Utc>, Uuid)> = due
        .into_iter()
        .map(|row| {
            let elapsed = row
                .last_reviewed_at
                .map_or(0.0, |last| fractional_days(last, now));
            let retrievability = match (row.stability, row.fsrs_difficulty) {
                (Some(stability), Some(difficulty)) => Some(model.retrievability(
                    fsrs::MemoryState {
                        stability: stability as f32,
                        difficulty: difficulty as f32,
                    },
                    elapsed,
                )),
                _ => sm2_retrievability(row.interval_days, elapsed),
            };
            (retrievability, row.next_review_at, row.id)
        })
        .collect();
    ranked.sort_by(|a, b| {
        a.0.unwrap_or(0.0)
            .total_cmp(&b.0.unwrap_or(0.0))
            .then(a.1.cmp(&b.1))
            .then(a.2.cmp(&b.2))
    });
    ranked.truncate(limit);
    let mut rows: std::collections::HashMap<Uuid, flashcard::Model> = flashcard::Entity::find()
        .filter(flashcard::Column::Id.is_in(ranked.iter().map(|r| r.2)))
        .all(db)
        .await?
        .into_iter()
        .map(|card| (card.id, card))
        .collect();
    let mut cards: Vec<StudyCard> = ranked
        .into_iter()
        .filter_map(|(retrievability, _, id)| {
            rows.remove(&id).map(|card| StudyCard {
                card,
                retrievability,
            })
        })
        .collect();
    // First reviews (no previous review, written since the FSRS migration) since local midnight.
    let introduced = flashcard_review::Entity::find()
        .filter(flashcard_review::Column::UserId.eq(user))
        .filter(flashcard_review::Column::ReviewedAt.gte(local_midnight(zone, now)))
        .filter(flashcard_review::Column::ElapsedDays.is_null())
        .filter(flashcard_review::Column::EaseBefore.is_not_null())
        .count(db)
        .await?;
    let new_remaining_today = u64::try_from(settings.new_cards_per_day)
        .unwrap_or(0)
        .saturating_sub(introduced);
    let room = (limit - cards.len()).min(usize::try_from(new_remaining_today).unwrap_or(0));
    // Read even when there is no room, so a session costs the same statements whatever the
    // deck holds (the dashboard's statement-count test relies on it).
    let mut fresh = flashcard::Entity::find()
        .filter(flashcard::Column::OwnerId.eq(user))
        .filter(flashcard::Column::ReviewCount.eq(0));
    if let Some(topic) = topic {
        fresh = fresh.filter(flashcard::Column::TopicId.eq(topic));
    }
    let fresh = fresh
        .order_by_asc(flashcard::Column::CreatedAt)
        .order_by_asc(flashcard::Column::Id)
        .limit(room as u64)
        .all(db)
        .await?;
    let new_count = fresh.len() as u64;
    cards.extend(fresh.into_iter().map(|card| StudyCard {
        card,
        retrievability: None,
    }));
    Ok(Session {
        cards,
        due_count,
        new_count,
        new_remaining_today,
    })
}

/// Reviews on one local day.
pub(crate) struct ReviewDay {
    /// The day.
    pub date: NaiveDate,
    /// Reviews.
    pub reviews: u64,
    /// Of which recalled (graded 3 or more).
    pub recalled: u64,
}

/// Cards falling due on one local day.
pub(crate) struct DueDay {
    /// The day.
    pub date: NaiveDate,
    /// Cards due that day (today's figure includes every overdue card).
    pub due: u64,
}

/// Card counts of one topic.
#[derive(Default, Clone)]
pub(crate) struct TopicCounts {
    /// Cards.
    pub cards: u64,
    /// Due now (new cards included: they are due at once).
    pub due: u64,
    /// Never reviewed.
    pub new: u64,
}

/// A learner's statistics.
pub(crate) struct Stats {
    /// Cards.
    pub total: u64,
    /// Never reviewed.
    pub new: u64,
    /// Due now, new cards included.
    pub due_now: u64,
    /// Recalled share of the last 30 days' reviews of cards past their first review (Anki's
    /// "true retention"); null without such reviews.
    pub true_retention: Option<f64>,
    /// Each of the last 30 local days, oldest first (today last).
    pub per_day: Vec<ReviewDay>,
    /// Each of the next 30 local days from today.
    pub forecast: Vec<DueDay>,
    /// Per topic (`None`: cards whose topic was deleted).
    pub topics: Vec<(Option<Uuid>, TopicCounts)>,
}

/// `user`'s statistics, in three statements.
pub(crate) async fn stats(platform: &Platform, user: Uuid) -> AppResult<Stats> {
    let db = &platform.db;
    let now = platform.clock.now();
    let zone = zone_of(db, user).await?;
    let today = now.with_timezone(&zone).date_naive();
    let cards: Vec<(Option<Uuid>, DateTime<Utc>, i32)> = flashcard::Entity::find()
        .select_only()
        .columns([
            flashcard::Column::TopicId,
            flashcard::Column::NextReviewAt,
            flashcard::Column::ReviewCount,
        ])
        .filter(flashcard::Column::OwnerId.eq(user))
        .into_tuple()
        .all(db)
        .await?;
    let first_day = today - Duration::days(STATS_DAYS - 1);
    let reviews: Vec<(DateTime<Utc>, i32, i32)> = flashcard_review::Entity::find()
        .select_only()
        .columns([
            flashcard_review::Column::ReviewedAt,
            flashcard_review::Column::Quality,
            flashcard_review::Column::IntervalBefore,
        ])
        .filter(flashcard_review::Column::UserId.eq(user))
        .filter(flashcard_review::Column::ReviewedAt.gte(start_of(zone, first_day)))
        .into_tuple()
        .all(db)
        .await?;

    let mut topics: BTreeMap<Option<Uuid>, TopicCounts> = BTreeMap::new();
    let mut forecast = vec![0u64; STATS_DAYS as usize];
    let (mut new, mut due_now) = (0, 0);
    for (topic, next_review_at, review_count) in &cards {
        let counts = topics.entry(*topic).or_default();
        counts.cards += 1;
        let is_due = *next_review_at <= now;
        if is_due {
            counts.due += 1;
            due_now += 1;
        }
        if *review_count == 0 {
            counts.new += 1;
            new += 1;
        }
        let day = (next_review_at.with_timezone(&zone).date_naive() - today)
            .num_days()
            .max(0);
        if let Some(slot) = usize::try_from(day).ok().and_then(|d| forecast.get_mut(d)) {
            *slot += 1;
        }
    }
    let mut per_day = vec![(0u64, 0u64); STATS_DAYS as usize];
    let (mut mature, mut mature_recalled) = (0u64, 0u64);
    for (at, quality, interval_before) in &reviews {
        let day = (at.with_timezone(&zone).date_naive() - first_day).num_days();
        if let Some(slot) = usize::try_from(day).ok().and_then(|d| per_day.get_mut(d)) {
            slot.0 += 1;
            slot.1 += u64::from(recalled(*quality));
        }
        if *interval_before > 0 {
            mature += 1;
            mature_recalled += u64::from(recalled(*quality));
        }
    }
    Ok(Stats {
        total: cards.len() as u64,
        new,
        due_now,
        true_retention: (mature > 0).then(|| mature_recalled as f64 / mature as f64),
        per_day: per_day
            .into_iter()
            .enumerate()
            .map(|(i, (reviews, recalled))| ReviewDay {
                date: first_day + Duration::days(i as i64),
                reviews,
                recalled,
            })
            .collect(),
        forecast: forecast
            .into_iter()
            .enumerate()
            .map(|(i, due)| DueDay {
                date: today + Duration::days(i as i64),
                due,
            })
            .collect(),
        topics: topics.into_iter().collect(),
    })
}
