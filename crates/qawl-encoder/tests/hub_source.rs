//! Checkpoints through the model hub client: the offline cache layout, and downloads from a hub
//! endpoint (here a small HTTP server on 127.0.0.1 serving a fixture checkpoint) at a pinned revision.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use qawl_encoder::{
    CheckpointSource, ClassifierModel, EncoderError, HeadKind, HubCheckpoint, RuntimeOptions,
};

const REPO: &str = "acme/tiny-bert-nli";
const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bert-seq-cls")
}

fn hub(cache_dir: &Path, revision: &str, offline: bool) -> HubCheckpoint {
    HubCheckpoint {
        repo: REPO.into(),
        revision: revision.into(),
        cache_dir: cache_dir.to_path_buf(),
        endpoint: None,
        token: None,
        offline,
    }
}

/// The cache layout the hub clients write: refs/<branch> holds a commit, snapshots/<commit>/ the files.
fn populate_cache(cache_dir: &Path) -> anyhow::Result<()> {
    let repo_dir = cache_dir.join("models--acme--tiny-bert-nli");
    let snapshot = repo_dir.join("snapshots").join(COMMIT);
    std::fs::create_dir_all(&snapshot)?;
    std::fs::create_dir_all(repo_dir.join("refs"))?;
    std::fs::write(repo_dir.join("refs/main"), COMMIT)?;
    for file in ["config.json", "model.safetensors"] {
        std::fs::copy(fixture().join(file), snapshot.join(file))?;
    }
    Ok(())
}

#[test]
fn offline_mode_loads_from_the_hub_cache_by_branch_or_commit() -> anyhow::Result<()> {
    let cache = tempfile::tempdir()?;
    populate_cache(cache.path())?;
    for revision in ["main", COMMIT] {
        let files = CheckpointSource::Hub(hub(cache.path(), revision, true)).resolve()?;
        assert!(files.weights.starts_with(cache.path()));
        assert_eq!(files.tokenizer, None);
        assert_eq!(files.revision.as_deref(), Some(revision));
        let model = ClassifierModel::load(&files, RuntimeOptions::default())?;
        assert_eq!(model.head(), HeadKind::SequenceClassification);
        assert_eq!(model.labels(), ["entailment", "neutral", "contradiction"]);
    }
    Ok(())
}

#[test]
fn offline_mode_without_the_files_names_repo_revision_and_file() -> anyhow::Result<()> {
    let cache = tempfile::tempdir()?;
    let err = CheckpointSource::Hub(hub(cache.path(), "v1.0", true))
        .resolve()
        .err();
    let message = err.as_ref().map(ToString::to_string).unwrap_or_default();
    assert!(matches!(err, Some(EncoderError::Hub { .. })), "{message}");
    assert!(
        message.contains(REPO)
            && message.contains("v1.0")
            && message.contains("config.json")
            && message.contains("offline"),
        "{message}"
    );
    Ok(())
}

/// Serves the fixture files at `/<repo>/resolve/<revision>/<file>` the way the hub does (ranges,
/// ETag, X-Repo-Commit), records Authorization headers, and answers 404 for anything else.
fn serve_fixture(files: PathBuf, seen_auth: Arc<Mutex<Vec<String>>>) -> anyhow::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let address = format!("http://{}", listener.local_addr()?);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(&stream);
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            let mut range_start = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).map_or(true, |n| n == 0) || line == "\r\n" {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("range: bytes=") {
                    range_start = v
                        .split('-')
                        .next()
                        .and_then(|s| s.trim().parse().ok())
                        .unwrap_or(0);
                }
                if lower.starts_with("authorization:") {
                    seen_auth
                        .lock()
                        .map(|mut a| a.push(line.trim().to_string()))
                        .ok();
                }
            }
            let path = request_line.split_whitespace().nth(1).unwrap_or("");
            let prefix = format!("/{REPO}/resolve/v2/");
            let body = path
                .strip_prefix(&prefix)
                .and_then(|name| std::fs::read(files.join(name)).ok());
            let mut out = &stream;
            let _ = match body {
                Some(body) => {
                    let end = body.len();
                    let slice = &body[range_start.min(end)..];
                    write!(
                        out,
                        "HTTP/1.1 206 Partial Content\r\nETag: \"etag-{}\"\r\nX-Repo-Commit: {COMMIT}\r\n\
                         Content-Range: bytes {range_start}-{}/{}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len(),
                        end.saturating_sub(1),
                        body.len(),
                        slice.len()
                    )
                    .and_then(|_| out.write_all(slice))
                }
                None => write!(
                    out,
                    "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                ),
            };
        }
    });
    Ok(address)
}

#[test]
fn files_download_from_the_endpoint_once_then_serve_offline() -> anyhow::Result<()> {
    let cache = tempfile::tempdir()?;
    let seen_auth = Arc::new(Mutex::new(Vec::new()));
    let endpoint = serve_fixture(fixture(), seen_auth.clone())?;
    let online = HubCheckpoint {
        endpoint: Some(endpoint),
        token: Some("hf_test_token".into()),
        ..hub(cache.path(), "v2", false)
    };
    let files = CheckpointSource::Hub(online).resolve()?;
    assert_eq!(
        std::fs::read(&files.weights)?,
        std::fs::read(fixture().join("model.safetensors"))?
    );
    assert_eq!(
        files.tokenizer, None,
        "a 404 for tokenizer.json means the checkpoint has none"
    );
    let auth = seen_auth.lock().map(|a| a.clone()).unwrap_or_default();
    assert!(
        auth.iter().any(|h| h.ends_with("Bearer hf_test_token")),
        "{auth:?}"
    );

    // Now cached under refs/v2: offline mode finds the same files.
    let cached = CheckpointSource::Hub(hub(cache.path(), "v2", true)).resolve()?;
    assert_eq!(cached.weights, files.weights);
    ClassifierModel::load(&cached, RuntimeOptions::default())?;
    Ok(())
}
