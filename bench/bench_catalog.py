#!/usr/bin/env python3
"""Benchmark: build a 500-credential catalog site and measure its search index.

Runs, in one invocation, in fresh temporary folders:
  * baseline — a plain MkDocs + Material build (same theme, same search plugin, no credfolio hooks)
    of as many minimal Markdown pages as there are credentials;
  * catalog (factory text) — a credfolio district with N credentials made from the test factory's
    credential text with varied ids and titles, plus stacks of five;
  * catalog (sample text) — the same, but cycling through the sample district's real credential files
    (longer, richer text). Cycling ~20 files 25 times flatters gzip, which finds the repeats;
  * catalog (sample text, shuffled) — as above, but each copy's free text has its words shuffled (a
    fixed seed), which keeps the vocabulary and length and defeats the repeats: the honest estimate of
    a catalog of 500 distinct credentials.

For each it prints the build time and the gzipped size of ``search/search_index.json``, and the
ratio to the baseline. Targets from issue #4: build ≤ 10 s, index ≤ 150 KB gzipped for 500 credentials.

Usage (from the repository root)::

    .venv/bin/python bench/bench_catalog.py [--count 500]
"""

from __future__ import annotations

import argparse
import gzip
import logging
import random
import re
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from district_factory import CREDENTIAL_YML  # noqa: E402

HOOK = REPO / "hooks" / "credfolio.py"
OVERRIDES = REPO / "overrides"
SUBJECTS = ["All subjects", "Mathematics", "Science", "English Language Arts", "Social Studies", "World Languages"]
BANDS = [["PK-2", "3-5"], ["3-5", "6-8"], ["6-8", "9-12"], ["9-12"]]


def mkdocs_yml(*, hooks: bool) -> str:
    config = {
        "site_name": "Bench District Micro-credentials",
        "site_url": "https://bench.github.io/mc/",
        "theme": {"name": "material", "font": False, "palette": [{"scheme": "default", "primary": "custom", "accent": "custom"}]},
        "plugins": ["search"],
        "extra": {"credfolio": {"format": 1, "name": "Bench School District", "short_name": "Bench SD"}},
    }
    if hooks:
        config["hooks"] = [str(HOOK)]
        config["theme"]["custom_dir"] = str(OVERRIDES)
    return yaml.safe_dump(config, sort_keys=False)


