//! Input layouts shared by the fuzz targets and the seed writer (`tools/make_seeds.rs`): a
//! byte cursor that never fails (past the end it reads zeros and empty slices, so every input
//! means something), length-prefixed records, and the "pack files" layout the `pack_archive`
//! target turns into a `.tar.gz` or `.zip` before handing it to the knowledge crate. Each
//! decoder has an encoder, so seeds are written in exactly the layout the targets read.

use std::io::Write;

/// Reads numbers (little-endian) and slices from fuzzer input without ever failing.
#[derive(Debug, Clone)]
pub struct Cursor<'a> {
    data: &'a [u8],
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    /// Whether every byte was read.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The next byte, or 0.
    pub fn u8(&mut self) -> u8 {
        self.take(1).first().copied().unwrap_or(0)
    }

    /// The next two bytes as a little-endian `u16` (missing bytes are 0).
    pub fn u16(&mut self) -> u16 {
        let b = self.take(2);
        u16::from_le_bytes([
            b.first().copied().unwrap_or(0),
            b.get(1).copied().unwrap_or(0),
        ])
    }

    /// The next four bytes as a little-endian `u32` (missing bytes are 0).
    pub fn u32(&mut self) -> u32 {
        let mut out = [0u8; 4];
        for (o, b) in out.iter_mut().zip(self.take(4)) {
            *o = *b;
        }
        u32::from_le_bytes(out)
    }

    /// Up to `n` bytes (fewer at the end of the input).
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, tail) = self.data.split_at(n.min(self.data.len()));
        self.data = tail;
        head
    }

    /// Everything not read yet.
    pub fn rest(&mut self) -> &'a [u8] {
        self.take(self.data.len())
    }
}

/// Splits `data` into records, each `[len: u16 LE][len bytes]`; the last may be short.
pub fn records(data: &[u8]) -> Vec<&[u8]> {
    let mut c = Cursor::new(data);
    let mut out = Vec::new();
    while !c.is_empty() {
        let n = c.u16() as usize;
        out.push(c.take(n));
    }
    out
}

/// The inverse of [`records`]. Panics on a record over 65,535 bytes (seeds are small).
pub fn encode_records<R: AsRef<[u8]>>(records: impl IntoIterator<Item = R>) -> Vec<u8> {
    let mut out = Vec::new();
    for r in records {
        let r = r.as_ref();
        let len = u16::try_from(r.len()).expect("a seed record fits in 64 KiB");
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(r);
    }
    out
}

/// One archive entry in the `pack_archive` structured layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSpec {
    /// Entry type selector, see [`tar_entry_type`] and [`build_zip`].
    pub kind: u8,
    /// Raw entry name (not checked here: the reader under test must refuse bad ones).
    pub name: Vec<u8>,
    /// File contents (or link target for links).
    pub data: Vec<u8>,
}

impl FileSpec {
    /// A regular file.
    pub fn file(name: &str, data: impl Into<Vec<u8>>) -> Self {
        Self {
            kind: 0,
            name: name.as_bytes().to_vec(),
            data: data.into(),
        }
    }
}

/// Kind byte of a directory entry.
pub const KIND_DIR: u8 = 4;
/// Kind byte of a symbolic link.
pub const KIND_SYMLINK: u8 = 5;
/// Kind byte of a hard link (a symlink in a zip).
pub const KIND_HARDLINK: u8 = 6;

/// Parses entries laid out as `[kind u8][name_len u8][name][data_len u16 LE][data]`.
pub fn parse_files(data: &[u8]) -> Vec<FileSpec> {
    let mut c = Cursor::new(data);
    let mut out = Vec::new();
    while !c.is_empty() {
        let kind = c.u8();
        let name_len = c.u8() as usize;
        let name = c.take(name_len).to_vec();
        let data_len = c.u16() as usize;
        let data = c.take(data_len).to_vec();
        out.push(FileSpec { kind, name, data });
    }
    out
}

/// The inverse of [`parse_files`]. Panics on a name over 255 or data over 65,535 bytes.
pub fn encode_files(files: &[FileSpec]) -> Vec<u8> {
    let mut out = Vec::new();
    for f in files {
        out.push(f.kind);
        out.push(u8::try_from(f.name.len()).expect("a seed name fits in 255 bytes"));
        out.extend_from_slice(&f.name);
        let len = u16::try_from(f.data.len()).expect("a seed file fits in 64 KiB");
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&f.data);
    }
    out
}

