//! A fault-injecting HTTP/1.1 server on 127.0.0.1 (std::net, one thread per connection),
//! scripted per path: each request to a path takes the next scripted reply; the last one repeats.
//! Unscripted paths answer 404. Every request is recorded (method, path, headers).
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

#[derive(Debug, Clone)]
pub(crate) enum Reply {
    /// A complete response.
    Status {
        code: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Declares `declared` bytes in Content-Length, sends `body` (shorter) and closes.
    Truncated { declared: usize, body: Vec<u8> },
    /// Sends the headers (Content-Length of `body`), then nothing until `stall` has passed.
    Stall { body: Vec<u8>, stall: Duration },
    /// 302 to `location`.
    Redirect(String),
    /// Sends the headers (Content-Length of `body`), then `body` in `chunk`-byte pieces, one
    /// every `every`: a slow link.
    Drip {
        body: Vec<u8>,
        chunk: usize,
        every: Duration,
    },
    /// Waits `delay` before sending anything, then answers `reply` (a slow hop).
    Delayed { delay: Duration, reply: Box<Reply> },
    /// 200 only when the request's Authorization equals `expect`; otherwise 401 with
    /// `WWW-Authenticate: challenge`.
    RequireAuth {
        expect: String,
        challenge: String,
        ok: Box<Reply>,
    },
}

impl Reply {
    pub(crate) fn ok(body: impl Into<Vec<u8>>) -> Reply {
        Reply::Status {
            code: 200,
            headers: Vec::new(),
            body: body.into(),
        }
    }
    pub(crate) fn status(code: u16) -> Reply {
        Reply::Status {
            code,
            headers: Vec::new(),
            body: format!("status {code}\n").into_bytes(),
        }
    }
    /// `reply` after `delay`.
    pub(crate) fn delayed(delay: Duration, reply: Reply) -> Reply {
        Reply::Delayed {
            delay,
            reply: Box::new(reply),
        }
    }
    pub(crate) fn with_header(
        code: u16,
        name: &str,
        value: &str,
        body: impl Into<Vec<u8>>,
    ) -> Reply {
        Reply::Status {
            code,
            headers: vec![(name.to_string(), value.to_string())],
            body: body.into(),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
}

impl Request {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct State {
    routes: HashMap<String, VecDeque<Reply>>,
    requests: Vec<Request>,
}

pub(crate) struct FaultServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FaultServer {
    pub(crate) fn start() -> FaultServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (state.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (s, st) = (s.clone(), st.clone());
                std::thread::spawn(move || handle(stream, s, st));
            }
        });
        FaultServer {
            addr,
            state,
            stop,
            thread: Some(thread),
        }
    }

    pub(crate) fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Scripts the replies for `path` (without the query string).
    pub(crate) fn script(&self, path: &str, replies: Vec<Reply>) {
        self.state
            .lock()
            .unwrap()
            .routes
            .insert(path.to_string(), replies.into());
    }

    pub(crate) fn requests(&self, path: &str) -> Vec<Request> {
        self.state
            .lock()
            .unwrap()
            .requests
            .iter()
            .filter(|r| r.path.split('?').next() == Some(path))
            .cloned()
            .collect()
    }

    /// Every request received, in order.
    pub(crate) fn all_requests(&self) -> Vec<Request> {
        self.state.lock().unwrap().requests.clone()
    }

