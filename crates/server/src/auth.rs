//! SigV4 verification of requests (`Authorization: AWS4-HMAC-SHA256 …`).
//!
//! With credentials configured, every request must carry a valid signature made
//! with one of them, and the refusals are AWS's: no `Authorization` header is
//! `MissingAuthenticationTokenException`, a header lacking parts is
//! `IncompleteSignatureException`, an access key we do not know (or a wrong
//! session token) is `UnrecognizedClientException`, and a wrong signature, a
//! wrong scope or a clock skew beyond 15 minutes is `InvalidSignatureException`
//! — all HTTP 400, as AWS's JSON services answer them.
//!
//! The canonical request follows AWS's rules for every service but S3: the path
//! normalised and URI-encoded once more, the query decoded, re-encoded and
//! sorted, the signed headers lower-cased with their values trimmed and inner
//! spaces collapsed, and the payload hash taken from the body itself (a client's
//! `X-Amz-Content-Sha256` that disagrees with the body cannot produce a
//! matching signature), or the literal `UNSIGNED-PAYLOAD` when the client says
//! so. The final comparison is constant-time (`Mac::verify_slice`).

use std::collections::HashMap;

use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use sigv4::{
    ALGORITHM, amz_date, canonical_query, hmac_sha256, normalize_path, signing_key, string_to_sign,
    uri_encode,
};

use crate::error::ApiError;

type HmacSha256 = Hmac<Sha256>;

/// How far a request's time may be from ours, as AWS allows.
pub const MAX_SKEW_SECONDS: i64 = 15 * 60;

/// One configured access key.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    pub secret_access_key: String,
    /// When set, requests made with this key must carry it as
    /// `X-Amz-Security-Token`; when unset, they must carry none.
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Credential {
    /// Never prints the secret or the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Checks signatures against a set of access keys.
#[derive(Clone)]
pub struct Verifier {
    keys: HashMap<String, Credential>,
    region: String,
    service: String,
}

impl std::fmt::Debug for Verifier {
    /// Names the access keys, never the secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut ids: Vec<&String> = self.keys.keys().collect();
        ids.sort();
        f.debug_struct("Verifier")
            .field("access_key_ids", &ids)
            .field("region", &self.region)
            .field("service", &self.service)
            .finish()
    }
}

/// What a verifier needs of one request.
pub struct SignedRequest<'a> {
    pub method: &'a str,
    /// The path as sent (still percent-encoded).
    pub path: &'a str,
    /// The query as sent, without `?`.
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

fn missing_token() -> ApiError {
    ApiError::new(
        "MissingAuthenticationTokenException",
        "Request is missing Authentication Token",
    )
}

fn incomplete(message: impl Into<String>) -> ApiError {
    ApiError::new("IncompleteSignatureException", message)
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new("InvalidSignatureException", message)
}

fn unrecognized() -> ApiError {
    ApiError::new(
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    )
}

