//! Shared helpers for the integration tests: the cache they share.

use callassist_models::ModelHome;

/// The cache all tests use (`$CALLASSIST_HOME`, else the user cache), so that assets are
/// downloaded once per machine and the tests exercise the real locking between them.
pub fn home() -> ModelHome {
    ModelHome::from_env()
}
