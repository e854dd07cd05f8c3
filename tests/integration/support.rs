//! Test doubles that are real: an HTTP/1.1 server on 127.0.0.1 with scriptable misbehaviour
//! (a PyPI-like simple API and file server, a crates download server, a malicious mirror), and
//! builders for valid wheels, sdists and crates.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use sha2::Digest as _;

/// How the server answers one path.
#[derive(Clone)]
pub enum Reply {
    /// 200 with this body and content type.
    Ok(Vec<u8>, &'static str),
    /// This status, empty body.
    Status(u16),
    /// Fail with 500 for the first `n` requests, then answer with the inner reply.
    FailFirst(usize, Box<Reply>),
    /// Declare the full length, send only `sent` bytes, close.
    Truncate(Vec<u8>, usize),
    /// Declare a Content-Length other than the body's.
    WrongLength(Vec<u8>, usize),
    /// Accept the request and never answer (until the client gives up).
    Stall,
    /// Send these bytes as they are (status line, headers and body), then close.
    Raw(Vec<u8>),
    /// Send these bytes, then hold the connection open without a further byte for 30 s.
    RawThenStall(Vec<u8>),
    /// Send these bytes (a head), then `n` body bytes one at a time, `interval` apart.
    Drip(Vec<u8>, usize, Duration),
    /// 200 with this body, an `ETag` and a `Last-Modified`; 304 without a body when the request's
    /// `If-None-Match` names the ETag.
    Tagged(Vec<u8>, String),
}

/// The request line and headers of each request, in arrival order.
type Requests = Arc<Mutex<Vec<(String, Vec<String>)>>>;

/// A running server. Routes can change while it runs; every request is counted.
pub struct Server {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    routes: Arc<Mutex<HashMap<String, Reply>>>,
    hits: Arc<Mutex<Vec<String>>>,
    headers: Requests,
}

impl Server {
    /// Serve each wheel at `/files/NAME` and its project's PEP 691 page at `/simple/PROJECT/`
    /// (the project is the file name up to its first `-`); returns the index URL.
    pub fn serve_wheels(&self, files: &[(String, Vec<u8>)]) -> String {
        for (name, bytes) in files {
            self.route(
                &format!("/files/{name}"),
                Reply::Ok(bytes.clone(), "application/octet-stream"),
            );
            let project = name.split('-').next().unwrap();
            self.route(
                &format!("/simple/{project}/"),
                Reply::Ok(
                    simple_page(&self.url, &[(name.as_str(), bytes.as_slice())]),
                    "application/json",
                ),
            );
        }
        format!("{}/simple/", self.url)
    }

    /// Start a server on an ephemeral port.
    pub fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let routes: Arc<Mutex<HashMap<String, Reply>>> = Arc::default();
        let hits: Arc<Mutex<Vec<String>>> = Arc::default();
        let headers: Requests = Arc::default();
        let (r, h, hd) = (routes.clone(), hits.clone(), headers.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (r, h, hd) = (r.clone(), h.clone(), hd.clone());
                std::thread::spawn(move || serve(stream, r, h, hd));
            }
        });
        Server {
            url,
            routes,
            hits,
            headers,
        }
    }

    /// The request line and headers of every request so far, in order.
    pub fn requests(&self) -> Vec<(String, Vec<String>)> {
        self.headers.lock().unwrap().clone()
    }

    /// Answer `path` with `reply`.
    pub fn route(&self, path: &str, reply: Reply) {
        self.routes.lock().unwrap().insert(path.to_string(), reply);
    }

    /// Requests so far for `path`.
    pub fn hits(&self, path: &str) -> usize {
        self.hits
            .lock()
            .unwrap()
            .iter()
            .filter(|p| *p == path)
            .count()
    }

    /// All requests so far.
    pub fn total_hits(&self) -> usize {
        self.hits.lock().unwrap().len()
    }
}

