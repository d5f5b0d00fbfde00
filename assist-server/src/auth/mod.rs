//! Who is calling: API keys carried in gRPC metadata (`authorization: Bearer KEY` or
//! `x-api-key: KEY`), each bound to one tenant and one role. The interceptor (`layer.rs`)
//! verifies the key against the key file (`keys.rs`) and puts the caller's [`Principal`] in
//! the request; each service then checks the role it needs and takes the tenant from the key,
//! never from the request body. Without a key file the server runs open, on loopback only.

pub mod cli;
mod keys;
mod layer;

pub use keys::{KeyError, KeyRecord, KeyStore, NewKey};
pub use layer::{Auth, interceptor};

use tonic::{Request, Status};

/// What a key may do.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Stream calls for its tenant.
    Agent,
    /// Follow its tenant's event log and adoption figures.
    Crm,
    /// Manage its tenant's knowledge packs (and everything an agent may read).
    Admin,
}

impl Role {
    /// The role's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Crm => "crm",
            Role::Admin => "admin",
        }
    }
}

/// The caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The server runs without keys (loopback only): any tenant, any RPC.
    Open,
    /// A verified key.
    Key {
        id: String,
        tenant: String,
        role: Role,
    },
}

impl Principal {
    /// The caller of `req` (open when no interceptor ran, as in unit tests).
    pub fn of<T>(req: &Request<T>) -> Self {
        req.extensions()
            .get::<Principal>()
            .cloned()
            .unwrap_or(Principal::Open)
    }

    /// Fails with PERMISSION_DENIED unless the caller's role is one of `roles`.
    pub fn require(&self, roles: &[Role], what: &str) -> Result<(), Status> {
        match self {
            Principal::Open => Ok(()),
            Principal::Key { role, .. } if roles.contains(role) => Ok(()),
            Principal::Key { role, .. } => Err(Status::permission_denied(format!(
                "a key with role {} may not {what}; it needs role {}",
                role.as_str(),
                roles
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(" or ")
            ))),
        }
    }

    /// The tenant a request acts for: the key's own tenant. A request that names another
    /// tenant gets PERMISSION_DENIED; an empty one means the key's tenant. Open mode takes
    /// the request's tenant as it is.
    pub fn tenant_for(&self, asked: &str) -> Result<String, Status> {
        match self {
            Principal::Open => Ok(asked.to_string()),
            Principal::Key { tenant, .. } if asked.is_empty() || asked == tenant => {
                Ok(tenant.clone())
            }
            Principal::Key { tenant, .. } => Err(Status::permission_denied(format!(
                "this key belongs to tenant {tenant:?} and may not act for tenant {asked:?}"
            ))),
        }
    }
}
