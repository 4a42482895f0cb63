//! Registration, sign-in, refresh rotation and reuse detection, logout, lockout, bad tokens.

use agora_platform::clock::{Clock, ManualClock};
use chrono::Utc;
use serde_json::json;

use super::common::{
    ServerOptions, TestServer, assert_body_snapshot, assert_code, assert_no_errors,
};

const ME: &str = "{ me { id email displayName role } }";
const REFRESH: &str =
    "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken } }";

#[tokio::test]
async fn first_user_is_admin_and_later_ones_are_learners() {
    let server = TestServer::start().await;
    let first = server
        .register("  Ada@Example.org ", "a long enough passphrase", "Ada")
        .await;
    assert_eq!(first["user"]["role"], "ADMIN");
    assert_eq!(first["user"]["email"], "ada@example.org");
    assert_eq!(first["expiresIn"], 900);
    let second = server
        .register("bob@example.org", "another long passphrase", "Bob")
        .await;
    assert_eq!(second["user"]["role"], "LEARNER");
}

#[tokio::test]
async fn sign_in_ignores_the_email_case_and_me_is_the_signed_in_user() {
    let server = TestServer::start().await;
    let first = server
        .register("  Ada@Example.org ", "a long enough passphrase", "Ada")
        .await;
    let login = server
        .login("ADA@example.org", "a long enough passphrase")
        .await;
    assert_no_errors(&login);
    let token = login["data"]["login"]["accessToken"]
        .as_str()
        .expect("token");
    let me = server.gql_as(token, ME, json!({})).await;
    assert_eq!(me["data"]["me"]["email"], "ada@example.org");
    assert_eq!(me["data"]["me"]["id"], first["user"]["id"]);
}

#[tokio::test]
async fn me_is_null_for_anonymous() {
    let server = TestServer::start().await;
    let anonymous = server.gql(ME, json!({})).await;
    assert_no_errors(&anonymous);
    assert!(anonymous["data"]["me"].is_null());
}

