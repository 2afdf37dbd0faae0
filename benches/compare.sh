#!/usr/bin/env bash
# Whole-pipeline throughput, memory and accuracy, side by side on the same
# generated batch and with the same parallelism:
#   dossier ingest                      (deskew, OCR, PDF, hash, store, index)
#   tesseract CLI, one process per page (-l fra+eng), OCR only
#   ocrmypdf --deskew -l fra+eng        (Debian's), one process per file
# Prints a table and writes it to benches/results/DATE-compare.md.
# Knobs: DOSSIERS (8), DOCS per dossier (5), JOBS in parallel (2), NOISE (6), SKEW (7).
set -euo pipefail
cd "$(dirname "$0")/.."
DOSSIERS=${DOSSIERS:-8} DOCS=${DOCS:-5} JOBS=${JOBS:-2} NOISE=${NOISE:-6} SKEW=${SKEW:-7}

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

# dossier
start=$(now)
/usr/bin/time -f "%M" -o "$work/dossier.rss" "$bin/dossier" --archive "$work/archive" ingest "$work/batch" \
  --workers "$JOBS" --json >"$work/dossier.json"
dossier_s=$(echo "$(now) - $start" | bc)
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

# tesseract CLI
start=$(now)
echo "$files" | OMP_THREAD_LIMIT=1 xargs -P "$JOBS" -I{} sh -c \
  'mkdir -p "$2/t-tess/$(dirname "$1")" && /usr/bin/time -f "%M" -o "$2/t-tess/$1.rss" tesseract "$3/$1" "$2/t-tess/$1.0" -l fra+eng quiet' \
  _ {} "$work" "$work/batch"
tess_s=$(echo "$(now) - $start" | bc)

# ocrmypdf
start=$(now)
echo "$files" | OMP_THREAD_LIMIT=1 xargs -P "$JOBS" -I{} sh -c \
  'mkdir -p "$2/t-ocrmypdf/$(dirname "$1")" && /usr/bin/time -f "%M" -o "$2/t-ocrmypdf/$1.rss" ocrmypdf -q --deskew -l fra+eng --image-dpi 300 --jobs 1 --sidecar "$2/t-ocrmypdf/$1.0.txt" "$3/$1" "$2/t-ocrmypdf/$1.pdf"' \
  _ {} "$work" "$work/batch"
ocrmypdf_s=$(echo "$(now) - $start" | bc)

max_rss() { cat "$@" | sort -n | tail -1; }
row() { # label seconds rss_kib score_json
  python3 -c '
import json, sys
label, secs, rss, pages, score = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), json.loads(sys.argv[5])
mean, median, worst = (100 * score[k] for k in ("cer_mean", "cer_median", "cer_max"))
print(f"| {label} | {secs:.1f} | {pages * 60 / secs:.1f} | {rss / 1024:.0f} | {mean:.2f}% | {median:.2f}% | {worst:.1f}% |")
' "$1" "$2" "$3" "$pages" "$4"
}
score() { "$bin/dossier-score" "$work/truth.json" "$work/$1" "$2"; }
out="benches/results/$(date +%Y-%m-%d)-compare.md"
mkdir -p benches/results
{
  echo "Batch: $DOSSIERS dossiers, $pages pages of 300-dpi A4 ($mb MB), noise $NOISE, skew up to $SKEW degrees; $JOBS in parallel; $(nproc) cores."
  echo
  echo "| tool | seconds | pages/min | peak RSS MiB (per process) | CER mean | CER median | CER max |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  row "dossier ingest (deskew, OCR, PDF, store, index)" "$dossier_s" "$(cat "$work/dossier.rss")" "$(score t-dossier dossier)"
  row "tesseract CLI (OCR only)" "$tess_s" "$(max_rss "$work"/t-tess/*/*.rss)" "$(score t-tess tesseract)"
  row "ocrmypdf --deskew" "$ocrmypdf_s" "$(max_rss "$work"/t-ocrmypdf/*/*.rss)" "$(score t-ocrmypdf ocrmypdf)"
  echo
  echo "dossier vs tesseract CLI: $(echo "scale=2; $tess_s / $dossier_s" | bc)x the speed; vs ocrmypdf: $(echo "scale=2; $ocrmypdf_s / $dossier_s" | bc)x."
} | tee "$out"
