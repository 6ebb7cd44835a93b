//! S3's REST-XML protocol for the actions Stepwise supports: getObject,
//! putObject, headObject, deleteObject, copyObject, listObjects,
//! listObjectsV2, listBuckets, createBucket and deleteBucket. A configured
//! endpoint is addressed path-style (`<endpoint>/<bucket>/<key>`), AWS's own
//! virtual-hosted (`https://<bucket>.s3.<region>.amazonaws.com/<key>`).

use serde_json::{Map, Value};

use crate::client::{Request, Response};
use crate::http_task::Failure;
use crate::sigv4::uri_encode;
use crate::xml;

pub const ACTIONS: &[&str] = &[
    "getObject",
    "putObject",
    "headObject",
    "deleteObject",
    "copyObject",
    "listObjects",
    "listObjectsV2",
    "listBuckets",
    "createBucket",
    "deleteBucket",
];

fn invalid(cause: String) -> Failure {
    Failure::new("States.Runtime", cause)
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The HTTP request for `action`.
pub(crate) fn request(
    action: &str,
    params: &Map<String, Value>,
    endpoint: &str,
    region: &str,
    aws_default: bool,
) -> Result<Request, Failure> {
    if !ACTIONS.contains(&action) {
        return Err(invalid(format!(
            "The S3 action '{action}' is not supported; supported: {}",
            ACTIONS.join(", ")
        )));
    }
    let get = |k: &str| params.get(k).filter(|v| !v.is_null()).map(text);
    let bucket = get("Bucket");
    let key = get("Key");
    let needs_bucket = action != "listBuckets";
    let needs_key = action.ends_with("Object");
    let bucket = match (needs_bucket, bucket) {
        (true, None) => return Err(invalid(format!("S3 {action} needs Bucket"))),
        (_, b) => b.unwrap_or_default(),
    };
    let key = match (needs_key, key) {
        (true, None) => return Err(invalid(format!("S3 {action} needs Key"))),
        (_, k) => k.unwrap_or_default(),
    };
    let mut url = if bucket.is_empty() {
        format!("{endpoint}/")
    } else if aws_default {
        format!("https://{bucket}.s3.{region}.amazonaws.com/")
    } else {
        format!("{endpoint}/{}", uri_encode(bucket.as_bytes(), false))
    };
    if needs_key {
        if !url.ends_with('/') {
            url.push('/');
        }
        url.push_str(&uri_encode(key.as_bytes(), true));
    }
    let mut query: Vec<(String, String)> = Vec::new();
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut body = Vec::new();
    let header_params: &[(&str, &str)] = &[
        ("ContentType", "content-type"),
        ("CacheControl", "cache-control"),
        ("ContentDisposition", "content-disposition"),
        ("ContentEncoding", "content-encoding"),
        ("ContentLanguage", "content-language"),
        ("Range", "range"),
        ("IfMatch", "if-match"),
        ("IfNoneMatch", "if-none-match"),
        ("ACL", "x-amz-acl"),
        ("StorageClass", "x-amz-storage-class"),
        ("ServerSideEncryption", "x-amz-server-side-encryption"),
        ("Tagging", "x-amz-tagging"),
        ("CopySource", "x-amz-copy-source"),
        ("MetadataDirective", "x-amz-metadata-directive"),
    ];
    for (param, header) in header_params {
        if let Some(v) = get(param) {
            headers.push((header.to_string(), v));
        }
    }
    if let Some(Value::Object(meta)) = params.get("Metadata") {
        for (k, v) in meta {
            headers.push((format!("x-amz-meta-{}", k.to_ascii_lowercase()), text(v)));
        }
    }
    let query_params: &[(&str, &str)] = &[
        ("VersionId", "versionId"),
        ("PartNumber", "partNumber"),
        ("Prefix", "prefix"),
        ("Delimiter", "delimiter"),
        ("MaxKeys", "max-keys"),
        ("Marker", "marker"),
        ("ContinuationToken", "continuation-token"),
        ("StartAfter", "start-after"),
        ("EncodingType", "encoding-type"),
    ];
    for (param, q) in query_params {
        if let Some(v) = get(param) {
            query.push((q.to_string(), v));
        }
    }
    let method = match action {
        "getObject" | "listObjects" | "listObjectsV2" | "listBuckets" => "GET",
        "headObject" => "HEAD",
        "deleteObject" | "deleteBucket" => "DELETE",
        _ => "PUT",
    };
    if action == "listObjectsV2" {
        query.insert(0, ("list-type".into(), "2".into()));
    }
    if action == "putObject" {
        // A body given as JSON is stored as its JSON text, as Step Functions does.
        body = match params.get("Body") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(s)) => s.clone().into_bytes(),
            Some(other) => other.to_string().into_bytes(),
        };
        use base64::Engine;
        headers.push((
            "x-amz-checksum-crc32".into(),
            base64::engine::general_purpose::STANDARD.encode(crc32(&body).to_be_bytes()),
        ));
        headers.push(("x-amz-sdk-checksum-algorithm".into(), "CRC32".into()));
    }
    if action == "createBucket"
        && let Some(lc) = params
            .get("CreateBucketConfiguration")
            .and_then(|c| c.get("LocationConstraint"))
            .and_then(Value::as_str)
    {
        body = format!(
            "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>{lc}</LocationConstraint></CreateBucketConfiguration>"
        )
        .into_bytes();
    }
    if !query.is_empty() {
        url.push('?');
        url.push_str(
            &query
                .iter()
                .map(|(k, v)| format!("{k}={}", uri_encode(v.as_bytes(), false)))
                .collect::<Vec<_>>()
                .join("&"),
        );
    }
    Ok(Request {
        method: method.into(),
        url,
        headers,
        body,
    })
}

