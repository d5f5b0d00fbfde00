//! TLS for client connections (rustls with ring): an `https://` server URL turns it on; the
//! server's certificate is checked against [`TlsOptions`]' CA when one is given, else against
//! the system's trusted roots; a client certificate can be added for mutual TLS.

use std::path::Path;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity};

use crate::ClientError;

/// TLS settings for `https://` servers; the default trusts the system's roots.
#[derive(Clone, Debug, Default)]
pub struct TlsOptions {
    ca_pem: Option<Vec<u8>>,
    domain: Option<String>,
    identity: Option<(Vec<u8>, Vec<u8>)>,
}

impl TlsOptions {
    /// Trusts only the PEM certificate(s) in `path`: a CA, or a self-signed server certificate.
    pub fn with_ca_file(mut self, path: &Path) -> Result<Self, ClientError> {
        self.ca_pem = Some(read_certs(path)?);
        Ok(self)
    }

    /// Trusts only the PEM certificate(s) in `pem` (`name` says where they came from in errors).
    pub fn with_ca_pem(mut self, pem: &[u8], name: &str) -> Result<Self, ClientError> {
        check_certs(pem, name)?;
        self.ca_pem = Some(pem.to_vec());
        Ok(self)
    }

    /// Verifies the server's certificate for `name` instead of the URL's host (also sent as SNI).
    pub fn with_domain(mut self, name: impl Into<String>) -> Self {
        self.domain = Some(name.into());
        self
    }

    /// Presents the PEM certificate chain in `cert` with its key in `key` (mutual TLS).
    pub fn with_identity_files(mut self, cert: &Path, key: &Path) -> Result<Self, ClientError> {
        let cert = read_certs(cert)?;
        let key_pem = read(key)?;
        PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| ClientError::Input {
            path: key.display().to_string(),
            detail: format!("no PEM private key found ({})", pem_error(&e)),
        })?;
        self.identity = Some((cert, key_pem));
        Ok(self)
    }

    /// Whether anything differs from the default (which only matters for `https://`).
    pub fn is_set(&self) -> bool {
        self.ca_pem.is_some() || self.domain.is_some() || self.identity.is_some()
    }
}

/// `endpoint` with TLS when its URL is `https://`; TLS options with `http://` are an error,
/// so a user who asked for TLS never talks plaintext by mistake.
pub(crate) fn configure(
    endpoint: Endpoint,
    url: &str,
    opts: &TlsOptions,
) -> Result<Endpoint, ClientError> {
    if endpoint.uri().scheme_str() != Some("https") {
        if opts.is_set() {
            return Err(ClientError::BadUrl {
                url: url.to_string(),
                detail: "TLS settings (CA, domain or client certificate) were given: use an \
                         https:// URL"
                    .into(),
            });
        }
        return Ok(endpoint);
    }
    let mut cfg = ClientTlsConfig::new();
    cfg = match &opts.ca_pem {
        Some(pem) => cfg.ca_certificate(Certificate::from_pem(pem)),
        None => cfg.with_native_roots(),
    };
    if let Some(d) = &opts.domain {
        cfg = cfg.domain_name(d.clone());
    }
    if let Some((cert, key)) = &opts.identity {
        cfg = cfg.identity(Identity::from_pem(cert, key));
    }
    endpoint.tls_config(cfg).map_err(|e| {
        let hint = if opts.ca_pem.is_none() {
            " (no CA given: trust the server's CA with --tls-ca PATH)"
        } else {
            ""
        };
        ClientError::Tls {
            url: url.to_string(),
            detail: format!("{}{hint}", transport_detail(&e)),
        }
    })
}

/// A failed connect as [`ClientError::Tls`] when rustls refused the handshake (bad or unknown
/// certificate, wrong name, no client certificate), else [`ClientError::Connect`].
pub(crate) fn connect_error(
    url: &str,
    e: &tonic::transport::Error,
    opts: &TlsOptions,
) -> ClientError {
    let mut detail = transport_detail(e);
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        let io_inner = s
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .is_some_and(|inner| inner.is::<rustls::Error>());
        if s.is::<rustls::Error>() || io_inner {
            if detail.contains("CaUsedAsEndEntity") {
                detail.push_str(
                    " (the server's certificate is marked as a CA: a self-signed server \
                     certificate needs basicConstraints CA:FALSE)",
                );
            } else if opts.ca_pem.is_none() {
                detail.push_str(
                    " (checked against the system's roots: trust a private CA or a \
                     self-signed certificate with --tls-ca PATH)",
                );
            }
            return ClientError::Tls {
                url: url.to_string(),
                detail,
            };
        }
        source = s.source();
    }
    ClientError::Connect {
        url: url.to_string(),
        detail,
    }
}

/// A PEM parse error in words (rustls prints a missing END marker as a list of bytes).
fn pem_error(e: &rustls::pki_types::pem::Error) -> String {
    match e {
        rustls::pki_types::pem::Error::MissingSectionEnd { .. } => {
            "a PEM section has no matching END line".into()
        }
        other => other.to_string(),
    }
}

/// Why a transport failed: its sources (tonic's own message is only "transport error").
fn transport_detail(e: &tonic::transport::Error) -> String {
    match std::error::Error::source(e) {
        Some(s) => error_chain(s),
        None => e.to_string(),
    }
}

/// `e` and its sources, joined with ": " (tonic's own message is only "transport error").
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

fn read(path: &Path) -> Result<Vec<u8>, ClientError> {
    std::fs::read(path).map_err(|e| ClientError::Input {
        path: path.display().to_string(),
        detail: e.to_string(),
    })
}

fn read_certs(path: &Path) -> Result<Vec<u8>, ClientError> {
    let pem = read(path)?;
    check_certs(&pem, &path.display().to_string())?;
    Ok(pem)
}

/// At least one PEM certificate and nothing malformed.
fn check_certs(pem: &[u8], name: &str) -> Result<(), ClientError> {
    let bad = |detail: String| ClientError::Input {
        path: name.to_string(),
        detail,
    };
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(format!("not usable PEM: {}", pem_error(&e))))?;
    if certs.is_empty() {
        return Err(bad("no PEM CERTIFICATE block found".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_settings_need_https() {
        let ep = Endpoint::from_static("http://127.0.0.1:1");
        let opts = TlsOptions::default().with_domain("localhost");
        let err = configure(ep.clone(), "http://127.0.0.1:1", &opts).unwrap_err();
        assert!(err.to_string().contains("https://"), "{err}");
        assert!(configure(ep, "http://127.0.0.1:1", &TlsOptions::default()).is_ok());
    }

    #[test]
    fn a_ca_file_without_certificates_is_refused_with_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "hello\n").unwrap();
        let err = TlsOptions::default().with_ca_file(&path).unwrap_err();
        assert!(err.to_string().contains("ca.pem"), "{err}");
        let err = TlsOptions::default()
            .with_ca_file(&dir.path().join("nope.pem"))
            .unwrap_err();
        assert!(err.to_string().contains("nope.pem"), "{err}");
    }
}
