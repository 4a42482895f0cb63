//! Roles and authorization, the admin user list with Relay pagination, profiles, `node`.

use serde_json::json;

use super::common::{TestServer, assert_body_snapshot, assert_code, assert_no_errors};

const USERS: &str = "query($f: Int, $a: String, $l: Int, $b: String, $r: Role, $s: String) {
  users(first: $f, after: $a, last: $l, before: $b, role: $r, search: $s) {
    edges { cursor node { email displayName role } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}";

#[tokio::test]
async fn only_admins_list_users_and_set_roles() {
    let server = TestServer::start().await;
    let admin = server.register_token("admin@example.org").await;
    let learner = server
        .register("lea@example.org", "a long enough passphrase", "Lea")
        .await;
    let learner_token = learner["accessToken"].as_str().expect("t");
    let learner_id = learner["user"]["id"].as_str().expect("id");

    assert_code!(server.gql(USERS, json!({})).await, "UNAUTHENTICATED");
    assert_code!(
        server.gql_as(learner_token, USERS, json!({})).await,
        "FORBIDDEN"
    );
    let set = "mutation($u: ID!, $r: Role!) { setUserRole(userId: $u, role: $r) { role } }";
    let forbidden = server
        .gql_as(learner_token, set, json!({ "u": learner_id, "r": "ADMIN" }))
        .await;
    assert_code!(forbidden, "FORBIDDEN");
    assert_body_snapshot!("only_admins_list_users_and_set_roles-forbidden", forbidden);

    server.set_role(&admin, learner_id, "MODERATOR").await;
    // The new role applies to the existing token at once.
    let me = server
        .gql_as(learner_token, "{ me { role } }", json!({}))
        .await;
    assert_eq!(me["data"]["me"]["role"], "MODERATOR");
    assert_code!(
        server.gql_as(learner_token, USERS, json!({})).await,
        "FORBIDDEN"
    );

    let bad_id = server
        .gql_as(&admin, set, json!({ "u": "nonsense", "r": "ADMIN" }))
        .await;
    assert_code!(bad_id, "BAD_USER_INPUT");
    assert_body_snapshot!("only_admins_list_users_and_set_roles-bad_id", bad_id);
}

#[tokio::test]
async fn the_last_admin_cannot_demote_themself() {
    let server = TestServer::start().await;
    let admin = server
        .register("admin@example.org", "a long enough passphrase", "Admin")
        .await;
    let token = admin["accessToken"].as_str().expect("t");
    let set = "mutation($u: ID!, $r: Role!) { setUserRole(userId: $u, role: $r) { role } }";
    let body = server
        .gql_as(
            token,
            set,
            json!({ "u": admin["user"]["id"], "r": "LEARNER" }),
        )
        .await;
    assert_code!(body, "CONFLICT");
    assert_body_snapshot!("the_last_admin_cannot_demote_themself-body", body);
}

#[tokio::test]
async fn users_page_forward_and_backward_without_gaps() {
    let server = TestServer::start().await;
    let admin = server.register_token("admin@example.org").await;
    for n in 0..6 {
        server
            .register(
                &format!("user{n}@example.org"),
                "a long enough passphrase",
                &format!("User {n}"),
            )
            .await;
    }
    let page1 = server.gql_as(&admin, USERS, json!({ "f": 3 })).await;
    assert_no_errors(&page1);
    // Three users, newest first, and a next page.
    assert_body_snapshot!("users_page_forward_and_backward_without_gaps-page1", page1);
    let users = &page1["data"]["users"];
    let page2 = server
        .gql_as(
            &admin,
            USERS,
            json!({ "f": 10, "a": users["pageInfo"]["endCursor"] }),
        )
        .await;
    let emails: Vec<_> = page2["data"]["users"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["email"].as_str().expect("email").to_owned())
        .collect();
    assert_eq!(
        emails,
        [
            "user2@example.org",
            "user1@example.org",
            "user0@example.org",
            "admin@example.org"
        ]
    );
    assert_eq!(page2["data"]["users"]["pageInfo"]["hasNextPage"], false);
    assert_eq!(page2["data"]["users"]["pageInfo"]["hasPreviousPage"], true);

    let back = server
        .gql_as(
            &admin,
            USERS,
            json!({ "l": 2, "b": page2["data"]["users"]["pageInfo"]["startCursor"] }),
        )
        .await;
    let back_emails: Vec<_> = back["data"]["users"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["email"].as_str().expect("email").to_owned())
        .collect();
    assert_eq!(back_emails, ["user4@example.org", "user3@example.org"]);

    let filtered = server
        .gql_as(&admin, USERS, json!({ "s": "USER3", "r": "LEARNER" }))
        .await;
    assert_eq!(
        filtered["data"]["users"]["edges"]
            .as_array()
            .expect("edges")
            .len(),
        1
    );
    let wildcard = server.gql_as(&admin, USERS, json!({ "s": "%" })).await;
    assert_eq!(
        wildcard["data"]["users"]["edges"]
            .as_array()
            .expect("edges")
            .len(),
        0,
        "% is literal"
    );

    for (variables, field) in [
        (json!({ "f": 101 }), "first"),
        (json!({ "f": -1 }), "first"),
        (json!({ "f": 1, "l": 1 }), "last"),
        (json!({ "a": "not-a-cursor" }), "after"),
    ] {
        let body = server.gql_as(&admin, USERS, variables).await;
        assert_code!(body, "BAD_USER_INPUT", "{body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field);
    }
}

#[tokio::test]
async fn profile_updates_are_validated_and_email_stays_private() {
    let server = TestServer::start().await;
    let admin = server.register_token("admin@example.org").await;
    let lea = server
        .register("lea@example.org", "a long enough passphrase", "Lea")
        .await;
    let lea_token = lea["accessToken"].as_str().expect("t");
    let update =
        "mutation($i: UpdateProfileInput!) { updateProfile(input: $i) { displayName timeZone } }";
    let ok = server
        .gql_as(
            lea_token,
            update,
            json!({ "i": { "displayName": " Lea L. ", "timeZone": "Europe/Berlin" } }),
        )
        .await;
    assert_body_snapshot!(
        "profile_updates_are_validated_and_email_stays_private-ok",
        ok
    );
    let bad_zone = server
        .gql_as(
            lea_token,
            update,
            json!({ "i": { "timeZone": "Mars/Olympus" } }),
        )
        .await;
    assert_body_snapshot!(
        "profile_updates_are_validated_and_email_stays_private-bad_zone",
        bad_zone
    );
    let anonymous = server
        .gql(update, json!({ "i": { "displayName": "X" } }))
        .await;
    assert_code!(anonymous, "UNAUTHENTICATED");
    assert_body_snapshot!(
        "profile_updates_are_validated_and_email_stays_private-anonymous",
        anonymous
    );

    // Another learner fetching Lea by global id sees her name but not her e-mail; an admin does.
    let other = server.register_token("other@example.org").await;
    let node = "query($id: ID!) { node(id: $id) { id ... on User { displayName email } } }";
    let seen = server
        .gql_as(&other, node, json!({ "id": lea["user"]["id"] }))
        .await;
    assert_body_snapshot!(
        "profile_updates_are_validated_and_email_stays_private-seen",
        seen
    );
    let by_admin = server
        .gql_as(&admin, node, json!({ "id": lea["user"]["id"] }))
        .await;
    assert_body_snapshot!(
        "profile_updates_are_validated_and_email_stays_private-by_admin",
        by_admin
    );
}
