//! Load shedding: at most `AGORA_MAX_IN_FLIGHT` HTTP requests execute at once, up to
//! `AGORA_REQUEST_QUEUE` more wait (each at most `AGORA_REQUEST_QUEUE_TIMEOUT`) for a slot, and
//! the rest are refused at once with 503, `Retry-After: 1` and the GraphQL error code
//! `UNAVAILABLE`. Past the machine's capacity a queue only adds latency to every request, so a
//! short one keeps the accepted requests' tail near the unloaded one and tells the others to
//! come back quickly (measured in `agora-bench overload`, bench/README.md).
//!
//! Not counted: WebSocket upgrades (a socket is long-lived and has its own limits), `/healthz`,
//! `/readyz` and `/metrics` (an orchestrator must see an overloaded replica as alive).

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use agora_platform::config::Config;
use axum::{extract::State, http::header, response::Response};
use tokio::sync::Semaphore;

/// Requests in flight per CPU core by default. On the 2-core machine the questions page kept its
/// full throughput down to 4 in flight (PostgreSQL on the same cores); 8 per core leaves room
/// for requests that wait on a remote database. See bench/README.md#overload.
const PER_CORE: usize = 8;

/// The admission state shared by every request of one server.
pub struct Admission {
    slots: Arc<Semaphore>,
    queue: usize,
    waiting: AtomicUsize,
    wait: Duration,
}

impl Admission {
    /// From the server settings; None when the limit is off (`AGORA_MAX_IN_FLIGHT=0`).
    pub fn from_config(config: &Config) -> Option<Arc<Self>> {
        let server = &config.server;
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        let slots = server.max_in_flight.unwrap_or(PER_CORE * cores);
        (slots > 0).then(|| {
            Arc::new(Self {
                slots: Arc::new(Semaphore::new(slots)),
                queue: server.request_queue.unwrap_or(slots),
                waiting: AtomicUsize::new(0),
                wait: server.request_queue_timeout,
            })
        })
    }
}

/// Counts a queued request out when its wait ends, however it ends (the client may go away).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

fn exempt(request: &axum::extract::Request) -> bool {
    matches!(
        request.uri().path(),
        "/healthz" | "/readyz" | "/metrics" | "/graphql/ws"
    ) || request.headers().contains_key(header::UPGRADE)
}

/// The middleware.
pub async fn admit(
    State(admission): State<Arc<Admission>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if exempt(&request) {
        return next.run(request).await;
    }
    let permit = match Arc::clone(&admission.slots).try_acquire_owned() {
        Ok(permit) => permit,
        Err(_) => {
            if admission.waiting.fetch_add(1, Ordering::Relaxed) >= admission.queue {
                admission.waiting.fetch_sub(1, Ordering::Relaxed);
                return refuse(&request, "queue_full");
            }
            let _waiting = Waiting(&admission.waiting);
            match tokio::time::timeout(admission.wait, Arc::clone(&admission.slots).acquire_owned())
                .await
            {
                Ok(Ok(permit)) => permit,
                _ => return refuse(&request, "queue_timeout"),
            }
        }
    };
    let response = next.run(request).await;
    drop(permit);
    response
}

fn refuse(request: &axum::extract::Request, reason: &'static str) -> Response {
    metrics::counter!("agora_http_shed_total", "reason" => reason).increment(1);
    crate::graphql_http::unavailable_response(
        crate::graphql_http::request_id_of(request.headers()),
        "the server is at capacity; retry in 1 s".into(),
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::{Router, body::Body, http::Request, routing::get};
    use tokio::sync::Notify;
    use tower::ServiceExt;

    use super::*;

    /// A router whose `/slow` waits for `release`, behind an admission of one slot and a queue
    /// of one waiting at most `wait`.
    fn router(release: Arc<Notify>, wait: Duration) -> Router {
        let admission = Arc::new(Admission {
            slots: Arc::new(Semaphore::new(1)),
            queue: 1,
            waiting: AtomicUsize::new(0),
            wait,
        });
        Router::new()
            .route(
                "/slow",
                get(move || {
                    let release = Arc::clone(&release);
                    async move {
                        release.notified().await;
                        "done"
                    }
                }),
            )
            .route("/healthz", get(|| async { "ok" }))
            .layer(axum::middleware::from_fn_with_state(admission, admit))
    }

    async fn get_path(app: &Router, path: &str) -> Response {
        app.clone()
            .oneshot(Request::get(path).body(Body::empty()).expect("request"))
            .await
            .expect("infallible")
    }

    async fn json(response: Response) -> serde_json::Value {
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body");
        serde_json::from_slice(&bytes).expect("JSON")
    }

    #[tokio::test]
    async fn beyond_the_slots_and_the_queue_requests_are_refused_at_once() {
        let release = Arc::new(Notify::new());
        let app = router(Arc::clone(&release), Duration::from_secs(30));
        let first = tokio::spawn({
            let app = app.clone();
            async move { get_path(&app, "/slow").await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let queued = tokio::spawn({
            let app = app.clone();
            async move { get_path(&app, "/slow").await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;

        // One executing, one waiting: the third is refused without waiting.
        let started = std::time::Instant::now();
        let refused = get_path(&app, "/slow").await;
        assert!(started.elapsed() < Duration::from_millis(100));
        assert_eq!(refused.status(), 503);
        assert_eq!(refused.headers()[header::RETRY_AFTER], "1");
        let body = json(refused).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAVAILABLE");

        // Health stays out of the count.
        assert_eq!(get_path(&app, "/healthz").await.status(), 200);

        // Releasing the first lets the queued one run.
        release.notify_one();
        assert_eq!(first.await.expect("first").status(), 200);
        tokio::time::sleep(Duration::from_millis(50)).await;
        release.notify_one();
        assert_eq!(queued.await.expect("queued").status(), 200);

        // And the slot is free again.
        let next = tokio::spawn({
            let app = app.clone();
            async move { get_path(&app, "/slow").await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        release.notify_one();
        assert_eq!(next.await.expect("next").status(), 200);
    }

    #[tokio::test]
    async fn a_queued_request_gives_up_after_the_queue_timeout() {
        let release = Arc::new(Notify::new());
        let app = router(Arc::clone(&release), Duration::from_millis(100));
        let first = tokio::spawn({
            let app = app.clone();
            async move { get_path(&app, "/slow").await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let started = std::time::Instant::now();
        let queued = get_path(&app, "/slow").await;
        assert_eq!(queued.status(), 503);
        assert!(started.elapsed() >= Duration::from_millis(100));
        // The timed-out waiter left the queue: the next one may wait again.
        let second = tokio::spawn({
            let app = app.clone();
            async move { get_path(&app, "/slow").await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        release.notify_one();
        assert_eq!(first.await.expect("first").status(), 200);
        tokio::time::sleep(Duration::from_millis(20)).await;
        release.notify_one();
        assert_eq!(second.await.expect("second").status(), 200);
    }
}