    pub(crate) fn count(&self, path: &str) -> usize {
        self.requests(path).len()
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn handle(stream: TcpStream, state: Arc<Mutex<State>>, stop: Arc<AtomicBool>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("").to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 {
            break;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((n, v)) = h.split_once(':') {
            headers.push((n.trim().to_string(), v.trim().to_string()));
        }
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    let _ = reader.read_exact(&mut body);
    let request = Request {
        method,
        path: path.clone(),
        headers,
    };
    let route = path.split('?').next().unwrap_or("").to_string();
    let reply = {
        let mut st = state.lock().unwrap();
        st.requests.push(request.clone());
        match st.routes.get_mut(&route) {
            Some(q) if q.len() > 1 => q.pop_front(),
            Some(q) => q.front().cloned(),
            None => None,
        }
    };
    let reply = reply.unwrap_or_else(|| Reply::status(404));
    respond(stream, &request, reply, &stop);
}

fn reason(code: u16) -> &'static str {
    match code {
        200 => "OK",
        302 => "Found",
        401 => "Unauthorized",
        404 => "Not Found",
        408 => "Request Timeout",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

fn respond(mut stream: TcpStream, request: &Request, reply: Reply, stop: &AtomicBool) {
    let head = |code: u16, headers: &[(String, String)], len: usize| {
        let mut h = format!("HTTP/1.1 {code} {}\r\n", reason(code));
        for (n, v) in headers {
            h.push_str(&format!("{n}: {v}\r\n"));
        }
        h.push_str(&format!(
            "Content-Length: {len}\r\nConnection: close\r\n\r\n"
        ));
        h
    };
    match reply {
        Reply::Status {
            code,
            headers,
            body,
        } => {
            let _ = stream.write_all(head(code, &headers, body.len()).as_bytes());
            let _ = stream.write_all(&body);
        }
        Reply::Truncated { declared, body } => {
            let _ = stream.write_all(head(200, &[], declared).as_bytes());
            let _ = stream.write_all(&body);
            let _ = stream.flush();
        }
        Reply::Stall { body, stall } => {
            let _ = stream.write_all(head(200, &[], body.len()).as_bytes());
            let _ = stream.flush();
            let step = Duration::from_millis(50);
            let mut waited = Duration::ZERO;
            while waited < stall && !stop.load(Ordering::SeqCst) {
                std::thread::sleep(step);
                waited += step;
            }
            let _ = stream.write_all(&body);
        }
        Reply::Delayed { delay, reply } => {
            let step = Duration::from_millis(50);
            let mut waited = Duration::ZERO;
            while waited < delay && !stop.load(Ordering::SeqCst) {
                std::thread::sleep(step);
                waited += step;
            }
            respond(stream, request, *reply, stop);
            return;
        }
        Reply::Drip { body, chunk, every } => {
            let _ = stream.write_all(head(200, &[], body.len()).as_bytes());
            for piece in body.chunks(chunk.max(1)) {
                if stop.load(Ordering::SeqCst) || stream.write_all(piece).is_err() {
                    break;
                }
                let _ = stream.flush();
                std::thread::sleep(every);
            }
        }
        Reply::Redirect(location) => {
            let _ =
                stream.write_all(head(302, &[("Location".to_string(), location)], 0).as_bytes());
        }
        Reply::RequireAuth {
            expect,
            challenge,
            ok,
        } => {
            if request.header("authorization") == Some(expect.as_str()) {
                respond(stream, request, *ok, stop);
            } else {
                let _ = stream.write_all(
                    head(401, &[("WWW-Authenticate".to_string(), challenge)], 0).as_bytes(),
                );
            }
            return;
        }
    }
    let _ = stream.flush();
    let _ = stream.shutdown(std::net::Shutdown::Both);
}

/// `Basic base64(__token__:<token>)`: the Authorization a package index that takes a token as
/// the password of user `__token__` expects (what smoke-install's `.netrc` makes pip and go send).
pub(crate) fn token_authorization(token: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("__token__:{token}"))
    )
}

/// Serves `file` as the only file of the PEP 503 project `project` (`/simple/<project>/` and
/// `/files/<name>`), every path behind Basic auth for `token`: a private index.
pub(crate) fn serve_private_project(
    server: &FaultServer,
    token: &str,
    project: &str,
    file: &std::path::Path,
) {
    let expect = token_authorization(token);
    let guarded = |ok: Reply| {
        vec![Reply::RequireAuth {
            expect: expect.clone(),
            challenge: "Basic realm=\"private\"".into(),
            ok: Box::new(ok),
        }]
    };
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    let page =
        format!("<!DOCTYPE html><html><body><a href=\"/files/{name}\">{name}</a></body></html>");
    server.script(
        &format!("/simple/{project}/"),
        guarded(Reply::with_header(200, "Content-Type", "text/html", page)),
    );
    server.script(
        &format!("/files/{name}"),
        guarded(Reply::ok(std::fs::read(file).unwrap())),
    );
}