/// The SDK's output for a successful answer.
pub(crate) fn response(action: &str, response: &Response) -> Map<String, Value> {
    let mut out = Map::new();
    let object_read = matches!(action, "getObject" | "headObject");
    let fields: &[(&str, &str)] = &[
        ("accept-ranges", "AcceptRanges"),
        ("cache-control", "CacheControl"),
        ("content-disposition", "ContentDisposition"),
        ("content-encoding", "ContentEncoding"),
        ("content-language", "ContentLanguage"),
        ("content-range", "ContentRange"),
        ("content-type", "ContentType"),
        ("expires", "Expires"),
        ("last-modified", "LastModified"),
        ("x-amz-storage-class", "StorageClass"),
        ("x-amz-tagging-count", "TagCount"),
        ("content-length", "ContentLength"),
    ];
    if object_read {
        for (header, field) in fields {
            if let Some(v) = response.header(header) {
                let value = match *field {
                    "ContentLength" | "TagCount" => v
                        .parse::<u64>()
                        .map(Value::from)
                        .unwrap_or_else(|_| Value::String(v.into())),
                    "LastModified" => Value::String(iso_date(v)),
                    _ => Value::String(v.into()),
                };
                out.insert(field.to_string(), value);
            }
        }
        let mut meta = Map::new();
        for (k, v) in &response.headers {
            if let Some(name) = k.strip_prefix("x-amz-meta-") {
                meta.insert(name.to_string(), Value::String(v.clone()));
            }
        }
        out.insert("Metadata".into(), Value::Object(meta));
    }
    let common: &[(&str, &str)] = &[
        ("etag", "ETag"),
        ("x-amz-server-side-encryption", "ServerSideEncryption"),
        ("x-amz-version-id", "VersionId"),
        ("x-amz-checksum-crc32", "ChecksumCRC32"),
        ("x-amz-checksum-type", "ChecksumType"),
        ("x-amz-expiration", "Expiration"),
        ("x-amz-delete-marker", "DeleteMarker"),
        ("location", "Location"),
    ];
    for (header, field) in common {
        if let Some(v) = response.header(header) {
            let value = if *field == "DeleteMarker" {
                Value::Bool(v == "true")
            } else {
                Value::String(v.into())
            };
            out.insert(field.to_string(), value);
        }
    }
    if action == "deleteObject"
        || action == "listBuckets"
        || action.starts_with("list")
        || action == "copyObject"
    {
        // Bodies of XML answers.
        let text = String::from_utf8_lossy(&response.body);
        if let Some(root) = xml::parse(&text)
            && let Value::Object(m) = s3_json(&root)
        {
            out.extend(m);
        }
    }
    out.sort_keys();
    if action == "getObject" {
        out.insert(
            "Body".into(),
            Value::String(String::from_utf8_lossy(&response.body).into_owned()),
        );
    }
    out
}

/// An S3 XML answer as the SDK's JSON: flattened lists (`Contents`,
/// `CommonPrefixes`) and the `Buckets` wrapper as lists, numbers and
/// booleans typed.
fn s3_json(root: &xml::Element) -> Value {
    let mut v = xml::to_json(
        root,
        &["Contents", "CommonPrefixes", "Versions", "DeleteMarkers"],
    );
    fix(&mut v);
    v
}

fn fix(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, item) in m.iter_mut() {
                match k.as_str() {
                    "Buckets" => {
                        let list = match item.get("Bucket") {
                            Some(Value::Array(a)) => a.clone(),
                            Some(one) => vec![one.clone()],
                            None => Vec::new(),
                        };
                        *item = Value::Array(list);
                    }
                    "Size" | "KeyCount" | "MaxKeys" => {
                        if let Some(n) = item.as_str().and_then(|s| s.parse::<u64>().ok()) {
                            *item = Value::from(n);
                        }
                    }
                    "IsTruncated" => {
                        if let Some(s) = item.as_str() {
                            *item = Value::Bool(s == "true");
                        }
                    }
                    "LastModified" | "CreationDate" => {
                        if let Some(s) = item.as_str() {
                            *item = Value::String(iso_date(s));
                        }
                    }
                    _ => {}
                }
                fix(item);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(fix),
        _ => {}
    }
}

/// An HTTP or ISO date as ISO 8601 in UTC with seconds (`2024-05-01T12:00:00Z`).
fn iso_date(s: &str) -> String {
    if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        return ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    }
    match jiff::fmt::rfc2822::parse(s) {
        Ok(z) => z.timestamp().strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Err(_) => s.to_string(),
    }
}

/// CRC-32 (IEEE), as S3's `x-amz-checksum-crc32`.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The recorded putObject checksums (`{"Dict":"Value"}` and `0`).
    #[test]
    fn crc32_matches_the_recorded_checksums() {
        use base64::Engine;
        let b64 = |s: &str| {
            base64::engine::general_purpose::STANDARD.encode(crc32(s.as_bytes()).to_be_bytes())
        };
        assert_eq!(b64("0"), "9NvfIQ==");
        assert_eq!(b64(r#"{"Dict":"Value"}"#), "hnEfWw==");
        assert_eq!(
            iso_date("Wed, 21 Oct 2015 07:28:00 GMT"),
            "2015-10-21T07:28:00Z"
        );
    }
}
