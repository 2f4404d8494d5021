"""Write or check datasets/MANIFEST.sha256, the checksums of every file under datasets/.

    python datasets/generators/manifest.py           # (re)write the manifest
    python datasets/generators/manifest.py --check   # exit 1 and list mismatched, missing and unlisted files

Each line is ``<sha256>  <path relative to datasets/>`` (POSIX separators), sorted by path.
Every file under datasets/ is listed (data, documentation, the generators themselves) except the
manifest itself and Python/Jupyter caches (__pycache__, .ipynb_checkpoints, *.pyc).
Run it after any change under datasets/ (for A社: after datasets/generators/a_sha.py).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

DATASETS = Path(__file__).resolve().parents[1]
MANIFEST_NAME = "MANIFEST.sha256"
IGNORED_DIRS = {"__pycache__", ".ipynb_checkpoints"}
IGNORED_SUFFIXES = {".pyc"}


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def listed_files(root: Path) -> list[str]:
    """Paths (relative, POSIX) of the files the manifest covers, sorted."""
    out = []
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if not path.is_file() or rel.as_posix() == MANIFEST_NAME:
            continue
        if IGNORED_DIRS.intersection(rel.parts[:-1]) or path.suffix in IGNORED_SUFFIXES:
            continue
        out.append(rel.as_posix())
    return sorted(out)


def compute(root: Path = DATASETS) -> dict[str, str]:
    return {rel: sha256(root / rel) for rel in listed_files(root)}


def render(checksums: dict[str, str]) -> str:
    return "".join(f"{digest}  {rel}\n" for rel, digest in sorted(checksums.items()))


def parse(text: str) -> dict[str, str]:
    entries = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        digest, sep, rel = line.partition("  ")
        if not sep or len(digest) != 64:
            raise ValueError(f"{MANIFEST_NAME} line {number}: not '<sha256>  <path>': {line!r}")
        entries[rel] = digest
    return entries


def write(root: Path = DATASETS) -> Path:
    target = root / MANIFEST_NAME
    target.write_text(render(compute(root)), encoding="utf-8", newline="\n")
    return target


def check(root: Path = DATASETS) -> dict[str, list[str]]:
    """Compare the manifest with the files: {'mismatched': [...], 'missing': [...], 'unlisted': [...]}."""
    manifest = root / MANIFEST_NAME
    recorded = parse(manifest.read_text(encoding="utf-8")) if manifest.exists() else {}
    present = set(listed_files(root))
    return {
        "mismatched": sorted(rel for rel in recorded.keys() & present if sha256(root / rel) != recorded[rel]),
        "missing": sorted(recorded.keys() - present),
        "unlisted": sorted(present - recorded.keys()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write or check datasets/MANIFEST.sha256.")
    parser.add_argument("--check", action="store_true", help="check instead of writing")
    parser.add_argument("--root", type=Path, default=DATASETS, help="the datasets folder (default: this repo's)")
    args = parser.parse_args(argv)
    if not args.check:
        target = write(args.root)
        print(f"written: {target} ({len(listed_files(args.root))} files)")
        return 0
    if not (args.root / MANIFEST_NAME).exists():
        print(f"missing manifest: {args.root / MANIFEST_NAME}", file=sys.stderr)
        return 1
    problems = check(args.root)
    labels = {"mismatched": "checksum differs", "missing": "listed but missing", "unlisted": "not listed"}
    failed = False
    for kind, paths in problems.items():
        for rel in paths:
            print(f"{labels[kind]}: {rel}", file=sys.stderr)
            failed = True
    if failed:
        print("run: python datasets/generators/manifest.py (after checking the changes)", file=sys.stderr)
        return 1
    print(f"ok: {len(listed_files(args.root))} files match {MANIFEST_NAME}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
