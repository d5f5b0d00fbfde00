//! The gRPC interceptor: reads the key from `authorization: Bearer KEY` (or `x-api-key`),
//! verifies it, and attaches the caller's [`Principal`]; a missing or wrong key is
//! UNAUTHENTICATED before any service code runs. In open mode every caller is `Open`.

use std::sync::Arc;

use tonic::{Request, Status};

use super::{KeyStore, Principal};

/// How the server authenticates.
#[derive(Debug, Clone)]
pub enum Auth {
    /// No keys (loopback only).
    Open,
    /// API keys from a key file.
    Keys(Arc<KeyStore>),
}

fn key_of<T>(req: &Request<T>) -> Option<String> {
    let md = req.metadata();
    if let Some(v) = md.get("authorization").and_then(|v| v.to_str().ok()) {
        return v
            .strip_prefix("Bearer ")
            .or_else(|| v.strip_prefix("bearer "))
            .map(|k| k.trim().to_string());
    }
    md.get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(|k| k.trim().to_string())
}

/// The interceptor for `auth`.
pub fn interceptor(
    auth: Auth,
) -> impl FnMut(Request<()>) -> Result<Request<()>, Status> + Clone + Send + Sync + 'static {
    move |mut req: Request<()>| {
        let principal = match &auth {
            Auth::Open => Principal::Open,
            Auth::Keys(store) => {
                let Some(key) = key_of(&req) else {
                    return Err(Status::unauthenticated(
                        "no API key: send `authorization: Bearer KEY` (callassist --api-key KEY)",
                    ));
                };
                match store.verify(&key) {
                    Ok(Some(rec)) => Principal::Key {
                        id: rec.id,
                        tenant: rec.tenant,
                        role: rec.role,
                    },
                    Ok(None) => {
                        return Err(Status::unauthenticated(
                            "the API key is unknown or revoked: ask an admin for a valid key",
                        ));
                    }
                    Err(e) => {
                        tracing::error!("key file: {e}");
                        return Err(Status::unavailable("keys cannot be checked right now"));
                    }
                }
            }
        };
        req.extensions_mut().insert(principal);
        Ok(req)
    }
}
