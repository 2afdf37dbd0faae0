#!/usr/bin/env bash
# Peak memory against batch size: dossier ingest with 2 workers on generated
# batches (same generator settings), peak RSS from /usr/bin/time. The
# pipeline streams pages through bounded queues, so the peak should not grow
# with the batch.
#
# One run's peak depends on how the workers' pages happen to coincide, by a
# few percent either way, and a short batch may end before the worst
# coincidence comes. So each size runs RUNS times, the sizes taking turns
# (a slow spell of the machine then touches every size alike), and the
# summary compares means as well as the extremes.
# Knobs: SIZES in dossiers of 5 pages (default "4 100": 20 and 500 pages),
# RUNS (3), WORKERS (2).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-4 100} RUNS=${RUNS:-3} WORKERS=${WORKERS:-2}
scripts/setup
command -v /usr/bin/time >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null; }
cargo build --release --quiet -p dossier-cli -p dossier-samples
bin=$PWD/target/release
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Each batch's pages and size, counted once: they do not change between runs.
declare -A pages mb
for dossiers in $SIZES; do
  batch="$work/gen-$dossiers/batch"
  "$bin/dossier-samples" --out "$work/gen-$dossiers" --dossiers "$dossiers" --documents 5 \
    --noise 6 --max-skew 7 --no-blank-backs --seed 2026 >/dev/null
  pages[$dossiers]=$(find "$batch" -name '*.png' -o -name '*.jpg' -o -name '*.tif' | wc -l)
  mb[$dossiers]=$(du -sm "$batch" | cut -f1)
done

echo "| run | batch | pages | MB | seconds | pages/min | peak RSS MiB |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for run in $(seq "$RUNS"); do
  for dossiers in $SIZES; do
    batch="$work/gen-$dossiers/batch"
    rm -rf "$work/archive"
    start=$(date +%s.%N)
    /usr/bin/time -f "%M" -o "$work/rss" "$bin/dossier" --archive "$work/archive" \
      ingest "$batch" --workers "$WORKERS" --json >"$work/report.json" 2>"$work/stderr" ||
      { cat "$work/stderr" >&2; exit 1; }
    seconds=$(echo "$(date +%s.%N) - $start" | bc)
    rss=$(( $(cat "$work/rss") / 1024 ))
    ppm=$(echo "scale=1; ${pages[$dossiers]} * 60 / $seconds" | bc)
    printf "| %s | %s dossiers | %s | %s | %.1f | %s | %s |\n" \
      "$run" "$dossiers" "${pages[$dossiers]}" "${mb[$dossiers]}" "$seconds" "$ppm" "$rss"
    echo "${pages[$dossiers]} $rss" >>"$work/peaks"
  done
done

# Per size: mean, lowest and highest peak; then each size against the
# smallest, by means and at the extremes (its highest over the smallest's
# lowest, its lowest over the smallest's highest).
echo
awk '
  { if (++n[$1] == 1) { order[++k] = $1; lo[$1] = hi[$1] = $2 }
    sum[$1] += $2
    if ($2 < lo[$1]) lo[$1] = $2
    if ($2 > hi[$1]) hi[$1] = $2 }
  END {
    print "| pages | runs | mean MiB | lowest | highest | mean / smallest mean | range against the smallest |"
    print "| --- | --- | --- | --- | --- | --- | --- |"
    s = order[1]; smean = sum[s] / n[s]
    for (i = 1; i <= k; i++) {
      p = order[i]; mean = sum[p] / n[p]
      printf "| %s | %d | %.1f | %d | %d | %.3f | %.3f to %.3f |\n", p, n[p], mean, lo[p], hi[p], mean / smean, lo[p] / hi[s], hi[p] / lo[s]
    }
  }' "$work/peaks"
