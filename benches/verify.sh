#!/usr/bin/env bash
# Fixity throughput: `dossier verify` over a generated archive, beside
# `sha256sum` over the same object files (the speed limit on this machine).
# Knobs: DOSSIERS (8), NOISE (6: noisy scans, large objects).
set -euo pipefail
cd "$(dirname "$0")/.."
DOSSIERS=${DOSSIERS:-8} NOISE=${NOISE:-6}
scripts/setup
cargo build --release --quiet -p dossier-cli -p dossier-samples
bin=$PWD/target/release
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin/dossier-samples" --out "$work" --dossiers "$DOSSIERS" --documents 5 --noise "$NOISE" >/dev/null
"$bin/dossier" --archive "$work/archive" ingest "$work/batch" >/dev/null 2>&1
sync
echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
report=$(/usr/bin/time -f "%M" -o "$work/rss" "$bin/dossier" --archive "$work/archive" verify --json)
start=$(date +%s.%N)
find "$work/archive/objects" -type f -print0 | xargs -0 sha256sum >/dev/null
sha_s=$(echo "$(date +%s.%N) - $start" | bc)
bytes=$(du -sb "$work/archive/objects" | cut -f1)
python3 - "$report" "$(cat "$work/rss")" "$bytes" "$sha_s" <<'PY'
import json, sys
report, rss, size, sha_s = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
print(f"dossier verify: {report['checked']} objects, {report['bytes'] / 1e6:.0f} MB in {report['seconds']:.2f} s: "
      f"{report['mb_per_second']:.0f} MB/s, peak RSS {rss / 1024:.0f} MiB, {len(report['problems'])} problems")
print(f"sha256sum over the same {size / 1e6:.0f} MB: {sha_s:.2f} s: {size / 1e6 / sha_s:.0f} MB/s")
PY
