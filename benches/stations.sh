#!/usr/bin/env bash
# Several stations ingesting into one bucket at once: for 1, 2 and 4
# stations (processes, each with its own archive folder and its own batch),
# pages per minute in all, and how long after the last ingest ends every
# page is in the index of a viewer that follows the ledger (`dossier serve
# --follow-every 1`, read from its /metrics: dossier_index_pages).
# The S3 server is s3s-fs on this machine (testkit's dossier-s3-server):
# what is measured is dossier, not a network.
# Knobs: STATIONS ("1 2 4"), DOSSIERS per station (4), DOCUMENTS (3).
set -euo pipefail
cd "$(dirname "$0")/.."
STATIONS=${STATIONS:-1 2 4} DOSSIERS=${DOSSIERS:-4} DOCUMENTS=${DOCUMENTS:-3}
scripts/setup
cargo build --release --quiet -p dossier-cli -p dossier-samples -p dossier-testkit
bin=$PWD/target/release
work=$(mktemp -d)
server_pid=
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"' EXIT

buckets=""
for n in $STATIONS; do buckets="$buckets stations-$n"; done
# shellcheck disable=SC2086
"$bin/dossier-s3-server" $buckets >"$work/server.env" &
server_pid=$!
for _ in $(seq 100); do grep -q AWS_ENDPOINT_URL "$work/server.env" 2>/dev/null && break; sleep 0.1; done
# shellcheck disable=SC1091
source "$work/server.env"
export DOSSIER_S3_PATH_STYLE=1

# Writes a batch of DOSSIERS dossiers numbered from $2 into $1; prints its pages.
generate() {
  "$bin/dossier-samples" --out "$1" --dossiers "$DOSSIERS" --documents "$DOCUMENTS" \
    --no-blank-backs --seed "$2" --first-number "$2" | awk '{print $4}'
}

echo "| stations | pages | seconds | pages/min in all | every page searchable at the viewer, after the last ingest ends (s) |"
echo "| --- | --- | --- | --- | --- |"
for n in $STATIONS; do
  run="$work/run-$n"
  store="s3://stations-$n"
  mkdir -p "$run"
  # Station 1 makes the store and its key with a first batch; the others get
  # a copy of the key; a viewer's folder joins and follows.
  before=$(generate "$run/first" 90001)
  "$bin/dossier" --archive "$run/a-1" ingest "$run/first/batch" --store "$store" >/dev/null 2>&1
  for s in $(seq 2 "$n"); do
    mkdir -p "$run/a-$s/keys" && cp "$run/a-1/keys/signing.key" "$run/a-$s/keys/"
  done
  echo "viewer-long-password" | "$bin/dossier" --archive "$run/viewer" --store "$store" \
    user add viewer --role archivist --password-stdin >/dev/null 2>&1
  "$bin/dossier" --archive "$run/viewer" serve --addr 127.0.0.1:0 --follow-every 1 \
    --metrics 127.0.0.1:0 >/dev/null 2>"$run/serve.log" &
  viewer_pid=$!
  for _ in $(seq 100); do grep -q "Metrics on" "$run/serve.log" 2>/dev/null && break; sleep 0.1; done
  metrics=$(grep -o 'http://[0-9.:]*/metrics' "$run/serve.log")

  pages=0
  for s in $(seq "$n"); do
    pages=$(( pages + $(generate "$run/gen-$s" $((s * 1000 + 1))) ))
  done
  start=$(date +%s.%N)
  pids=()
  for s in $(seq "$n"); do
    "$bin/dossier" --archive "$run/a-$s" ingest "$run/gen-$s/batch" --store "$store" >/dev/null 2>&1 &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
  ended=$(date +%s.%N)
  total=$(( before + pages ))
  indexed() { curl -s "$metrics" | awk '/^dossier_index_pages /{print $2}'; }
  until [ "$(indexed)" -ge "$total" ]; do sleep 0.1; done
  found=$(date +%s.%N)
  kill "$viewer_pid" 2>/dev/null || true
  wait "$viewer_pid" 2>/dev/null || true
  awk -v n="$n" -v p="$pages" -v s="$start" -v e="$ended" -v f="$found" 'BEGIN {
    printf "| %d | %d | %.1f | %.0f | %.1f |\n", n, p, e - s, p / (e - s) * 60, f - e }'
done