fn serve(
    stream: TcpStream,
    routes: Arc<Mutex<HashMap<String, Reply>>>,
    hits: Arc<Mutex<Vec<String>>>,
    requests: Requests,
) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let path = request_line
            .split_whitespace()
            .nth(1)
            .unwrap_or("/")
            .to_string();
        let mut headers = Vec::new();
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                break;
            }
            headers.push(header.trim_end().to_string());
        }
        requests
            .lock()
            .unwrap()
            .push((request_line.trim_end().to_string(), headers.clone()));
        let reply = {
            let mut routes = routes.lock().unwrap();
            let reply = routes.get(&path).cloned();
            // Count down a FailFirst in place.
            if let Some(Reply::FailFirst(n, inner)) = &reply {
                let next = if *n <= 1 {
                    (**inner).clone()
                } else {
                    Reply::FailFirst(n - 1, inner.clone())
                };
                routes.insert(path.clone(), next);
            }
            reply
        };
        hits.lock().unwrap().push(path.clone());
        let head = |status: &str, len: usize, ctype: &str| {
            format!("HTTP/1.1 {status}\r\nContent-Length: {len}\r\nContent-Type: {ctype}\r\n\r\n")
        };
        let result = match reply {
            None => out.write_all(head("404 Not Found", 0, "text/plain").as_bytes()),
            Some(Reply::Ok(body, ctype)) => out
                .write_all(head("200 OK", body.len(), ctype).as_bytes())
                .and_then(|_| out.write_all(&body)),
            Some(Reply::Tagged(body, etag)) => {
                let matches = headers.iter().any(|h| {
                    h.split_once(':').is_some_and(|(k, v)| {
                        k.eq_ignore_ascii_case("if-none-match") && v.trim() == etag
                    })
                });
                if matches {
                    out.write_all(
                        format!("HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\n\r\n").as_bytes(),
                    )
                } else {
                    out.write_all(
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/zip\r\nETag: {etag}\r\nLast-Modified: Wed, 02 Dec 2026 06:00:00 GMT\r\n\r\n",
                            body.len()
                        )
                        .as_bytes(),
                    )
                    .and_then(|_| out.write_all(&body))
                }
            }
            Some(Reply::Status(code)) => {
                out.write_all(head(&format!("{code} Error"), 0, "text/plain").as_bytes())
            }
            Some(Reply::FailFirst(..)) => {
                out.write_all(head("500 Internal Server Error", 0, "text/plain").as_bytes())
            }
            Some(Reply::Truncate(body, sent)) => {
                let _ = out
                    .write_all(head("200 OK", body.len(), "application/octet-stream").as_bytes());
                let _ = out.write_all(&body[..sent]);
                return;
            }
            Some(Reply::WrongLength(body, len)) => {
                let _ = out.write_all(head("200 OK", len, "application/octet-stream").as_bytes());
                let _ = out.write_all(&body[..len.min(body.len())]);
                return;
            }
            Some(Reply::Stall) => {
                std::thread::sleep(Duration::from_secs(30));
                return;
            }
            Some(Reply::Raw(bytes)) => {
                let _ = out.write_all(&bytes);
                return;
            }
            Some(Reply::RawThenStall(bytes)) => {
                let _ = out.write_all(&bytes).and_then(|_| out.flush());
                std::thread::sleep(Duration::from_secs(30));
                return;
            }
            Some(Reply::Drip(head, n, interval)) => {
                if out.write_all(&head).is_err() {
                    return;
                }
                for _ in 0..n {
                    std::thread::sleep(interval);
                    if out.write_all(b"x").and_then(|_| out.flush()).is_err() {
                        return;
                    }
                }
                return;
            }
        };
        if result.is_err() {
            return;
        }
    }
}

/// Hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

/// A valid, installable pure-Python wheel: `name/__init__.py` plus dist-info with RECORD.
pub fn wheel(name: &str, version: &str, tag: &str, body: &str) -> Vec<u8> {
    wheel_with_requires(name, version, tag, body, &[])
}

/// A wheel whose METADATA lists `requires` as `Requires-Dist`.
pub fn wheel_with_requires(
    name: &str,
    version: &str,
    tag: &str,
    body: &str,
    requires: &[&str],
) -> Vec<u8> {
    wheel_with_dist_files(name, version, tag, body, requires, &[])
}

