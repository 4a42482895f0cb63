//! The real mail and push senders: lettre's SMTP client against a stand-in SMTP server, the
//! push webhook against a stand-in axum gateway, and both selected by configuration in a real
//! server carrying a real notification.

use std::sync::{Arc, Mutex};

use agora_platform::{
    mail::{Mail, MailSender, SmtpMailSender},
    push::{PushMessage, PushSender, WebhookPushSender},
};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
};
use uuid::Uuid;

use super::common::{ServerOptions, TestServer, outbox::emit, users::user};

/// What a stand-in SMTP server received: the envelope and the message text.
#[derive(Debug, Default, Clone)]
struct SmtpLog {
    recipients: Vec<String>,
    data: String,
}

/// A stand-in SMTP server speaking just enough of the protocol for one client at a time;
/// returns its port and what it received.
async fn smtp_stand_in() -> (u16, Arc<Mutex<Vec<SmtpLog>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let received = Arc::new(Mutex::new(Vec::new()));
    let log = received.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                let mut current = SmtpLog::default();
                let _ = write.write_all(b"220 stand-in ESMTP\r\n").await;
                let mut in_data = false;
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_data {
                        if line == "." {
                            in_data = false;
                            log.lock().expect("log").push(current.clone());
                            let _ = write.write_all(b"250 queued\r\n").await;
                        } else {
                            current.data.push_str(&line);
                            current.data.push('\n');
                        }
                        continue;
                    }
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 stand-in\r\n",
                        "MAIL" => b"250 ok\r\n",
                        "RCPT" => {
                            current.recipients.push(line.clone());
                            b"250 ok\r\n"
                        }
                        "DATA" => {
                            in_data = true;
                            b"354 go ahead\r\n"
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            break;
                        }
                        _ => b"250 ok\r\n",
                    };
                    let _ = write.write_all(reply).await;
                }
            });
        }
    });
    (port, received)
}

#[tokio::test]
async fn the_smtp_sender_delivers_to_an_smtp_server() {
    let (port, received) = smtp_stand_in().await;
    let sender = SmtpMailSender::new(
        &format!("smtp://127.0.0.1:{port}"),
        "Agora <no-reply@agora.local>",
    )
    .expect("sender");
    sender
        .send(Mail {
            to: "ada@example.org".into(),
            subject: "Your 5-day streak is at risk".into(),
            body: "Practise today.".into(),
        })
        .await
        .expect("sent");
    let log = received.lock().expect("log").clone();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].recipients, ["RCPT TO:<ada@example.org>"]);
    assert!(
        log[0]
            .data
            .contains("Subject: Your 5-day streak is at risk"),
        "{}",
        log[0].data
    );
    assert!(
        log[0].data.contains("To: ada@example.org"),
        "{}",
        log[0].data
    );
    assert!(
        log[0].data.contains("<no-reply@agora.local>"),
        "{}",
        log[0].data
    );
    assert!(log[0].data.contains("Practise today."));
}

#[tokio::test]
async fn the_smtp_sender_refuses_bad_settings_and_fails_without_a_server() {
    assert!(
        SmtpMailSender::new("ftp://x", "a@b.c")
            .expect_err("scheme")
            .contains("SMTP_URL")
    );
    assert!(
        SmtpMailSender::new("smtp://127.0.0.1:25", "not an address")
            .expect_err("from")
            .contains("MAIL_FROM")
    );
    let closed = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let sender = SmtpMailSender::new(&format!("smtp://127.0.0.1:{port}"), "a@b.c").expect("sender");
    let mail = Mail {
        to: "ada@example.org".into(),
        subject: "s".into(),
        body: "b".into(),
    };
    assert!(
        sender.send(mail).await.is_err(),
        "no server: the outbox retries"
    );
}

/// A stand-in push gateway: `/ok` records each body and answers 204, `/fail` answers 500.
async fn webhook_stand_in() -> (String, Arc<Mutex<Vec<Value>>>) {
    use axum::{Json, Router, extract::State, http::StatusCode, routing::post};
    let received = Arc::new(Mutex::new(Vec::new()));
    let app = Router::new()
        .route(
            "/ok",
            post(
                |State(log): State<Arc<Mutex<Vec<Value>>>>, Json(body): Json<Value>| async move {
                    log.lock().expect("log").push(body);
                    StatusCode::NO_CONTENT
                },
            ),
        )
        .route(
            "/fail",
            post(|| async { StatusCode::INTERNAL_SERVER_ERROR }),
        )
        .with_state(received.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (base, received)
}

fn push_message(user: Uuid) -> PushMessage {
    PushMessage {
        notification_id: Uuid::now_v7(),
        user_id: user,
        kind: "FLASHCARDS_DUE".into(),
        title: "3 flashcards due for review".into(),
        body: "Review them".into(),
        data: json!({ "dueCount": 3 }),
    }
}

#[tokio::test]
async fn the_webhook_push_sender_posts_json_and_treats_a_500_as_failure() {
    let (base, received) = webhook_stand_in().await;
    let user = Uuid::now_v7();
    let ok = WebhookPushSender::new(&format!("{base}/ok")).expect("sender");
    ok.send(push_message(user)).await.expect("2xx is success");
    let bodies = received.lock().expect("log").clone();
    assert_eq!(bodies.len(), 1);
    assert_eq!(bodies[0]["userId"], user.to_string());
    assert_eq!(bodies[0]["kind"], "FLASHCARDS_DUE");
    assert_eq!(bodies[0]["title"], "3 flashcards due for review");
    assert_eq!(bodies[0]["body"], "Review them");
    assert_eq!(bodies[0]["data"], json!({ "dueCount": 3 }));
    let failing = WebhookPushSender::new(&format!("{base}/fail")).expect("sender");
    assert!(failing.send(push_message(user)).await.is_err());
    assert!(WebhookPushSender::new("ftp://nowhere").is_err());
}

#[tokio::test]
async fn configured_smtp_and_webhook_carry_a_real_notification() {
    let (smtp_port, mails) = smtp_stand_in().await;
    let (base, pushes) = webhook_stand_in().await;
    let server = TestServer::start_with(ServerOptions {
        configured_senders: true,
        args: vec![
            "--smtp-url".into(),
            format!("smtp://127.0.0.1:{smtp_port}"),
            "--mail-from".into(),
            "Agora Test <test@agora.local>".into(),
            "--push-webhook-url".into(),
            format!("{base}/ok"),
        ],
        ..Default::default()
    })
    .await;
    let ada = user(&server, "ada@example.org", "Ada").await;
    emit(
        &server,
        "STREAK_AT_RISK",
        json!({ "userId": ada.id, "streak": 5, "localDate": "2026-11-26" }),
    )
    .await;
    server.wait_for_outbox().await;
    let mails = mails.lock().expect("log").clone();
    let streak: Vec<&SmtpLog> = mails
        .iter()
        .filter(|m| m.data.contains("Subject: Your 5-day streak is at risk"))
        .collect();
    assert_eq!(streak.len(), 1, "{mails:?}");
    assert_eq!(streak[0].recipients, ["RCPT TO:<ada@example.org>"]);
    assert!(
        streak[0].data.contains("<test@agora.local>"),
        "{}",
        streak[0].data
    );
    let pushes = pushes.lock().expect("log").clone();
    assert_eq!(pushes.len(), 1, "{pushes:?}");
    assert_eq!(pushes[0]["kind"], "STREAK_AT_RISK");
    assert_eq!(pushes[0]["userId"], ada.id.to_string());
}
