//! The one outbound HTTP client: hyper 1 through hyper-util's pooled client
//! (both already built for axum), with rustls on `ring` for HTTPS. reqwest
//! would add ~95 crates and aws-lc-sys (60 s cold, `../shared/DEPENDENCIES.md`);
//! this adds rustls, ring, webpki-roots and hyper-rustls only.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// A request to send.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Absolute `http://` or `https://` URL, already percent-encoded.
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// A response as received (header names lower-case, in arrival order).
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl Response {
    /// The first value of `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Why a request got no response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// The URL, method or a header could not be used.
    Invalid(String),
    /// No answer within the time allowed.
    Timeout,
    /// Connecting, TLS or the exchange failed.
    Transport(String),
    /// The body was larger than allowed.
    TooLarge,
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Invalid(m) | SendError::Transport(m) => f.write_str(m),
            SendError::Timeout => f.write_str("the request timed out"),
            SendError::TooLarge => f.write_str("the response body is too large"),
        }
    }
}

type Inner = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// A pooled HTTP/1.1 client for `http` and `https` URLs. Cheap to clone.
#[derive(Clone)]
pub struct HttpClient {
    inner: Inner,
    timeout: Duration,
    max_body: usize,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl Default for HttpClient {
    fn default() -> Self {
        HttpClient::new(Duration::from_secs(60), 16 * 1024 * 1024)
    }
}

/// The certificates of a PEM file (`SSL_CERT_FILE`): extra roots to trust,
/// e.g. a local CA for an HTTPS endpoint on the developer's machine.
pub fn read_roots(path: &std::path::Path) -> Result<Vec<Vec<u8>>, String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let pem =
        std::fs::read(path).map_err(|e| format!("could not read '{}': {e}", path.display()))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .map(|c| c.map(|c| c.to_vec()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("'{}' is not a PEM certificate file: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("'{}' holds no certificate", path.display()));
    }
    Ok(certs)
}

impl HttpClient {
    /// A client whose requests give up after `timeout` and whose response
    /// bodies may hold at most `max_body` bytes.
    pub fn new(timeout: Duration, max_body: usize) -> HttpClient {
        HttpClient::with_roots(timeout, max_body, &[])
    }

    /// As [`HttpClient::new`], also trusting the DER certificates `extra_roots`.
    pub fn with_roots(timeout: Duration, max_body: usize, extra_roots: &[Vec<u8>]) -> HttpClient {
        let tls = rustls_config(extra_roots);
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(timeout));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let inner = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(https);
        HttpClient {
            inner,
            timeout,
            max_body,
        }
    }

    /// Sends `req` and reads the whole response.
    pub async fn send(&self, req: Request) -> Result<Response, SendError> {
        let mut builder = http::Request::builder()
            .method(
                http::Method::from_bytes(req.method.as_bytes())
                    .map_err(|_| SendError::Invalid(format!("invalid method '{}'", req.method)))?,
            )
            .uri(&req.url);
        for (k, v) in &req.headers {
            let name = http::HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| SendError::Invalid(format!("invalid header name '{k}'")))?;
            let value = http::HeaderValue::from_str(v)
                .map_err(|_| SendError::Invalid(format!("invalid value for header '{k}'")))?;
            builder = builder.header(name, value);
        }
        let request = builder
            .body(Full::new(Bytes::from(req.body)))
            .map_err(|e| SendError::Invalid(format!("invalid request to '{}': {e}", req.url)))?;
        let max = self.max_body;
        let exchange = async move {
            let response = self
                .inner
                .request(request)
                .await
                .map_err(|e| SendError::Transport(describe(&e)))?;
            let (parts, body) = response.into_parts();
            let body = Limited::new(body, max)
                .collect()
                .await
                .map_err(|e| {
                    if e.is::<http_body_util::LengthLimitError>() {
                        SendError::TooLarge
                    } else {
                        SendError::Transport(e.to_string())
                    }
                })?
                .to_bytes();
            let headers = parts
                .headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            Ok(Response {
                status: parts.status.as_u16(),
                reason: parts.status.canonical_reason().unwrap_or("").to_string(),
                headers,
                body,
            })
        };
        match tokio::time::timeout(self.timeout, exchange).await {
            Ok(r) => r,
            Err(_) => Err(SendError::Timeout),
        }
    }
}

/// The error and its sources on one line (hyper's top error says little).
fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

fn rustls_config(extra_roots: &[Vec<u8>]) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    for der in extra_roots {
        // Unusable certificates were refused when the file was read; one that
        // still fails here is skipped rather than stopping every call.
        let _ = roots.add(rustls::pki_types::CertificateDer::from(der.clone()));
    }
    rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("ring supports the default protocol versions")
    .with_root_certificates(roots)
    .with_no_client_auth()
}
