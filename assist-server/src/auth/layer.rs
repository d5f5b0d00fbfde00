//! The gRPC interceptor: reads the key from `authorization: Bearer KEY` (or `x-api-key`),
//! verifies it, and attaches the caller's [`Principal`]; a missing or wrong key is
//! UNAUTHENTICATED before any service code runs. In open mode every caller is `Open` until
//! the first key is created; from then on keys are required, without a restart.

use std::sync::Arc;

use tonic::{Request, Status};

use super::{KeyStore, Principal};

/// How the server authenticates.
#[derive(Debug, Clone)]
pub enum Auth {
    /// No keys (loopback only).
    Open,
    /// No keys yet (loopback only): callers are `Open` until the key file gets its first
    /// active key, then keys are required as with [`Auth::Keys`].
    OpenUntilKeys(Arc<KeyStore>),
    /// API keys from a key file.
    Keys(Arc<KeyStore>),
}

/// The caller behind `req`'s key, or why it is refused.
fn verify_key<T>(store: &KeyStore, req: &Request<T>) -> Result<Principal, Status> {
    let Some(key) = key_of(req) else {
        return Err(Status::unauthenticated(
            "no API key: send `authorization: Bearer KEY` (callassist --api-key KEY)",
        ));
    };
    match store.verify(&key) {
        Ok(Some(rec)) => Ok(Principal::Key {
            id: rec.id,
            tenant: rec.tenant,
            role: rec.role,
        }),
        Ok(None) => Err(Status::unauthenticated(
            "the API key is unknown or revoked: ask an admin for a valid key",
        )),
        Err(e) => {
            tracing::error!("key file: {e}");
            Err(Status::unavailable("keys cannot be checked right now"))
        }
    }
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
            Auth::Keys(store) => verify_key(store, &req)?,
            Auth::OpenUntilKeys(store) => match store.has_active_keys_cached() {
                Ok(false) => Principal::Open,
                Ok(true) => verify_key(store, &req)?,
                Err(e) => {
                    tracing::error!("key file: {e}");
                    return Err(Status::unavailable("keys cannot be checked right now"));
                }
            },
        };
        req.extensions_mut().insert(principal);
        Ok(req)
    }
}
