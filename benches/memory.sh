#!/usr/bin/env bash
# Peak memory against batch size: dossier ingest with 2 workers on generated
# batches of 20 and 500 pages (same generator settings), peak RSS from
# /usr/bin/time. The pipeline streams pages through bounded queues, so the
# peak should not grow with the batch.
# Knobs: SMALL (4 dossiers = 20 pages), LARGE (100 dossiers = 500 pages), WORKERS (2).
set -euo pipefail
cd "$(dirname "$0")/.."
SMALL=${SMALL:-4} LARGE=${LARGE:-100} WORKERS=${WORKERS:-2}
scripts/setup
command -v /usr/bin/time >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null; }
cargo build --release --quiet -p dossier-cli -p dossier-samples
bin=$PWD/target/release
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "| batch | pages | MB | seconds | pages/min | peak RSS MiB |"
echo "| --- | --- | --- | --- | --- | --- |"
for dossiers in "$SMALL" "$LARGE"; do
  out="$work/gen-$dossiers"
  "$bin/dossier-samples" --out "$out" --dossiers "$dossiers" --documents 5 --noise 6 \
    --max-skew 7 --no-blank-backs --seed 2026 >/dev/null
  pages=$(find "$out/batch" -name '*.png' -o -name '*.jpg' -o -name '*.tif' | wc -l)
  mb=$(du -sm "$out/batch" | cut -f1)
  start=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$work/rss-$dossiers" "$bin/dossier" --archive "$work/archive-$dossiers" \
    ingest "$out/batch" --workers "$WORKERS" --json >"$work/report-$dossiers.json"
  seconds=$(echo "$(date +%s.%N) - $start" | bc)
  rss=$(( $(cat "$work/rss-$dossiers") / 1024 ))
  ppm=$(echo "scale=1; $pages * 60 / $seconds" | bc)
  printf "| %s dossiers | %s | %s | %.1f | %s | %s |\n" "$dossiers" "$pages" "$mb" "$seconds" "$ppm" "$rss"
done
