#!/usr/bin/env bash
# Archive throughput of `qawl batch` on the same 1,000-article input (the seed article and the gold
# fixtures, repeated with unique ids): in-process, one server over ExtractStream, and one-by-one
# unary Extract calls (examples/batch_unary.rs). Prints a Markdown table of articles/min.
#
# Usage: bench/batch_throughput.sh [--debug] [--rules-only] [ARTICLES] [CONCURRENCY]
# (--rules-only: no models, so the numbers show the transport and job overhead; otherwise the
# in-process run and the server load the fetched model and heads.)
# Needs: cargo, python3. Builds into $CARGO_TARGET_DIR (default target/). Not part of the product.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=release
pipeline=()
while [[ "${1:-}" == --* ]]; do
    case $1 in
        --debug) profile=debug ;;
        --rules-only) pipeline+=(--rules-only) ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
articles=${1:-1000}
concurrency=${2:-8}
target_dir=${CARGO_TARGET_DIR:-target}
cargo_flags=()
[[ $profile == release ]] && cargo_flags+=(--release)

cargo build "${cargo_flags[@]}" --bin qawl --example batch_unary >&2
qawl="$target_dir/$profile/qawl"
unary="$target_dir/$profile/examples/batch_unary"

work=$(mktemp -d)
server_pid=
cleanup() {
    if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

python3 - "$articles" "$work/archive.jsonl" <<'PY'
import json, pathlib, sys
count, out = int(sys.argv[1]), sys.argv[2]
texts = [pathlib.Path("fixtures/muscat-talks.ar.txt")] + sorted(pathlib.Path("fixtures/gold").glob("*.txt"))
with open(out, "w", encoding="utf-8") as f:
    for i in range(count):
        path = texts[i % len(texts)]
        f.write(json.dumps({"id": f"a{i:05d}-{path.stem}", "text": path.read_text(encoding="utf-8")}, ensure_ascii=False) + "\n")
PY

# articles/min from the summary line ("1000 articles, … in 12.3s (81.2 articles/s)"), computed
# from the count and the seconds (the printed rate is rounded).
per_minute() {
    sed -n 's/^\([0-9]*\) articles,.* in \([0-9.]*\)s (.*/\1 \2/p' | tail -1 \
        | awk '{ if ($2 > 0) printf "%.1f", $1 * 60 / $2; else print 0 }'
}

inprocess=$("$qawl" batch --input "$work/archive.jsonl" --output "$work/inprocess.jsonl" \
    --concurrency "$concurrency" "${pipeline[@]}" --offline 2>&1 | tee "$work/inprocess.log" | per_minute)

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$qawl" serve --offline "${pipeline[@]}" --addr "127.0.0.1:$port" --metrics-addr off \
    --stream-concurrency "$concurrency" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 600); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    sleep 0.2
done

stream=$("$qawl" batch --input "$work/archive.jsonl" --output "$work/stream.jsonl" \
    --server "http://127.0.0.1:$port" --concurrency "$concurrency" 2>&1 | tee "$work/stream.log" | per_minute)
unary_rate=$("$unary" "http://127.0.0.1:$port" "$work/archive.jsonl" 2>&1 | tee "$work/unary.log" | per_minute)

cmp <(python3 -c 'import json,sys; print(sorted((l["id"], json.dumps({k: v for k, v in l.items() if k != "metadata"}, sort_keys=True)) for l in map(json.loads, open(sys.argv[1]))) == sorted((l["id"], json.dumps({k: v for k, v in l.items() if k != "metadata"}, sort_keys=True)) for l in map(json.loads, open(sys.argv[2]))))' "$work/inprocess.jsonl" "$work/stream.jsonl") <(echo True) >/dev/null \
    || echo "warning: stream output differs from in-process output" >&2

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f×", a / b; else print "n/a" }'; }
pipeline_name=${pipeline[*]:-models and heads}
echo "| mode ($articles articles, $pipeline_name, $profile build, concurrency $concurrency, $(nproc) cores) | articles/min | vs unary |"
echo "|---|---|---|"
echo "| in-process | $inprocess | $(ratio "$inprocess" "$unary_rate") |"
echo "| one server, ExtractStream | $stream | $(ratio "$stream" "$unary_rate") |"
echo "| one server, unary Extract one by one | $unary_rate | 1.00× |"
