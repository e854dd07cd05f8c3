//! Sources of artifact bytes: the only module that touches the network.
//!
//! Sources are untrusted: they tell where bytes may be found, and the store admits only bytes
//! whose digest the lock allows. Sources: the PyPI simple API in its JSON form (PEP 691), Cargo
//! downloads (`{crates_url}/{name}/{name}-{version}.crate`), a local folder (`--find-links`,
//! matched by digest whatever the names), and the store alone (`--offline`).
//!
//! HTTP goes through one `ureq` agent (rustls with the platform verifier, so the system trust
//! store and `SSL_CERT_FILE` apply; `HTTPS_PROXY`/`NO_PROXY` are honoured), reusing keep-alive
//! connections across requests. Timeouts, 5xx and 429 are retried with exponential backoff; a
//! digest mismatch never is.
//!
//! Bounds: every wait (connect, response, each read of the body) ends after `--timeout`, and an
//! attempt as a whole after [`ATTEMPT_TIMEOUTS`] times that, redirects included. Artifacts are
//! requested without content coding and hashed as sent, so a small gzip response cannot inflate
//! into gigabytes; index pages may come gzip-encoded and are decoded here, capped at
//! [`MAX_PAGE_BYTES`] decoded. Redirects are followed here, to HTTP(S) only and never from
//! HTTPS down to HTTP, so a redirect elsewhere is reported as what it is.

pub mod settings;

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rayon::prelude::*;
use serde::Deserialize;

use crate::digest::{Digest, HashAlgorithm};
use crate::store::StoreError;

/// The default Python package index.
pub const DEFAULT_INDEX_URL: &str = "https://pypi.org/simple/";
/// The default crate download base.
pub const DEFAULT_CRATES_URL: &str = "https://static.crates.io/crates";
/// The PEP 691 JSON media type.
pub const SIMPLE_JSON: &str = "application/vnd.pypi.simple.v1+json";

/// Why a request failed. Messages carry the URL without credentials ([`crate::redact`]).
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The server answered with an error status.
    #[error("`{}` answered HTTP {status}", crate::redact::redact(url))]
    Status {
        /// The URL.
        url: String,
        /// HTTP status.
        status: u16,
    },
    /// The transfer failed (connection, TLS, timeout).
    #[error("`{}`: {}", crate::redact::redact(url), crate::redact::redact(detail))]
    Transport {
        /// The URL.
        url: String,
        /// What failed.
        detail: String,
    },
    /// The response is not what the protocol says.
    #[error("`{}`: {}", crate::redact::redact(url), crate::redact::redact(detail))]
    Protocol {
        /// The URL.
        url: String,
        /// What is wrong.
        detail: String,
    },
    /// Storing the bytes failed (including a digest mismatch).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl FetchError {
    /// Whether trying again may help.
    fn is_transient(&self) -> bool {
        match self {
            FetchError::Status { status, .. } => *status >= 500 || *status == 429 || *status == 408,
            FetchError::Transport { .. } => true,
            FetchError::Store(StoreError::Read { .. }) => true,
            _ => false,
        }
    }
}

/// An attempt (one request, its redirects and its whole body) ends after this many
/// `--timeout`s. `--timeout` bounds each wait, so a body that stalls fails after one; this
/// bounds a body that trickles a byte at a time, which no single wait catches.
pub const ATTEMPT_TIMEOUTS: u32 = 10;

/// Redirects followed per request, as browsers and pip allow; more is a loop.
pub const MAX_REDIRECTS: usize = 10;

/// Whether a body may come compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    /// Ask for the bytes as they are (`Accept-Encoding: identity`) and hand over what arrives,
    /// whatever the response says: an artifact is judged by the digest of the bytes sent.
    Identity,
    /// Ask for gzip and decode it (index pages, which compress well).
    Gzip,
}

/// HTTP settings.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Connect, response and per-read timeout; an attempt ends after [`ATTEMPT_TIMEOUTS`] of them.
    pub timeout: Duration,
    /// Attempts per request (1 = no retry).
    pub attempts: u32,
    /// First backoff delay; doubled each retry.
    pub backoff: Duration,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            timeout: Duration::from_secs(30),
            attempts: 4,
            backoff: Duration::from_millis(250),
        }
    }
}

