//! Password hashing with argon2id.
//!
//! Parameters follow the OWASP Password Storage Cheat Sheet's first argon2id option:
//! m = 19 MiB, t = 2 iterations, p = 1 lane, 16-byte random salt, 32-byte output, stored as a
//! PHC string so parameters can be raised later and old hashes still verify. Hashing runs on the
//! blocking pool: it is deliberately slow (~20-40 ms) and must not stall the async workers.

use std::sync::LazyLock;

use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version,
    password_hash::{SaltString, rand_core::OsRng},
};

use crate::error::{AppError, AppResult};

/// Memory cost in KiB (19 MiB).
pub const MEMORY_KIB: u32 = 19 * 1024;
/// Iterations.
pub const ITERATIONS: u32 = 2;
/// Parallel lanes.
pub const LANES: u32 = 1;

fn hasher() -> Argon2<'static> {
    let params =
        Params::new(MEMORY_KIB, ITERATIONS, LANES, Some(32)).unwrap_or_else(|_| Params::default());
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A hash of a password nobody has, verified against when the e-mail is unknown so that a
/// failed login takes as long whether or not the account exists.
static DECOY_HASH: LazyLock<String> = LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(b"decoy password for timing equality", &salt)
        .map(|h| h.to_string())
        .unwrap_or_default()
});

/// At most one hash per core at a time: a burst of sign-ins queues here instead of spreading
/// 19 MiB buffers over every blocking thread (which also keeps the allocator's arenas few).
static SLOTS: LazyLock<tokio::sync::Semaphore> = LazyLock::new(|| {
    tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
});

/// Runs one argon2 computation on the blocking pool, within [`SLOTS`].
async fn on_slot<T: Send + 'static>(
    work: impl FnOnce() -> AppResult<T> + Send + 'static,
) -> AppResult<T> {
    let _slot = SLOTS.acquire().await.map_err(AppError::internal)?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(AppError::internal)?
}

/// Hashes `password` into a PHC string.
pub async fn hash(password: String) -> AppResult<String> {
    on_slot(move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(AppError::internal)
    })
    .await
}

/// Checks `password` against a stored PHC string.
pub async fn verify(password: String, stored: String) -> AppResult<bool> {
    on_slot(move || {
        let parsed = PasswordHash::new(&stored).map_err(AppError::internal)?;
        Ok(hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
}

/// Spends the time of one verification and returns false; for unknown accounts.
pub async fn verify_decoy(password: String) -> AppResult<bool> {
    verify(password, DECOY_HASH.clone()).await?;
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_verifies_only_the_same_password() {
        let stored = hash("correct horse battery".into()).await.expect("hash");
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(
            verify("correct horse battery".into(), stored.clone())
                .await
                .expect("ok")
        );
        assert!(
            !verify("wrong horse battery".into(), stored)
                .await
                .expect("ok")
        );
    }

    #[tokio::test]
    async fn decoy_never_matches() {
        assert!(!verify_decoy("anything at all".into()).await.expect("ok"));
    }
}
