//! The test harness: a real `agora` server on a free port, over a fresh database (a temporary
//! SQLite file, or a fresh PostgreSQL schema when `AGORA_TEST_DATABASE_URL` is set) and the
//! in-process bus (or Redis under a fresh key prefix when `AGORA_TEST_REDIS_URL` is set).

pub mod ws;

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

/// Where the test's data lives; dropping it removes the data.
pub struct TestDb {
    pub url: String,
    pub search_path: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// A fresh database: SQLite file, or a new schema in `AGORA_TEST_DATABASE_URL`.
    pub async fn fresh() -> Self {
        match std::env::var("AGORA_TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => Self::fresh_postgres(&url).await,
            _ => Self::fresh_sqlite(),
        }
    }

    pub fn fresh_sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/agora.db?mode=rwc", dir.path().display());
        Self {
            url,
            search_path: None,
            _dir: Some(dir),
        }
    }

    pub async fn fresh_postgres(url: &str) -> Self {
        use sea_orm::ConnectionTrait;
        let pid = std::process::id();
        let schema = format!("agora_t_{pid}_{}", uuid::Uuid::new_v4().simple());
        let admin = sea_orm::Database::connect(url)
            .await
            .expect("AGORA_TEST_DATABASE_URL must be reachable");
        sweep_dead_runs(&admin).await;
        admin
            .execute_unprepared(&format!("CREATE SCHEMA {schema}"))
            .await
            .expect("create test schema");
        admin.close().await.ok();
        Self {
            url: url.to_owned(),
            search_path: Some(schema),
            _dir: None,
        }
    }
}

/// Drops the schemas of test runs whose process is gone (a run killed before its cleanup).
async fn sweep_dead_runs(db: &sea_orm::DatabaseConnection) {
    use sea_orm::{ConnectionTrait, Statement};
    static SWEPT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if SWEPT.swap(true, std::sync::atomic::Ordering::SeqCst) {
        return;
    }
    let Ok(rows) = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'agora\\_t\\_%'",
        ))
        .await
    else {
        return;
    };
    for row in rows {
        let Ok(name) = row.try_get::<String>("", "nspname") else {
            continue;
        };
        let pid = name.split('_').nth(2).and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists());
        if !alive {
            let _ = db
                .execute_unprepared(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
                .await;
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(schema) = self.search_path.take() else {
            return;
        };
        let url = self.url.clone();
        // The server's tasks may still hold this schema's locks on the test's own (single)
        // runtime thread, so waiting here would deadlock: drop the schema from a detached
        // thread once they let go. A run killed first is swept by the next run.
        std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                use sea_orm::ConnectionTrait;
                if let Ok(db) = sea_orm::Database::connect(&url).await {
                    let _ = db
                        .execute_unprepared(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                        .await;
                    let _ = db.close().await;
                }
            });
        });
    }
}

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
                .filter(outbox_event::Column::Status.eq("PENDING"))
                .count(&self.state.platform.db)
                .await
                .expect("count");
            if pending == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let stuck: Vec<(String, i32, Option<String>)> = outbox_event::Entity::find()
            .filter(outbox_event::Column::Status.eq("PENDING"))
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

/// The `extensions.code` of the first error.
pub fn error_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error, got {body}"))
}

/// Fails the test with the body when it holds errors.
pub fn assert_no_errors(body: &Value) {
    assert!(
        body.get("errors").is_none_or(Value::is_null),
        "unexpected errors: {body}"
    );
}

/// PostgreSQL and Redis for tests that need both: the `AGORA_TEST_*` variables, else the
/// machine's default services if they answer. None (with a notice) only off CI.
pub async fn postgres_and_redis(test: &str) -> Option<(String, String)> {
    let pg = std::env::var("AGORA_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let redis_url = std::env::var("AGORA_TEST_REDIS_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "redis://127.0.0.1:6379".to_owned());
    let pg_ok = tokio::time::timeout(Duration::from_secs(3), sea_orm::Database::connect(&pg))
        .await
        .is_ok_and(|r| r.is_ok());
    let redis_ok = match redis::Client::open(redis_url.as_str()) {
        Ok(client) => tokio::time::timeout(
            Duration::from_secs(3),
            client.get_multiplexed_async_connection(),
        )
        .await
        .is_ok_and(|r| r.is_ok()),
        Err(_) => false,
    };
    if pg_ok && redis_ok {
        return Some((pg, redis_url));
    }
    let message =
        format!("{test} needs PostgreSQL ({pg}: {pg_ok}) and Redis ({redis_url}: {redis_ok})");
    if std::env::var_os("CI").is_some() {
        panic!("{message}");
    }
    eprintln!("SKIPPED: {message}");
    None
}