/// A shared HTTP client with connection reuse and retries.
#[derive(Clone)]
pub struct Http {
    agent: ureq::Agent,
    options: HttpOptions,
}

impl Http {
    /// Build the client.
    pub fn new(options: HttpOptions) -> Http {
        let tls = ureq::tls::TlsConfig::builder()
            .root_certs(ureq::tls::RootCerts::PlatformVerifier)
            .build();
        let config = ureq::Agent::config_builder()
            .tls_config(tls)
            .timeout_connect(Some(options.timeout))
            .timeout_recv_response(Some(options.timeout))
            .timeout_per_read(Some(options.timeout))
            .timeout_recv_body(None)
            .max_redirects(0)
            .max_idle_connections(64)
            .max_idle_connections_per_host(32)
            .user_agent(concat!("repro/", env!("CARGO_PKG_VERSION")))
            .build();
        Http {
            agent: ureq::Agent::with_parts(
                config,
                ureq::unversioned::transport::DefaultConnector::default(),
                CachingResolver::default(),
            ),
            options,
        }
    }

    /// Run `attempt` with retries on transient failures; `on_retry` hears about each retry.
    pub fn retrying<T>(
        &self,
        mut attempt: impl FnMut() -> Result<T, FetchError>,
        on_retry: &dyn Fn(&FetchError, u32),
    ) -> Result<T, FetchError> {
        let mut delay = self.options.backoff;
        let mut n = 1;
        loop {
            match attempt() {
                Ok(v) => return Ok(v),
                Err(e) if e.is_transient() && n < self.options.attempts => {
                    on_retry(&e, n);
                    std::thread::sleep(delay);
                    delay *= 2;
                    n += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// GET `url` and hand the body (with its Content-Length, if any) to `consume`, once.
    /// Credentials in the URL (`https://user:token@host/…`) are sent as HTTP Basic
    /// authentication, as pip sends them, never in the request line or `Host` header, and only
    /// to the URL's own origin. Redirects are followed to HTTP(S) (not from HTTPS to HTTP), at
    /// most [`MAX_REDIRECTS`]; the whole attempt ends after [`ATTEMPT_TIMEOUTS`] timeouts.
    pub fn get<T>(
        &self,
        url: &str,
        accept: Option<&str>,
        coding: Coding,
        consume: impl FnOnce(&mut dyn Read, Option<u64>) -> Result<T, FetchError>,
    ) -> Result<T, FetchError> {
        match self.request(url, accept, coding, None, |_, r, len| consume(r, len))? {
            Conditional::Modified { value, .. } => Ok(value),
            // Only a conditional request is answered 304.
            Conditional::NotModified => Err(FetchError::Protocol {
                url: url.to_string(),
                detail: "HTTP 304 to an unconditional request".to_string(),
            }),
        }
    }

    /// GET `url` as [`Http::get`] does (identity coding), conditionally: with `If-None-Match`
    /// and `If-Modified-Since` from the validators of the copy held. A 304 is
    /// [`Conditional::NotModified`] (no body read); otherwise `consume` reads the body, and the
    /// answer's own validators come back with its value.
    pub fn get_conditional<T>(
        &self,
        url: &str,
        held: &Validators,
        consume: impl FnOnce(&mut dyn Read, Option<u64>) -> Result<T, FetchError>,
    ) -> Result<Conditional<T>, FetchError> {
        self.request(url, None, Coding::Identity, Some(held), |_, r, len| {
            consume(r, len)
        })
    }

    fn request<T>(
        &self,
        url: &str,
        accept: Option<&str>,
        coding: Coding,
        held: Option<&Validators>,
        consume: impl FnOnce(&Validators, &mut dyn Read, Option<u64>) -> Result<T, FetchError>,
    ) -> Result<Conditional<T>, FetchError> {
        let started = std::time::Instant::now();
        let budget = self.options.timeout * ATTEMPT_TIMEOUTS;
        let (first, first_auth) = split_credentials(url);
        let origin = url::Url::parse(&first).ok().map(|u| u.origin());
        let transport = |detail: String| FetchError::Transport {
            url: url.to_string(),
            detail,
        };
        let mut current = url.to_string();
        for _ in 0..=MAX_REDIRECTS {
            let remaining = budget
                .checked_sub(started.elapsed())
                .filter(|d| !d.is_zero())
                .ok_or_else(|| transport(format!("no complete answer within {budget:?}")))?;
            let (plain, auth) = split_credentials(&current);
            let here = url::Url::parse(&plain).ok();
            let same_origin = here.as_ref().map(|u| u.origin()) == origin;
            let auth = auth.or_else(|| first_auth.clone().filter(|_| same_origin));
            let mut req = self.agent.get(plain.as_str()).header(
                "Accept-Encoding",
                match coding {
                    Coding::Identity => "identity",
                    Coding::Gzip => "gzip",
                },
            );
            if let Some(a) = accept {
                req = req.header("Accept", a);
            }
            if let Some(auth) = &auth {
                req = req.header("Authorization", auth);
            }
            if let Some(held) = held {
                if let Some(etag) = &held.etag {
                    req = req.header("If-None-Match", etag);
                }
                if let Some(date) = &held.last_modified {
                    req = req.header("If-Modified-Since", date);
                }
            }
            let mut resp = req
                .config()
                .timeout_global(Some(remaining))
                .build()
                .call()
                .map_err(|e| match e {
                    ureq::Error::StatusCode(status) => FetchError::Status {
                        url: current.clone(),
                        status,
                    },
                    other => FetchError::Transport {
                        url: current.clone(),
                        detail: other.to_string(),
                    },
                })?;
            if resp.status().as_u16() == 304 {
                // Only a request that sent a validator can be answered 304: one without (no
                // copy held, or held for another URL) has nothing the server could confirm.
                if held.is_none_or(|h| h.etag.is_none() && h.last_modified.is_none()) {
                    return Err(FetchError::Protocol {
                        url: current.clone(),
                        detail: "HTTP 304 to an unconditional request".to_string(),
                    });
                }
                return Ok(Conditional::NotModified);
            }
            if resp.status().is_redirection() {
                let location = resp
                    .headers()
                    .get("location")
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| FetchError::Protocol {
                        url: current.clone(),
                        detail: format!("HTTP {} without a `Location`", resp.status().as_u16()),
                    })?;
                let next = here
                    .as_ref()
                    .and_then(|u| u.join(location).ok())
                    .ok_or_else(|| FetchError::Protocol {
                        url: current.clone(),
                        detail: "redirects to a location that is not a URL".to_string(),
                    })?;
                let from = here.as_ref().map_or("", |u| u.scheme());
                match (from, next.scheme()) {
                    (_, "https") | ("http", "http") => {}
                    ("https", "http") => {
                        return Err(FetchError::Protocol {
                            url: current.clone(),
                            detail: format!(
                                "redirects from HTTPS to plain HTTP (`{next}`): not followed"
                            ),
                        });
                    }
                    (_, scheme) => {
                        return Err(FetchError::Protocol {
                            url: current.clone(),
                            detail: format!(
                                "redirects to another scheme, `{scheme}:` (`{next}`): not followed"
                            ),
                        });
                    }
                }
                current = next.to_string();
                continue;
            }
            let gzip = resp
                .headers()
                .get("content-encoding")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("gzip"));
            let header = |name: &str| {
                resp.headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            let validators = Validators {
                etag: header("etag"),
                last_modified: header("last-modified"),
            };
            let len = resp.body().content_length();
            let mut reader = resp.body_mut().as_reader();
            let value = if coding == Coding::Gzip && gzip {
                // The decoded length is unknown: the consumer's own cap applies.
                consume(&validators, &mut flate2::read::GzDecoder::new(reader), None)
            } else {
                consume(&validators, &mut reader, len)
            }?;
            return Ok(Conditional::Modified { value, validators });
        }
        Err(FetchError::Protocol {
            url: url.to_string(),
            detail: format!("more than {MAX_REDIRECTS} redirects"),
        })
    }
}

/// The validators of a copy held from an earlier download (RFC 9110 §8.8): its `ETag` and its
/// `Last-Modified`, as the server sent them.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Validators {
    /// The `ETag` header, sent back as `If-None-Match`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// The `Last-Modified` header (an HTTP date), sent back as `If-Modified-Since`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

/// The answer to a conditional request.
#[derive(Debug)]
pub enum Conditional<T> {
    /// 304: the copy held is current.
    NotModified,
    /// A new body, consumed, and its validators.
    Modified {
        /// What the consumer made of the body.
        value: T,
        /// The answer's validators.
        validators: Validators,
    },
}

/// `url` without its user information, and the `Authorization: Basic …` value it stood for.
fn split_credentials(url: &str) -> (String, Option<String>) {
    use base64::Engine as _;
    let Ok(mut parsed) = url::Url::parse(url) else {
        return (url.to_string(), None);
    };
    if parsed.username().is_empty() && parsed.password().is_none() {
        return (url.to_string(), None);
    }
    let user = percent_decode(parsed.username());
    let pass = parsed.password().map(percent_decode).unwrap_or_default();
    let _ = parsed.set_username("");
    let _ = parsed.set_password(None);
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
    (parsed.to_string(), Some(format!("Basic {token}")))
}

/// Decode `%XX` escapes (user information is percent-encoded in a URL).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Resolves each host once per run and shares the answer between threads.
///
/// ureq resolves a host for every new connection; with 8 to 16 connections per host and a
/// resolver that answers some AAAA queries only after its 5-second timeout (seen on this
/// project's build machines), a cold fetch spent most of its time waiting on DNS.
#[derive(Debug, Default)]
struct CachingResolver {
    inner: ureq::unversioned::resolver::DefaultResolver,
    cache: std::sync::Mutex<HashMap<String, ureq::unversioned::resolver::ResolvedSocketAddrs>>,
}

impl ureq::unversioned::resolver::Resolver for CachingResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        let key = format!(
            "{}://{}",
            uri.scheme_str().unwrap_or(""),
            uri.authority().map(|a| a.as_str()).unwrap_or("")
        );
        // Held across the lookup, so that threads starting together wait for one answer
        // instead of each asking.
        let mut cache = self.cache.lock().expect("resolver cache");
        if let Some(hit) = cache.get(&key) {
            return Ok(hit.clone());
        }
        let addrs = self.inner.resolve(uri, config, timeout)?;
        cache.insert(key, addrs.clone());
        Ok(addrs)
    }
}

/// One file of a project on a simple index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexFile {
    /// File name.
    pub filename: String,
    /// Absolute download URL.
    pub url: String,
    /// Digests the index publishes for it.
    pub hashes: Vec<Digest>,
    /// Size, when published.
    pub size: Option<u64>,
    /// What the page says of the file's PEP 740 provenance (PEP 691 API 1.3+).
    pub provenance: ProvenanceLink,
}

