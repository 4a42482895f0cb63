//! What each outbox event notifies, and to whom.
//!
//! The wording is data: [`TEMPLATES`] holds one title and body per kind with `{placeholders}`.
//! Each consumed event's payload (typed in `agora_events`, shared with its emitter) names the
//! recipient, fills the placeholders and gives the client its `data` ([`Notable::fact`]).
//! Adding a source is a `Notable` impl, a row in [`SOURCES`] and, for a new kind, a template.

use agora_events::{
    AchievementUnlocked, DomainEvent, EventKind, FlashcardsDue, LevelUp, SensorAlert, StreakAtRisk,
    SubmissionReviewed, UserRegistered,
    community::SUBMISSION_TYPE,
    sensors::{ALERT_TYPE, STATION_TYPE},
};
use agora_platform::{AppError, AppResult, ids};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::NotificationKind;

/// Longest title stored (longer ones are cut, e.g. an achievement with a very long name).
pub(crate) const MAX_TITLE: usize = 200;
/// Longest body stored.
pub(crate) const MAX_BODY: usize = 2000;

/// The wording of one kind.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Template {
    /// The kind.
    pub kind: NotificationKind,
    /// Title with `{placeholders}`.
    pub title: &'static str,
    /// Body with `{placeholders}`.
    pub body: &'static str,
}

/// The wording of every kind. `{displayName}` (the recipient's) is always available.
pub(crate) static TEMPLATES: [Template; 7] = [
    Template {
        kind: NotificationKind::Welcome,
        title: "Welcome to Agora, {displayName}",
        body: "Your account is ready. Join a quiz battle, explore the question bank or propose \
               questions of your own: every day you learn keeps your streak going.",
    },
    Template {
        kind: NotificationKind::LevelUp,
        title: "You reached level {level}",
        body: "Up from level {previousLevel}, with {xp} XP in total. Keep going!",
    },
    Template {
        kind: NotificationKind::AchievementUnlocked,
        title: "Achievement unlocked: {name}",
        body: "{description}",
    },
    Template {
        kind: NotificationKind::StreakAtRisk,
        title: "Your {streak}-day streak is at risk",
        body: "Your {streak}-day streak ends at midnight: one activity today ({localDate}) keeps \
               it alive.",
    },
    Template {
        kind: NotificationKind::FlashcardsDue,
        title: "{cards} due for review",
        body: "Reviewing {cards} now, on schedule, is what makes spaced repetition stick.",
    },
    Template {
        kind: NotificationKind::SubmissionReviewed,
        title: "Your submission {outcome}",
        body: "{detail}",
    },
    Template {
        kind: NotificationKind::SensorAlert,
        title: "Air-quality alert at {station}",
        body: "{condition}: {value} since {startedAt}.",
    },
];

/// The template of `kind`.
pub(crate) fn template(kind: NotificationKind) -> &'static Template {
    TEMPLATES
        .iter()
        .find(|t| t.kind == kind)
        .unwrap_or(&TEMPLATES[0])
}

/// A consumed event: its kind, the notification kind it makes, and how to read its payload.
pub(crate) struct Source {
    /// The event.
    pub event: EventKind,
    /// The kind of notification it makes.
    pub kind: NotificationKind,
    read: fn(&Value) -> AppResult<Option<Fact>>,
}

/// An event payload that notifies someone.
trait Notable: DomainEvent {
    /// What it says; None when it tells no one anything.
    fn fact(self) -> Option<Fact>;
}

/// The source of events `E`, which make notifications of `kind`.
const fn source<E: Notable>(kind: NotificationKind) -> Source {
    Source {
        event: E::KIND,
        kind,
        read: read::<E>,
    }
}

/// Every event that makes a notification.
pub(crate) static SOURCES: [Source; 7] = [
    source::<UserRegistered>(NotificationKind::Welcome),
    source::<LevelUp>(NotificationKind::LevelUp),
    source::<AchievementUnlocked>(NotificationKind::AchievementUnlocked),
    source::<StreakAtRisk>(NotificationKind::StreakAtRisk),
    source::<FlashcardsDue>(NotificationKind::FlashcardsDue),
    source::<SubmissionReviewed>(NotificationKind::SubmissionReviewed),
    source::<SensorAlert>(NotificationKind::SensorAlert),
];

/// The events of [`SOURCES`], which `notifications.create` consumes.
pub(crate) static CONSUMED: [EventKind; SOURCES.len()] = {
    let mut kinds = [EventKind::UserRegistered; SOURCES.len()];
    let mut i = 0;
    while i < SOURCES.len() {
        kinds[i] = SOURCES[i].event;
        i += 1;
    }
    kinds
};

