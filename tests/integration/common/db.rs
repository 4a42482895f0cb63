//! Test databases: a fresh SQLite file or PostgreSQL schema per test, and the check for tests
//! that need PostgreSQL and Redis.

use std::time::Duration;

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
