#!/usr/bin/env bash
# Runs each fuzz target for FUZZ_SECONDS (default 300) from a seed corpus of small
# valid files in every format the decoders take. Needs cargo-fuzz
# (`cargo install cargo-fuzz`); RUSTC_BOOTSTRAP lets the stable toolchain
# accept the instrumentation flags. Findings land in fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_EACH=${FUZZ_SECONDS:-300}
command -v convert >/dev/null && command -v tiff2pdf >/dev/null ||
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq imagemagick libtiff-tools >/dev/null; }
export RUSTC_BOOTSTRAP=1 OMP_THREAD_LIMIT=1

seeds=corpus/decode
mkdir -p "$seeds" corpus/batch
page=../samples/batch/INT-2026-00002/001.jpg
convert "$page" -resize 240x -colorspace Gray "$seeds/page.png"
convert "$page" -resize 240x -quality 60 "$seeds/page.jpg"
convert "$page" -resize 240x -compress lzw "$seeds/page-lzw.tif"
convert "$page" -resize 240x -monochrome -compress Group4 "$seeds/page-g4.tif"
# Scanner-like PDFs from libtiff's tiff2pdf: Flate, JPEG and CCITT G4 images.
tiff2pdf -o "$seeds/page-flate.pdf" "$seeds/page-lzw.tif"
tiff2pdf -j -o "$seeds/page-jpeg.pdf" "$seeds/page-lzw.tif"
tiff2pdf -o "$seeds/page-g4.pdf" "$seeds/page-g4.tif"
convert "$seeds/page.png" "$seeds/page.png" -compress lzw "$seeds/two-pages.tif"
cp ../samples/batch/batch.toml ../samples/batch/INT-2026-00001/dossier.toml corpus/batch/

for target in decode batch; do
  cargo fuzz run --sanitizer none -O "$target" "corpus/$target" -- \
    -max_total_time="$SECONDS_EACH" -max_len=65536 -rss_limit_mb=2048 -print_final_stats=1 2>&1 \
    | grep -E 'stat::number_of_executed_units|stat::peak_rss_mb|Done|ERROR|panicked' || true
done