fn mismatch() -> ApiError {
    invalid(
        "The request signature we calculated does not match the signature you provided. \
         Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    )
}

impl Verifier {
    /// A verifier of `keys` for requests scoped to `region` and `service`
    /// (`states` for Step Functions).
    pub fn new(
        keys: HashMap<String, Credential>,
        region: impl Into<String>,
        service: impl Into<String>,
    ) -> Verifier {
        Verifier {
            keys,
            region: region.into(),
            service: service.into(),
        }
    }

    /// How many access keys are configured.
    pub fn key_count(&self) -> usize {
        self.keys.len()
    }

    /// Verifies `req` at `now` (epoch seconds); returns the access key id.
    pub fn verify(&self, req: &SignedRequest<'_>, now: i64) -> Result<String, ApiError> {
        let Some(header) = req.headers.get("authorization") else {
            return Err(missing_token());
        };
        let header = header
            .to_str()
            .map_err(|_| incomplete("Authorization header is not ASCII."))?;
        let auth = parse_authorization(header)?;
        let (amz_date, at) = request_time(req.headers).ok_or_else(|| {
            incomplete(format!(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={header}"
            ))
        })?;
        let scope: Vec<&str> = auth.credential.split('/').collect();
        let [key_id, date, region, service, terminator] = scope[..] else {
            return Err(incomplete(format!(
                "Credential should be scoped to a valid region. Authorization={header}"
            )));
        };
        if !auth.signed_headers.iter().any(|h| h == "host") {
            return Err(incomplete(format!(
                "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization. Authorization={header}"
            )));
        }
        let Some(credential) = self.keys.get(key_id) else {
            return Err(unrecognized());
        };
        let token = req
            .headers
            .get("x-amz-security-token")
            .map(|v| v.as_bytes());
        match (&credential.session_token, token) {
            (None, None) => {}
            (Some(want), Some(got)) if constant_time_eq(want.as_bytes(), got) => {}
            _ => return Err(unrecognized()),
        }
        if terminator != "aws4_request" {
            return Err(invalid(format!(
                "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'."
            )));
        }
        if service != self.service {
            return Err(invalid(format!(
                "Credential should be scoped to correct service: '{}'. ",
                self.service
            )));
        }
        if region != self.region {
            return Err(invalid(format!(
                "Credential should be scoped to a valid region, not '{region}'. "
            )));
        }
        if date != &amz_date[..8] {
            return Err(invalid(format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{date}' != '{}', from '{amz_date}'.",
                &amz_date[..8]
            )));
        }
        if at < now - MAX_SKEW_SECONDS {
            return Err(invalid(format!(
                "Signature expired: {amz_date} is now earlier than {} ({} - 15 min.)",
                sigv4::amz_date(now - MAX_SKEW_SECONDS),
                sigv4::amz_date(now)
            )));
        }
        if at > now + MAX_SKEW_SECONDS {
            return Err(invalid(format!(
                "Signature not yet current: {amz_date} is still later than {} ({} + 15 min.)",
                sigv4::amz_date(now + MAX_SKEW_SECONDS),
                sigv4::amz_date(now)
            )));
        }
        let provided = hex::decode(auth.signature).map_err(|_| mismatch())?;
        let canonical = canonical_request(req, &auth.signed_headers);
        let sts = string_to_sign(&amz_date, &auth.credential[key_id.len() + 1..], &canonical);
        let key = signing_key(&credential.secret_access_key, date, region, service);
        let mut mac = HmacSha256::new_from_slice(&key).expect("HMAC takes keys of any length");
        mac.update(sts.as_bytes());
        mac.verify_slice(&provided).map_err(|_| mismatch())?;
        Ok(key_id.to_string())
    }
}

/// The parts of an `Authorization` header.
struct Authorization<'a> {
    credential: &'a str,
    signed_headers: Vec<String>,
    signature: &'a str,
}

fn parse_authorization(header: &str) -> Result<Authorization<'_>, ApiError> {
    let rest = header
        .strip_prefix(ALGORITHM)
        .filter(|r| r.starts_with(' '))
        .unwrap_or("");
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((k, v)) = part.split_once('=') else {
            return Err(incomplete(format!(
                "'{part}' not a valid key=value pair (missing equal-sign) in Authorization header: '{header}'."
            )));
        };
        match k.trim() {
            "Credential" => credential = Some(v.trim()),
            "SignedHeaders" => signed = Some(v.trim()),
            "Signature" => signature = Some(v.trim()),
            _ => {}
        }
    }
    let mut missing = String::new();
    for (name, value) in [
        ("Credential", credential),
        ("Signature", signature),
        ("SignedHeaders", signed),
    ] {
        if value.is_none() {
            missing.push_str(&format!(
                "Authorization header requires '{name}' parameter. "
            ));
        }
    }
    match (credential, signed, signature) {
        (Some(credential), Some(signed), Some(signature)) => Ok(Authorization {
            credential,
            signed_headers: signed.split(';').map(str::to_ascii_lowercase).collect(),
            signature,
        }),
        _ => Err(incomplete(format!("{missing}Authorization={header}"))),
    }
}

/// The request's time as `YYYYMMDDTHHMMSSZ` and epoch seconds: `X-Amz-Date`,
/// else the HTTP `Date` header.
fn request_time(headers: &HeaderMap) -> Option<(String, i64)> {
    if let Some(v) = headers.get("x-amz-date") {
        let s = v.to_str().ok()?;
        return Some((s.to_string(), parse_amz_date(s)?));
    }
    let at = parse_http_date(headers.get("date")?.to_str().ok()?)?;
    Some((amz_date(at), at))
}

/// `20150830T123600Z` → epoch seconds.
fn parse_amz_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    epoch(
        num(0..4)?,
        num(4..6)?,
        num(6..8)?,
        num(9..11)?,
        num(11..13)?,
        num(13..15)?,
    )
}

/// `Fri, 24 May 2013 00:00:00 GMT` → epoch seconds.
fn parse_http_date(s: &str) -> Option<i64> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let parts: Vec<&str> = s.split_whitespace().collect();
    let [_, day, month, year, time, "GMT"] = parts[..] else {
        return None;
    };
    let month = MONTHS.iter().position(|m| *m == month)? as i64 + 1;
    let hms: Vec<i64> = time
        .split(':')
        .map(|t| t.parse().ok())
        .collect::<Option<_>>()?;
    let [h, mi, se] = hms[..] else { return None };
    epoch(year.parse().ok()?, month, day.parse().ok()?, h, mi, se)
}

