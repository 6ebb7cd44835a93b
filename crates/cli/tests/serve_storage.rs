//! `stepwise serve` when its storage fails: an unusable data directory at start
//! is a clear error and a non-zero exit (no panic); a disk that fills while
//! running fails requests with AWS's 500 `InternalFailure`, keeps answering
//! reads, and leaves a database that passes `PRAGMA integrity_check` and holds
//! every acknowledged write after a restart.
//!
//! These tests run as root, where permission bits do not stop writes, so a full
//! disk is made with the file-size limit (`ulimit -f`, with SIGXFSZ ignored so
//! that writes past it fail with EFBIG as on a full disk).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_stepwise");

/// A fresh directory, removed on drop.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!(
            "stepwise-storage-{tag}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
const ROLE: &str = "arn:aws:iam::123456789012:role/stepwise";

/// `stepwise serve` on a free port under a file-size limit of `fsize_kib`
/// (none when `None`), with any extra arguments.
fn command(data: &Path, fsize_kib: Option<u64>, extra: &[&str]) -> Command {
    let limit = fsize_kib.map_or("unlimited".to_string(), |k| k.to_string());
    let mut c = Command::new("bash");
    c.arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f {limit}; exec \"$0\" serve --port 0 --data-dir \"$1\" \"${{@:2}}\""
        ))
        .arg(BIN)
        .arg(data)
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(data: &Path, fsize_kib: Option<u64>) -> Server {
        let mut child = command(data, fsize_kib, &[]).spawn().unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        let port = loop {
            line.clear();
            if out.read_line(&mut line).unwrap() == 0 {
                let mut err = String::new();
                let _ = child.stderr.take().unwrap().read_to_string(&mut err);
                panic!("stepwise serve exited: {err}");
            }
            if let Some(rest) = line
                .trim()
                .strip_prefix("stepwise serve: listening on http://")
            {
                break rest.rsplit(':').next().unwrap().parse().unwrap();
            }
        };
        // Keep draining standard output so the server never blocks on it.
        std::thread::spawn(move || {
            let mut sink = String::new();
            let _ = out.read_to_string(&mut sink);
        });
        Server { child, port }
    }

    /// Calls `action`; the HTTP status and the JSON body.
    fn call(&self, action: &str, req: &Value) -> (u16, Value) {
        let body = req.to_string();
        let mut c = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(
            c,
            "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: AWSStepFunctions.{action}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut out = String::new();
        c.read_to_string(&mut out).unwrap();
        let (head, body) = out.split_once("\r\n\r\n").unwrap();
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        (status, serde_json::from_str(body).unwrap())
    }

    fn machines(&self) -> usize {
        let (status, v) = self.call("ListStateMachines", &json!({"maxResults": 1000}));
        assert_eq!(status, 200, "{v}");
        v["stateMachines"].as_array().unwrap().len()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A definition of about `kib` KiB.
fn big_definition(kib: usize) -> String {
    json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "x".repeat(kib * 1024), "End": true}}})
        .to_string()
}

#[test]
fn an_unusable_data_directory_at_start_is_a_clear_error() {
    let dir = TempDir::new("start");
    // A path through a regular file cannot become a directory.
    std::fs::write(dir.path().join("file"), "").unwrap();
    let out = command(&dir.path().join("file/data"), None, &[])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("could not create data directory"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    // A directory where nothing can be written (a full disk; for root the
    // equivalent of a read-only one).
    let out = command(&dir.path().join("data"), Some(0), &[])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("could not open the database"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    // Permission bits, where they apply (not as root).
    let ro = dir.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    let mut perms = std::fs::metadata(&ro).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o555);
    std::fs::set_permissions(&ro, perms).unwrap();
    if std::fs::write(ro.join("probe"), "").is_err() {
        let out = command(&ro, None, &[]).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains("could not open the database"), "{err}");
    }
}

#[test]
fn unauthenticated_beyond_loopback_is_refused_at_start() {
    let dir = TempDir::new("remote");
    let out = command(&dir.path().join("data"), None, &["--address", "0.0.0.0"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("--allow-remote-unauthenticated"), "{err}");
}

#[test]
fn a_disk_filling_up_fails_writes_with_internal_failure_and_loses_nothing() {
    let dir = TempDir::new("full");
    let data = dir.path().join("data");
    let definition = big_definition(200);
    let mut acknowledged = 0;
    {
        let s = Server::start(&data, Some(3 * 1024));
        let mut failed = None;
        for i in 0..100 {
            let (status, v) = s.call(
                "CreateStateMachine",
                &json!({"name": format!("m{i}"), "definition": definition, "roleArn": ROLE}),
            );
            if status == 200 {
                acknowledged += 1;
            } else {
                failed = Some((status, v));
                break;
            }
        }
        let (status, v) = failed.expect("the file-size limit was never reached");
        assert_eq!(status, 500, "{v}");
        assert_eq!(
            v["__type"], "com.amazonaws.swf.service.v2.model#InternalFailure",
            "{v}"
        );
        assert!(v["message"].as_str().unwrap().contains("I/O"), "{v}");
        assert!(acknowledged > 0);
        // Later writes fail the same way, small ones too; reads go on.
        let (status, v) = s.call("CreateActivity", &json!({"name": "small"}));
        assert!(status >= 500, "{status} {v}");
        assert!(v["message"].is_string(), "{v}");
        assert_eq!(s.machines(), acknowledged);
    } // killed
    let db = data.join("stepwise.db");
    let store = store::SqliteStore::open(&db).unwrap();
    store.integrity_check().unwrap();
    store.shutdown().unwrap();
    drop(store);
    // Restarted without the limit: every acknowledged write is there, and new
    // writes succeed.
    let s = Server::start(&data, None);
    assert_eq!(s.machines(), acknowledged);
    let (status, v) = s.call(
        "CreateStateMachine",
        &json!({"name": "after", "definition": definition, "roleArn": ROLE}),
    );
    assert_eq!(status, 200, "{v}");
}
