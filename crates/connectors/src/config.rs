//! The config file's sections for outbound calls: `[[connections]]` (what an
//! HTTP task's `Authentication.ConnectionArn` names, as EventBridge
//! connections do on AWS) and `[services.<name>]` (where and as whom AWS
//! service calls go).
//!
//! ```toml
//! [[connections]]
//! name = "orders-api"
//! authorization = "api_key"          # api_key | basic | oauth_client_credentials
//! api_key_name = "x-api-key"
//! api_key_value = "secret"
//! headers = { "x-tenant" = "acme" }  # optional, like InvocationHttpParameters
//!
//! [services.dynamodb]
//! endpoint = "http://127.0.0.1:5000"
//! region = "us-east-1"
//! access_key_id = "test"
//! secret_access_key = "test"
//! ```

use std::collections::BTreeMap;

use crate::sigv4::Credentials;

/// How a connection authorizes its requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Authorization {
    ApiKey,
    Basic,
    OauthClientCredentials,
}

/// One named connection (EventBridge connection on AWS).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Connection {
    /// The `<name>` in `arn:aws:events:<region>:<account>:connection/<name>/<id>`.
    pub name: String,
    pub authorization: Authorization,
    /// `api_key`: the header to send and its value.
    pub api_key_name: Option<String>,
    pub api_key_value: Option<String>,
    /// `basic`.
    pub username: Option<String>,
    pub password: Option<String>,
    /// `oauth_client_credentials`: the token endpoint and the client.
    pub authorization_endpoint: Option<String>,
    /// `POST` (default) or `GET`.
    pub http_method: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// Extra parameters of the token request.
    #[serde(default)]
    pub oauth_body_parameters: BTreeMap<String, String>,
    /// Added to every request made through the connection (AWS's
    /// InvocationHttpParameters).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub query_parameters: BTreeMap<String, String>,
    #[serde(default)]
    pub body_parameters: BTreeMap<String, String>,
}

impl Connection {
    /// The missing field for its kind of authorization, if any.
    pub fn check(&self) -> Result<(), String> {
        let need: &[(&str, &Option<String>)] = match self.authorization {
            Authorization::ApiKey => &[
                ("api_key_name", &self.api_key_name),
                ("api_key_value", &self.api_key_value),
            ],
            Authorization::Basic => &[("username", &self.username), ("password", &self.password)],
            Authorization::OauthClientCredentials => &[
                ("authorization_endpoint", &self.authorization_endpoint),
                ("client_id", &self.client_id),
                ("client_secret", &self.client_secret),
            ],
        };
        for (field, value) in need {
            if value.as_deref().is_none_or(str::is_empty) {
                return Err(format!(
                    "connection '{}' needs {field} for its authorization",
                    self.name
                ));
            }
        }
        if self.name.is_empty() || self.name.contains('/') {
            return Err(format!("invalid connection name '{}'", self.name));
        }
        Ok(())
    }
}

/// Where one AWS service's calls go (`[services.<name>]`, `<name>` as in the
/// resource ARN: `dynamodb`, `sqs`, `sns`, `eventbridge`, `s3`, …).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceConfig {
    /// Base URL; default `https://<endpoint prefix>.<region>.amazonaws.com`.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
}

/// Everything outbound integrations read from the config and environment.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub connections: Vec<Connection>,
    pub services: BTreeMap<String, ServiceConfig>,
    /// The region when a service names none (the server's region).
    pub region: String,
    /// Credentials when a service names none (`AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`).
    pub default_credentials: Option<Credentials>,
    /// Certificates (DER) trusted besides the built-in roots: those of the
    /// PEM file `SSL_CERT_FILE` names.
    pub extra_roots: Vec<Vec<u8>>,
}