fn read<E: Notable>(payload: &Value) -> AppResult<Option<Fact>> {
    E::deserialize(payload)
        .map(E::fact)
        .map_err(|e| AppError::internal(format!("unreadable {} payload: {e}", E::KIND)))
}

/// What an event says, before it is worded for its recipient.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fact {
    /// Who is told.
    pub recipient: Uuid,
    /// Placeholder values.
    pub vars: Vec<(&'static str, String)>,
    /// Details for the client.
    pub data: Value,
    /// For facts that happen once (a welcome, a level, an achievement, a day's streak warning):
    /// their identity, so the same fact emitted twice still notifies once.
    pub once_key: Option<String>,
}

/// A notification ready to store and deliver.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Draft {
    /// The recipient.
    pub user_id: Uuid,
    /// Its kind.
    pub kind: NotificationKind,
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
    /// Details for the client.
    pub data: Value,
    /// The idempotency key stored as `source_event_id`: the outbox event id, or for a fact
    /// that happens once a UUID derived from its identity.
    pub source_key: Uuid,
}

/// Reads outbox event `event_type`; None when it is not a source or tells no one anything
/// (a vote that decides nothing, no cards due). An unreadable payload is an error: the
/// outbox retries and then parks it for an operator.
pub(crate) fn read_event(
    event_type: &str,
    payload: &Value,
) -> AppResult<Option<(NotificationKind, Fact)>> {
    let Some(source) = SOURCES.iter().find(|s| s.event.as_str() == event_type) else {
        return Ok(None);
    };
    Ok((source.read)(payload)?.map(|fact| (source.kind, fact)))
}

impl Fact {
    /// Words the fact for its recipient, called `display_name`; `event_id` is the outbox
    /// event it came from.
    pub(crate) fn draft(
        &self,
        kind: NotificationKind,
        display_name: &str,
        event_id: Uuid,
    ) -> Draft {
        let template = template(kind);
        let mut vars = self.vars.clone();
        vars.push(("displayName", display_name.to_owned()));
        Draft {
            user_id: self.recipient,
            kind,
            title: cut(fill(template.title, &vars), MAX_TITLE),
            body: cut(fill(template.body, &vars), MAX_BODY),
            data: self.data.clone(),
            source_key: self.once_key.as_deref().map_or(event_id, key_uuid),
        }
    }
}