/// The tar type flag for a kind byte: regular files mostly, plus directories, links, devices,
/// FIFOs, PAX and GNU extension headers and sparse files.
pub fn tar_entry_type(kind: u8) -> u8 {
    // 0 regular, 5 directory, 2 symlink, 1 hard link, 3/4 devices, 6 FIFO, 7 contiguous,
    // x/g PAX headers, L/K GNU long name/link, S GNU sparse.
    const TYPES: [u8; 16] = *b"00005213467xgLKS";
    TYPES[(kind % 16) as usize]
}

/// Writes `files` as a gzip-compressed tar at `level` (0-9). Names longer than 100 bytes are
/// cut to the classic header's field; link targets come from the first 100 bytes of `data`.
/// Headers are filled byte by byte so that unsafe names reach the reader unchanged.
pub fn build_tar_gz(files: &[FileSpec], level: u32) -> std::io::Result<Vec<u8>> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level.min(9)));
    let mut builder = tar::Builder::new(gz);
    for f in files {
        let mut header = tar::Header::new_old();
        let kind = tar_entry_type(f.kind);
        {
            let old = header.as_old_mut();
            let n = f.name.len().min(old.name.len());
            old.name[..n].copy_from_slice(&f.name[..n]);
            if matches!(kind, b'1' | b'2') {
                let n = f.data.len().min(old.linkname.len());
                old.linkname[..n].copy_from_slice(&f.data[..n]);
            }
        }
        header.set_entry_type(tar::EntryType::new(kind));
        header.set_mode(if kind == b'5' { 0o755 } else { 0o644 });
        header.set_size(f.data.len() as u64);
        header.set_cksum();
        builder.append(&header, f.data.as_slice())?;
    }
    builder.into_inner()?.finish()
}

/// Writes `files` as a zip, stored or deflated. Kind [`KIND_DIR`] is a directory, kinds
/// [`KIND_SYMLINK`] and [`KIND_HARDLINK`] a symlink to `data`; every other kind a file.
/// Names are taken as UTF-8 (invalid bytes replaced).
pub fn build_zip(files: &[FileSpec], deflate: bool) -> zip::result::ZipResult<Vec<u8>> {
    use zip::write::SimpleFileOptions;
    let method = if deflate {
        zip::CompressionMethod::Deflated
    } else {
        zip::CompressionMethod::Stored
    };
    let options = SimpleFileOptions::default()
        .compression_method(method)
        .compression_level(deflate.then_some(1));
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for f in files {
        let name = String::from_utf8_lossy(&f.name).into_owned();
        match f.kind % 16 {
            KIND_DIR => w.add_directory(name, options)?,
            KIND_SYMLINK | KIND_HARDLINK => {
                w.add_symlink(name, String::from_utf8_lossy(&f.data), options)?
            }
            _ => {
                w.start_file(name, options)?;
                w.write_all(&f.data)?;
            }
        }
    }
    Ok(w.finish()?.into_inner())
}

/// Frames one gRPC message: `[compressed = 0][len u32 BE][message]`.
pub fn grpc_frame(message: &[u8], out: &mut Vec<u8>) {
    out.push(0);
    out.extend_from_slice(&(message.len() as u32).to_be_bytes());
    out.extend_from_slice(message);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_round_trip() {
        let recs = [b"abc".to_vec(), Vec::new(), vec![7; 300]];
        let enc = encode_records(&recs);
        assert_eq!(
            records(&enc),
            recs.iter().map(Vec::as_slice).collect::<Vec<_>>()
        );
        let files = vec![
            FileSpec::file("pack.toml", "id = 1"),
            FileSpec::file("a", ""),
        ];
        assert_eq!(parse_files(&encode_files(&files)), files);
    }

    #[test]
    fn cursor_never_fails() {
        let mut c = Cursor::new(&[1, 2, 3]);
        assert_eq!(c.u16(), 0x0201);
        assert_eq!(c.u32(), 3);
        assert_eq!(c.u8(), 0);
        assert!(c.take(5).is_empty());
    }
}
