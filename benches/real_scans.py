#!/usr/bin/env python3
"""Real scans: dossier, Tesseract alone and ocrmypdf on the same real pages.

Runs, in one go and on every page of ../shared/real-scans (or --scans DIR):
- `dossier ingest` of a batch with one dossier per page, the page text taken
  from each manifest (with dossier's blank and rotation decisions and which
  reading it kept);
- `tesseract IMG - -l fra+eng`, the page as scanned;
- `ocrmypdf --deskew --rotate-pages -l fra+eng` (skipped if not installed),
  its own text (`--sidecar`).
Each output is scored with the set's own score.py (CER after NFC, straight
quotes and folded spaces; order-independent word recall), and the script
prints per page and overall the CER, word recall, decisions and seconds per
page as Markdown. Usage:

    cargo build --release -p dossier-cli
    python3 benches/real_scans.py [--scans DIR] [--only STEM...] [--no-ocrmypdf]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOSSIER = ROOT / "target" / "release" / "dossier"
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff"}


def pages(scans, only):
    found = sorted(p for p in scans.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if only:
        found = [p for p in found if p.stem in only]
    return found


def run_dossier(images, work):
    """One ingest of every page (a dossier each); text and decisions per page."""
    batch, archive, out = work / "batch", work / "archive", work / "dossier"
    for image in images:
        folder = batch / image.stem
        folder.mkdir(parents=True)
        shutil.copy(image, folder / ("001" + image.suffix.lower()))
    out.mkdir()
    env = dict(os.environ, DOSSIER_ARCHIVE=str(archive))
    started = time.monotonic()
    ingest = subprocess.run(
        [DOSSIER, "ingest", str(batch), "--json"], env=env, capture_output=True, text=True
    )
    seconds = time.monotonic() - started
    if ingest.returncode not in (0, 2):
        sys.exit(f"dossier ingest failed: {ingest.stderr}")
    decisions = {}
    for image in images:
        shown = subprocess.run(
            [DOSSIER, "show", image.stem, "--json"], env=env, capture_output=True, text=True
        )
        manifest = json.loads(shown.stdout)
        page_records = manifest.get("pages", [])
        text = "\n".join(p["text"] for p in page_records)
        (out / f"{image.stem}.txt").write_text(text)
        first = page_records[0] if page_records else {}
        decisions[image.stem] = {
            "blank": first.get("blank"),
            "rotation": first.get("rotation"),
            "reading": (first.get("reading") or {}).get("kept", "preprocessed"),
        }
    return out, seconds / len(images), decisions


def run_tesseract(images, work):
    out = work / "tesseract"
    out.mkdir()
    started = time.monotonic()
    for image in images:
        text = subprocess.run(
            ["tesseract", str(image), "-", "-l", "fra+eng"], capture_output=True, text=True
        ).stdout
        (out / f"{image.stem}.txt").write_text(text)
    return out, (time.monotonic() - started) / len(images)


def run_ocrmypdf(images, work):
    out = work / "ocrmypdf"
    out.mkdir()
    started = time.monotonic()
    for image in images:
        pdf = work / f"{image.stem}.pdf"
        sidecar = work / f"{image.stem}.sidecar.txt"
        command = ["ocrmypdf", "--deskew", "--rotate-pages", "-l", "fra+eng", "-q"]
        # Images without a resolution in their header need one named. The
        # text is ocrmypdf's own (--sidecar): pdftotext's reading of its PDF
        # reorders lines and would score the extractor, not the OCR.
        command += ["--image-dpi", "300", "--sidecar", str(sidecar), str(image), str(pdf)]
        done = subprocess.run(command, capture_output=True, text=True)
        text = sidecar.read_text() if done.returncode == 0 else ""
        (out / f"{image.stem}.txt").write_text(text)
    return out, (time.monotonic() - started) / len(images)


def score(folder, scans):
    done = subprocess.run(
        [sys.executable, str(scans / "score.py"), str(folder), "--truth", str(scans), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(done.stdout)
    return {p["page"]: p for p in report["pages"]}


def percent(value):
    return f"{100 * value:.1f}%"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=Path, default=ROOT.parent / "shared" / "real-scans")
    parser.add_argument("--only", nargs="*", default=[])
    parser.add_argument("--no-ocrmypdf", action="store_true")
    parser.add_argument(
        "--dossier-only", action="store_true", help="score dossier alone (while working on it)"
    )
    parser.add_argument("--keep", action="store_true", help="keep every output for a look")
    args = parser.parse_args()
    images = pages(args.scans, args.only)
    work = Path(tempfile.mkdtemp(prefix="real-scans-"))
    tools = {}
    folder, seconds, decisions = run_dossier(images, work)
    tools["dossier"] = (score(folder, args.scans), seconds)
    if args.dossier_only:
        scored = tools["dossier"][0]
        for image in images:
            p = scored[image.stem]
            print(f"{image.stem}: CER {percent(p['cer'])} recall {percent(p['recall'])} {decisions[image.stem]}")
        cers = [scored[i.stem]["cer"] for i in images]
        print(f"mean {percent(statistics.mean(cers))} median {percent(statistics.median(cers))}")
        return
    folder, seconds = run_tesseract(images, work)
    tools["tesseract"] = (score(folder, args.scans), seconds)
    if not args.no_ocrmypdf and shutil.which("ocrmypdf"):
        folder, seconds = run_ocrmypdf(images, work)
        tools["ocrmypdf"] = (score(folder, args.scans), seconds)
    names = list(tools)

    header = ["page"] + [f"{n} CER" for n in names] + [f"{n} recall" for n in names]
    header += ["dossier: blank, turn, reading"]
    print("| " + " | ".join(header) + " |")
    print("|" + " --- |" * len(header))
    for image in images:
        stem = image.stem
        row = [stem]
        row += [percent(tools[n][0][stem]["cer"]) for n in names]
        row += [percent(tools[n][0][stem]["recall"]) for n in names]
        d = decisions[stem]
        row.append(f"{'blank' if d['blank'] else '-'}, {d['rotation']}, {d['reading']}")
        print("| " + " | ".join(row) + " |")
    print()
    print("| tool | mean CER | median CER | mean word recall | pages > 0.5 pt worse than tesseract | pages that lost over half their words | s/page |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    base = tools["tesseract"][0]
    for name in names:
        scored, seconds = tools[name]
        cers = [scored[i.stem]["cer"] for i in images]
        recalls = [scored[i.stem]["recall"] for i in images]
        worse = sum(1 for i in images if scored[i.stem]["cer"] > base[i.stem]["cer"] + 0.005)
        lost = sum(1 for r in recalls if r < 0.5)
        print(
            f"| {name} | {percent(statistics.mean(cers))} | {percent(statistics.median(cers))} "
            f"| {percent(statistics.mean(recalls))} | {worse} of {len(images)} "
            f"| {lost} of {len(images)} | {seconds:.1f} |"
        )
    blanks = [s for s, d in decisions.items() if d["blank"]]
    turned = [f"{s} ({d['rotation']})" for s, d in decisions.items() if d["rotation"]]
    scanned = [s for s, d in decisions.items() if d["reading"] != "preprocessed"]
    print()
    print(f"dossier marked blank: {', '.join(blanks) or 'none'}")
    print(f"dossier turned: {', '.join(turned) or 'none'}")
    print(f"dossier kept the reading as scanned: {', '.join(scanned) or 'none'}")
    if args.keep:
        print(f"\noutputs kept in {work}")
    else:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