/// The `provenance` key of a PEP 691 file entry (PEP 740, simple API 1.3+).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ProvenanceLink {
    /// The page has no `provenance` key (an index before API 1.3): ask the Integrity API.
    #[default]
    Unknown,
    /// `"provenance": null`: the index holds no provenance for the file.
    None,
    /// The absolute URL of the provenance object.
    Url(String),
}

#[derive(Deserialize)]
struct SimpleProject {
    files: Vec<SimpleFile>,
}

#[derive(Deserialize)]
struct SimpleFile {
    filename: String,
    url: String,
    #[serde(default)]
    hashes: HashMap<String, String>,
    size: Option<u64>,
    /// Absent, null, or a URL: `Option<Option<…>>` tells the first two apart.
    #[serde(default, deserialize_with = "present")]
    provenance: Option<Option<String>>,
}

/// Deserialize a key that is present (even as `null`) into `Some`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// Largest project page read from an index, after gzip decoding (botocore's page is a few MB).
pub const MAX_PAGE_BYTES: u64 = 64 * 1024 * 1024;

/// Fetch a project's file list from a PEP 691 JSON simple index.
pub fn project_files(
    http: &Http,
    index_url: &str,
    name: &str,
) -> Result<Vec<IndexFile>, FetchError> {
    let base = if index_url.ends_with('/') {
        index_url.to_string()
    } else {
        format!("{index_url}/")
    };
    let page = format!("{base}{name}/");
    let proto = |detail: String| FetchError::Protocol {
        url: page.clone(),
        detail,
    };
    let body: Vec<u8> = http.retrying(
        || {
            http.get(&page, Some(SIMPLE_JSON), Coding::Gzip, |r, _| {
                let mut buf = Vec::new();
                r.take(MAX_PAGE_BYTES + 1)
                    .read_to_end(&mut buf)
                    .map_err(|e| FetchError::Transport {
                        url: page.clone(),
                        detail: e.to_string(),
                    })?;
                Ok(buf)
            })
        },
        &|_, _| {},
    )?;
    if body.len() as u64 > MAX_PAGE_BYTES {
        return Err(proto(format!(
            "project page larger than {MAX_PAGE_BYTES} bytes"
        )));
    }
    let project: SimpleProject = serde_json::from_slice(&body)
        .map_err(|e| proto(format!("not a PEP 691 JSON project page: {e}")))?;
    let base_url = url::Url::parse(&page).map_err(|e| proto(e.to_string()))?;
    let mut files = Vec::with_capacity(project.files.len());
    for f in project.files {
        let url = base_url
            .join(&f.url)
            .map_err(|e| proto(format!("bad file URL `{}`: {e}", f.url)))?;
        let mut hashes = Vec::new();
        for (algo, hex) in &f.hashes {
            if let Ok(a) = algo.parse::<HashAlgorithm>()
                && let Ok(d) = Digest::from_hex(a, hex)
            {
                hashes.push(d);
            }
        }
        let mut url = url;
        url.set_fragment(None);
        let provenance = match &f.provenance {
            None => ProvenanceLink::Unknown,
            Some(None) => ProvenanceLink::None,
            Some(Some(link)) => ProvenanceLink::Url(
                base_url
                    .join(link)
                    .map_err(|e| proto(format!("bad provenance URL `{link}`: {e}")))?
                    .to_string(),
            ),
        };
        files.push(IndexFile {
            filename: f.filename,
            url: url.to_string(),
            hashes,
            size: f.size,
            provenance,
        });
    }
    Ok(files)
}

