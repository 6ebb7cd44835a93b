//! A real server on an ephemeral port with a temporary data directory, and a
//! tiny HTTP/1.1 client over `std::net::TcpStream` speaking AWS JSON 1.0.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use serde_json::Value;

pub struct TestServer {
    pub port: u16,
    _dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    pub fn start() -> TestServer {
        TestServer::start_with(server::Config::default(), runtime::RuntimeConfig::default())
    }

    /// A server with the given settings (limits, authentication).
    pub fn start_with(
        config: server::Config,
        runtime_config: runtime::RuntimeConfig,
    ) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let store = store::SqliteStore::open(dir.path().join("stepwise.db")).unwrap();
        let store: Arc<dyn store::Store> = Arc::new(store);
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        std_listener.set_nonblocking(true).unwrap();
        let port = std_listener.local_addr().unwrap().port();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let runtime = runtime::Runtime::new(store.clone(), runtime_config);
                runtime.start().await.unwrap();
                let app = server::App::new(store, config, runtime);
                let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
                server::serve(listener, app, async {
                    let _ = rx.await;
                })
                .await
                .unwrap();
            });
        });
        TestServer {
            port,
            _dir: dir,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    /// Sends raw `body` with `target` as X-Amz-Target; returns status and body.
    pub fn raw(&self, target: Option<&str>, body: &[u8]) -> (u16, String, String) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        let mut head = format!(
            "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\nConnection: close\r\n",
            body.len()
        );
        if let Some(t) = target {
            head.push_str(&format!("X-Amz-Target: {t}\r\n"));
        }
        head.push_str("\r\n");
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(body).unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).unwrap();
        let text = String::from_utf8_lossy(&out).to_string();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
        let content_type = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-type")
                    .then(|| v.trim().to_string())
            })
            .unwrap_or_default();
        (status, content_type, body.to_string())
    }

    /// Calls `action`; `Ok(response)` for 200, `Err((code, message))` otherwise.
    pub fn call(&self, action: &str, req: Value) -> Result<Value, (String, String)> {
        let (status, _, body) = self.raw(
            Some(&format!("AWSStepFunctions.{action}")),
            req.to_string().as_bytes(),
        );
        let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        if status == 200 {
            return Ok(v);
        }
        let ty = v["__type"].as_str().unwrap_or("");
        let code = ty.rsplit('#').next().unwrap_or("").to_string();
        Err((code, v["message"].as_str().unwrap_or("").to_string()))
    }

    /// The error code of a call that must fail.
    pub fn error(&self, action: &str, req: Value) -> (String, String) {
        match self.call(action, req) {
            Ok(v) => panic!("{action} succeeded: {v}"),
            Err(e) => e,
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

pub const ROLE: &str = "arn:aws:iam::123456789012:role/stepwise";

pub fn pass_definition(result: &str) -> String {
    format!(
        r#"{{"StartAt":"P","States":{{"P":{{"Type":"Pass","Result":"{result}","End":true}}}}}}"#
    )
}

pub fn machine_arn(name: &str) -> String {
    format!("arn:aws:states:us-east-1:123456789012:stateMachine:{name}")
}
