#!/usr/bin/env bash
# Peak memory of an ingest whose batch holds decompression bombs beside real
# pages: a PNG and a TIFF of 40000 x 40000 zero pixels (1.6 GB each once
# decoded, about 1.6 MB compressed), a PDF whose Flate image claims 30000 x
# 30000, and PNG/TIFF headers claiming 60000 and 35000 pixels a side.
# Prints the rejections and the peak RSS from /usr/bin/time -v.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup
cargo build --release --quiet -p dossier-cli
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/B/INT-BOMBS"
cp samples/batch/INT-2026-00001/* "$work/B/INT-BOMBS/"
python3 - "$work/B/INT-BOMBS" <<'PY'
import struct, sys, zlib
out = sys.argv[1]

def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

def zeros(row_bytes, rows, filter_byte=True):
    z = zlib.compressobj(9)
    row = (b"\0" if filter_byte else b"") + b"\0" * row_bytes
    parts = [z.compress(row) for _ in range(rows)]
    parts.append(z.flush())
    return b"".join(parts)

side = 40000
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
png += chunk(b"IDAT", zeros(side, side)) + chunk(b"IEND", b"")
open(f"{out}/900-bomb-40000.png", "wb").write(png)

data = zeros(side, side, filter_byte=False)
entries = [(256, 4, side), (257, 4, side), (258, 3, 8), (259, 3, 8), (262, 3, 1), (273, 4, 0), (277, 3, 1), (278, 4, side), (279, 4, len(data))]
ifd_offset = 8 + len(data)
tiff = b"II*\0" + struct.pack("<I", ifd_offset) + data + struct.pack("<H", len(entries))
for tag, kind, value in entries:
    tiff += struct.pack("<HHII", tag, kind, 1, 8 if tag == 273 else value)
tiff += struct.pack("<I", 0)
open(f"{out}/901-bomb-40000.tif", "wb").write(tiff)

flate = zeros(30000, 30000, filter_byte=False)
objects = [
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>",
    b"<< /Type /XObject /Subtype /Image /Width 30000 /Height 30000 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n" % len(flate) + flate + b"\nendstream",
    b"<< /Length 30 >>\nstream\nq 612 0 0 792 0 0 cm /Im0 Do Q\nendstream",
]
pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
offsets = []
for i, body in enumerate(objects, 1):
    offsets.append(len(pdf))
    pdf += b"%d 0 obj\n" % i + body + b"\nendobj\n"
xref = len(pdf)
pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
pdf += b"".join(b"%010d 00000 n \n" % o for o in offsets)
pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
open(f"{out}/902-bomb-30000.pdf", "wb").write(pdf)

claim = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 60000, 60000, 8, 0, 0, 0, 0))
claim += chunk(b"IDAT", zlib.compress(b"\0" * 100)) + chunk(b"IEND", b"")
open(f"{out}/903-claims-60000.png", "wb").write(claim)
PY
ls -la "$work/B/INT-BOMBS"
/usr/bin/time -v target/release/dossier --archive "$work/archive" ingest "$work/B" --workers 2 2>"$work/time" || true
grep -E "Maximum resident set size|Elapsed" "$work/time"