/// Largest PEP 740 provenance object read, from an index, a folder or the store. One
/// attestation is about 10 KB (a certificate, a log entry with its inclusion proof, a statement)
/// and a file carries one per predicate type; 4 MiB leaves room for hundreds while keeping a
/// hostile index from handing over gigabytes.
pub const MAX_PROVENANCE_BYTES: u64 = 4 * 1024 * 1024;

/// The media types asked of a provenance URL: the Integrity API's, else plain JSON.
pub const INTEGRITY_JSON: &str = "application/vnd.pypi.integrity.v1+json, application/json;q=0.9";

/// The Integrity API URL of a file's provenance
/// (`GET /integrity/<project>/<version>/<filename>/provenance`), derived from a simple index
/// whose path ends in `simple/` (PyPI's `https://pypi.org/simple/` gives
/// `https://pypi.org/integrity/…`). `None` for an index laid out otherwise.
pub fn integrity_url(
    index_url: &str,
    project: &str,
    version: &str,
    filename: &str,
) -> Option<String> {
    let base = index_url.trim_end_matches('/');
    let root = base.strip_suffix("/simple")?;
    let mut url = url::Url::parse(&format!("{root}/integrity/")).ok()?;
    url.path_segments_mut()
        .ok()?
        .pop_if_empty()
        .extend([project, version, filename, "provenance"]);
    Some(url.to_string())
}

