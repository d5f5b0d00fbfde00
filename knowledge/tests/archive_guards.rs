//! Hostile archives are refused with precise errors: path escapes, links, size claims that
//! lie, compression bombs (generated here while streaming, never stored), and limit breaches.

mod common;

use std::io::{self, Cursor, Read, Write};

use callassist_knowledge::{ArchiveError, Limits, PackError, load_pack_bytes, read_pack_bytes};
use common::*;
use flate2::Compression;
use flate2::write::GzEncoder;
use tar::{EntryType, Header};

const MIB: u64 = 1024 * 1024;

fn archive_err(bytes: &[u8]) -> ArchiveError {
    archive_err_with(bytes, &Limits::default())
}

fn archive_err_with(bytes: &[u8], limits: &Limits) -> ArchiveError {
    match load_pack_bytes(bytes, limits) {
        Err(PackError::Archive(e)) => e,
        other => panic!("expected an archive error, got {other:?}"),
    }
}

/// A tar header for a regular file of `size` bytes named `path`, written raw so that names
/// the `tar` crate's builder refuses (`../x`, `/x`) can be produced.
fn raw_header(path: &str, size: u64, kind: EntryType) -> Header {
    let mut header = Header::new_gnu();
    header.as_old_mut().name[..path.len()].copy_from_slice(path.as_bytes());
    header.set_size(size);
    header.set_mode(0o644);
    header.set_entry_type(kind);
    header.set_cksum();
    header
}

/// Gzips the raw header blocks and data given, padding each entry to 512 bytes.
fn raw_tar_gz(entries: &[(Header, &[u8])]) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    for (header, data) in entries {
        gz.write_all(header.as_bytes()).unwrap();
        gz.write_all(data).unwrap();
        gz.write_all(&vec![0; (512 - data.len() % 512) % 512])
            .unwrap();
    }
    gz.write_all(&[0; 1024]).unwrap();
    gz.finish().unwrap()
}

fn manifest_entry() -> (Header, &'static [u8]) {
    (
        raw_header("pack.toml", VALID_MANIFEST.len() as u64, EntryType::Regular),
        VALID_MANIFEST.as_bytes(),
    )
}

#[test]
fn tar_entries_escaping_the_pack_are_refused() {
    for (name, reason) in [
        ("../evil.md", ".."),
        ("docs/../../evil.md", ".."),
        ("/etc/cron.d/x", "absolute"),
    ] {
        let bytes = raw_tar_gz(&[
            manifest_entry(),
            (raw_header(name, 4, EntryType::Regular), b"evil"),
        ]);
        match archive_err(&bytes) {
            ArchiveError::UnsafePath { entry, reason: r } => {
                assert_eq!(entry, name);
                assert!(r.contains(reason), "{r}");
            }
            other => panic!("{name}: {other}"),
        }
    }
}

#[test]
fn tar_symlinks_and_hard_links_are_refused() {
    for (kind, word) in [
        (EntryType::Symlink, "symlink"),
        (EntryType::Link, "hard link"),
    ] {
        let mut link = raw_header("docs/leak.md", 0, kind);
        link.set_link_name("/etc/passwd").unwrap();
        link.set_cksum();
        let err = archive_err(&raw_tar_gz(&[manifest_entry(), (link, b"")]));
        assert!(
            matches!(&err, ArchiveError::UnsupportedEntry { entry, kind } if entry == "docs/leak.md" && *kind == word),
            "{err}"
        );
        assert!(err.to_string().contains("docs/leak.md"));
    }
}

#[test]
fn zip_slip_entries_are_refused() {
    for name in [
        "../evil.md",
        "docs/../../evil.md",
        "/abs/evil.md",
        "..\\evil.md",
    ] {
        let mut files = valid_pack();
        files.push((name.to_owned(), b"evil".to_vec()));
        let err = archive_err(&zip(&files));
        assert!(
            matches!(&err, ArchiveError::UnsafePath { entry, .. } if entry == name),
            "{name}: {err}"
        );
    }
}

