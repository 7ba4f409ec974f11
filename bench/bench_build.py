#!/usr/bin/env python3
"""Benchmark: build N badge pages (+ wallets) of a synthetic district against plain MkDocs + Material pages.

For each size N (``--sizes``, default 5000,20000,100000), in one invocation:
  * ``credfolio synth`` makes a district with N credential badges (plus the stack badges they
    complete), N/4 teachers and 40 credentials — on /dev/shm when it has room, since issuing fsyncs
    every badge and the district's files are not what is measured;
  * ``mkdocs build`` of that district (a child process): catalog pages through MkDocs, then in
    ``on_post_build`` the build-time verification of every badge and the wallet, badge, certificate
    and program pages; run twice, cold (no ``.cache/``) and warm (nothing changed: what a rebuild
    under ``mkdocs serve`` or a CI cache restore costs);
  * the baseline: ``mkdocs build`` of a plain MkDocs + Material site (search plugin, no credfolio)
    with as many minimal Markdown pages as the district has badge + wallet pages. Sizes above
    ``--baseline-max`` (default 20,000: 100,000 Markdown pages take well over ten minutes here) are
    not built: their baseline rate is the rate of the largest baseline built in this run, and the
    output says "extrapolated". MkDocs' cost per page grows with the page count (the nav is in every
    page), so this flatters the baseline.

Reported per build: seconds, pages/s (badge + wallet pages), the ratio to the baseline's pages/s, the
peak RSS of the whole process tree (sampled every 0.2 s from /proc: parent plus rendering workers)
and of the largest single process (``getrusage(RUSAGE_CHILDREN)`` in a wrapper process).

Usage (from the repository root)::

    .venv/bin/python bench/bench_build.py [--sizes 5000,20000,100000] [--baseline-max 20000]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_catalog import make_baseline  # noqa: E402

#: Runs the command given as arguments and writes its getrusage(RUSAGE_CHILDREN) peak RSS (KiB) to $BENCH_RUSAGE_FILE.
WRAPPER = (
    "import os, resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[1:])\n"
    "open(os.environ['BENCH_RUSAGE_FILE'], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    "sys.exit(code)\n"
)
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Measured:
    seconds: float
    tree_rss: int  # bytes, sampled
    largest_rss: int  # bytes, getrusage


def _tree_rss(root_pid: int) -> int:
    """Resident memory of ``root_pid`` and all its descendants, from /proc."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
            parents[int(entry.name)] = int(fields[1])
            rss[int(entry.name)] = int(fields[21]) * PAGE_SIZE
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [root_pid]
    children: dict[int, list[int]] = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def measure(command: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None) -> Measured:
    """Run ``command`` (through the rusage wrapper), sampling the process tree's RSS; fail loudly if it fails."""
    with tempfile.NamedTemporaryFile(prefix="bench-rusage-", delete=False) as handle:
        rusage_file = handle.name
    environment = dict(env or os.environ, BENCH_RUSAGE_FILE=rusage_file, NO_MKDOCS_2_WARNING="1")
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", WRAPPER, *command], cwd=cwd, env=environment,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.2):
            peak = max(peak, _tree_rss(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command[:4])} … failed ({process.returncode}):\n{output[-3000:]}")
    largest = int(Path(rusage_file).read_text() or 0) * 1024
    os.unlink(rusage_file)
    return Measured(seconds, peak, largest)


def mkdocs_build(config: Path, site: Path) -> Measured:
    return measure([sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(config), "-d", str(site)])


