//! TLS for the gRPC server (rustls with ring): `--tls-cert` + `--tls-key` (PEM) turn it on,
//! `--tls-client-ca` additionally requires client certificates signed by that CA (mutual TLS).
//! Every file is read and parsed here, before serving, so a bad file stops the server with
//! its name instead of failing the first handshake.

use std::path::{Path, PathBuf};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tonic::transport::{Certificate, Identity, ServerTlsConfig};

use crate::config::ServerConfig;

/// Why the TLS settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("--tls-cert and --tls-key go together: {given} was given without {missing}")]
    Incomplete {
        given: &'static str,
        missing: &'static str,
    },
    #[error("--tls-client-ca needs --tls-cert and --tls-key (mutual TLS runs over TLS)")]
    ClientCaWithoutTls,
    #[error("cannot read TLS {what} {}: {error}", path.display())]
    Read {
        what: &'static str,
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("TLS {what} {} is not usable PEM: {detail}", path.display())]
    Pem {
        what: &'static str,
        path: PathBuf,
        detail: String,
    },
    #[error("TLS certificate {} and key {} do not make a usable identity: {detail}", cert.display(), key.display())]
    Identity {
        cert: PathBuf,
        key: PathBuf,
        detail: String,
    },
}

/// The TLS settings of `cfg`, read and checked; `None` when TLS is off.
pub fn server_tls(cfg: &ServerConfig) -> Result<Option<ServerTlsConfig>, TlsError> {
    let (cert_path, key_path) = match (&cfg.tls_cert, &cfg.tls_key) {
        (None, None) if cfg.tls_client_ca.is_some() => return Err(TlsError::ClientCaWithoutTls),
        (None, None) => return Ok(None),
        (Some(_), None) => {
            return Err(TlsError::Incomplete {
                given: "--tls-cert",
                missing: "--tls-key",
            });
        }
        (None, Some(_)) => {
            return Err(TlsError::Incomplete {
                given: "--tls-key",
                missing: "--tls-cert",
            });
        }
        (Some(c), Some(k)) => (c, k),
    };
    install_crypto_provider();
    let cert = read_certs("certificate", cert_path)?;
    let key = read("key", key_path)?;
    if let Err(e) = PrivateKeyDer::from_pem_slice(&key) {
        return Err(TlsError::Pem {
            what: "key",
            path: key_path.clone(),
            detail: format!("no private key found ({})", pem_error(&e)),
        });
    }
    let mut tls = ServerTlsConfig::new().identity(Identity::from_pem(&cert, &key));
    if let Some(ca) = &cfg.tls_client_ca {
        tls = tls.client_ca_root(Certificate::from_pem(read_certs("client CA", ca)?));
    }
    // Build it once here (the same way `Server::tls_config` will) so that a key that does not
    // match its certificate is reported with both names.
    tonic::transport::Server::builder()
        .tls_config(tls.clone())
        .map_err(|e| TlsError::Identity {
            cert: cert_path.clone(),
            key: key_path.clone(),
            detail: error_chain(&e),
        })?;
    Ok(Some(tls))
}

/// Makes ring the process's rustls crypto provider unless one is already installed, so that
/// a dependency enabling a second provider cannot leave rustls unable to choose. (rustls
/// 0.23.48 deprecates ring's provider only for lacking post-quantum key exchange; ring is
/// kept because aws-lc-rs needs cmake, and tonic's client picks ring the same way.)
#[allow(deprecated)]
fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn read(what: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|error| TlsError::Read {
        what,
        path: path.to_path_buf(),
        error,
    })
}

/// The file's bytes, once checked to hold at least one PEM certificate and nothing malformed.
fn read_certs(what: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    let pem = read(what, path)?;
    let bad = |detail: String| TlsError::Pem {
        what,
        path: path.to_path_buf(),
        detail,
    };
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(pem_error(&e)))?;
    if certs.is_empty() {
        return Err(bad("no CERTIFICATE block found".into()));
    }
    Ok(pem)
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

/// `e` and its sources, joined with ": ".
fn error_chain(e: &dyn std::error::Error) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(cert: Option<&Path>, key: Option<&Path>, ca: Option<&Path>) -> ServerConfig {
        ServerConfig {
            tls_cert: cert.map(Path::to_path_buf),
            tls_key: key.map(Path::to_path_buf),
            tls_client_ca: ca.map(Path::to_path_buf),
            ..ServerConfig::default()
        }
    }

    #[test]
    fn off_unless_both_files_are_given() {
        let p = Path::new("x.pem");
        assert!(server_tls(&cfg(None, None, None)).unwrap().is_none());
        let e = server_tls(&cfg(Some(p), None, None))
            .unwrap_err()
            .to_string();
        assert!(e.contains("without --tls-key"), "{e}");
        let e = server_tls(&cfg(None, Some(p), None))
            .unwrap_err()
            .to_string();
        assert!(e.contains("without --tls-cert"), "{e}");
        let e = server_tls(&cfg(None, None, Some(p)))
            .unwrap_err()
            .to_string();
        assert!(e.contains("--tls-client-ca"), "{e}");
    }

    #[test]
    fn the_command_line_wants_cert_and_key_together() {
        use clap::Parser;
        #[derive(Parser)]
        struct Wrapper {
            #[command(flatten)]
            cfg: ServerConfig,
        }
        let parse =
            |args: &[&str]| Wrapper::try_parse_from([&["serve"], args].concat()).map(|w| w.cfg);
        let e = parse(&["--tls-cert", "c.pem"]).err().unwrap().to_string();
        assert!(e.contains("--tls-key"), "{e}");
        assert!(parse(&["--tls-client-ca", "ca.pem"]).is_err());
        let cfg = parse(&["--tls-cert", "c.pem", "--tls-key", "k.pem"]).unwrap();
        assert_eq!(cfg.tls_key.as_deref(), Some(Path::new("k.pem")));
    }

    #[test]
    fn bad_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "not a certificate\n").unwrap();
        let missing = dir.path().join("missing.pem");
        let e = server_tls(&cfg(Some(&missing), Some(&junk), None))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("cannot read TLS certificate") && e.contains("missing.pem"),
            "{e}"
        );
        let e = server_tls(&cfg(Some(&junk), Some(&junk), None))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("TLS certificate") && e.contains("junk.pem"),
            "{e}"
        );
    }
}
