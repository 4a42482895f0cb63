//! API keys: creation rights by role, `X-Api-Key` authentication, scopes, revocation.

use serde_json::json;

use super::common::{TestServer, assert_body_snapshot, assert_code, assert_no_errors};

const CREATE: &str = "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret apiKey { id name scopes prefix lastUsedAt } } }";

#[tokio::test]
async fn a_read_key_authenticates_queries_but_not_mutations() {
    let server = TestServer::start().await;
    let _admin = server.register_token("admin@example.org").await;
    let learner = server.register_token("lea@example.org").await;
    let created = server
        .gql_as(
            &learner,
            CREATE,
            json!({ "i": { "name": "laptop", "scopes": ["READ"] } }),
        )
        .await;
    assert_no_errors(&created);
    let secret = created["data"]["createApiKey"]["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let prefix = created["data"]["createApiKey"]["apiKey"]["prefix"]
        .as_str()
        .expect("prefix");
    assert!(secret.starts_with(prefix) && prefix.starts_with("agk_"));

    let me = server
        .gql_with("{ me { email } }", json!({}), &[("x-api-key", &secret)])
        .await;
    assert_eq!(me["data"]["me"]["email"], "lea@example.org");
    let mutation = server
        .gql_with(
            "mutation { updateProfile(input: { displayName: \"Hacked\" }) { displayName } }",
            json!({}),
            &[("x-api-key", &secret)],
        )
        .await;
    assert_code!(mutation, "FORBIDDEN");
    assert_body_snapshot!(
        "a_read_key_authenticates_queries_but_not_mutations-mutation",
        mutation
    );

    // The listing never shows the secret, and shows the use.
    let listed = server
        .gql_as(
            &learner,
            "{ apiKeys { name scopes lastUsedAt } }",
            json!({}),
        )
        .await;
    assert_eq!(listed["data"]["apiKeys"][0]["scopes"], json!(["READ"]));
    assert!(!listed["data"]["apiKeys"][0]["lastUsedAt"].is_null());
    assert!(!listed.to_string().contains(&secret));
}

#[tokio::test]
async fn scopes_need_the_right_role_and_keys_cannot_mint_keys() {
    let server = TestServer::start().await;
    let admin = server.register_token("admin@example.org").await;
    let learner = server.register_token("lea@example.org").await;
    for scope in ["WRITE", "PARTNER", "SENSORS_WRITE"] {
        let body = server
            .gql_as(
                &learner,
                CREATE,
                json!({ "i": { "name": "k", "scopes": [scope] } }),
            )
            .await;
        assert_code!(body, "FORBIDDEN", "{scope}");
    }
    let empty = server
        .gql_as(
            &learner,
            CREATE,
            json!({ "i": { "name": "k", "scopes": [] } }),
        )
        .await;
    assert_body_snapshot!(
        "scopes_need_the_right_role_and_keys_cannot_mint_keys-empty",
        empty
    );
    let unnamed = server
        .gql_as(
            &learner,
            CREATE,
            json!({ "i": { "name": "  ", "scopes": ["READ"] } }),
        )
        .await;
    assert_body_snapshot!(
        "scopes_need_the_right_role_and_keys_cannot_mint_keys-unnamed",
        unnamed
    );
    assert_code!(
        server
            .gql(CREATE, json!({ "i": { "name": "k", "scopes": ["READ"] } }))
            .await,
        "UNAUTHENTICATED"
    );

    let write = server
        .gql_as(
            &admin,
            CREATE,
            json!({ "i": { "name": "ops", "scopes": ["READ", "WRITE"] } }),
        )
        .await;
    assert_no_errors(&write);
    let secret = write["data"]["createApiKey"]["secret"]
        .as_str()
        .expect("secret");
    let minted = server
        .gql_with(
            CREATE,
            json!({ "i": { "name": "child", "scopes": ["READ"] } }),
            &[("x-api-key", secret)],
        )
        .await;
    assert_code!(minted, "FORBIDDEN");
    assert_body_snapshot!(
        "scopes_need_the_right_role_and_keys_cannot_mint_keys-minted",
        minted
    );
    // WRITE keys may run other mutations as their owner.
    let update = server
        .gql_with(
            "mutation { updateProfile(input: { displayName: \"Ops\" }) { displayName } }",
            json!({}),
            &[("x-api-key", secret)],
        )
        .await;
    assert_eq!(update["data"]["updateProfile"]["displayName"], "Ops");
}

#[tokio::test]
async fn revoked_and_unknown_keys_are_unauthenticated() {
    let server = TestServer::start().await;
    let _admin = server.register_token("admin@example.org").await;
    let learner = server.register_token("lea@example.org").await;
    let other = server.register_token("other@example.org").await;
    let created = server
        .gql_as(
            &learner,
            CREATE,
            json!({ "i": { "name": "k", "scopes": ["READ"] } }),
        )
        .await;
    let secret = created["data"]["createApiKey"]["secret"]
        .as_str()
        .expect("secret");
    let id = created["data"]["createApiKey"]["apiKey"]["id"].clone();

    let revoke = "mutation($id: ID!) { revokeApiKey(id: $id) }";
    assert_code!(
        server.gql_as(&other, revoke, json!({ "id": id })).await,
        "NOT_FOUND"
    );
    assert_eq!(
        server.gql_as(&learner, revoke, json!({ "id": id })).await["data"]["revokeApiKey"],
        true
    );
    assert_eq!(
        server.gql_as(&learner, revoke, json!({ "id": id })).await["data"]["revokeApiKey"],
        false
    );

    let revoked = server
        .gql_with("{ me { id } }", json!({}), &[("x-api-key", secret)])
        .await;
    assert_code!(revoked, "UNAUTHENTICATED");
    assert_body_snapshot!(
        "revoked_and_unknown_keys_are_unauthenticated-revoked",
        revoked
    );
    assert!(
        revoked["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("revoked")
    );
    let unknown = server
        .gql_with(
            "{ me { id } }",
            json!({}),
            &[("x-api-key", "agk_nothing_at_all")],
        )
        .await;
    assert_code!(unknown, "UNAUTHENTICATED");
    assert_body_snapshot!(
        "revoked_and_unknown_keys_are_unauthenticated-unknown",
        unknown
    );
    let both = server
        .gql_with(
            "{ me { id } }",
            json!({}),
            &[
                ("x-api-key", secret),
                ("authorization", &format!("Bearer {learner}")),
            ],
        )
        .await;
    assert_code!(both, "UNAUTHENTICATED");
    assert_body_snapshot!("revoked_and_unknown_keys_are_unauthenticated-both", both);
}
