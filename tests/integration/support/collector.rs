//! Where package code under test reports what it saw: a TCP listener on 127.0.0.1. The sandbox
//! lets package code write no file outside itself (and removes itself), but it can still open a
//! connection, as an attacker exfiltrating a secret would; the tests listen the same way.

use std::io::Read;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

pub(crate) struct Collector {
    port: u16,
    received: Arc<Mutex<Vec<u8>>>,
}

impl Collector {
    pub(crate) fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the collector");
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&received);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let sink = Arc::clone(&sink);
                std::thread::spawn(move || {
                    let mut stream = stream;
                    let mut bytes = Vec::new();
                    let _ = stream.read_to_end(&mut bytes);
                    let mut all = sink.lock().unwrap();
                    all.extend_from_slice(&bytes);
                    all.push(b'\n');
                });
            }
        });
        Collector { port, received }
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// Everything received so far. Package code's sends finish before its process exits, but the
    /// reader threads may still be copying: a short settle, not a timing assertion.
    pub(crate) fn received(&self) -> String {
        std::thread::sleep(std::time::Duration::from_millis(300));
        String::from_utf8_lossy(&self.received.lock().unwrap()).into_owned()
    }

    /// A node function `sink(text)` that sends `text` to this collector.
    pub(crate) fn node_sink(&self) -> String {
        format!(
            "function sink(s) {{ const c = require('net').connect({}, '127.0.0.1'); \
             c.on('error', () => {{}}); c.end(String(s)); }}\n",
            self.port
        )
    }

    /// A Python function `sink(text)` that sends `text` to this collector.
    pub(crate) fn python_sink(&self) -> String {
        format!(
            "def sink(s):\n    import socket\n    c = socket.create_connection(('127.0.0.1', {}))\n    \
             c.sendall(str(s).encode('utf-8', 'replace'))\n    c.close()\n",
            self.port
        )
    }
}
