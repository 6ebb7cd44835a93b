//! The HTTP task over TLS against a local HTTPS server (tokio-rustls) whose
//! certificate a throw-away CA signed (made with the `openssl` command): the
//! call succeeds when the CA is trusted (`SSL_CERT_FILE`'s way) and fails as a
//! socket error when it is not.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use connectors::{HttpClient, HttpInvoker};
use runtime::{Invoker, TaskOutcome, TaskRequest};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the openssl command runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA and a certificate it signed for 127.0.0.1 and localhost.
fn make_certs(dir: &Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=stepwise test CA",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "leaf.key",
            "-out",
            "leaf.csr",
            "-subj",
            "/CN=localhost",
        ],
    );
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "leaf.pem",
            "-days",
            "2",
            "-extfile",
            "leaf.ext",
        ],
    );
}

/// Answers every request on TLS with one JSON body, then closes.
async fn https_server(dir: &Path) -> u16 {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(dir.join("leaf.pem"))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(dir.join("leaf.key")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let body = json!({"secure": true, "request": String::from_utf8_lossy(&buf).lines().next()}).to_string();
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}

async fn call(client: HttpClient, port: u16) -> TaskOutcome {
    HttpInvoker::new(client, Vec::new(), "us-east-1")
        .invoke(TaskRequest {
            task: 1,
            state_name: "S".into(),
            resource: "arn:aws:states:::http:invoke".into(),
            parameters: json!({"ApiEndpoint": format!("https://127.0.0.1:{port}/secure?x=1"), "Method": "GET"}),
            timeout_seconds: None,
            heartbeat_seconds: None,
            task_token: None,
            caller: None,
        })
        .await
}

#[tokio::test]
async fn https_works_with_a_trusted_ca_and_fails_without() {
    if Command::new("openssl").arg("version").output().is_err() {
        eprintln!("SKIPPED: the openssl command is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    make_certs(dir.path());
    let port = https_server(dir.path()).await;

    let roots = connectors::client::read_roots(&dir.path().join("ca.pem")).unwrap();
    let trusted = HttpClient::with_roots(Duration::from_secs(10), 1 << 20, &roots);
    match call(trusted, port).await {
        TaskOutcome::Succeeded(v) => {
            assert_eq!(v["StatusCode"], 200);
            assert_eq!(v["ResponseBody"]["secure"], true);
            assert_eq!(v["ResponseBody"]["request"], "GET /secure?x=1 HTTP/1.1");
        }
        other => panic!("{other:?}"),
    }

    let untrusted = HttpClient::new(Duration::from_secs(10), 1 << 20);
    match call(untrusted, port).await {
        TaskOutcome::Failed { error, cause } => {
            assert_eq!(error.as_deref(), Some("States.Http.Socket"));
            let cause = cause.unwrap_or_default();
            assert!(cause.to_lowercase().contains("certificate"), "{cause}");
        }
        other => panic!("an untrusted certificate was accepted: {other:?}"),
    }

    assert!(connectors::client::read_roots(&dir.path().join("leaf.key")).is_err());
    assert!(connectors::client::read_roots(&dir.path().join("missing.pem")).is_err());
}
