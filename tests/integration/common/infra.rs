//! Infrastructure a fault test may break: a private PostgreSQL cluster and a private Redis, each
//! on a free port in a temporary directory, a TCP proxy that can cut the network, and a replica
//! that is the real `agora` binary (so it can be killed with SIGKILL). Nothing here touches the
//! machine's shared services.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use tokio::{
    io::{AsyncBufReadExt, BufReader},
    net::{TcpListener, TcpStream},
    process::{Child, Command},
    sync::watch,
};

/// A free TCP port on 127.0.0.1 (bound, read, released).
pub fn free_port() -> u16 {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("probe port");
    probe.local_addr().expect("addr").port()
}

/// Sends `signal` (`STOP`, `CONT`, `KILL`, `TERM`, `INT`, ...) to process `pid`.
pub fn signal(pid: u32, signal: &str) {
    let status = std::process::Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -{signal} {pid} failed");
}

/// Whether a test that needs `what` may go on: off CI a missing tool skips the test with a
/// notice on stderr; on CI (`CI` set) it fails, so the suite never skips silently.
fn available(found: bool, what: &str) -> bool {
    if found {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "fault tests need {what} (CI installs it)"
    );
    eprintln!("skipped: this fault test needs {what}");
    false
}

/// The user the database server runs as: `postgres` when the tests run as root (PostgreSQL
/// refuses root), else the current user.
fn postgres_user() -> Option<(u32, u32)> {
    let root = std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false);
    if !root {
        return None;
    }
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.first() == Some(&"postgres"))
            .then(|| Some((fields.get(2)?.parse().ok()?, fields.get(3)?.parse().ok()?)))
            .flatten()
    })
}

/// The directory of the newest installed PostgreSQL server binaries.
fn postgres_bin() -> Option<PathBuf> {
    let mut dirs: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    dirs.sort();
    dirs.pop().map(|(_, bin)| bin)
}

/// A process started for the test, with its output in a log file beside its data.
fn spawn_logged(mut command: Command, log: &Path) -> Child {
    let out = std::fs::File::create(log).expect("log file");
    let err = out.try_clone().expect("log file");
    command
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .kill_on_drop(true)
        .spawn()
        .expect("process starts")
}

async fn wait_exit(child: &mut Child, what: &str) {
    tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .unwrap_or_else(|_| panic!("{what} did not stop within 30 s"))
        .expect("wait");
}

/// A PostgreSQL cluster of the test's own (`initdb` in a temporary directory, `postgres` on a
/// free port, durability off for speed: a process crash, not a machine crash, is what is
/// tested).
pub struct PrivatePostgres {
    pub port: u16,
    bin: PathBuf,
    dir: tempfile::TempDir,
    user: Option<(u32, u32)>,
    child: Option<Child>,
}

