//! Connection settings resolved like libpq tools: an explicit URL, then
//! `PGGIT_DATABASE_URL`, `DATABASE_URL`, then `PGHOST`, `PGPORT`, `PGUSER`,
//! `PGPASSWORD`, `PGDATABASE`, `PGSSLMODE` and `~/.pgpass`. TLS uses rustls
//! with the webpki root certificates.

use std::str::FromStr;
use std::sync::Arc;

use postgres::config::{Host, SslMode};
use postgres::{Client, Config};

use crate::PgError;

/// Where the settings came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Flag,
    Env(&'static str),
    Libpq,
}

/// Resolve connection settings. `lookup` reads environment variables (a
/// parameter so tests can resolve without touching the process env).
pub fn resolve(
    explicit: Option<&str>,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<(Config, Source), PgError> {
    let (text, source) = if let Some(url) = explicit {
        (Some(url.to_string()), Source::Flag)
    } else if let Some(url) = lookup("PGGIT_DATABASE_URL") {
        (Some(url), Source::Env("PGGIT_DATABASE_URL"))
    } else if let Some(url) = lookup("DATABASE_URL") {
        (Some(url), Source::Env("DATABASE_URL"))
    } else {
        (None, Source::Libpq)
    };
    // libpq's verify-ca / verify-full: the driver only knows disable, prefer
    // and require, so note the wish to verify and pass `require` on.
    let mut verify = false;
    let text = text.map(|t| {
        let mut t = t;
        for mode in ["verify-full", "verify-ca"] {
            let needle = format!("sslmode={mode}");
            if t.contains(&needle) {
                verify = true;
                t = t.replace(&needle, "sslmode=require");
            }
        }
        t
    });
    let mut config = match &text {
        Some(t) => Config::from_str(t).map_err(|e| PgError::Config(e.to_string()))?,
        None => Config::new(),
    };
    if config.get_hosts().is_empty() {
        config.host(&lookup("PGHOST").unwrap_or_else(|| "localhost".into()));
    }
    if config.get_ports().is_empty() {
        if let Some(p) = lookup("PGPORT") {
            let port = p
                .parse()
                .map_err(|_| PgError::Config(format!("PGPORT is not a port number: {p}")))?;
            config.port(port);
        }
    }
    if config.get_user().is_none() {
        let user = lookup("PGUSER")
            .or_else(|| lookup("USER"))
            .unwrap_or_else(|| "postgres".into());
        config.user(&user);
    }
    if config.get_dbname().is_none() {
        let db = lookup("PGDATABASE").or_else(|| config.get_user().map(str::to_string));
        if let Some(db) = db {
            config.dbname(&db);
        }
    }
    if text.is_none() {
        if let Some(mode) = lookup("PGSSLMODE") {
            config.ssl_mode(match mode.as_str() {
                "disable" => SslMode::Disable,
                "allow" | "prefer" => SslMode::Prefer,
                "require" => SslMode::Require,
                "verify-ca" | "verify-full" => {
                    verify = true;
                    SslMode::Require
                }
                other => return Err(PgError::Config(format!("unknown PGSSLMODE '{other}'"))),
            });
        }
    }
    if config.get_password().is_none() {
        if let Some(p) = lookup("PGPASSWORD").or_else(|| pgpass(&config, lookup)) {
            config.password(p);
        }
    }
    if config.get_application_name().is_none() {
        config.application_name("pggit");
    }
    if verify {
        VERIFY_TLS.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    Ok((config, source))
}

/// Set when the settings asked for `verify-ca`/`verify-full`; otherwise TLS
/// encrypts without checking the certificate, as libpq does for `prefer`
/// and `require`.
static VERIFY_TLS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Accepts any server certificate but still checks handshake signatures:
/// libpq's `sslmode=prefer|require` semantics.
#[derive(Debug)]
struct NoVerify(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Password from `~/.pgpass` (or `PGPASSFILE`) for the first host.
fn pgpass(config: &Config, lookup: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let path = lookup("PGPASSFILE").or_else(|| lookup("HOME").map(|h| format!("{h}/.pgpass")))?;
    let text = std::fs::read_to_string(path).ok()?;
    let host = match config.get_hosts().first()? {
        Host::Tcp(h) => h.clone(),
        Host::Unix(_) => "localhost".to_string(),
    };
    let port = config
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432)
        .to_string();
    let db = config.get_dbname().unwrap_or_default();
    let user = config.get_user().unwrap_or_default();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|line| {
            let fields = split_pgpass(line);
            if fields.len() != 5 {
                return None;
            }
            let ok = |f: &str, v: &str| f == "*" || f == v;
            (ok(&fields[0], &host)
                && ok(&fields[1], &port)
                && ok(&fields[2], db)
                && ok(&fields[3], user))
            .then(|| fields[4].clone())
        })
}

fn split_pgpass(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let (Some(n), Some(last)) = (chars.next(), out.last_mut()) {
                    last.push(n);
                }
            }
            ':' => out.push(String::new()),
            c => {
                if let Some(last) = out.last_mut() {
                    last.push(c);
                }
            }
        }
    }
    out
}