/// A stable UUID (version 8, from SHA-256) for an idempotency key.
fn key_uuid(key: &str) -> Uuid {
    let digest = Sha256::digest(format!("agora.notifications:{key}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// Replaces each `{name}` of `template` by its value, in one pass (values are never expanded
/// again, so a `{` in an achievement name stays as it is); unknown names stay literal.
pub(crate) fn fill(template: &str, vars: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match vars.iter().find(|(n, _)| *n == name) {
                    Some((_, value)) => out.push_str(value),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

fn cut(text: String, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => {
            let mut cut = text[..at].trim_end().to_owned();
            cut.push('…');
            cut
        }
        None => text,
    }
}

/// `USER_REGISTERED` (identity).
impl Notable for UserRegistered {
    fn fact(self) -> Option<Fact> {
        Some(Fact {
            recipient: self.user_id,
            vars: Vec::new(),
            data: json!({}),
            once_key: Some(format!("WELCOME:{}", self.user_id)),
        })
    }
}

/// `LEVEL_UP` (gamification).
impl Notable for LevelUp {
    fn fact(self) -> Option<Fact> {
        Some(Fact {
            recipient: self.user_id,
            vars: vec![
                ("level", self.level.to_string()),
                ("previousLevel", self.previous_level.to_string()),
                ("xp", self.xp.to_string()),
            ],
            data: json!({
                "level": self.level,
                "previousLevel": self.previous_level,
                "xp": self.xp,
            }),
            once_key: Some(format!("LEVEL_UP:{}:{}", self.user_id, self.level)),
        })
    }
}

/// `ACHIEVEMENT_UNLOCKED` (gamification).
impl Notable for AchievementUnlocked {
    fn fact(self) -> Option<Fact> {
        Some(Fact {
            recipient: self.user_id,
            once_key: Some(format!(
                "ACHIEVEMENT_UNLOCKED:{}:{}",
                self.user_id, self.achievement_key
            )),
            data: json!({
                "achievementKey": self.achievement_key,
                "name": self.name,
                "description": self.description,
                "unlockedAt": self.unlocked_at,
            }),
            vars: vec![("name", self.name), ("description", self.description)],
        })
    }
}

/// `STREAK_AT_RISK` (gamification's evening check, in the user's time zone).
impl Notable for StreakAtRisk {
    fn fact(self) -> Option<Fact> {
        // A streak of zero has nothing to lose.
        (self.streak > 0).then(|| Fact {
            recipient: self.user_id,
            vars: vec![
                ("streak", self.streak.to_string()),
                ("localDate", self.local_date.to_string()),
            ],
            data: json!({ "streak": self.streak, "localDate": self.local_date }),
            once_key: Some(format!(
                "STREAK_AT_RISK:{}:{}",
                self.user_id, self.local_date
            )),
        })
    }
}

/// `FLASHCARDS_DUE` (learning's daily reminder).
impl Notable for FlashcardsDue {
    fn fact(self) -> Option<Fact> {
        let cards = match self.due_count {
            n if n <= 0 => return None,
            1 => "1 flashcard".to_owned(),
            n => format!("{n} flashcards"),
        };
        // No once-key: the same count can be due again another day; the event id decides.
        Some(Fact {
            recipient: self.user_id,
            vars: vec![("cards", cards)],
            data: json!({ "dueCount": self.due_count }),
            once_key: None,
        })
    }
}

/// `SUBMISSION_REVIEWED` (community): one per vote. Its `reviewerId` is not read: the author
/// is told the outcome, and who voted is on the submission.
impl Notable for SubmissionReviewed {
    fn fact(self) -> Option<Fact> {
        // Only decisions are news to the author; a vote that leaves the submission PENDING
        // would be noise (two approvals would mean two notifications and then a third).
        let (outcome, detail) = match self.status.as_str() {
            "APPROVED" => (
                "was published",
                "Reviewers approved your question: it is now in the question bank.",
            ),
            "REJECTED" => (
                "was rejected",
                "Reviewers rejected your question; their comments are on the submission.",
            ),
            "CHANGES_REQUESTED" => (
                "needs changes",
                "A reviewer asked for changes: revise it to send it back to the review queue.",
            ),
            _ => return None,
        };
        Some(Fact {
            recipient: self.author_id,
            vars: vec![
                ("outcome", outcome.to_owned()),
                ("detail", detail.to_owned()),
            ],
            data: json!({
                "submissionId": ids::encode(SUBMISSION_TYPE, self.submission_id).to_string(),
                "verdict": self.verdict,
                "status": self.status,
            }),
            once_key: None,
        })
    }
}

/// `SENSOR_ALERT` (the sensor domain's; one event per follower).
impl Notable for SensorAlert {
    fn fact(self) -> Option<Fact> {
        Some(Fact {
            recipient: self.user_id,
            vars: vec![
                ("station", self.station_name),
                ("condition", self.condition),
                ("value", self.value),
                (
                    "startedAt",
                    self.started_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                ),
            ],
            data: json!({
                "stationId": ids::encode(STATION_TYPE, self.station_id).to_string(),
                "alertId": ids::encode(ALERT_TYPE, self.alert_id).to_string(),
            }),
            once_key: Some(format!("sensor-alert:{}:{}", self.alert_id, self.user_id)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(event_type: &str, payload: Value) -> Option<Draft> {
        let event_id = Uuid::now_v7();
        read_event(event_type, &payload)
            .expect("readable")
            .map(|(kind, fact)| fact.draft(kind, "Ada", event_id))
    }

    #[test]
    fn registration_welcomes_by_name() {
        let user = Uuid::now_v7();
        let d = draft("USER_REGISTERED", json!({ "userId": user })).expect("draft");
        assert_eq!(d.kind, NotificationKind::Welcome);
        assert_eq!(d.user_id, user);
        assert_eq!(d.title, "Welcome to Agora, Ada");
    }

    #[test]
    fn streak_warning_names_its_length() {
        let d = draft(
            "STREAK_AT_RISK",
            json!({ "userId": Uuid::now_v7(), "streak": 5, "localDate": "2026-11-26" }),
        )
        .expect("draft");
        assert_eq!(d.kind, NotificationKind::StreakAtRisk);
        assert!(
            d.body.starts_with("Your 5-day streak ends at midnight"),
            "{}",
            d.body
        );
        assert_eq!(d.data["localDate"], "2026-11-26");
    }

    #[test]
    fn level_up_carries_its_numbers() {
        let d = draft(
            "LEVEL_UP",
            json!({ "userId": Uuid::now_v7(), "level": 4, "previousLevel": 3, "xp": 1200 }),
        )
        .expect("draft");
        assert_eq!(d.title, "You reached level 4");
        assert_eq!(
            d.body,
            "Up from level 3, with 1200 XP in total. Keep going!"
        );
        assert_eq!(
            d.data,
            json!({ "level": 4, "previousLevel": 3, "xp": 1200 })
        );
    }

    #[test]
    fn flashcards_are_counted_in_words_and_none_due_tells_nothing() {
        let user = Uuid::now_v7();
        let one = draft("FLASHCARDS_DUE", json!({ "userId": user, "dueCount": 1 })).expect("1");
        assert_eq!(one.title, "1 flashcard due for review");
        let many = draft("FLASHCARDS_DUE", json!({ "userId": user, "dueCount": 12 })).expect("12");
        assert_eq!(many.title, "12 flashcards due for review");
        assert!(draft("FLASHCARDS_DUE", json!({ "userId": user, "dueCount": 0 })).is_none());
    }

    #[test]
    fn only_decisions_on_a_submission_reach_its_author() {
        let author = Uuid::now_v7();
        let payload = |status: &str| {
            json!({
                "submissionId": Uuid::now_v7(), "authorId": author, "reviewerId": Uuid::now_v7(),
                "verdict": "APPROVE", "status": status
            })
        };
        let published = draft("SUBMISSION_REVIEWED", payload("APPROVED")).expect("decided");
        assert_eq!(published.user_id, author);
        assert_eq!(published.title, "Your submission was published");
        assert!(published.data["submissionId"].is_string());
        assert!(draft("SUBMISSION_REVIEWED", payload("PENDING")).is_none());
    }

    #[test]
    fn a_fact_that_happens_once_has_one_key_whatever_event_carries_it() {
        let user = Uuid::now_v7();
        let payload = json!({ "userId": user, "level": 2, "previousLevel": 1, "xp": 100 });
        let a = draft("LEVEL_UP", payload.clone()).expect("a");
        let b = draft("LEVEL_UP", payload).expect("b");
        assert_eq!(a.source_key, b.source_key);
        let due = json!({ "userId": user, "dueCount": 3 });
        let c = draft("FLASHCARDS_DUE", due.clone()).expect("c");
        let d = draft("FLASHCARDS_DUE", due).expect("d");
        assert_ne!(
            c.source_key, d.source_key,
            "recurring facts key on the event"
        );
    }

    #[test]
    fn every_template_is_filled_by_its_event() {
        let user = Uuid::now_v7();
        let samples = [
            ("USER_REGISTERED", json!({ "userId": user })),
            (
                "LEVEL_UP",
                json!({ "userId": user, "level": 2, "previousLevel": 1, "xp": 10 }),
            ),
            (
                "ACHIEVEMENT_UNLOCKED",
                json!({ "userId": user, "achievementKey": "first-battle", "name": "First blood",
                        "description": "Won a battle", "unlockedAt": "2026-11-26T10:00:00Z" }),
            ),
            (
                "STREAK_AT_RISK",
                json!({ "userId": user, "streak": 3, "localDate": "2026-11-26" }),
            ),
            ("FLASHCARDS_DUE", json!({ "userId": user, "dueCount": 2 })),
            (
                "SUBMISSION_REVIEWED",
                json!({ "submissionId": user, "authorId": user, "reviewerId": user,
                        "verdict": "REJECT", "status": "REJECTED" }),
            ),
            (
                "SENSOR_ALERT",
                json!({ "userId": user, "alertId": user, "stationId": user,
                        "stationName": "Nairobi CBD", "condition": "PM25 ≥ 35.5 µg/m³",
                        "value": "41.2 µg/m³", "startedAt": "2026-11-26T10:00:00Z" }),
            ),
        ];
        assert_eq!(samples.len(), SOURCES.len(), "one sample per source");
        for (event_type, payload) in samples {
            let d = draft(event_type, payload).expect(event_type);
            assert!(
                !d.title.contains('{') && !d.body.contains('{'),
                "{event_type}: {d:?}"
            );
        }
    }

    #[test]
    fn values_are_not_expanded_twice_and_long_titles_are_cut() {
        let vars = [
            ("name", "{description}".to_owned()),
            ("description", "x".to_owned()),
        ];
        assert_eq!(
            fill("A: {name} {unknown}", &vars),
            "A: {description} {unknown}"
        );
        let long = draft(
            "ACHIEVEMENT_UNLOCKED",
            json!({ "userId": Uuid::now_v7(), "achievementKey": "k", "name": "n".repeat(500),
                    "description": "d" }),
        )
        .expect("draft");
        assert_eq!(long.title.chars().count(), MAX_TITLE + 1);
    }

    #[test]
    fn unknown_events_are_not_sources_and_bad_payloads_are_errors() {
        assert!(
            read_event("QUESTION_PUBLISHED", &json!({}))
                .expect("ok")
                .is_none()
        );
        assert!(read_event("LEVEL_UP", &json!({ "userId": "nope" })).is_err());
    }
}
