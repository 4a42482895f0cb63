//! External programs the server runs (espeak-ng, ffmpeg, PocketSphinx, Tesseract): found on
//! `PATH` or at a configured path, run with a time limit (killed and reaped when it passes, or
//! when the caller stops waiting), their failures summarised from what they printed.

use std::{
    ffi::OsString,
    path::{Path, PathBuf},
    process::{ExitStatus, Stdio},
    time::Duration,
};

use tokio::{
    io::{AsyncRead, AsyncReadExt},
    process::Command,
};

/// Why a program did not produce its output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineError {
    /// The program is not installed.
    NotFound,
    /// It could not be started (permissions, resources).
    Start(String),
    /// It ran past its time limit and was killed.
    Timeout(Duration),
    /// It exited unsuccessfully: the status and the last relevant lines it printed.
    Failed(String),
}

/// Finds an executable: paths with a `/` are taken as they are, bare names are looked up on
/// `PATH`.
pub fn resolve(program: &Path) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let executable = |p: &Path| {
        std::fs::metadata(p)
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    };
    if program.as_os_str().is_empty() {
        return None;
    }
    if program.components().count() > 1 || program.is_absolute() {
        return executable(program).then(|| program.to_path_buf());
    }
    let path: OsString = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| executable(candidate))
}

/// Runs `cmd` (stdin closed) for at most `limit` and returns what it wrote to stdout. `name`
/// labels the logs.
pub async fn run(name: &str, mut cmd: Command, limit: Duration) -> Result<Vec<u8>, EngineError> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd.spawn().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => EngineError::NotFound,
        _ => EngineError::Start(e.to_string()),
    })?;
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let work = async {
        let (out, err, status) = tokio::join!(read_all(stdout), read_all(stderr), child.wait());
        (out, err, status)
    };
    let (stdout, stderr, status) = match tokio::time::timeout(limit, work).await {
        Ok(done) => done,
        Err(_) => {
            let pid = child.id();
            // SIGKILL and reap, so no zombie is left behind.
            if let Err(e) = child.kill().await {
                tracing::warn!(program = name, ?pid, error = %e, "could not kill timed-out child");
            }
            tracing::warn!(
                program = name,
                ?pid,
                ?limit,
                "child timed out and was killed"
            );
            return Err(EngineError::Timeout(limit));
        }
    };
    let status = status.map_err(|e| EngineError::Failed(format!("wait failed: {e}")))?;
    if !status.success() {
        return Err(EngineError::Failed(failure_detail(status, &stderr)));
    }
    Ok(stdout)
}

async fn read_all<R: AsyncRead + Unpin>(reader: Option<R>) -> Vec<u8> {
    let mut buf = Vec::new();
    if let Some(mut r) = reader
        && let Err(e) = r.read_to_end(&mut buf).await
    {
        tracing::debug!(error = %e, "reading child output failed");
    }
    buf
}

/// The exit status and the last three lines worth reading of `stderr` (`ERROR`/`FATAL` lines
/// when there are any: PocketSphinx logs a lot of `INFO`), at most 500 characters.
fn failure_detail(status: ExitStatus, stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let important: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("ERROR") || l.starts_with("FATAL"))
        .collect();
    let lines: Vec<&str> = if important.is_empty() {
        text.lines().filter(|l| !l.trim().is_empty()).collect()
    } else {
        important
    };
    let tail = lines[lines.len().saturating_sub(3)..].join(" | ");
    let mut tail: String = tail.chars().take(500).collect();
    if tail.is_empty() {
        tail = "no error output".into();
    }
    format!("{status}: {tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn output_failure_timeout_and_absence_are_told_apart() {
        let mut echo = Command::new("sh");
        echo.args(["-c", "printf hello"]);
        assert_eq!(
            run("sh", echo, Duration::from_secs(5)).await,
            Ok(b"hello".to_vec())
        );
        let mut fail = Command::new("sh");
        fail.args([
            "-c",
            "echo INFO noise >&2; echo ERROR bad input >&2; exit 3",
        ]);
        match run("sh", fail, Duration::from_secs(5)).await {
            Err(EngineError::Failed(detail)) => {
                assert!(detail.contains("ERROR bad input"), "{detail}");
                assert!(!detail.contains("INFO"), "{detail}");
            }
            other => panic!("expected a failure, got {other:?}"),
        }
        let mut slow = Command::new("sleep");
        slow.arg("5");
        let started = std::time::Instant::now();
        assert_eq!(
            run("sleep", slow, Duration::from_millis(200)).await,
            Err(EngineError::Timeout(Duration::from_millis(200)))
        );
        assert!(started.elapsed() < Duration::from_secs(3));
        let missing = Command::new("agora-no-such-program");
        assert_eq!(
            run("missing", missing, Duration::from_secs(1)).await,
            Err(EngineError::NotFound)
        );
        assert!(resolve(Path::new("sh")).is_some());
        assert!(resolve(Path::new("agora-no-such-program")).is_none());
        assert!(resolve(Path::new("")).is_none());
    }
}