def synthesize(folder: Path, badges: int, seed: int) -> Path:
    """A synthetic district with ``badges`` credential badges in ``folder`` (reused when a finished one is there)."""
    from credfolio.synth import synthesize_district

    finished = folder / ".bench-finished"
    if finished.is_file():
        print(f"  synth: reusing {folder} ({finished.read_text(encoding='utf-8').strip()})", flush=True)
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()
    report = synthesize_district(folder, teachers=max(10, badges // 4), badges=badges, credentials=40, seed=seed)
    seconds = time.perf_counter() - started
    summary = (f"{report.badges} badges ({report.public_badges} published, {report.stack_badges} stack badges, "
               f"{report.revoked} revoked, {report.expired} expired), {report.opted_in} wallets, synthesized in {seconds:.0f} s "
               f"({report.badges / seconds:.0f} badges/s issued)")
    finished.write_text(summary + "\n", encoding="utf-8")
    print(f"  synth: {summary}", flush=True)
    return folder


def count_pages(site: Path) -> tuple[int, int, int]:
    """(badge pages, wallet pages, certificate pages) in a built site."""
    badges = sum(1 for _ in (site / "badges").glob("*/index.html"))
    wallets = sum(1 for _ in (site / "wallet").glob("*/index.html"))
    certificates = sum(1 for _ in (site / "badges").glob("*/certificate/index.html"))
    return badges, wallets, certificates


def site_size(site: Path) -> int:
    return sum(entry.stat().st_size for entry in site.rglob("*") if entry.is_file())


def workspace(prefix: str, need_bytes: int) -> Path:
    """A temporary folder on /dev/shm when it has ``need_bytes`` free (and 4 GiB to spare), else on disk."""
    shm = Path("/dev/shm")
    if shm.is_dir() and shutil.disk_usage(shm).free > need_bytes + 4 * 2**30:
        return Path(tempfile.mkdtemp(prefix=prefix, dir=shm))
    return Path(tempfile.mkdtemp(prefix=prefix))


def line(label: str, pages: int, run: Measured, baseline_rate: float | None, note: str = "") -> dict[str, float]:
    rate = pages / run.seconds
    ratio = f"{rate / baseline_rate:7.2f}x" if baseline_rate else f"{'':8}"
    print(f"  {label:<34} {pages:>7} pages {run.seconds:8.1f} s {rate:8.0f} pages/s {ratio}  "
          f"RSS tree {run.tree_rss / 2**20:6.0f} MiB, largest process {run.largest_rss / 2**20:6.0f} MiB{note}", flush=True)
    return {"pages": pages, "seconds": run.seconds, "rate": rate, "tree_rss_mib": run.tree_rss / 2**20,
            "largest_rss_mib": run.largest_rss / 2**20}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5000,20000,100000", help="badge counts, comma-separated")
    parser.add_argument("--baseline-max", type=int, default=20_000, help="largest plain MkDocs site actually built")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-warm", action="store_true", help="skip the second (warm) build")
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    parser.add_argument("--reuse", type=Path, help="keep synthetic districts in this folder and reuse them on the next run")
    parser.add_argument("--synth-only", action="store_true", help="only make the districts (with --reuse), build nothing")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print(f"{os.cpu_count()} CPUs, {memory:.0f} GiB, Python {sys.version.split()[0]}, "
          f"load average {' '.join(f'{value:.2f}' for value in os.getloadavg())}, "
          f"CREDFOLIO_BUILD_WORKERS={os.environ.get('CREDFOLIO_BUILD_WORKERS', '(default)')}", flush=True)
    results: dict[str, dict[str, dict[str, float]]] = {}
    baseline_rate: float | None = None
    baseline_from = 0
    for size in sizes:
        print(f"N = {size} badges", flush=True)
        folder = args.reuse or workspace("credfolio-bench-build-", size * 16 * 1024)
        try:
            district = synthesize(folder / f"district-{size}-{args.seed}", size, args.seed)
            if args.synth_only:
                continue
            shutil.rmtree(district / ".cache", ignore_errors=True)  # cold: no verdicts, no page manifest
            site = Path(tempfile.mkdtemp(prefix="credfolio-bench-site-"))
            cold = mkdocs_build(district / "mkdocs.yml", site)
            badge_pages, wallet_pages, certificates = count_pages(site)
            pages = badge_pages + wallet_pages
            size_mib = site_size(site) / 2**20
            warm = None if args.no_warm else mkdocs_build(district / "mkdocs.yml", site)
            shutil.rmtree(site, ignore_errors=True)
        finally:
            if args.reuse is None:
                shutil.rmtree(folder, ignore_errors=True)

        note = ""
        if pages <= args.baseline_max:
            with tempfile.TemporaryDirectory(prefix="credfolio-bench-baseline-") as plain:
                make_baseline(Path(plain), pages)
                base = mkdocs_build(Path(plain) / "mkdocs.yml", Path(plain) / "site")
            baseline_rate, baseline_from = pages / base.seconds, pages
            entry = {"baseline": line("baseline: MkDocs + Material", pages, base, None)}
        else:
            note = f"  (baseline extrapolated from the {baseline_from}-page run)" if baseline_rate else ""
            entry = {}
        print(f"  site: {badge_pages} badge pages (+ {certificates} certificates, PNG, SVG, JSON each), {wallet_pages} wallet pages, "
              f"{size_mib:.0f} MiB", flush=True)
        entry["cold"] = line("credfolio build, cold", pages, cold, baseline_rate, note)
        if warm is not None:
            entry["warm"] = line("credfolio build, warm (no changes)", pages, warm, baseline_rate, note)
        results[str(size)] = entry
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
