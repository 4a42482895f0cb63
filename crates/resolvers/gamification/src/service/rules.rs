//! Which outbox events earn points, and who earns them. The amounts are data (`point_rules`,
//! seeded by the migration, editable without a deploy, keyed by the event's stored name); this
//! module only reads each event's payload (typed in `agora_events`) to find the users, the
//! battle score and topic, and the counters it advances.

use std::{collections::HashMap, sync::Arc, time::Instant};

use agora_entities::{
    gamification::{achievement, point_rule},
    platform::outbox_event,
};
use agora_events::{
    BattleFinished, EventKind, FlashcardReviewed, MockTestPassed, PracticeStreakExtended,
    QuestionPublished, TopicCompleted, UserSignedIn, UserUpdated, WordMastered,
};
use agora_platform::{AppError, AppResult, outbox::payload};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, EntityTrait};
use tokio::sync::Mutex;
use uuid::Uuid;

use super::metric;

/// The rule name for the first sign-in of a local day.
pub(crate) const DAILY_LOGIN: &str = "DAILY_LOGIN";

/// Outbox events gamification reads.
pub(crate) const CONSUMED: &[EventKind] = &[
    EventKind::BattleFinished,
    EventKind::FlashcardReviewed,
    EventKind::TopicCompleted,
    EventKind::QuestionPublished,
    EventKind::WordMastered,
    EventKind::MockTestPassed,
    EventKind::PracticeStreakExtended,
    EventKind::UserSignedIn,
    EventKind::UserUpdated,
];

/// One user's share of one event, before pricing.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Activity {
    /// Who.
    pub user_id: Uuid,
    /// The rule that prices it.
    pub rule: &'static str,
    /// The outbox event.
    pub event_id: Uuid,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// Battle points, for score-based rules.
    pub score: i64,
    /// Won a battle against someone.
    pub won: bool,
    /// The battle's topic.
    pub topic_id: Option<Uuid>,
    /// Counters it advances by one.
    pub metrics: Vec<&'static str>,
    /// Priced once per local day rather than once per event.
    pub once_per_day: bool,
}

/// What an event means for gamification.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Effect {
    /// Points and counters for these users.
    Activities(Vec<Activity>),
    /// The user's profile changed: refresh the copied time zone.
    ProfileChanged(Uuid),
}

/// What `event` means; `INTERNAL` for a payload that does not parse (the outbox retries and
/// then parks it for an operator).
pub(crate) fn effect_of(event: &outbox_event::Model) -> AppResult<Effect> {
    let single =
        |rule: EventKind, user_id: Uuid, topic_id: Option<Uuid>, counter: &'static str| -> Effect {
            Effect::Activities(vec![Activity {
                user_id,
                rule: rule.as_str(),
                event_id: event.id,
                occurred_at: event.created_at,
                score: 0,
                won: false,
                topic_id,
                metrics: vec![counter],
                once_per_day: false,
            }])
        };
    let Some(kind) = EventKind::parse(&event.event_type) else {
        return Err(AppError::internal(format!(
            "gamification cannot read {}",
            event.event_type
        )));
    };
    match kind {
        EventKind::BattleFinished => {
            let body: BattleFinished = payload(event)?;
            let contested = body.players.len() >= 2;
            Ok(Effect::Activities(
                body.players
                    .iter()
                    .map(|p| {
                        let won = contested && p.rank == 1;
                        let mut metrics = vec![metric::BATTLES_PLAYED];
                        if won {
                            metrics.push(metric::BATTLES_WON);
                        }
                        Activity {
                            user_id: p.user_id,
                            rule: kind.as_str(),
                            event_id: event.id,
                            occurred_at: event.created_at,
                            score: i64::from(p.score).max(0),
                            won,
                            topic_id: body.topic_id,
                            metrics,
                            once_per_day: false,
                        }
                    })
                    .collect(),
            ))
        }
        EventKind::QuestionPublished => {
            let body: QuestionPublished = payload(event)?;
            Ok(Effect::Activities(
                body.author_id
                    .map(|user_id| Activity {
                        user_id,
                        rule: kind.as_str(),
                        event_id: event.id,
                        occurred_at: event.created_at,
                        score: 0,
                        won: false,
                        topic_id: None,
                        metrics: vec![metric::QUESTIONS_PUBLISHED],
                        once_per_day: false,
                    })
                    .into_iter()
                    .collect(),
            ))
        }
        EventKind::FlashcardReviewed => {
            let body: FlashcardReviewed = payload(event)?;
            Ok(single(
                kind,
                body.user_id,
                body.topic_id,
                metric::FLASHCARDS_REVIEWED,
            ))
        }
        EventKind::TopicCompleted => {
            let body: TopicCompleted = payload(event)?;
            Ok(single(
                kind,
                body.user_id,
                body.topic_id,
                metric::TOPICS_COMPLETED,
            ))
        }
        EventKind::WordMastered => {
            let body: WordMastered = payload(event)?;
            Ok(single(
                kind,
                body.user_id,
                body.topic_id,
                metric::WORDS_MASTERED,
            ))
        }
        EventKind::MockTestPassed => {
            let body: MockTestPassed = payload(event)?;
            Ok(single(
                kind,
                body.user_id,
                body.topic_id,
                metric::MOCK_TESTS_PASSED,
            ))
        }
        // One event per new record day: the counter is the longest practice streak.
        EventKind::PracticeStreakExtended => {
            let body: PracticeStreakExtended = payload(event)?;
            Ok(single(
                kind,
                body.user_id,
                None,
                metric::LONGEST_PRACTICE_STREAK,
            ))
        }
        EventKind::UserSignedIn => {
            let body: UserSignedIn = payload(event)?;
            Ok(Effect::Activities(vec![Activity {
                user_id: body.user_id,
                rule: DAILY_LOGIN,
                event_id: event.id,
                occurred_at: event.created_at,
                score: 0,
                won: false,
                topic_id: None,
                metrics: Vec::new(),
                once_per_day: true,
            }]))
        }
        EventKind::UserUpdated => Ok(Effect::ProfileChanged(
            payload::<UserUpdated>(event)?.user_id,
        )),
        other => Err(AppError::internal(format!(
            "gamification cannot read {other}"
        ))),
    }
}