/// A wheel with `requires` and more files in its `.dist-info` (e.g. `entry_points.txt`).
pub fn wheel_with_dist_files(
    name: &str,
    version: &str,
    tag: &str,
    body: &str,
    requires: &[&str],
    dist_files: &[(&str, &str)],
) -> Vec<u8> {
    let dist = format!("{}-{version}.dist-info", name.replace('-', "_"));
    let mut metadata = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n");
    for r in requires {
        metadata.push_str(&format!("Requires-Dist: {r}\n"));
    }
    let files: Vec<(String, Vec<u8>)> = vec![
        (
            format!("{}/__init__.py", name.replace('-', "_")),
            body.as_bytes().to_vec(),
        ),
        (format!("{dist}/METADATA"), metadata.into_bytes()),
        (
            format!("{dist}/WHEEL"),
            format!(
                "Wheel-Version: 1.0\nGenerator: repro-tests\nRoot-Is-Purelib: true\nTag: {tag}\n"
            )
            .into_bytes(),
        ),
    ];
    let mut files = files;
    for (file, text) in dist_files {
        files.push((format!("{dist}/{file}"), text.as_bytes().to_vec()));
    }
    let mut record = String::new();
    for (path, data) in &files {
        let digest =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(data));
        record.push_str(&format!("{path},sha256={digest},{}\n", data.len()));
    }
    record.push_str(&format!("{dist}/RECORD,,\n"));
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .last_modified_time(zip::DateTime::from_date_and_time(2020, 1, 1, 0, 0, 0).unwrap());
        for (path, data) in files.iter().chain(std::iter::once(&(
            format!("{dist}/RECORD"),
            record.into_bytes(),
        ))) {
            w.start_file(path.as_str(), opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap();
    }
    buf.into_inner()
}

/// A `.tar.gz` with the given members (used for sdists and crates).
pub fn tar_gz(members: &[(&str, &[u8])]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut b = tar::Builder::new(gz);
    for (path, data) in members {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_577_836_800);
        h.set_cksum();
        b.append_data(&mut h, path, *data).unwrap();
    }
    b.into_inner().unwrap().finish().unwrap()
}

/// A PEP 691 JSON project page listing `files` (name, bytes) under `base_url/files/`.
pub fn simple_page(base_url: &str, files: &[(&str, &[u8])]) -> Vec<u8> {
    let list: Vec<serde_json::Value> = files
        .iter()
        .map(|(name, bytes)| {
            serde_json::json!({
                "filename": name,
                "url": format!("{base_url}/files/{name}"),
                "hashes": {"sha256": sha256_hex(bytes)},
                "size": bytes.len(),
            })
        })
        .collect();
    serde_json::to_vec(
        &serde_json::json!({"meta": {"api-version": "1.1"}, "name": "x", "files": list}),
    )
    .unwrap()
}

/// A minimal HTTPS proxy (HTTP CONNECT tunnels) on 127.0.0.1, counting the tunnels it opened.
pub struct ConnectProxy {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    tunnels: Arc<Mutex<Vec<String>>>,
}

impl ConnectProxy {
    /// Start the proxy.
    pub fn start() -> ConnectProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let tunnels: Arc<Mutex<Vec<String>>> = Arc::default();
        let t = tunnels.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let t = t.clone();
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(client.try_clone().unwrap());
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                            break;
                        }
                    }
                    let target = line.split_whitespace().nth(1).unwrap_or("").to_string();
                    let Ok(upstream) = TcpStream::connect(&target) else {
                        let _ = (&client).write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n");
                        return;
                    };
                    t.lock().unwrap().push(target);
                    (&client)
                        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                        .unwrap();
                    let (mut c1, mut u1) =
                        (client.try_clone().unwrap(), upstream.try_clone().unwrap());
                    let up = std::thread::spawn(move || {
                        let _ = std::io::copy(&mut c1, &mut u1);
                        let _ = u1.shutdown(std::net::Shutdown::Write);
                    });
                    let (mut u2, mut c2) = (upstream, client);
                    let _ = std::io::copy(&mut u2, &mut c2);
                    let _ = c2.shutdown(std::net::Shutdown::Write);
                    let _ = up.join();
                });
            }
        });
        ConnectProxy { url, tunnels }
    }

    /// The `host:port` of every tunnel opened.
    pub fn tunnels(&self) -> Vec<String> {
        self.tunnels.lock().unwrap().clone()
    }
}
