//! The server under test: a real `agora` on a free port, and the client calls tests make.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use agora_platform::{
    clock::{Clock, ManualClock},
    config,
    mail::Mailbox,
    push::Pushbox,
};
use agora_server::{AppState, StartOptions, state::build_state};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use super::{TestDb, assert_no_errors};

/// Sends the server's warnings (or what `AGORA_TEST_LOG` selects) to the test's captured
/// output, so a failing test shows what the server complained about.
fn capture_server_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let filter = std::env::var("AGORA_TEST_LOG").unwrap_or_else(|_| "warn".to_owned());
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_ansi(false)
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .try_init();
    });
}

/// Options for [`TestServer::start_with`].
#[derive(Default)]
pub struct ServerOptions {
    /// Use this clock (tests that move time).
    pub clock: Option<ManualClock>,
    /// Reuse an existing database (a second replica) instead of a fresh one.
    pub shared_db: Option<(String, Option<String>)>,
    /// Redis URL and prefix to use (a second replica), instead of the environment's.
    pub redis: Option<(String, String)>,
    /// Extra configuration flags.
    pub args: Vec<String>,
    /// Build the state only: no listener, no background workers (tests that drive a worker
    /// themselves).
    pub idle: bool,
    /// Send mail and pushes with what the configuration selects (`--smtp-url`,
    /// `--push-webhook-url`) instead of keeping them in `mailbox` and `pushes`.
    pub configured_senders: bool,
}

/// A running server.
pub struct TestServer {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    pub mailbox: Mailbox,
    pub pushes: Pushbox,
    pub state: AppState,
    handle: Option<JoinHandle<anyhow::Result<()>>>,
    _db: Option<TestDb>,
    /// Literacy's audio cache, removed with the server.
    pub media: tempfile::TempDir,
}

impl TestServer {
    /// A server on a fresh database in the mode the environment selects.
    pub async fn start() -> Self {
        Self::start_with(ServerOptions::default()).await
    }

    pub async fn start_with(options: ServerOptions) -> Self {
        capture_server_logs();
        let (db_guard, url, search_path) = match options.shared_db {
            Some((url, path)) => (None, url, path),
            None => {
                let db = TestDb::fresh().await;
                let (url, path) = (db.url.clone(), db.search_path.clone());
                (Some(db), url, path)
            }
        };
        let redis = options.redis.or_else(|| {
            std::env::var("AGORA_TEST_REDIS_URL")
                .ok()
                .filter(|u| !u.is_empty())
                .map(|u| (u, format!("agora_t_{}", uuid::Uuid::new_v4().simple())))
        });
        let mut args = vec![
            "--bind".to_owned(),
            "127.0.0.1:0".to_owned(),
            "--database-url".to_owned(),
            url.clone(),
            "--jwt-secret".to_owned(),
            "test-secret-test-secret-test-secret-42".to_owned(),
            "--db-max-connections".to_owned(),
            "5".to_owned(),
        ];
        if !options.args.iter().any(|a| a == "--shutdown-timeout") {
            args.extend(["--shutdown-timeout".to_owned(), "5s".to_owned()]);
        }
        let media = tempfile::tempdir().expect("media dir");
        args.extend([
            "--literacy-media-dir".to_owned(),
            media.path().display().to_string(),
        ]);
        if let Some((redis_url, prefix)) = &redis {
            args.extend([
                "--redis-url".to_owned(),
                redis_url.clone(),
                "--redis-prefix".to_owned(),
                prefix.clone(),
            ]);
        }
        // Every test client shares 127.0.0.1 and signs up many users quickly: rate limits are
        // out of the way unless a test sets its own.
        for flag in [
            "--rate-limit-ip",
            "--rate-limit-user",
            "--rate-limit-key",
            "--rate-limit-auth",
        ] {
            if !options.args.iter().any(|a| a == flag) {
                args.extend([flag.to_owned(), "1000000".to_owned()]);
            }
        }
        args.extend(options.args);
        let config = config::parse_args(args).expect("test config parses");
        let mailbox = Mailbox::default();
        let pushes = Pushbox::default();
        let in_memory = !options.configured_senders;
        let clock: Option<Arc<dyn Clock>> = options.clock.map(|c| Arc::new(c) as Arc<dyn Clock>);
        let state = build_state(
            config,
            StartOptions {
                mail: in_memory.then(|| Arc::new(mailbox.clone()) as _),
                push: in_memory.then(|| Arc::new(pushes.clone()) as _),
                clock,
                search_path: search_path.clone(),
                migrate: true,
                allow_pending_migrations: false,
            },
        )
        .await
        .expect("server state builds");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let handle =
            (!options.idle).then(|| tokio::spawn(agora_server::serve(state.clone(), listener)));
        Self {
            addr,
            http: reqwest::Client::new(),
            mailbox,
            pushes,
            state,
            handle,
            _db: db_guard,
            media,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/graphql/ws", self.addr)
    }

    /// POSTs a GraphQL request with optional headers; returns the JSON body.
    pub async fn gql_with(&self, query: &str, variables: Value, headers: &[(&str, &str)]) -> Value {
        let mut request = self
            .http
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("request sent");
        response.json().await.expect("JSON body")
    }

    /// POSTs as anonymous.
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        self.gql_with(query, variables, &[]).await
    }

