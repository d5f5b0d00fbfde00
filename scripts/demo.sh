#!/usr/bin/env bash
# The demo: build, fetch the small models on first use, start the server, stream a recorded
# call (jfk.wav as the customer) through it and print the events; then load the built-in B2B
# SaaS pack (first run only) and stream a short sales call (scripts/demo-call.txt) to show the
# assist events: risk prompts, suggestions with citations, stages, metrics. Stops the server.
# Env: CALLASSIST_ASR_MODEL (tiny.en | base, default tiny.en), DEMO_PORT (default 50151),
#      DEMO_WAV (a WAV file to stream instead of jfk.wav), DEMO_JSON=1 for JSON lines,
#      CALLASSIST_LLM (qwen | smollm2 | off; default qwen, fetched on first use) for the
#      generated suggestions and the post-call summary.
set -euo pipefail
cd "$(dirname "$0")/.."
model="${CALLASSIST_ASR_MODEL:-tiny.en}"
port="${DEMO_PORT:-50151}"

cargo build --release --bin callassist --bin callassist-server
bin=target/release
"$bin/callassist" models pull --set ci
wav="${DEMO_WAV:-$("$bin/callassist" models path audio-jfk)/jfk.wav}"

log=$(mktemp)
"$bin/callassist" serve --listen "127.0.0.1:$port" --asr-model "$model" 2>"$log" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 600); do
  grep -q "callassist listening" "$log" && break
  kill -0 $server 2>/dev/null || { cat "$log"; echo "server failed to start" >&2; exit 1; }
  sleep 0.2
done
grep -q "callassist listening" "$log" || { cat "$log"; echo "server did not come up" >&2; exit 1; }

args=(call "$wav" --server "http://127.0.0.1:$port" --realtime)
[ "${DEMO_JSON:-0}" = 1 ] && args+=(--json)
"$bin/callassist" "${args[@]}"

# The assist engine on a tenant with a pack (uploaded once; the server keeps it in .callassist/).
server_url="http://127.0.0.1:$port"
if ! "$bin/callassist" pack list --tenant demo --server "$server_url" | grep -q builtin-b2b-saas; then
  "$bin/callassist" pack upload knowledge/packs/b2b-saas --tenant demo --server "$server_url"
fi
args=(call --text scripts/demo-call.txt --tenant demo --server "$server_url")
[ "${DEMO_JSON:-0}" = 1 ] && args+=(--json)
"$bin/callassist" "${args[@]}"
