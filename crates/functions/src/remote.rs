//! Functions served elsewhere, through the Lambda Invoke API
//! (`POST {url}/2015-03-31/functions/{name}/invocations`): one small HTTP/1.1
//! exchange per invocation, so no HTTP client crate is needed for it.

use axum::body::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::pool::{Outcome, service_error};

pub(crate) async fn invoke(url: &str, name: &str, payload: Bytes) -> Outcome {
    match exchange(url, name, &payload).await {
        Ok((status, function_error, body)) => {
            if status == 404 {
                return Outcome::Failed {
                    error: "Lambda.ResourceNotFoundException".into(),
                    cause: String::from_utf8_lossy(&body).into_owned(),
                };
            }
            if !(200..300).contains(&status) {
                return service_error(&format!(
                    "{url} answered HTTP {status}: {}",
                    String::from_utf8_lossy(&body)
                ));
            }
            if function_error.is_some() {
                let error = serde_json::from_slice::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v.get("errorType")?.as_str().map(str::to_string))
                    .unwrap_or_else(|| "Lambda.Unknown".into());
                return Outcome::Failed {
                    error,
                    cause: String::from_utf8_lossy(&body).into_owned(),
                };
            }
            Outcome::Response(Bytes::from(body))
        }
        Err(e) => service_error(&format!("could not invoke '{name}' at {url}: {e}")),
    }
}

/// (status, X-Amz-Function-Error, body).
async fn exchange(
    url: &str,
    name: &str,
    payload: &[u8],
) -> std::io::Result<(u16, Option<String>, Vec<u8>)> {
    let rest = url.strip_prefix("http://").unwrap_or(url);
    let (host, base) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let mut stream = tokio::net::TcpStream::connect(host).await?;
    let head = format!(
        "POST {base}/2015-03-31/functions/{name}/invocations HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        payload.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(payload).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, "malformed HTTP response");
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(bad)?;
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut body = raw[end + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(bad)?;
    let mut function_error = None;
    let mut chunked = false;
    for line in lines {
        if let Some((k, v)) = line.split_once(':') {
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
            if k == "x-amz-function-error" {
                function_error = Some(v.to_string());
            } else if k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked") {
                chunked = true;
            }
        }
    }
    if chunked {
        body = dechunk(&body).ok_or_else(bad)?;
    }
    Ok((status, function_error, body))
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&data[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}