/// Points for `activity` under `rule`: the flat amount, plus `score_points` per whole
/// `score_unit` of battle points, plus the win bonus.
pub(crate) fn price(rule: &point_rule::Model, activity: &Activity) -> i32 {
    let mut points = i64::from(rule.points);
    if rule.score_unit > 0 {
        points += activity.score / i64::from(rule.score_unit) * i64::from(rule.score_points);
    }
    if activity.won {
        points += i64::from(rule.win_points);
    }
    points.clamp(0, i64::from(i32::MAX)) as i32
}

/// What pricing a batch reads: the rules by event type and the achievement catalog.
#[derive(Debug)]
pub(crate) struct Rulebook {
    /// `point_rules` by event type.
    pub rules: HashMap<String, point_rule::Model>,
    /// `achievements`, in display order.
    pub catalog: Vec<achievement::Model>,
}

/// The rules and catalog tables, re-read at most every 30 s (both are data changed by hand,
/// rarely), so a batch of awards does not read them again.
#[derive(Default)]
pub(crate) struct RuleCache(Mutex<Option<(Instant, Arc<Rulebook>)>>);

impl RuleCache {
    /// The current rules and catalog.
    pub(crate) async fn get<C: ConnectionTrait>(&self, db: &C) -> AppResult<Arc<Rulebook>> {
        let mut slot = self.0.lock().await;
        if let Some((at, book)) = slot.as_ref()
            && at.elapsed().as_secs() < 30
        {
            return Ok(book.clone());
        }
        let rules = point_rule::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|r| (r.event_type.clone(), r))
            .collect();
        let book = Arc::new(Rulebook {
            rules,
            catalog: super::achievements::catalog(db).await?,
        });
        *slot = Some((Instant::now(), book.clone()));
        Ok(book)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, payload: serde_json::Value) -> outbox_event::Model {
        outbox_event::Model {
            id: Uuid::now_v7(),
            event_type: kind.into(),
            aggregate_id: None,
            payload,
            status: outbox_event::Status::Pending,
            attempts: 0,
            available_at: Utc::now(),
            claimed_until: None,
            last_error: None,
            created_at: Utc::now(),
            processed_at: None,
        }
    }

    fn battle_rule() -> point_rule::Model {
        point_rule::Model {
            event_type: "BATTLE_FINISHED".into(),
            points: 20,
            score_points: 1,
            score_unit: 100,
            win_points: 100,
            counts_for_streak: true,
            description: String::new(),
            daily_cap: None,
        }
    }

    #[test]
    fn a_battle_pays_every_player_and_the_winner_more() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let e = event(
            "BATTLE_FINISHED",
            serde_json::json!({ "roomId": Uuid::now_v7(), "topicId": null, "questionCount": 5,
                "players": [{ "userId": a, "rank": 1, "score": 4321, "correctCount": 5 },
                            { "userId": b, "rank": 2, "score": 99, "correctCount": 1 }] }),
        );
        let Effect::Activities(list) = effect_of(&e).unwrap() else {
            panic!("activities expected")
        };
        assert_eq!(price(&battle_rule(), &list[0]), 20 + 43 + 100);
        assert_eq!(price(&battle_rule(), &list[1]), 20);
        assert_eq!(
            list[0].metrics,
            vec![metric::BATTLES_PLAYED, metric::BATTLES_WON]
        );
        assert_eq!(list[1].metrics, vec![metric::BATTLES_PLAYED]);
    }

    #[test]
    fn a_solo_battle_is_no_win() {
        let a = Uuid::now_v7();
        let e = event(
            "BATTLE_FINISHED",
            serde_json::json!({ "roomId": Uuid::now_v7(), "questionCount": 3,
                "players": [{ "userId": a, "rank": 1, "score": 250, "correctCount": 3 }] }),
        );
        let Effect::Activities(list) = effect_of(&e).unwrap() else {
            panic!("activities expected")
        };
        assert!(!list[0].won);
        assert_eq!(price(&battle_rule(), &list[0]), 22);
    }

    #[test]
    fn sign_in_is_a_daily_login_and_unreadable_payloads_are_errors() {
        let u = Uuid::now_v7();
        let Effect::Activities(list) =
            effect_of(&event("USER_SIGNED_IN", serde_json::json!({ "userId": u }))).unwrap()
        else {
            panic!("activities expected")
        };
        assert_eq!((list[0].rule, list[0].once_per_day), (DAILY_LOGIN, true));
        assert!(effect_of(&event("FLASHCARD_REVIEWED", serde_json::json!({}))).is_err());
        let published = effect_of(&event(
            "QUESTION_PUBLISHED",
            serde_json::json!({ "questionId": Uuid::now_v7(), "topicId": Uuid::now_v7(), "authorId": null }),
        ))
        .unwrap();
        assert_eq!(published, Effect::Activities(vec![]));
    }
}