/// Open a connection with rustls TLS (used when the server offers it and the
/// ssl mode asks for it).
pub fn connect(config: &Config) -> Result<Client, PgError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| PgError::Config(format!("TLS setup failed: {e}")))?;
    let tls = if VERIFY_TLS.load(std::sync::atomic::Ordering::Relaxed) {
        builder.with_root_certificates(roots).with_no_client_auth()
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerify(provider)))
            .with_no_client_auth()
    };
    let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls);
    let mut client = config.connect(tls)?;
    pin_search_path(&mut client)?;
    Ok(client)
}

/// Pin the session's `search_path` to nothing but `pg_catalog` (implicit)
/// right after connecting, as `pg_dump` does: the database or role default
/// is under the control of the database owner, who could otherwise shadow
/// functions and operators that pggit's queries use (`public.=(text,text)`)
/// and have them run with the privileges of whoever runs pggit. Every name
/// pggit uses outside `pg_catalog` is schema-qualified.
pub fn pin_search_path(client: &mut Client) -> Result<(), PgError> {
    client.batch_execute("SELECT pg_catalog.set_config('search_path', '', false)")?;
    Ok(())
}

/// A copy of `config` pointing at another database on the same server.
pub fn with_dbname(config: &Config, dbname: &str) -> Config {
    let mut c = config.clone();
    c.dbname(dbname);
    c
}

/// A `postgresql://` URL for a config (password omitted).
pub fn url(config: &Config) -> String {
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        Some(Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    let host_part = if host.starts_with('/') {
        format!("?host={}&port={port}", enc(&host))
    } else {
        String::new()
    };
    let hostname = if host.starts_with('/') {
        String::new()
    } else {
        host
    };
    let (u, d) = (
        config.get_user().unwrap_or_default(),
        config.get_dbname().unwrap_or_default(),
    );
    let port_part = if hostname.is_empty() {
        String::new()
    } else {
        format!(":{port}")
    };
    format!(
        "postgresql://{}@{hostname}{port_part}/{}{host_part}",
        enc(u),
        enc(d)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_and_env() {
        let env = |k: &str| match k {
            "DATABASE_URL" => Some("postgresql://a@h1:5433/d1".to_string()),
            "PGHOST" => Some("h2".to_string()),
            _ => None,
        };
        let (c, s) = resolve(None, &env).unwrap();
        assert_eq!(s, Source::Env("DATABASE_URL"));
        assert_eq!(c.get_dbname(), Some("d1"));
        let (c, s) = resolve(Some("postgresql://b@h3/d3"), &env).unwrap();
        assert_eq!(s, Source::Flag);
        assert_eq!(c.get_user(), Some("b"));
        let env2 = |k: &str| match k {
            "PGHOST" => Some("h2".to_string()),
            "PGUSER" => Some("u2".to_string()),
            "PGPORT" => Some("6000".to_string()),
            _ => None,
        };
        let (c, _) = resolve(None, &env2).unwrap();
        assert_eq!(c.get_ports(), &[6000]);
        assert_eq!(c.get_dbname(), Some("u2"));
        assert_eq!(url(&c), "postgresql://u2@h2:6000/u2");
        let bad = |k: &str| (k == "PGPORT").then(|| "x".to_string());
        assert!(resolve(None, &bad).is_err());
    }

    #[test]
    fn password_from_pgpass_file() {
        let path = std::env::temp_dir().join(format!("pggit-pgpass-{}", std::process::id()));
        std::fs::write(
            &path,
            "# comment\nother:5432:*:*:no\nh1:5433:d1:u1:secret\\:1\n*:*:*:*:fallback\n",
        )
        .unwrap();
        let file = path.display().to_string();
        let env = |k: &str| match k {
            "PGPASSFILE" => Some(file.clone()),
            _ => None,
        };
        let (c, _) = resolve(Some("postgresql://u1@h1:5433/d1"), &env).unwrap();
        assert_eq!(c.get_password(), Some(&b"secret:1"[..]));
        let (c, _) = resolve(Some("postgresql://u2@h9/d9"), &env).unwrap();
        assert_eq!(c.get_password(), Some(&b"fallback"[..]));
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn pgpass_fields() {
        assert_eq!(
            split_pgpass(r"h:5432:d:u:p\:w"),
            vec!["h", "5432", "d", "u", "p:w"]
        );
    }
}