impl Settings {
    /// Settings with the default credentials taken from the standard AWS
    /// environment variables.
    pub fn from_env(
        connections: Vec<Connection>,
        services: BTreeMap<String, ServiceConfig>,
        region: impl Into<String>,
    ) -> Result<Settings, String> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let default_credentials = match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
            (Some(id), Some(secret)) => Some(Credentials {
                access_key_id: id,
                secret_access_key: secret,
                session_token: var("AWS_SESSION_TOKEN"),
            }),
            _ => None,
        };
        let extra_roots = match var("SSL_CERT_FILE") {
            Some(path) => crate::client::read_roots(std::path::Path::new(&path))
                .map_err(|e| format!("SSL_CERT_FILE: {e}"))?,
            None => Vec::new(),
        };
        let s = Settings {
            connections,
            services,
            region: region.into(),
            default_credentials,
            extra_roots,
        };
        s.check()?;
        Ok(s)
    }

    /// Rejects incomplete connections, duplicate names and half-given keys.
    pub fn check(&self) -> Result<(), String> {
        let mut seen = std::collections::HashSet::new();
        for c in &self.connections {
            c.check()?;
            if !seen.insert(c.name.as_str()) {
                return Err(format!("connection '{}' is defined twice", c.name));
            }
        }
        for (name, s) in &self.services {
            if s.access_key_id.is_some() != s.secret_access_key.is_some() {
                return Err(format!(
                    "[services.{name}] needs access_key_id and secret_access_key together"
                ));
            }
            if let Some(e) = &s.endpoint
                && !(e.starts_with("http://") || e.starts_with("https://"))
            {
                return Err(format!(
                    "[services.{name}] endpoint must start with http:// or https://"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct File {
        #[serde(default)]
        connections: Vec<Connection>,
        #[serde(default)]
        services: BTreeMap<String, ServiceConfig>,
    }

    fn settings(text: &str) -> Result<Settings, String> {
        let f: File = toml::from_str(text).map_err(|e| e.to_string())?;
        let s = Settings {
            connections: f.connections,
            services: f.services,
            region: "us-east-1".into(),
            default_credentials: None,
            extra_roots: Vec::new(),
        };
        s.check().map(|()| s)
    }

    #[test]
    fn the_documented_sections_parse_and_bad_ones_are_refused() {
        let s = settings(
            r#"
            [[connections]]
            name = "orders-api"
            authorization = "api_key"
            api_key_name = "x-api-key"
            api_key_value = "secret"
            headers = { "x-tenant" = "acme" }

            [[connections]]
            name = "idp"
            authorization = "oauth_client_credentials"
            authorization_endpoint = "https://idp.example/token"
            client_id = "c"
            client_secret = "s"

            [services.dynamodb]
            endpoint = "http://127.0.0.1:5000"
            region = "us-east-1"
            access_key_id = "test"
            secret_access_key = "test"
            "#,
        )
        .expect("valid");
        assert_eq!(s.connections[0].headers["x-tenant"], "acme");
        assert_eq!(
            s.connections[1].authorization,
            Authorization::OauthClientCredentials
        );
        assert_eq!(
            s.services["dynamodb"].endpoint.as_deref(),
            Some("http://127.0.0.1:5000")
        );

        let bad = [
            (
                "[[connections]]\nname = \"a\"\nauthorization = \"api_key\"\napi_key_name = \"k\"",
                "api_key_value",
            ),
            (
                "[[connections]]\nname = \"a\"\nauthorization = \"basic\"\nusername = \"u\"\npassword = \"p\"\n[[connections]]\nname = \"a\"\nauthorization = \"basic\"\nusername = \"u\"\npassword = \"p\"",
                "defined twice",
            ),
            (
                "[[connections]]\nname = \"a\"\nauthorization = \"digest\"",
                "unknown variant",
            ),
            ("[services.sqs]\naccess_key_id = \"k\"", "together"),
            ("[services.sqs]\nendpoint = \"127.0.0.1:9324\"", "http://"),
            ("[services.sqs]\nendpont = \"http://x\"", "unknown field"),
        ];
        for (text, why) in bad {
            let err = settings(text)
                .err()
                .unwrap_or_else(|| panic!("accepted: {text}"));
            assert!(err.contains(why), "{err}");
        }
    }
}