fn epoch(y: i64, m: i64, d: i64, h: i64, mi: i64, s: i64) -> Option<i64> {
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    Some(days_from_civil(y, m, d) * 86_400 + h * 3600 + mi * 60 + s)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Epoch seconds → `YYYYMMDDTHHMMSSZ`.
/// A header's values joined by `,`, each trimmed with inner runs of spaces
/// collapsed to one.
fn header_value(headers: &HeaderMap, name: &str) -> String {
    headers
        .get_all(name)
        .iter()
        .map(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The canonical request of `req` over `signed_headers`.
fn canonical_request(req: &SignedRequest<'_>, signed_headers: &[String]) -> String {
    let path = uri_encode(normalize_path(req.path).as_bytes(), true);
    let mut out = format!(
        "{}\n{path}\n{}\n",
        req.method,
        canonical_query(req.query.unwrap_or(""))
    );
    for h in signed_headers {
        out.push_str(&format!("{h}:{}\n", header_value(req.headers, h)));
    }
    out.push('\n');
    out.push_str(&signed_headers.join(";"));
    out.push('\n');
    let unsigned = req
        .headers
        .get("x-amz-content-sha256")
        .is_some_and(|v| v.as_bytes() == b"UNSIGNED-PAYLOAD");
    if unsigned {
        out.push_str("UNSIGNED-PAYLOAD");
    } else {
        out.push_str(&hex::encode(Sha256::digest(req.body)));
    }
    out
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Signs a request as a client does (tests and tools): the `Authorization`
/// value for `req` with `signed_headers` (lower-case, sorted), at `amz_date`.
pub fn sign(
    req: &SignedRequest<'_>,
    signed_headers: &[&str],
    key_id: &str,
    secret: &str,
    region: &str,
    service: &str,
    amz_date: &str,
) -> String {
    let signed: Vec<String> = signed_headers.iter().map(|h| h.to_string()).collect();
    let date = &amz_date[..8.min(amz_date.len())];
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let sts = string_to_sign(amz_date, &scope, &canonical_request(req, &signed));
    let signature = hex::encode(hmac_sha256(
        &signing_key(secret, date, region, service),
        sts.as_bytes(),
    ));
    format!(
        "{ALGORITHM} Credential={key_id}/{scope}, SignedHeaders={}, Signature={signature}",
        signed.join(";")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const SUITE_KEY: &str = "AKIDEXAMPLE";
    const SUITE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    const SUITE_TIME: i64 = 1_440_938_160; // 20150830T123600Z
    const S3_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
    const S3_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    const S3_TIME: i64 = 1_369_353_600; // 20130524T000000Z
    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    fn verifier(key: &str, secret: &str, service: &str) -> Verifier {
        let mut keys = HashMap::new();
        keys.insert(
            key.to_string(),
            Credential {
                secret_access_key: secret.to_string(),
                session_token: None,
            },
        );
        Verifier::new(keys, "us-east-1", service)
    }

    /// Verifies a published vector: the request with its `Authorization` added.
    fn check(
        v: &Verifier,
        method: &str,
        path: &str,
        query: Option<&str>,
        mut h: HeaderMap,
        now: i64,
        authorization: &str,
    ) -> Result<String, ApiError> {
        h.insert(
            "authorization",
            HeaderValue::from_str(authorization).unwrap(),
        );
        let req = SignedRequest {
            method,
            path,
            query,
            headers: &h,
            body: b"",
        };
        v.verify(&req, now)
    }

    fn suite_headers() -> HeaderMap {
        headers(&[
            ("host", "example.amazonaws.com"),
            ("x-amz-date", "20150830T123600Z"),
        ])
    }

    fn suite_auth(signature: &str) -> String {
        format!(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature={signature}"
        )
    }

    #[test]
    fn aws_sigv4_test_suite_vectors_verify() {
        let v = verifier(SUITE_KEY, SUITE_SECRET, "service");
        // get-vanilla: its canonical request hash and signature.
        let h = suite_headers();
        let req = SignedRequest {
            method: "GET",
            path: "/",
            query: None,
            headers: &h,
            body: b"",
        };
        let canonical = canonical_request(&req, &["host".into(), "x-amz-date".into()]);
        assert_eq!(
            canonical,
            format!(
                "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n{EMPTY}"
            )
        );
        assert_eq!(
            string_to_sign(
                "20150830T123600Z",
                "20150830/us-east-1/service/aws4_request",
                &canonical
            ),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
        );
        for (method, query, signature) in [
            (
                "GET",
                None,
                "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
            ),
            (
                "GET",
                Some("Param2=value2&Param1=value1"),
                "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
            ),
            (
                "POST",
                None,
                "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
            ),
        ] {
            let auth = suite_auth(signature);
            assert_eq!(
                check(&v, method, "/", query, suite_headers(), SUITE_TIME, &auth),
                Ok(SUITE_KEY.to_string()),
                "{method} {query:?}"
            );
            // The signer reproduces the vector too.
            let h = suite_headers();
            let req = SignedRequest {
                method,
                path: "/",
                query,
                headers: &h,
                body: b"",
            };
            assert_eq!(
                sign(
                    &req,
                    &["host", "x-amz-date"],
                    SUITE_KEY,
                    SUITE_SECRET,
                    "us-east-1",
                    "service",
                    "20150830T123600Z"
                ),
                auth
            );
        }
    }

    #[test]
    fn s3_documentation_examples_verify() {
        let v = verifier(S3_KEY, S3_SECRET, "s3");
        let base = [
            ("host", "examplebucket.s3.amazonaws.com"),
            ("x-amz-content-sha256", EMPTY),
            ("x-amz-date", "20130524T000000Z"),
        ];
        let mut with_range = base.to_vec();
        with_range.push(("range", "bytes=0-9"));
        let cases = [
            (
                "/test.txt",
                None,
                headers(&with_range),
                "host;range;x-amz-content-sha256;x-amz-date",
                "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
            ),
            (
                "/",
                Some("lifecycle"),
                headers(&base),
                "host;x-amz-content-sha256;x-amz-date",
                "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
            ),
            (
                "/",
                Some("max-keys=2&prefix=J"),
                headers(&base),
                "host;x-amz-content-sha256;x-amz-date",
                "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
            ),
        ];
        for (path, query, h, signed, signature) in cases {
            let auth = format!(
                "AWS4-HMAC-SHA256 Credential={S3_KEY}/20130524/us-east-1/s3/aws4_request, SignedHeaders={signed}, Signature={signature}"
            );
            assert_eq!(
                check(&v, "GET", path, query, h, S3_TIME, &auth),
                Ok(S3_KEY.to_string()),
                "{path} {query:?}"
            );
        }
    }

    fn code(r: Result<String, ApiError>) -> &'static str {
        r.unwrap_err().code
    }

    #[test]
    fn refusals_use_aws_codes() {
        let v = verifier(SUITE_KEY, SUITE_SECRET, "service");
        let good = suite_auth("5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
        let run = |h: HeaderMap, auth: Option<&str>, now: i64| {
            let mut h = h;
            if let Some(a) = auth {
                h.insert("authorization", HeaderValue::from_str(a).unwrap());
            }
            let req = SignedRequest {
                method: "GET",
                path: "/",
                query: None,
                headers: &h,
                body: b"",
            };
            v.verify(&req, now)
        };
        let e = run(suite_headers(), None, SUITE_TIME).unwrap_err();
        assert_eq!(e.code, "MissingAuthenticationTokenException");
        assert_eq!(e.status, 400);
        let e = run(suite_headers(), Some("Bearer abc"), SUITE_TIME).unwrap_err();
        assert_eq!(e.code, "IncompleteSignatureException");
        assert!(
            e.message.contains("requires 'Credential' parameter"),
            "{}",
            e.message
        );
        assert_eq!(
            code(run(
                suite_headers(),
                Some(
                    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request SignedHeaders"
                ),
                SUITE_TIME
            )),
            "IncompleteSignatureException"
        );
        // No date at all.
        let no_date = headers(&[("host", "example.amazonaws.com")]);
        let e = run(no_date, Some(&good), SUITE_TIME).unwrap_err();
        assert!(
            e.message.contains("'X-Amz-Date' or a 'Date'"),
            "{}",
            e.message
        );
        // Host not signed.
        let e = run(
            suite_headers(),
            Some(&good.replace("host;x-amz-date", "x-amz-date")),
            SUITE_TIME,
        )
        .unwrap_err();
        assert_eq!(e.code, "IncompleteSignatureException");
        // Unknown key.
        let e = run(
            suite_headers(),
            Some(&good.replace("AKIDEXAMPLE", "AKIDOTHER")),
            SUITE_TIME,
        )
        .unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            (
                "UnrecognizedClientException",
                "The security token included in the request is invalid."
            )
        );
        // A wrong signature, a changed header, a wrong scope.
        assert_eq!(
            code(run(
                suite_headers(),
                Some(&good.replace("5fa0", "5fa1")),
                SUITE_TIME
            )),
            "InvalidSignatureException"
        );
        assert_eq!(
            code(run(
                suite_headers(),
                Some(&good.replace("=5fa0", "=zz")),
                SUITE_TIME
            )),
            "InvalidSignatureException"
        );
        let mut other_host = suite_headers();
        other_host.insert("host", HeaderValue::from_static("evil.example.com"));
        assert_eq!(
            code(run(other_host, Some(&good), SUITE_TIME)),
            "InvalidSignatureException"
        );
        let e = run(
            suite_headers(),
            Some(&good.replace("us-east-1", "eu-west-1")),
            SUITE_TIME,
        )
        .unwrap_err();
        assert!(e.message.contains("valid region"), "{}", e.message);
        // Clock skew beyond 15 minutes either way; within it is fine.
        assert!(run(suite_headers(), Some(&good), SUITE_TIME + 14 * 60).is_ok());
        let e = run(suite_headers(), Some(&good), SUITE_TIME + 16 * 60).unwrap_err();
        assert_eq!(e.code, "InvalidSignatureException");
        assert_eq!(
            e.message,
            "Signature expired: 20150830T123600Z is now earlier than 20150830T123700Z (20150830T125200Z - 15 min.)"
        );
        let e = run(suite_headers(), Some(&good), SUITE_TIME - 16 * 60).unwrap_err();
        assert!(
            e.message.starts_with("Signature not yet current"),
            "{}",
            e.message
        );
    }

    #[test]
    fn session_tokens_body_hash_and_unsigned_payload() {
        let mut keys = HashMap::new();
        keys.insert(
            "ASIATEMP".to_string(),
            Credential {
                secret_access_key: "s3cret".into(),
                session_token: Some("token-1".into()),
            },
        );
        let v = Verifier::new(keys, "us-east-1", "states");
        let signed = |h: &HeaderMap, body: &[u8], list: &[&str]| {
            let req = SignedRequest {
                method: "POST",
                path: "/",
                query: None,
                headers: h,
                body,
            };
            sign(
                &req,
                list,
                "ASIATEMP",
                "s3cret",
                "us-east-1",
                "states",
                "20150830T123600Z",
            )
        };
        let verify = |h: &HeaderMap, body: &[u8]| {
            let req = SignedRequest {
                method: "POST",
                path: "/",
                query: None,
                headers: h,
                body,
            };
            v.verify(&req, SUITE_TIME)
        };
        let mut h = headers(&[
            ("host", "localhost:8083"),
            ("x-amz-date", "20150830T123600Z"),
            ("x-amz-security-token", "token-1"),
        ]);
        let list = ["host", "x-amz-date", "x-amz-security-token"];
        let auth = signed(&h, b"{}", &list);
        h.insert("authorization", HeaderValue::from_str(&auth).unwrap());
        assert!(verify(&h, b"{}").is_ok());
        // The body is covered by the signature.
        assert_eq!(code(verify(&h, b"{\"a\":1}")), "InvalidSignatureException");
        // A wrong or missing token is an unrecognized client.
        let mut wrong = h.clone();
        wrong.insert("x-amz-security-token", HeaderValue::from_static("token-2"));
        assert_eq!(code(verify(&wrong, b"{}")), "UnrecognizedClientException");
        let mut none = h.clone();
        none.remove("x-amz-security-token");
        assert_eq!(code(verify(&none, b"{}")), "UnrecognizedClientException");
        // UNSIGNED-PAYLOAD leaves the body out.
        let mut u = headers(&[
            ("host", "localhost:8083"),
            ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
            ("x-amz-date", "20150830T123600Z"),
            ("x-amz-security-token", "token-1"),
        ]);
        let auth = signed(
            &u,
            b"ignored",
            &[
                "host",
                "x-amz-content-sha256",
                "x-amz-date",
                "x-amz-security-token",
            ],
        );
        u.insert("authorization", HeaderValue::from_str(&auth).unwrap());
        assert!(verify(&u, b"other").is_ok());
    }

    #[test]
    fn dates_paths_and_queries_are_canonical() {
        assert_eq!(parse_amz_date("20150830T123600Z"), Some(SUITE_TIME));
        assert_eq!(parse_amz_date("2015-08-30T12:36"), None);
        assert_eq!(
            parse_http_date("Fri, 24 May 2013 00:00:00 GMT"),
            Some(S3_TIME)
        );
    }
}