/// Fetch a provenance object: `Ok(None)` when the server answers 404 (no provenance), the body
/// (at most [`MAX_PROVENANCE_BYTES`]) otherwise.
pub fn fetch_provenance(http: &Http, url: &str) -> Result<Option<Vec<u8>>, FetchError> {
    let result = http.retrying(
        || {
            http.get(url, Some(INTEGRITY_JSON), Coding::Gzip, |r, len| {
                if len.is_some_and(|n| n > MAX_PROVENANCE_BYTES) {
                    return Err(FetchError::Protocol {
                        url: url.to_string(),
                        detail: format!("provenance larger than {MAX_PROVENANCE_BYTES} bytes"),
                    });
                }
                let mut buf = Vec::new();
                r.take(MAX_PROVENANCE_BYTES + 1)
                    .read_to_end(&mut buf)
                    .map_err(|e| FetchError::Transport {
                        url: url.to_string(),
                        detail: e.to_string(),
                    })?;
                Ok(buf)
            })
        },
        &|_, _| {},
    );
    match result {
        Ok(body) if body.len() as u64 > MAX_PROVENANCE_BYTES => Err(FetchError::Protocol {
            url: url.to_string(),
            detail: format!("provenance larger than {MAX_PROVENANCE_BYTES} bytes"),
        }),
        Ok(body) => Ok(Some(body)),
        Err(FetchError::Status { status: 404, .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The download URL of a crate.
pub fn crate_url(crates_url: &str, name: &str, version: &str) -> String {
    format!(
        "{}/{name}/{name}-{version}.crate",
        crates_url.trim_end_matches('/')
    )
}

/// A local folder of artifacts, indexed by SHA-256.
#[derive(Debug, Default)]
pub struct FindLinks {
    by_digest: HashMap<Digest, PathBuf>,
    files: usize,
}

impl FindLinks {
    /// Hash every regular file directly in `dir` (in parallel): SHA-256, and each of `extra`
    /// (SHA-384, SHA-512) that a lock pins by, in the same pass.
    pub fn scan(dir: &Path, extra: &[crate::digest::HashAlgorithm]) -> std::io::Result<FindLinks> {
        let mut paths = Vec::new();
        for e in std::fs::read_dir(dir)? {
            let e = e?;
            if e.file_type()?.is_file() {
                paths.push(e.path());
            }
        }
        let hashed: Vec<(crate::digest::Digests, PathBuf)> = paths
            .into_par_iter()
            .filter_map(|p| {
                let f = std::fs::File::open(&p).ok()?;
                let d = crate::digest::hash_reader(f, extra).ok()?;
                Some((d, p))
            })
            .collect();
        let files = hashed.len();
        let mut by_digest = HashMap::new();
        for (d, p) in hashed {
            for digest in std::iter::once(d.sha256_digest()).chain(d.extra) {
                by_digest.insert(digest, p.clone());
            }
        }
        Ok(FindLinks { by_digest, files })
    }

    /// The file with digest `d` (SHA-256, or an algorithm the scan computed).
    pub fn get(&self, d: &Digest) -> Option<&Path> {
        self.by_digest.get(d).map(PathBuf::as_path)
    }

    /// Number of files indexed.
    pub fn len(&self) -> usize {
        self.files
    }

    /// Whether the folder held no files.
    pub fn is_empty(&self) -> bool {
        self.files == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crate_urls() {
        assert_eq!(
            crate_url("https://static.crates.io/crates/", "itoa", "1.0.11"),
            "https://static.crates.io/crates/itoa/itoa-1.0.11.crate"
        );
    }

    #[test]
    fn integrity_urls_follow_the_index() {
        assert_eq!(
            integrity_url(
                "https://pypi.org/simple/",
                "rfc8785",
                "0.1.2",
                "rfc8785-0.1.2-py3-none-any.whl"
            )
            .as_deref(),
            Some(
                "https://pypi.org/integrity/rfc8785/0.1.2/rfc8785-0.1.2-py3-none-any.whl/provenance"
            )
        );
        assert_eq!(
            integrity_url("http://u:t@127.0.0.1:8/pypi/simple", "a", "1", "a-1.tar.gz").as_deref(),
            Some("http://u:t@127.0.0.1:8/pypi/integrity/a/1/a-1.tar.gz/provenance")
        );
        // Segments are escaped: a file name cannot climb out of the path.
        assert_eq!(
            integrity_url("https://pypi.org/simple/", "a", "1", "../x?y").as_deref(),
            Some("https://pypi.org/integrity/a/1/..%2Fx%3Fy/provenance")
        );
        assert_eq!(
            integrity_url("https://mirror.example/pypi/", "a", "1", "a-1.tar.gz"),
            None
        );
    }

    #[test]
    fn credentials_become_basic_authentication() {
        let (url, auth) = split_credentials("https://us%40er:t%3Ak@mirror.example/simple/six/");
        assert_eq!(url, "https://mirror.example/simple/six/");
        // base64("us@er:t:k")
        assert_eq!(auth.as_deref(), Some("Basic dXNAZXI6dDpr"));
        let (url, auth) = split_credentials("https://pypi.org/simple/");
        assert_eq!((url.as_str(), auth), ("https://pypi.org/simple/", None));
    }

    #[test]
    fn transient_errors() {
        let s = |status| FetchError::Status {
            url: "u".into(),
            status,
        };
        assert!(s(503).is_transient());
        assert!(s(429).is_transient());
        assert!(!s(404).is_transient());
        let mismatch = FetchError::Store(StoreError::Mismatch {
            expected: "x".into(),
            actual: "y".into(),
            size: 1,
        });
        assert!(!mismatch.is_transient());
    }
}