#[test]
fn zip_symlinks_are_refused() {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    writer.start_file("pack.toml", deflated()).unwrap();
    writer.write_all(VALID_MANIFEST.as_bytes()).unwrap();
    writer
        .add_symlink("docs/manual.md", "/etc/passwd", deflated())
        .unwrap();
    let bytes = writer.finish().unwrap().into_inner();
    let err = archive_err(&bytes);
    assert!(
        matches!(
            err,
            ArchiveError::UnsupportedEntry {
                kind: "symlink",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn tar_header_claiming_2_gib_is_refused_before_reading() {
    let claim = 2 * 1024 * MIB;
    let bytes = raw_tar_gz(&[
        manifest_entry(),
        (
            raw_header("docs/huge.md", claim, EntryType::Regular),
            b"tiny",
        ),
    ]);
    assert!(bytes.len() < 4096);
    let err = archive_err(&bytes);
    assert!(
        matches!(&err, ArchiveError::FileTooLarge { entry, size, limit }
            if entry == "docs/huge.md" && *size == claim && *limit == 8 * MIB),
        "{err}"
    );
}

/// Offsets of every central-directory header (`PK\1\2`) in a zip.
fn central_headers(zip: &[u8]) -> Vec<usize> {
    zip.windows(4)
        .enumerate()
        .filter(|(_, w)| *w == b"PK\x01\x02")
        .map(|(i, _)| i)
        .collect()
}

/// Rewrites the uncompressed size of the zip's last entry in both its local and central
/// headers (the writer emits no data descriptors when it can seek).
fn patch_last_uncompressed_size(zip: &mut [u8], size: u32) {
    let central = *central_headers(zip).last().unwrap();
    zip[central + 24..central + 28].copy_from_slice(&size.to_le_bytes());
    let local = u32::from_le_bytes(zip[central + 42..central + 46].try_into().unwrap()) as usize;
    assert_eq!(&zip[local..local + 4], b"PK\x03\x04");
    zip[local + 22..local + 26].copy_from_slice(&size.to_le_bytes());
}

#[test]
fn zip_central_directory_claiming_2_gib_is_refused_before_reading() {
    let mut files = valid_pack();
    files.push(("docs/huge.md".into(), b"tiny".to_vec()));
    let mut bytes = zip(&files);
    patch_last_uncompressed_size(&mut bytes, 0x8000_0000);
    let err = archive_err(&bytes);
    assert!(
        matches!(&err, ArchiveError::FileTooLarge { entry, size, .. } if entry == "docs/huge.md" && *size == 0x8000_0000),
        "{err}"
    );
}

/// A zip holding the valid pack plus `docs/bomb.md`: `size` zero bytes, deflated while
/// streaming (about 1000:1).
fn zip_bomb(size: u64) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (path, bytes) in valid_pack() {
        writer.start_file(path, deflated()).unwrap();
        writer.write_all(&bytes).unwrap();
    }
    writer.start_file("docs/bomb.md", deflated()).unwrap();
    io::copy(&mut io::repeat(0).take(size), &mut writer).unwrap();
    writer.finish().unwrap().into_inner()
}

#[test]
fn zip_bomb_of_200_mib_is_refused_by_its_declared_size() {
    let bytes = zip_bomb(200 * MIB);
    assert!(
        bytes.len() < (2 * MIB) as usize,
        "{} compressed bytes",
        bytes.len()
    );
    let err = archive_err(&bytes);
    assert!(
        matches!(&err, ArchiveError::FileTooLarge { size, .. } if *size == 200 * MIB),
        "{err}"
    );
}

#[test]
fn zip_bomb_that_lies_about_its_size_is_stopped_while_streaming() {
    let mut bytes = zip_bomb(200 * MIB);
    patch_last_uncompressed_size(&mut bytes, 1000);
    let err = archive_err(&bytes);
    // The zip reader stops at the declared size itself ("larger than its declared uncompressed
    // size"); without that check the budget's per-file cap or ratio check would: either way
    // long before 200 MiB.
    match &err {
        ArchiveError::CompressionBomb { entry, .. } | ArchiveError::FileTooLarge { entry, .. } => {
            assert_eq!(entry, "docs/bomb.md");
        }
        ArchiveError::Corrupt { message, .. } => {
            assert!(
                message.contains("docs/bomb.md") && message.contains("declared"),
                "{err}"
            );
        }
        other => panic!("{other}"),
    }
    if let ArchiveError::FileTooLarge { size, .. } = err {
        assert!(size <= 9 * MIB, "read {size} bytes before stopping");
    }
}

#[test]
fn zip_entry_over_the_ratio_limit_is_refused() {
    let err = archive_err(&zip_bomb(5 * MIB));
    assert!(
        matches!(&err, ArchiveError::CompressionBomb { entry, limit: 100 } if entry == "docs/bomb.md"),
        "{err}"
    );
}

/// The valid pack as a tar.gz followed by `extra` entries whose data comes from readers,
/// compressed while streaming.
fn tar_gz_streamed(extra: Vec<(&str, EntryType, u64)>) -> Vec<u8> {
    let mut builder = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::default()));
    for (path, bytes) in valid_pack() {
        let mut header = Header::new_gnu();
        header.set_size(bytes.len() as u64);
        builder
            .append_data(&mut header, path, bytes.as_slice())
            .unwrap();
    }
    for (path, kind, size) in extra {
        let mut header = Header::new_gnu();
        header.set_entry_type(kind);
        header.set_size(size);
        builder
            .append_data(&mut header, path, io::repeat(0).take(size))
            .unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

#[test]
fn tar_gz_bomb_of_200_mib_is_refused_at_its_header() {
    let bytes = tar_gz_streamed(vec![("docs/bomb.md", EntryType::Regular, 200 * MIB)]);
    assert!(bytes.len() < (2 * MIB) as usize);
    let err = archive_err(&bytes);
    assert!(
        matches!(&err, ArchiveError::FileTooLarge { entry, size, .. } if entry == "docs/bomb.md" && *size == 200 * MIB),
        "{err}"
    );
}

#[test]
fn tar_gz_bomb_in_a_long_name_header_is_stopped_while_streaming() {
    // A GNU long-name header is read whole by the tar reader, whatever its size: only the
    // guard on the decompressed stream stops it.
    let bytes = tar_gz_streamed(vec![("././@LongLink", EntryType::GNULongName, 100 * MIB)]);
    let err = archive_err(&bytes);
    assert!(
        matches!(&err, ArchiveError::CompressionBomb { entry, .. } if entry == "(gzip stream)"),
        "{err}"
    );
}

#[test]
fn tar_gz_of_many_files_under_the_file_limit_is_stopped_by_the_stream_ratio() {
    let bombs = (0..5)
        .map(|_| ("docs/zeros.md", EntryType::Regular, 5 * MIB))
        .collect();
    let err = archive_err(&tar_gz_streamed(bombs));
    assert!(matches!(err, ArchiveError::CompressionBomb { .. }), "{err}");
}

#[test]
fn total_size_limit_spans_files() {
    let limits = Limits {
        max_total_bytes: 3000,
        ..Limits::default()
    };
    let mut files = valid_pack();
    files.push(("docs/extra.md".into(), vec![b'a'; 2000]));
    for bytes in [zip(&files), tar_gz(&files)] {
        let err = archive_err_with(&bytes, &limits);
        assert!(
            matches!(&err, ArchiveError::TotalTooLarge { limit: 3000, .. }),
            "{err}"
        );
    }
    let tmp = tempfile::tempdir().unwrap();
    write_dir(tmp.path(), &files);
    let err = callassist_knowledge::read_pack_files(tmp.path(), &limits).unwrap_err();
    assert!(matches!(err, ArchiveError::TotalTooLarge { .. }), "{err}");
}

#[test]
fn entry_count_limit() {
    let mut files = valid_pack();
    files.extend((0..2000).map(|i| (format!("docs/n{i}.txt"), b"x".to_vec())));
    assert!(matches!(
        archive_err(&zip(&files)),
        ArchiveError::TooManyEntries { limit: 2000 }
    ));
    assert!(matches!(
        archive_err(&tar_gz(&files)),
        ArchiveError::TooManyEntries { limit: 2000 }
    ));
}

#[test]
fn archive_size_limit_and_garbage() {
    let limits = Limits {
        max_archive_bytes: 100,
        ..Limits::default()
    };
    let err = read_pack_bytes(&zip(&valid_pack()), &limits).unwrap_err();
    assert!(
        matches!(err, ArchiveError::ArchiveTooLarge { limit: 100, .. }),
        "{err}"
    );
    assert!(matches!(
        archive_err(b"not an archive"),
        ArchiveError::UnknownFormat { .. }
    ));
    let zip_bytes = zip(&valid_pack());
    let err = archive_err(&zip_bytes[..zip_bytes.len() / 2]);
    assert!(
        matches!(err, ArchiveError::Corrupt { format: "zip", .. }),
        "{err}"
    );
    let tgz = tar_gz(&valid_pack());
    let err = archive_err(&tgz[..tgz.len() / 2]);
    assert!(
        matches!(
            err,
            ArchiveError::Corrupt {
                format: "tar.gz",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn duplicate_entries_are_refused() {
    let mut files = valid_pack();
    files.push(("./docs/manual.md".into(), b"again".to_vec()));
    let err = archive_err(&tar_gz(&files));
    assert!(
        matches!(&err, ArchiveError::DuplicateEntry { entry } if entry == "docs/manual.md"),
        "{err}"
    );
}
