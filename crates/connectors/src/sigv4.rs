//! SigV4 request signing (`Authorization: AWS4-HMAC-SHA256 …`) for calls to
//! AWS services, on the canonical forms of the `sigv4` crate that the
//! server's verifier uses too; AWS's published test vectors check both.

use sha2::{Digest, Sha256};
use sigv4::{ALGORITHM, canonical_query, hmac_sha256, normalize_path, signing_key, string_to_sign};
pub use sigv4::{amz_date, uri_encode};

/// An AWS access key.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    /// Names the key id only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// What the signer needs of a request.
pub struct Signable<'a> {
    pub method: &'a str,
    /// `host` or `host:port` as sent in the `Host` header.
    pub host: &'a str,
    /// The path as sent (percent-encoded).
    pub path: &'a str,
    /// The query as sent, without `?`.
    pub query: &'a str,
    pub body: &'a [u8],
}

/// Signs a request: returns the headers to add (`host`, `x-amz-date`,
/// `x-amz-content-sha256`, `x-amz-security-token` when a session token is
/// set, and `authorization`). `headers` are the other headers sent; all are
/// signed. `s3` selects S3's rule of encoding the path only once.
pub fn sign(
    req: &Signable<'_>,
    headers: &[(String, String)],
    creds: &Credentials,
    region: &str,
    service: &str,
    s3: bool,
    epoch_seconds: i64,
) -> Vec<(String, String)> {
    let amz_date = amz_date(epoch_seconds);
    let payload_hash = hex::encode(Sha256::digest(req.body));
    let mut added = vec![
        ("host".to_string(), req.host.to_string()),
        ("x-amz-date".to_string(), amz_date.clone()),
        ("x-amz-content-sha256".to_string(), payload_hash.clone()),
    ];
    if let Some(token) = &creds.session_token {
        added.push(("x-amz-security-token".to_string(), token.clone()));
    }
    let all: Vec<(String, String)> = headers.iter().chain(added.iter()).cloned().collect();
    let authorization = authorization(
        req,
        &all,
        creds,
        region,
        service,
        s3,
        &amz_date,
        &payload_hash,
    );
    added.push(("authorization".to_string(), authorization));
    added
}

/// The `Authorization` value for `req` sent with `headers` (all of them signed).
#[allow(clippy::too_many_arguments)]
fn authorization(
    req: &Signable<'_>,
    headers: &[(String, String)],
    creds: &Credentials,
    region: &str,
    service: &str,
    s3: bool,
    amz_date: &str,
    payload_hash: &str,
) -> String {
    let date = &amz_date[..8];
    let mut all: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| {
            (
                k.to_ascii_lowercase(),
                v.split_whitespace().collect::<Vec<_>>().join(" "),
            )
        })
        .collect();
    all.sort_by(|a, b| a.0.cmp(&b.0));
    // Several values of one header are joined by commas.
    let mut merged: Vec<(String, String)> = Vec::new();
    for (k, v) in all {
        match merged.last_mut() {
            Some((lk, lv)) if *lk == k => {
                lv.push(',');
                lv.push_str(&v);
            }
            _ => merged.push((k, v)),
        }
    }
    let signed_headers = merged
        .iter()
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let path = if s3 {
        if req.path.is_empty() {
            "/".to_string()
        } else {
            req.path.to_string()
        }
    } else {
        uri_encode(normalize_path(req.path).as_bytes(), true)
    };
    let mut canonical = format!("{}\n{path}\n{}\n", req.method, canonical_query(req.query));
    for (k, v) in &merged {
        canonical.push_str(&format!("{k}:{v}\n"));
    }
    canonical.push('\n');
    canonical.push_str(&signed_headers);
    canonical.push('\n');
    canonical.push_str(payload_hash);
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let string_to_sign = string_to_sign(amz_date, &scope, &canonical);
    let key = signing_key(&creds.secret_access_key, date, region, service);
    let signature = hex::encode(hmac_sha256(&key, string_to_sign.as_bytes()));
    format!(
        "{ALGORITHM} Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
        creds.access_key_id
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Vectors of AWS's SigV4 test suite (get-vanilla,
    /// get-vanilla-query-order-key-case, post-vanilla): only `host` and
    /// `x-amz-date` signed, empty body.
    #[test]
    fn signs_the_published_vectors() {
        let creds = Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
        };
        let empty = hex::encode(Sha256::digest(b""));
        let headers = vec![
            ("Host".to_string(), "example.amazonaws.com".to_string()),
            ("X-Amz-Date".to_string(), "20150830T123600Z".to_string()),
        ];
        for (method, query, signature) in [
            (
                "GET",
                "",
                "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
            ),
            (
                "GET",
                "Param2=value2&Param1=value1",
                "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
            ),
            (
                "POST",
                "",
                "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
            ),
        ] {
            let req = Signable {
                method,
                host: "example.amazonaws.com",
                path: "/",
                query,
                body: b"",
            };
            let auth = authorization(
                &req,
                &headers,
                &creds,
                "us-east-1",
                "service",
                false,
                "20150830T123600Z",
                &empty,
            );
            assert_eq!(
                auth,
                format!(
                    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature={signature}"
                )
            );
        }
        assert_eq!(amz_date(1_440_938_160), "20150830T123600Z");
    }
}
