//! `agora seed` / `serve --seed-demo`: demo users from `fixtures/demo/users.json` (compiled in,
//! so the binary seeds anywhere). Idempotent: existing accounts are left as they are.

use agora_platform::{Platform, auth::Role};
use anyhow::Context as _;
use serde::Deserialize;

const DEMO_USERS: &str = include_str!("../../../../fixtures/demo/users.json");
const TOPICS: &str = include_str!("../../../../fixtures/knowledge/topics.json");
const ARTICLES: &str = include_str!("../../../../fixtures/knowledge/articles.json");
const SUBMISSIONS: &str = include_str!("../../../../fixtures/community/submissions.json");
const STATIONS: &str = include_str!("../../../../fixtures/sensors/stations.json");
const FLASHCARDS: &str = include_str!("../../../../fixtures/learning/flashcards.json");
const QUESTIONS: [(&str, &str); 6] = [
    (
        "science",
        include_str!("../../../../fixtures/knowledge/questions/science.json"),
    ),
    (
        "geography",
        include_str!("../../../../fixtures/knowledge/questions/geography.json"),
    ),
    (
        "history",
        include_str!("../../../../fixtures/knowledge/questions/history.json"),
    ),
    (
        "computing",
        include_str!("../../../../fixtures/knowledge/questions/computing.json"),
    ),
    (
        "english",
        include_str!("../../../../fixtures/knowledge/questions/english.json"),
    ),
    (
        "air-quality",
        include_str!("../../../../fixtures/knowledge/questions/air-quality.json"),
    ),
];

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DemoUser {
    email: String,
    password: String,
    display_name: String,
    role: String,
}

/// Loads every demo fixture; returns how many records were created.
pub async fn seed_demo(
    platform: &Platform,
    sensors: &agora_sensors::api::SensorsRuntime,
) -> anyhow::Result<usize> {
    let users: Vec<DemoUser> =
        serde_json::from_str(DEMO_USERS).context("fixtures/demo/users.json")?;
    let mut created = 0;
    let mut admin: Option<uuid::Uuid> = None;
    let mut accounts = std::collections::HashMap::new();
    for demo in &users {
        let role =
            Role::parse(&demo.role).with_context(|| format!("unknown role {}", demo.role))?;
        let (user, new) = agora_identity::api::ensure_account(
            platform,
            &demo.email,
            &demo.password,
            &demo.display_name,
            role,
        )
        .await
        .map_err(|e| anyhow::anyhow!("seeding {}: {}", demo.email, e.log_message()))?;
        if role == Role::Admin && admin.is_none() {
            admin = Some(user.id);
        }
        accounts.insert(demo.email.clone(), user.id);
        created += usize::from(new);
    }
    tracing::info!(users = users.len(), created, "demo users ready");

    let topics: Vec<agora_knowledge::api::TopicFixture> =
        serde_json::from_str(TOPICS).context("fixtures/knowledge/topics.json")?;
    let mut questions = Vec::new();
    for (file, text) in QUESTIONS {
        let rows: Vec<agora_knowledge::api::QuestionFixture> = serde_json::from_str(text)
            .with_context(|| format!("fixtures/knowledge/questions/{file}.json"))?;
        questions.extend(rows);
    }
    let articles: Vec<agora_knowledge::api::ArticleFixture> =
        serde_json::from_str(ARTICLES).context("fixtures/knowledge/articles.json")?;
    let report = agora_knowledge::api::seed(platform, admin, &topics, &questions, &articles)
        .await
        .map_err(|e| anyhow::anyhow!("seeding the knowledge hub: {}", e.log_message()))?;
    tracing::info!(
        topics = report.topics,
        questions = report.questions,
        articles = report.articles,
        "demo content ready"
    );
    let submissions: Vec<agora_community::api::SubmissionFixture> =
        serde_json::from_str(SUBMISSIONS).context("fixtures/community/submissions.json")?;
    let submitted =
        agora_community::api::seed(platform, &submissions, |email| accounts.get(email).copied())
            .await
            .map_err(|e| anyhow::anyhow!("seeding submissions: {}", e.log_message()))?;
    tracing::info!(submitted, "demo submissions ready");
    let mut players: Vec<uuid::Uuid> = users
        .iter()
        .filter_map(|u| accounts.get(&u.email).copied())
        .collect();
    players.retain(|id| Some(*id) != admin);
    let activity = agora_gamification::api::seed_demo_activity(platform, &players)
        .await
        .map_err(|e| anyhow::anyhow!("seeding demo activity: {}", e.log_message()))?;
    tracing::info!(events = activity, "demo activity queued");
    let deck: Vec<agora_learning::api::FlashcardFixture> =
        serde_json::from_str(FLASHCARDS).context("fixtures/learning/flashcards.json")?;
    let cards = agora_learning::api::seed_demo(platform, &players, &deck)
        .await
        .map_err(|e| anyhow::anyhow!("seeding demo flashcards: {}", e.log_message()))?;
    tracing::info!(cards, "demo flashcards ready");
    let stations: Vec<agora_sensors::api::StationFixture> =
        serde_json::from_str(STATIONS).context("fixtures/sensors/stations.json")?;
    let readings = match admin {
        Some(admin) => agora_sensors::api::seed_demo(platform, sensors, admin, &stations, &players)
            .await
            .map_err(|e| anyhow::anyhow!("seeding demo stations: {}", e.log_message()))?,
        None => 0,
    };
    tracing::info!(readings, "demo stations ready");
    let words = agora_literacy::api::seed_levels(platform)
        .await
        .map_err(|e| anyhow::anyhow!("seeding literacy levels: {}", e.log_message()))?;
    tracing::info!(words, "literacy levels ready");
    Ok(created
        + words
        + report.topics
        + report.questions
        + report.articles
        + submitted
        + activity
        + cards
        + readings)
}