#[tokio::test]
async fn registration_rejects_bad_input_naming_the_field() {
    let server = TestServer::start().await;
    let register = |email: &str, password: &str, name: &str| {
        let variables =
            json!({ "i": { "email": email, "password": password, "displayName": name } });
        let server = &server;
        async move {
            server
                .gql(
                    "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }",
                    variables,
                )
                .await
        }
    };
    let cases = [
        (
            "not-an-email",
            "a long enough passphrase",
            "Ada",
            "input.email",
        ),
        ("ada@example.org", "short", "Ada", "input.password"),
        ("ada@example.org", "1234567890", "Ada", "input.password"),
        ("ada@example.org", "Basketball", "Ada", "input.password"),
        (
            "ada@example.org",
            "a long enough passphrase",
            "",
            "input.displayName",
        ),
        (
            "ada@example.org",
            "a long enough passphrase",
            &"x".repeat(41),
            "input.displayName",
        ),
    ];
    for (email, password, name, field) in cases {
        let body = register(email, password, name).await;
        assert_code!(body, "BAD_USER_INPUT", "{email} {password} {name}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field);
    }
    assert_no_errors(&register("ada@example.org", "a long enough passphrase", "Ada").await);
    let duplicate = register("ADA@EXAMPLE.ORG", "a long enough passphrase", "Ada 2").await;
    assert_code!(duplicate, "CONFLICT");
    assert_body_snapshot!(
        "registration_rejects_bad_input_naming_the_field-duplicate",
        duplicate
    );
}

#[tokio::test]
async fn refresh_rotates_and_a_reused_token_revokes_the_whole_family() {
    let server = TestServer::start().await;
    let first = server
        .register("ada@example.org", "a long enough passphrase", "Ada")
        .await;
    let original = first["refreshToken"].as_str().expect("refresh").to_owned();

    let rotated = server.gql(REFRESH, json!({ "t": original })).await;
    assert_no_errors(&rotated);
    let newer_refresh = rotated["data"]["refreshSession"]["refreshToken"]
        .as_str()
        .expect("r")
        .to_owned();
    let newer_access = rotated["data"]["refreshSession"]["accessToken"]
        .as_str()
        .expect("a")
        .to_owned();
    assert_ne!(newer_refresh, original);
    assert_no_errors(&server.gql_as(&newer_access, ME, json!({})).await);

    // The old token again: reuse. The family dies, including the newest tokens.
    let reused = server.gql(REFRESH, json!({ "t": original })).await;
    assert_code!(reused, "UNAUTHENTICATED");
    assert_body_snapshot!(
        "refresh_rotates_and_a_reused_token_revokes_the_whole_family-reused",
        reused
    );
    assert_code!(
        server.gql(REFRESH, json!({ "t": newer_refresh })).await,
        "UNAUTHENTICATED"
    );
    assert_code!(
        server.gql_as(&newer_access, ME, json!({})).await,
        "UNAUTHENTICATED"
    );

    // Another session of the same user is untouched.
    let other = server
        .login("ada@example.org", "a long enough passphrase")
        .await;
    let other_access = other["data"]["login"]["accessToken"].as_str().expect("a");
    assert_no_errors(&server.gql_as(other_access, ME, json!({})).await);

    assert_code!(
        server.gql(REFRESH, json!({ "t": "made-up" })).await,
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn logout_ends_the_session_and_its_access_token_at_once() {
    let server = TestServer::start().await;
    let session = server
        .register("ada@example.org", "a long enough passphrase", "Ada")
        .await;
    let access = session["accessToken"].as_str().expect("a");
    let logout = "mutation($t: String!) { logout(refreshToken: $t) }";
    let body = server
        .gql(logout, json!({ "t": session["refreshToken"] }))
        .await;
    assert_eq!(body["data"]["logout"], true);
    assert_code!(
        server.gql_as(access, ME, json!({})).await,
        "UNAUTHENTICATED"
    );
    assert_code!(
        server
            .gql(REFRESH, json!({ "t": session["refreshToken"] }))
            .await,
        "UNAUTHENTICATED"
    );
    let again = server
        .gql(logout, json!({ "t": session["refreshToken"] }))
        .await;
    assert_eq!(again["data"]["logout"], false);
}

#[tokio::test]
async fn five_failures_lock_the_address_until_the_window_passes() {
    let clock = ManualClock::new(Utc::now());
    let server = TestServer::start_with(ServerOptions {
        clock: Some(clock.clone()),
        ..Default::default()
    })
    .await;
    server
        .register("ada@example.org", "a long enough passphrase", "Ada")
        .await;
    for _ in 0..5 {
        let body = server.login("ada@example.org", "wrong password!").await;
        assert_code!(body, "UNAUTHENTICATED");
        clock.advance(chrono::Duration::seconds(10));
    }
    // Locked: even the right password is refused, with a retry time.
    let locked = server
        .login("ada@example.org", "a long enough passphrase")
        .await;
    assert_code!(locked, "RATE_LIMITED");
    let retry = locked["errors"][0]["extensions"]["retryAfter"]
        .as_u64()
        .expect("retryAfter");
    assert!((800..=900).contains(&retry), "retryAfter {retry}");

    clock.advance(chrono::Duration::seconds(retry as i64 + 1));
    assert_no_errors(
        &server
            .login("ada@example.org", "a long enough passphrase")
            .await,
    );
}

#[tokio::test]
async fn unknown_email_and_wrong_password_look_the_same() {
    let server = TestServer::start().await;
    server
        .register("ada@example.org", "a long enough passphrase", "Ada")
        .await;
    let wrong = server.login("ada@example.org", "not the password").await;
    let unknown = server.login("nobody@example.org", "not the password").await;
    assert_code!(wrong, "UNAUTHENTICATED");
    assert_body_snapshot!(
        "unknown_email_and_wrong_password_look_the_same-wrong",
        wrong
    );
    assert_eq!(
        wrong["errors"][0]["message"],
        unknown["errors"][0]["message"]
    );
    // Unknown addresses lock too, so the lockout reveals nothing either.
    for _ in 0..5 {
        server.login("nobody@example.org", "not the password").await;
    }
    assert_code!(
        server.login("nobody@example.org", "x").await,
        "RATE_LIMITED"
    );
}

#[tokio::test]
async fn invalid_expired_or_foreign_tokens_are_unauthenticated_not_anonymous() {
    let clock = ManualClock::new(Utc::now());
    let server = TestServer::start_with(ServerOptions {
        clock: Some(clock.clone()),
        ..Default::default()
    })
    .await;
    let token = server.register_token("ada@example.org").await;
    assert_code!(
        server.gql_as("garbage", ME, json!({})).await,
        "UNAUTHENTICATED"
    );
    let foreign = agora_platform::auth::jwt::JwtKeys::new(
        b"some other secret of enough length!!",
        std::time::Duration::from_secs(900),
    )
    .issue(uuid::Uuid::now_v7(), uuid::Uuid::now_v7(), clock.now())
    .expect("token");
    assert_code!(
        server.gql_as(&foreign, ME, json!({})).await,
        "UNAUTHENTICATED"
    );
    let malformed = server
        .gql_with(ME, json!({}), &[("authorization", "Token abc")])
        .await;
    assert_code!(malformed, "UNAUTHENTICATED");
    assert_body_snapshot!(
        "invalid_expired_or_foreign_tokens_are_unauthenticated_not_anonymous-malformed",
        malformed
    );
    assert_no_errors(&server.gql_as(&token, ME, json!({})).await);
    clock.advance(chrono::Duration::minutes(16));
    let expired = server.gql_as(&token, ME, json!({})).await;
    assert_code!(expired, "UNAUTHENTICATED");
    assert_body_snapshot!(
        "invalid_expired_or_foreign_tokens_are_unauthenticated_not_anonymous-expired",
        expired
    );
    assert!(
        expired["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("expired")
    );
}

#[tokio::test]
async fn password_reset_is_single_use_and_ends_every_session() {
    let server = TestServer::start().await;
    let session = server
        .register("ada@example.org", "a long enough passphrase", "Ada")
        .await;
    let request = "mutation($e: String!) { requestPasswordReset(email: $e) }";
    let unknown = server
        .gql(request, json!({ "e": "nobody@example.org" }))
        .await;
    assert_eq!(unknown["data"]["requestPasswordReset"], true);
    assert!(server.mailbox.last_to("nobody@example.org").is_none());

    server.gql(request, json!({ "e": "Ada@Example.org" })).await;
    let mail = server
        .mailbox
        .last_to("ada@example.org")
        .expect("reset mail");
    let token = mail
        .body
        .split("token=")
        .nth(1)
        .expect("link")
        .split_whitespace()
        .next()
        .expect("t")
        .to_owned();

    let reset = "mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }";
    let weak = server.gql(reset, json!({ "t": token, "p": "short" })).await;
    assert_code!(weak, "BAD_USER_INPUT");
    assert_body_snapshot!(
        "password_reset_is_single_use_and_ends_every_session-weak",
        weak
    );
    // The weak attempt did not burn the token.
    assert_no_errors(
        &server
            .gql(reset, json!({ "t": token, "p": "a brand new passphrase" }))
            .await,
    );
    let again = server
        .gql(reset, json!({ "t": token, "p": "yet another passphrase" }))
        .await;
    assert_code!(again, "BAD_USER_INPUT");
    assert_body_snapshot!(
        "password_reset_is_single_use_and_ends_every_session-again",
        again
    );
    assert_code!(
        server
            .gql(
                reset,
                json!({ "t": "forged", "p": "yet another passphrase" })
            )
            .await,
        "BAD_USER_INPUT"
    );

    assert_code!(
        server
            .gql_as(session["accessToken"].as_str().expect("a"), ME, json!({}))
            .await,
        "UNAUTHENTICATED"
    );
    assert_code!(
        server
            .login("ada@example.org", "a long enough passphrase")
            .await,
        "UNAUTHENTICATED"
    );
    assert_no_errors(
        &server
            .login("ada@example.org", "a brand new passphrase")
            .await,
    );
}

#[tokio::test]
async fn email_verification_link_confirms_the_address_once() {
    let server = TestServer::start().await;
    let token = server.register_token("ada@example.org").await;
    let verified = "{ me { emailVerified } }";
    assert_eq!(
        server.gql_as(&token, verified, json!({})).await["data"]["me"]["emailVerified"],
        false
    );
    let mail = server
        .mailbox
        .last_to("ada@example.org")
        .expect("verification mail");
    assert!(mail.subject.contains("Confirm"));
    let link_token = mail
        .body
        .split("token=")
        .nth(1)
        .expect("link")
        .split_whitespace()
        .next()
        .expect("t")
        .to_owned();
    let verify = "mutation($t: String!) { verifyEmail(token: $t) { emailVerified } }";
    assert_no_errors(&server.gql(verify, json!({ "t": link_token })).await);
    assert_eq!(
        server.gql_as(&token, verified, json!({})).await["data"]["me"]["emailVerified"],
        true
    );
    assert_code!(
        server.gql(verify, json!({ "t": link_token })).await,
        "BAD_USER_INPUT"
    );
    let resend = server
        .gql_as(&token, "mutation { resendEmailVerification }", json!({}))
        .await;
    assert_code!(resend, "CONFLICT");
    assert_body_snapshot!(
        "email_verification_link_confirms_the_address_once-resend",
        resend
    );
}

#[tokio::test]
async fn change_password_checks_the_current_one_and_ends_other_sessions() {
    let server = TestServer::start().await;
    let first = server
        .register("ada@example.org", "a long enough passphrase", "Ada")
        .await;
    let second = server
        .login("ada@example.org", "a long enough passphrase")
        .await;
    let current = second["data"]["login"]["accessToken"].as_str().expect("a");
    let change = "mutation($i: ChangePasswordInput!) { changePassword(input: $i) }";
    let wrong = server
        .gql_as(current, change, json!({ "i": { "currentPassword": "nope nope nope", "newPassword": "a brand new passphrase" } }))
        .await;
    assert_code!(wrong, "BAD_USER_INPUT");
    assert_body_snapshot!(
        "change_password_checks_the_current_one_and_ends_other_sessions-wrong",
        wrong
    );
    let anonymous = server
        .gql(change, json!({ "i": { "currentPassword": "a long enough passphrase", "newPassword": "a brand new passphrase" } }))
        .await;
    assert_code!(anonymous, "UNAUTHENTICATED");
    assert_body_snapshot!(
        "change_password_checks_the_current_one_and_ends_other_sessions-anonymous",
        anonymous
    );
    let ok = server
        .gql_as(current, change, json!({ "i": { "currentPassword": "a long enough passphrase", "newPassword": "a brand new passphrase" } }))
        .await;
    assert_no_errors(&ok);
    assert_no_errors(&server.gql_as(current, ME, json!({})).await);
    assert_code!(
        server
            .gql_as(first["accessToken"].as_str().expect("a"), ME, json!({}))
            .await,
        "UNAUTHENTICATED"
    );
}
