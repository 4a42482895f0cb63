//! Users: registered through the API, with their raw ids.

use agora_platform::ids;
use async_graphql::ID;
use uuid::Uuid;

use super::TestServer;

/// A registered user: token and raw id.
pub struct User {
    pub token: String,
    pub id: Uuid,
}

/// Registers `email` with display name `name`.
pub async fn user(server: &TestServer, email: &str, name: &str) -> User {
    let payload = server
        .register(email, "a long enough passphrase", name)
        .await;
    let id = ids::decode(
        &ID(payload["user"]["id"].as_str().expect("id").to_owned()),
        "User",
        "id",
    )
    .expect("user id");
    User {
        token: payload["accessToken"].as_str().expect("token").to_owned(),
        id,
    }
}
