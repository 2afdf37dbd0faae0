#!/usr/bin/env bash
# Whole-pipeline throughput, memory and accuracy, side by side on the same
# generated batch and with the same parallelism:
#   dossier ingest                      (deskew, OCR, PDF, hash, store, index)
#   tesseract CLI, one process per page (-l fra+eng), OCR only
#   ocrmypdf --deskew -l fra+eng        (Debian's), one process per file
# dossier and the CLI take about the same time, and one run of either moves
# by 10% on this machine from one minute to the next, so they run RUNS times,
# taking turns, and the table gives the median with the range beside it.
# ocrmypdf, ten times slower, runs once.
# Prints a table and appends it, under the commit it measured, to
# benches/results/DATE-compare.md.
# Knobs: DOSSIERS (8), DOCS per dossier (5), JOBS in parallel (2), NOISE (6), SKEW (7), RUNS (3).
set -euo pipefail
cd "$(dirname "$0")/.."
DOSSIERS=${DOSSIERS:-8} DOCS=${DOCS:-5} JOBS=${JOBS:-2} NOISE=${NOISE:-6} SKEW=${SKEW:-7} RUNS=${RUNS:-3}

scripts/setup
for tool in ocrmypdf tesseract /usr/bin/time bc; do
  command -v "$tool" >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ocrmypdf tesseract-ocr time bc >/dev/null; break; }
done
cargo build --release --quiet -p dossier-cli -p dossier-samples -p dossier-benches
bin=$PWD/target/release
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$bin/dossier-samples" --out "$work" --dossiers "$DOSSIERS" --documents "$DOCS" --noise "$NOISE" \
  --max-skew "$SKEW" --no-blank-backs --seed 2026 >/dev/null
files=$(cd "$work/batch" && find . -name '*.png' -o -name '*.jpg' -o -name '*.tif' | sed 's|^\./||' | sort)
pages=$(echo "$files" | wc -l)
mb=$(du -sm "$work/batch" | cut -f1)
now() { date +%s.%N; }

# dossier and the tesseract CLI, taking turns; each run starts from nothing.
dossier_run() {
  rm -rf "$work/archive"
  local start
  start=$(now)
  /usr/bin/time -f "%M" -a -o "$work/dossier.rss" "$bin/dossier" --archive "$work/archive" ingest "$work/batch" \
    --workers "$JOBS" --json >"$work/dossier.json"
  echo "$(now) - $start" | bc >>"$work/dossier.seconds"
}
tess_run() {
  rm -rf "$work/t-tess"
  local start
  start=$(now)
  echo "$files" | OMP_THREAD_LIMIT=1 xargs -P "$JOBS" -I{} sh -c \
    'mkdir -p "$2/t-tess/$(dirname "$1")" && /usr/bin/time -f "%M" -o "$2/t-tess/$1.rss" tesseract "$3/$1" "$2/t-tess/$1.0" -l fra+eng quiet' \
    _ {} "$work" "$work/batch"
  echo "$(now) - $start" | bc >>"$work/tess.seconds"
  cat "$work"/t-tess/*/*.rss >>"$work/tess.rss"
}
for run in $(seq "$RUNS"); do
  dossier_run
  tess_run
done
# The texts dossier stored, from the last run's archive.
python3 - "$work" "$bin/dossier" <<'PY'
import json, os, subprocess, sys
work, dossier = sys.argv[1], sys.argv[2]
for d in json.load(open(f"{work}/truth.json"))["dossiers"]:
    m = json.loads(subprocess.check_output([dossier, "--archive", f"{work}/archive", "show", d["id"], "--json"]))
    os.makedirs(f"{work}/t-dossier/{d['id']}", exist_ok=True)
    for p in m["pages"]:
        name = os.path.basename(p["source"]["path"])
        open(f"{work}/t-dossier/{d['id']}/{name}.{p['source']['page']}.txt", "w").write(p["text"])
PY

# ocrmypdf
start=$(now)
echo "$files" | OMP_THREAD_LIMIT=1 xargs -P "$JOBS" -I{} sh -c \
  'mkdir -p "$2/t-ocrmypdf/$(dirname "$1")" && /usr/bin/time -f "%M" -o "$2/t-ocrmypdf/$1.rss" ocrmypdf -q --deskew -l fra+eng --image-dpi 300 --jobs 1 --sidecar "$2/t-ocrmypdf/$1.0.txt" "$3/$1" "$2/t-ocrmypdf/$1.pdf"' \
  _ {} "$work" "$work/batch"
ocrmypdf_s=$(echo "$(now) - $start" | bc)

max_rss() { cat "$@" | sort -n | tail -1; }
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
range() { sort -n "$1" | awk 'NR == 1 { lo = $1 } { hi = $1 } END { if (NR == 1) printf "%.1f", lo; else printf "%.1f to %.1f", lo, hi }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "$ocrmypdf_s" >"$work/ocrmypdf.seconds"
dossier_median=$(median "$work/dossier.seconds")
tess_median=$(median "$work/tess.seconds")
row() { # label runs seconds_file rss_kib score_json
  python3 -c '
import json, sys
label, runs, secs, spread, rss, pages, score = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4], int(sys.argv[5]), int(sys.argv[6]), json.loads(sys.argv[7])
mean, median, worst = (100 * score[k] for k in ("cer_mean", "cer_median", "cer_max"))
print(f"| {label} | {runs} | {secs:.1f} | {spread} | {pages * 60 / secs:.1f} | {rss / 1024:.0f} | {mean:.2f}% | {median:.2f}% | {worst:.1f}% |")
' "$1" "$(wc -l <"$2")" "$(median "$2")" "$(range "$2")" "$3" "$pages" "$4"
}
score() { "$bin/dossier-score" "$work/truth.json" "$work/$1" "$2"; }
# Each turn's CLI time over dossier's, for the spread of the ratio.
ratios=$(paste "$work/tess.seconds" "$work/dossier.seconds" | awk '{ printf "%s%.2f", sep, $1 / $2; sep = ", " }')
out="benches/results/$(date +%Y-%m-%d)-compare.md"
mkdir -p benches/results
{
  echo
  echo "## $(date -u +%H:%M) UTC, on $(git describe --always --dirty 2>/dev/null || echo 'an unknown commit')"
  echo
  echo "Batch: $DOSSIERS dossiers, $pages pages of 300-dpi A4 ($mb MB), noise $NOISE, skew up to $SKEW degrees; $JOBS in parallel; $(nproc) cores."
  echo
  echo "| tool | runs | seconds (median) | seconds (range) | pages/min | peak RSS MiB (per process) | CER mean | CER median | CER max |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  row "dossier ingest (deskew, OCR, PDF, store, index)" "$work/dossier.seconds" "$(max_rss "$work/dossier.rss")" "$(score t-dossier dossier)"
  row "tesseract CLI (OCR only)" "$work/tess.seconds" "$(max_rss "$work/tess.rss")" "$(score t-tess tesseract)"
  row "ocrmypdf --deskew" "$work/ocrmypdf.seconds" "$(max_rss "$work"/t-ocrmypdf/*/*.rss)" "$(score t-ocrmypdf ocrmypdf)"
  echo
  echo "dossier vs tesseract CLI, medians: $(ratio "$tess_median" "$dossier_median")x the speed (turn by turn: $ratios); vs ocrmypdf: $(ratio "$ocrmypdf_s" "$dossier_median")x."
} | tee -a "$out"
