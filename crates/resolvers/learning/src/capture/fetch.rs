//! Fetching a captured URL without letting it reach inside the network (server-side request
//! forgery): only `http`/`https`, no user name or password in the URL, every address a name
//! resolves to is checked and only public ones are connected to (the check and the connection
//! use the same resolution, so a name cannot change its answer in between), redirects are
//! followed by hand — at most five, each checked the same way — and the body is read up to a
//! size cap within a time limit. Private addresses are refused unless the operator allows
//! their host (`AGORA_CAPTURE_ALLOWED_HOSTS`).

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::Arc,
    time::Duration,
};

use futures::StreamExt;
use reqwest::{
    Url,
    dns::{Addrs, Name, Resolve, Resolving},
    redirect::Policy,
};

/// Most redirects followed.
const MAX_REDIRECTS: usize = 5;
/// Longest wait for a name to resolve.
const RESOLVE_WAIT: Duration = Duration::from_secs(5);
/// Media types read as a page.
const PAGE_TYPES: &[&str] = &["text/html", "application/xhtml+xml", "text/plain"];

/// Why a URL was not fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FetchError {
    /// The URL may not be fetched (scheme, credentials, a private address): the learner's
    /// input is at fault.
    #[error("{0}")]
    Refused(String),
    /// The site did not answer as a page would.
    #[error("{0}")]
    Failed(String),
}

/// A fetched page.
#[derive(Debug, Clone)]
pub(crate) struct Fetched {
    /// Its media type (without parameters).
    pub media_type: String,
    /// Its body, at most the cap.
    pub body: String,
}

/// The fetcher's rules.
#[derive(Debug, Clone)]
pub(crate) struct FetchPolicy {
    /// Time limit of the whole fetch, redirects included.
    pub timeout: Duration,
    /// Largest body read, in bytes.
    pub max_bytes: usize,
    /// Hosts (names or addresses) that may resolve to private addresses.
    pub allowed_hosts: Vec<String>,
}

/// Fetches captured URLs under a [`FetchPolicy`].
#[derive(Clone)]
pub(crate) struct Fetcher {
    client: reqwest::Client,
    policy: Arc<FetchPolicy>,
}

impl Fetcher {
    /// A fetcher under `policy`.
    pub(crate) fn new(policy: FetchPolicy) -> Self {
        let policy = Arc::new(policy);
        let client = reqwest::Client::builder()
            .redirect(Policy::none())
            .dns_resolver(Arc::new(PublicOnly {
                policy: Arc::clone(&policy),
            }))
            .connect_timeout(policy.timeout.min(Duration::from_secs(5)))
            .user_agent("agora-capture/1 (+reads one page for a learner's flashcards)")
            .build()
            .unwrap_or_default();
        Self { client, policy }
    }

    /// Checks `raw` before it is stored: `Refused` for what no fetch could read (a bad URL, a
    /// private address or a name resolving only to such).
    pub(crate) async fn check(&self, raw: &str) -> Result<Url, FetchError> {
        let url = parse(raw)?;
        self.check_host(&url).await?;
        Ok(url)
    }

    async fn check_host(&self, url: &Url) -> Result<(), FetchError> {
        match url.host() {
            Some(url::Host::Ipv4(ip)) => self.check_ip(url, IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => self.check_ip(url, IpAddr::V6(ip)),
            Some(url::Host::Domain(name)) => {
                if self.allowed(name) {
                    return Ok(());
                }
                match tokio::time::timeout(RESOLVE_WAIT, public_addresses(name)).await {
                    Ok(resolved) => resolved.map(|_| ()).map_err(FetchError::Refused),
                    Err(_) => Err(FetchError::Failed(format!(
                        "{name} could not be resolved in time"
                    ))),
                }
            }
            None => Err(FetchError::Refused("the URL has no host".into())),
        }
    }

    fn check_ip(&self, url: &Url, ip: IpAddr) -> Result<(), FetchError> {
        let host = url.host_str().unwrap_or_default();
        if is_public(ip) || self.allowed(host) {
            Ok(())
        } else {
            Err(FetchError::Refused(format!(
                "{ip} is a private or reserved address; only public web pages can be captured"
            )))
        }
    }

    fn allowed(&self, host: &str) -> bool {
        allowed(&self.policy, host)
    }

    /// Fetches `url`, following redirects by hand.
    pub(crate) async fn fetch(&self, url: Url) -> Result<Fetched, FetchError> {
        match tokio::time::timeout(self.policy.timeout, self.fetch_inner(url)).await {
            Ok(result) => result,
            Err(_) => Err(FetchError::Failed(format!(
                "the page did not arrive within {:?}",
                self.policy.timeout
            ))),
        }
    }

    async fn fetch_inner(&self, mut url: Url) -> Result<Fetched, FetchError> {
        for _ in 0..=MAX_REDIRECTS {
            self.check_host(&url).await?;
            let response = self
                .client
                .get(url.clone())
                .header(reqwest::header::ACCEPT, "text/html, text/plain;q=0.8")
                .send()
                .await
                .map_err(|e| FetchError::Failed(describe(&e)))?;
            let status = response.status();
            if status.is_redirection() {
                let location = response
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .ok_or_else(|| {
                        FetchError::Failed(format!("{status} without a Location to follow"))
                    })?;
                url = parse(
                    url.join(location)
                        .map_err(|e| FetchError::Failed(format!("a bad redirect: {e}")))?
                        .as_str(),
                )?;
                continue;
            }
            if !status.is_success() {
                return Err(FetchError::Failed(format!("the site answered {status}")));
            }
            let media_type = response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(|v| {
                    v.split(';')
                        .next()
                        .unwrap_or_default()
                        .trim()
                        .to_ascii_lowercase()
                })
                .unwrap_or_else(|| "text/html".into());
            if !PAGE_TYPES.contains(&media_type.as_str()) {
                return Err(FetchError::Failed(format!(
                    "the URL is {media_type}, not a web page (HTML or plain text)"
                )));
            }
            let mut body = Vec::new();
            let mut stream = response.bytes_stream();
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| FetchError::Failed(describe(&e)))?;
                let room = self.policy.max_bytes.saturating_sub(body.len());
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if body.len() >= self.policy.max_bytes {
                    // A long page: its beginning is read, the rest left.
                    break;
                }
            }
            return Ok(Fetched {
                media_type,
                body: String::from_utf8_lossy(&body).into_owned(),
            });
        }
        Err(FetchError::Failed(format!(
            "more than {MAX_REDIRECTS} redirects"
        )))
    }
}

fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "the site did not answer in time".into()
    } else if error.is_connect() {
        // The resolver's refusal surfaces here; say it plainly.
        let mut source: Option<&dyn std::error::Error> = Some(error);
        while let Some(e) = source {
            if let Some(refused) = e.downcast_ref::<Refusal>() {
                return refused.0.clone();
            }
            source = e.source();
        }
        "the site could not be reached".into()
    } else {
        "the page could not be read".into()
    }
}

/// Parses a URL a capture may fetch (its host is checked when fetched).
pub(crate) fn parse(raw: &str) -> Result<Url, FetchError> {
    let url =
        Url::parse(raw.trim()).map_err(|e| FetchError::Refused(format!("not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(FetchError::Refused(format!(
            "only http and https URLs can be captured, not {}",
            url.scheme()
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(FetchError::Refused(
            "a URL with a user name or password cannot be captured".into(),
        ));
    }
    if url.host().is_none() {
        return Err(FetchError::Refused("the URL has no host".into()));
    }
    Ok(url)
}

fn allowed(policy: &FetchPolicy, host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    policy
        .allowed_hosts
        .iter()
        .any(|h| h.eq_ignore_ascii_case(host))
}

/// The public addresses `name` resolves to; an error saying why there are none.
async fn public_addresses(name: &str) -> Result<Vec<SocketAddr>, String> {
    let resolved: Vec<SocketAddr> = tokio::net::lookup_host((name, 0))
        .await
        .map_err(|_| format!("{name} could not be resolved"))?
        .collect();
    if resolved.is_empty() {
        return Err(format!("{name} could not be resolved"));
    }
    let public: Vec<SocketAddr> = resolved
        .iter()
        .copied()
        .filter(|a| is_public(a.ip()))
        .collect();
    if public.is_empty() {
        return Err(format!(
            "{name} resolves to a private or reserved address; only public web pages can be \
             captured"
        ));
    }
    Ok(public)
}

/// The resolver the fetch client connects through: only public addresses (or any, for an
/// allowed host).
struct PublicOnly {
    policy: Arc<FetchPolicy>,
}

/// A resolution refused by [`PublicOnly`].
#[derive(Debug)]
struct Refusal(String);

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refusal {}

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = Arc::clone(&self.policy);
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addresses: Vec<SocketAddr> = if allowed(&policy, &host) {
                tokio::net::lookup_host((host.as_str(), 0))
                    .await
                    .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)?
                    .collect()
            } else {
                public_addresses(&host)
                    .await
                    .map_err(|e| Box::new(Refusal(e)) as Box<dyn std::error::Error + Send + Sync>)?
            };
            Ok(Box::new(addresses.into_iter()) as Addrs)
        })
    }
}

/// Whether `ip` is a public unicast address (not loopback, private, link-local, shared,
/// documentation, benchmarking, multicast, reserved, or one of those wrapped in IPv6).
pub(crate) fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (carrier NAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let segments = ip.segments();
    // NAT64 (64:ff9b::/96) carries an IPv4 address in its last 32 bits.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [.., hi, lo] = segments;
        return is_public_v4(Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo)));
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (segments[0] & 0xfe00) == 0xfc00 // unique local
        || (segments[0] & 0xffc0) == 0xfe80 // link-local
        || (segments[0] == 0x2001 && segments[1] == 0x0db8) // documentation
        || segments[..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible (deprecated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_reserved_addresses_are_not_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "198.18.0.1",
            "224.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2001:db8::1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[tokio::test]
    async fn urls_are_refused_by_scheme_credentials_and_address() {
        let fetcher = Fetcher::new(FetchPolicy {
            timeout: Duration::from_secs(2),
            max_bytes: 1000,
            allowed_hosts: vec!["localhost".into()],
        });
        for bad in [
            "ftp://example.org/",
            "file:///etc/passwd",
            "http://user:pw@example.org/",
            "not a url",
            "http://127.0.0.1:8080/",
            "http://[::1]/",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.1/",
        ] {
            assert!(
                matches!(fetcher.check(bad).await, Err(FetchError::Refused(_))),
                "{bad}"
            );
        }
        // An allowed host may be private.
        assert!(fetcher.check("http://localhost:9/").await.is_ok());
    }
}