def factory_credentials(count: int) -> list[str]:
    texts = []
    for number in range(count):
        credential_id = f"credential-{number:04d}"
        data = yaml.safe_load(CREDENTIAL_YML.format(id=credential_id, status="active", title_suffix=f"{number}"))
        data["subjects"] = [SUBJECTS[number % len(SUBJECTS)]]
        data["grade_bands"] = BANDS[number % len(BANDS)]
        data["hours"] = 5 + number % 20
        texts.append(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return texts


def _shuffled(text: str, rng: random.Random) -> str:
    words = text.split()
    rng.shuffle(words)
    return " ".join(words)


def sample_credentials(count: int, *, shuffle: bool = False) -> list[str]:
    rng = random.Random(4)
    sources = sorted((REPO / "catalog").glob("*.yml"))
    sources = [path for path in sources if path.name != "stacks.yml"]
    if not sources:
        raise SystemExit("the sample catalog (catalog/*.yml) is empty")
    texts = []
    for number in range(count):
        data = yaml.safe_load(sources[number % len(sources)].read_text(encoding="utf-8"))
        data["id"] = f"{data['id'][:50]}-{number:04d}"
        data["title"] = f"{data['title'][:100]} ({number})"
        data["status"] = "active"
        data["image"] = None
        if shuffle:
            for key in ("summary", "competency", "key_method"):
                data[key] = _shuffled(data[key], rng)
            data["tags"] = [_shuffled(tag, rng) for tag in data.get("tags", [])]
            for component in data["method_components"]:
                component["description"] = _shuffled(component["description"], rng)
        texts.append(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return texts


def stacks_yml(ids: list[str]) -> str:
    stacks = []
    for start in range(0, len(ids) - 4, 25):
        members = ids[start:start + 5]
        stacks.append({
            "id": f"stack-{start // 25:03d}",
            "title": f"Pathway {start // 25}",
            "description": "A pathway of five related micro-credentials.",
            "credentials": members[:-1],
            "capstone": members[-1],
            "earns": {"title": f"Pathway {start // 25} Specialist", "badge": True},
        })
    return yaml.safe_dump({"format": 1, "stacks": stacks}, sort_keys=False)


def load_seconds(root: Path) -> float:
    """Time of loading and validating the catalog alone (credfolio.catalog.load_catalog)."""
    from credfolio.catalog import load_catalog

    started = time.perf_counter()
    load_catalog(root)
    return time.perf_counter() - started


def build(root: Path) -> tuple[float, int, int]:
    """Build ``root/mkdocs.yml``; return (seconds, gzipped index bytes, raw index bytes)."""
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config

    started = time.perf_counter()
    mkdocs_build(load_config(config_file=str(root / "mkdocs.yml"), site_dir=str(root / "site")))
    seconds = time.perf_counter() - started
    raw = (root / "site" / "search" / "search_index.json").read_bytes()
    return seconds, len(gzip.compress(raw, compresslevel=9)), len(raw)


def make_baseline(root: Path, count: int) -> None:
    (root / "docs").mkdir(parents=True)
    (root / "mkdocs.yml").write_text(mkdocs_yml(hooks=False), encoding="utf-8")
    (root / "docs" / "index.md").write_text("# Bench district\n", encoding="utf-8")
    for number in range(count):
        (root / "docs" / f"page-{number:04d}.md").write_text(
            f"# Credential {number}\n\nUse wait time to raise participation.\n", encoding="utf-8"
        )


def make_catalog(root: Path, credentials: list[str]) -> None:
    (root / "docs").mkdir(parents=True)
    (root / "catalog").mkdir()
    (root / "mkdocs.yml").write_text(mkdocs_yml(hooks=True), encoding="utf-8")
    (root / "docs" / "index.md").write_text("# Bench district\n", encoding="utf-8")
    ids = []
    for text in credentials:
        credential_id = re.search(r"^id: (\S+)$", text, re.MULTILINE).group(1)
        ids.append(credential_id)
        (root / "catalog" / f"{credential_id}.yml").write_text(text, encoding="utf-8")
    (root / "catalog" / "stacks.yml").write_text(stacks_yml(ids), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=500)
    args = parser.parse_args()
    logging.getLogger("mkdocs").setLevel(logging.ERROR)

    runs = []
    with tempfile.TemporaryDirectory(prefix="credfolio-bench-") as folder:
        base = Path(folder)
        make_baseline(base / "baseline", args.count)
        runs.append(("baseline: plain MkDocs, minimal pages", build(base / "baseline"), None))
        for name, folder, credentials in (
            ("catalog, factory text", "factory", factory_credentials(args.count)),
            ("catalog, sample text (repeated)", "sample", sample_credentials(args.count)),
            ("catalog, sample text (shuffled)", "shuffled", sample_credentials(args.count, shuffle=True)),
        ):
            make_catalog(base / folder, credentials)
            runs.append((name, build(base / folder), load_seconds(base / folder)))

    baseline_seconds, baseline_gzip, _ = runs[0][1]
    print(f"{args.count} pages / credentials")
    print(f"{'run':36} {'build s':>8} {'× base':>7} {'of it: load YAML s':>19} {'index gz KB':>12} {'× base':>7} {'index raw KB':>13}")
    for name, (seconds, gz, raw), loading in runs:
        load_text = f"{loading:19.2f}" if loading is not None else f"{'':19}"
        print(f"{name:36} {seconds:8.2f} {seconds / baseline_seconds:7.2f} {load_text} {gz / 1024:12.1f} "
              f"{gz / baseline_gzip:7.2f} {raw / 1024:13.1f}")
    worst_seconds = max(result[0] for _, result, _ in runs[1:])
    worst_gzip = max(result[1] for _, result, _ in runs[1:])
    print(f"targets: build <= 10 s ({'met' if worst_seconds <= 10 else 'MISSED'}), "
          f"index <= 150 KB gzipped ({'met' if worst_gzip <= 150 * 1024 else 'MISSED'})")


if __name__ == "__main__":
    main()
