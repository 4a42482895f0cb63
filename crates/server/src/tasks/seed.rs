//! `agora seed` / `serve --seed-demo`: demo users from `fixtures/demo/users.json` (compiled in,
//! so the binary seeds anywhere). Idempotent: existing accounts are left as they are.

use agora_platform::{Platform, auth::Role};
use anyhow::Context as _;
use serde::Deserialize;

const DEMO_USERS: &str = include_str!("../../../../fixtures/demo/users.json");

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DemoUser {
    email: String,
    password: String,
    display_name: String,
    role: String,
}

/// Loads every demo fixture; returns how many records were created.
pub async fn seed_demo(platform: &Platform) -> anyhow::Result<usize> {
    let users: Vec<DemoUser> =
        serde_json::from_str(DEMO_USERS).context("fixtures/demo/users.json")?;
    let mut created = 0;
    for demo in &users {
        let role =
            Role::parse(&demo.role).with_context(|| format!("unknown role {}", demo.role))?;
        let (_, new) = agora_identity::api::ensure_account(
            platform,
            &demo.email,
            &demo.password,
            &demo.display_name,
            role,
        )
        .await
        .map_err(|e| anyhow::anyhow!("seeding {}: {}", demo.email, e.log_message()))?;
        created += usize::from(new);
    }
    tracing::info!(users = users.len(), created, "demo users ready");
    Ok(created)
}