    /// POSTs with a bearer token.
    pub async fn gql_as(&self, token: &str, query: &str, variables: Value) -> Value {
        let auth = format!("Bearer {token}");
        self.gql_with(query, variables, &[("authorization", auth.as_str())])
            .await
    }

    /// Registers an account; returns the `register` payload.
    pub async fn register(&self, email: &str, password: &str, name: &str) -> Value {
        let body = self
            .gql(
                "mutation($i: RegisterInput!) { register(input: $i) { accessToken refreshToken expiresIn user { id email displayName role } } }",
                json!({ "i": { "email": email, "password": password, "displayName": name } }),
            )
            .await;
        assert_no_errors(&body);
        body["data"]["register"].clone()
    }

    /// Registers and returns the access token.
    pub async fn register_token(&self, email: &str) -> String {
        let payload = self
            .register(email, "a long enough passphrase", "Tester")
            .await;
        payload["accessToken"].as_str().expect("token").to_owned()
    }

    /// Signs in; returns the whole response body.
    pub async fn login(&self, email: &str, password: &str) -> Value {
        self.gql(
            "mutation($i: LoginInput!) { login(input: $i) { accessToken refreshToken user { id email role } } }",
            json!({ "i": { "email": email, "password": password } }),
        )
        .await
    }

    /// Sets a user's role with an admin token.
    pub async fn set_role(&self, admin_token: &str, user_id: &str, role: &str) {
        let body = self
            .gql_as(
                admin_token,
                "mutation($u: ID!, $r: Role!) { setUserRole(userId: $u, role: $r) { role } }",
                json!({ "u": user_id, "r": role }),
            )
            .await;
        assert_no_errors(&body);
    }

    /// Waits until the dispatcher has delivered every outbox event (so background work does
    /// not mix with what a test measures).
    pub async fn wait_for_outbox(&self) {
        use agora_entities::platform::outbox_event;
        use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
        for _ in 0..200 {
            let pending = outbox_event::Entity::find()
                .filter(outbox_event::Column::Status.eq(outbox_event::Status::Pending))
                .count(&self.state.platform.db)
                .await
                .expect("count");
            if pending == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let stuck: Vec<(String, i32, Option<String>)> = outbox_event::Entity::find()
            .filter(outbox_event::Column::Status.eq(outbox_event::Status::Pending))
            .all(&self.state.platform.db)
            .await
            .expect("pending")
            .into_iter()
            .map(|e| (e.event_type, e.attempts, e.last_error))
            .collect();
        panic!("the outbox did not drain: {stuck:?}");
    }

    /// One signed-in user per role (the admin registers first).
    pub async fn role_tokens(&self) -> RoleTokens {
        let admin = self.register_token("admin@example.org").await;
        let mut others = Vec::new();
        for (email, role) in [
            ("moderator@example.org", "MODERATOR"),
            ("contributor@example.org", "CONTRIBUTOR"),
            ("learner@example.org", "LEARNER"),
        ] {
            let payload = self.register(email, "a long enough passphrase", role).await;
            let id = payload["user"]["id"].as_str().expect("id").to_owned();
            if role != "LEARNER" {
                self.set_role(&admin, &id, role).await;
            }
            others.push(payload["accessToken"].as_str().expect("token").to_owned());
        }
        let learner = others.pop().expect("learner");
        let contributor = others.pop().expect("contributor");
        let moderator = others.pop().expect("moderator");
        RoleTokens {
            admin,
            moderator,
            contributor,
            learner,
        }
    }

    /// The `/metrics` text (no token).
    pub async fn metrics(&self) -> String {
        self.http
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text")
    }

    /// Stops the server the way SIGTERM does and waits for it.
    pub async fn shutdown(mut self) {
        self.state.shutdown.cancel();
        if let Some(handle) = self.handle.take() {
            let result = tokio::time::timeout(Duration::from_secs(15), handle).await;
            let result = result.expect("server stops in time").expect("server task");
            result.expect("server exits cleanly");
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.state.shutdown.cancel();
    }
}

/// Access tokens of one user per role.
pub struct RoleTokens {
    pub admin: String,
    pub moderator: String,
    pub contributor: String,
    pub learner: String,
}

/// Builds a GraphQL multipart request body: `operations`, `map`, then one file bound to
/// `variables.input.upload`; returns the content type and the body.
pub fn multipart(operations: Value, file: &[u8], content_type: &str) -> (String, Vec<u8>) {
    let boundary = "agora-test-boundary-7d1f";
    let mut body = Vec::new();
    let mut part = |headers: String, content: &[u8]| {
        body.extend_from_slice(format!("--{boundary}\r\n{headers}\r\n\r\n").as_bytes());
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    };
    part(
        "Content-Disposition: form-data; name=\"operations\"".into(),
        operations.to_string().as_bytes(),
    );
    part(
        "Content-Disposition: form-data; name=\"map\"".into(),
        json!({ "0": ["variables.input.upload"] })
            .to_string()
            .as_bytes(),
    );
    part(
        format!(
            "Content-Disposition: form-data; name=\"0\"; filename=\"upload\"\r\nContent-Type: {content_type}"
        ),
        file,
    );
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}