impl PrivatePostgres {
    /// Initialises and starts a cluster; None (off CI) when PostgreSQL is not installed.
    pub async fn start() -> Option<Self> {
        let bin = postgres_bin();
        if !available(bin.is_some(), "the PostgreSQL server (initdb)") {
            return None;
        }
        let bin = bin.expect("checked");
        let dir = tempfile::tempdir().expect("temp dir");
        let user = postgres_user();
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).expect("chown");
        }
        let mut initdb = std::process::Command::new(bin.join("initdb"));
        initdb
            .arg("-D")
            .arg(dir.path().join("data"))
            .args(["-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"])
            .args(["--locale=C"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some((uid, gid)) = user {
            std::os::unix::process::CommandExt::uid(&mut initdb, uid);
            std::os::unix::process::CommandExt::gid(&mut initdb, gid);
        }
        let output = tokio::task::spawn_blocking(move || initdb.output())
            .await
            .expect("join")
            .expect("initdb runs");
        assert!(
            output.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let mut pg = Self {
            port: free_port(),
            bin,
            dir,
            user,
            child: None,
        };
        pg.up().await;
        Some(pg)
    }

    /// The connection URL.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the server and waits until it accepts queries.
    pub async fn up(&mut self) {
        assert!(self.child.is_none(), "already running");
        let mut command = Command::new(self.bin.join("postgres"));
        command
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .arg("-p")
            .arg(self.port.to_string())
            .arg("-k")
            .arg(self.dir.path())
            .args(["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"])
            .args(["-c", "synchronous_commit=off", "-c", "full_page_writes=off"])
            .args(["-c", "max_connections=60"]);
        if let Some((uid, gid)) = self.user {
            command.uid(uid).gid(gid);
        }
        let log = self.dir.path().join("postgres.log");
        self.child = Some(spawn_logged(command, &log));
        let url = self.url();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Ok(db)) =
                tokio::time::timeout(Duration::from_secs(2), sea_orm::Database::connect(&url)).await
            {
                let _ = db.close().await;
                return;
            }
            assert!(
                Instant::now() < deadline,
                "PostgreSQL did not start: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Stops the server the way `pg_ctl stop -m fast` does (SIGINT: open connections are cut).
    pub async fn down(&mut self) {
        let mut child = self.child.take().expect("running");
        signal(child.id().expect("pid"), "INT");
        wait_exit(&mut child, "PostgreSQL").await;
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        if let Some(child) = &self.child
            && let Some(pid) = child.id()
        {
            // Immediate shutdown: the postmaster takes its backends with it.
            let _ = std::process::Command::new("kill")
                .args(["-QUIT", &pid.to_string()])
                .status();
        }
    }
}

/// A Redis of the test's own, on a free port, keeping nothing on disk.
pub struct PrivateRedis {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl PrivateRedis {
    /// Starts one; None (off CI) when `redis-server` is not installed.
    pub async fn start() -> Option<Self> {
        let found = std::process::Command::new("redis-server")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !available(found, "redis-server") {
            return None;
        }
        let mut redis = Self {
            port: free_port(),
            dir: tempfile::tempdir().expect("temp dir"),
            child: None,
        };
        redis.up().await;
        Some(redis)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Starts the server and waits until it answers PING.
    pub async fn up(&mut self) {
        assert!(self.child.is_none(), "already running");
        let mut command = Command::new("redis-server");
        command
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .arg("--dir")
            .arg(self.dir.path());
        let log = self.dir.path().join("redis.log");
        self.child = Some(spawn_logged(command, &log));
        let client = redis::Client::open(self.url()).expect("redis url");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Ok(mut conn)) = tokio::time::timeout(
                Duration::from_secs(1),
                client.get_multiplexed_async_connection(),
            )
            .await
                && redis::cmd("PING")
                    .query_async::<String>(&mut conn)
                    .await
                    .is_ok()
            {
                return;
            }
            assert!(Instant::now() < deadline, "redis-server did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops the server (SIGTERM; it keeps nothing, so a restart starts empty).
    pub async fn down(&mut self) {
        let mut child = self.child.take().expect("running");
        signal(child.id().expect("pid"), "TERM");
        wait_exit(&mut child, "redis-server").await;
    }

    /// Freezes the server (SIGSTOP): connections stay open and nothing answers.
    pub fn pause(&self) {
        signal(self.pid(), "STOP");
    }

    /// Thaws a paused server (SIGCONT).
    pub fn resume(&self) {
        signal(self.pid(), "CONT");
    }

    fn pid(&self) -> u32 {
        self.child
            .as_ref()
            .and_then(Child::id)
            .expect("redis running")
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        // Thaw a paused server so the SIGKILL of `kill_on_drop` ends it at once.
        if let Some(pid) = self.child.as_ref().and_then(Child::id) {
            let _ = std::process::Command::new("kill")
                .args(["-CONT", &pid.to_string()])
                .status();
        }
    }
}

/// A TCP proxy in front of a service: while cut, open connections are dropped and new ones
/// are closed at once, as when the network between a replica and the service fails.
pub struct Proxy {
    pub port: u16,
    up: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    pub async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("addr").port();
        let (up, watching) = watch::channel(true);
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let mut state = watching.clone();
                if !*state.borrow() {
                    continue;
                }
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = state.wait_for(|up| !*up) => {}
                    }
                });
            }
        });
        Self { port, up, task }
    }

    /// Cuts the network: every proxied connection drops, new ones are refused.
    pub fn cut(&self) {
        self.up.send_replace(false);
    }

    /// Restores the network.
    pub fn restore(&self) {
        self.up.send_replace(true);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A replica that is the real `agora` binary on a free port.
pub struct Replica {
    pub port: u16,
    /// Its Redis key prefix.
    pub prefix: String,
    child: Child,
    _media: tempfile::TempDir,
}

impl Replica {
    /// Starts `agora serve` on `database_url` and `redis_url` (key prefix `prefix`), with
    /// `env` added; returns once it says it is listening.
    pub async fn start(
        database_url: &str,
        redis_url: &str,
        prefix: &str,
        env: &[(&str, &str)],
    ) -> Self {
        let port = free_port();
        let media = tempfile::tempdir().expect("media dir");
        let mut command = Command::new(env!("CARGO_BIN_EXE_agora"));
        command
            .args(["serve", "--migrate", "false"])
            .env("AGORA_BIND", format!("127.0.0.1:{port}"))
            .env("DATABASE_URL", database_url)
            .env("REDIS_URL", redis_url)
            .env("AGORA_REDIS_PREFIX", prefix)
            .env("AGORA_JWT_SECRET", "test-secret-test-secret-test-secret-42")
            .env("AGORA_LITERACY_MEDIA_DIR", media.path())
            .env("AGORA_LOG_FORMAT", "json")
            .env("AGORA_SHUTDOWN_TIMEOUT", "5s")
            .env("AGORA_RATE_LIMIT_IP", "1000000")
            .env("AGORA_RATE_LIMIT_USER", "1000000")
            .env("AGORA_RATE_LIMIT_KEY", "1000000")
            .env("AGORA_RATE_LIMIT_AUTH", "1000000");
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("replica starts");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let ready = tokio::time::timeout(Duration::from_secs(60), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if line.contains("agora listening") {
                    return true;
                }
            }
            false
        })
        .await
        .unwrap_or(false);
        assert!(ready, "replica on port {port} did not start");
        // Keep reading so the replica never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Self {
            port,
            prefix: prefix.to_owned(),
            child,
            _media: media,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}/graphql/ws", self.port)
    }

    /// SIGKILL: no drain, no lease released, claims left as they are.
    pub async fn kill9(mut self) {
        signal(self.child.id().expect("pid"), "KILL");
        wait_exit(&mut self.child, "the replica").await;
    }
}
