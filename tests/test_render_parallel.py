"""Wallet pages rendered by a process pool are byte-identical to serial rendering; incremental rebuilds stay correct."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
import yaml
from wallet_fixture import NOW, LargeDistrict, make_large_district

from credfolio import pages, wallet
from credfolio.errors import SiteError


@pytest.fixture(scope="module")
def district(tmp_path_factory) -> LargeDistrict:
    """About 100 badges of 24 teachers (one withdrew consent): 210+ pages, above the parallel threshold."""
    large = make_large_district(tmp_path_factory.mktemp("large"), teachers=24, badges=100)
    teacher = wallet.teacher_path(large.config, "teacher-00003")
    data = yaml.safe_load(teacher.read_text(encoding="utf-8"))
    data["consent"]["wallet_page"] = False
    teacher.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return large


def tree(site: Path) -> dict[str, str]:
    """SHA-256 of every file under ``site``, by relative path."""
    return {str(path.relative_to(site)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(site.rglob("*")) if path.is_file()}


def render(district: LargeDistrict, site: Path, **options) -> pages.PagesSummary:
    return pages.write_wallet_pages(district.config, district.catalog, site, now=NOW, **options)


def test_parallel_and_serial_rendering_write_byte_identical_sites(district, tmp_path):
    serial = render(district, tmp_path / "serial", workers=1, incremental=False)
    assert serial.workers == 1
    summary = render(district, tmp_path / "parallel", workers=2, incremental=False)
    assert summary.workers == 2
    assert summary.badges * 2 + summary.wallets + summary.withdrawn >= pages.PARALLEL_THRESHOLD
    assert summary.withdrawn > 0
    expected, parallel = tree(tmp_path / "serial"), tree(tmp_path / "parallel")
    assert parallel.keys() == expected.keys()
    assert [path for path in expected if expected[path] != parallel[path]] == []


def test_the_worker_count_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(pages.WORKERS_ENV, "1")
    assert pages.worker_count(None) == 1
    assert pages.worker_count(3) == 3
    monkeypatch.setenv(pages.WORKERS_ENV, "many")
    with pytest.raises(SiteError, match=pages.WORKERS_ENV):
        pages.worker_count(None)
    monkeypatch.delenv(pages.WORKERS_ENV)
    assert pages.worker_count(None) >= 1


def test_a_missing_badge_file_fails_the_build_in_a_worker_too(district, tmp_path):
    copy = tmp_path / "district"
    shutil.copytree(district.root, copy)
    moved = LargeDistrict(copy, district.private, district.keys_dir, district.config, district.catalog)
    moved.reload()
    victim = wallet.public_badges(moved.config, now=NOW, teacher="teacher-00001")[0].path  # a consenting teacher's
    victim.unlink()
    with pytest.raises(SiteError, match=rf"{victim.name}: badge listed in the ledger is missing or unreadable"):
        render(moved, tmp_path / "site", workers=2, parallel_threshold=0, incremental=False)


def test_an_incremental_rebuild_renders_only_what_changed_and_writes_the_same_site(district, tmp_path):
    site = tmp_path / "site"
    first = render(district, site, workers=1)
    assert first.rendered > 0 and first.reused == 0
    before = tree(site)
    again = render(district, site, workers=1)
    assert again.rendered == 0 and again.reused == first.rendered
    assert tree(site) == before
    # a page removed from the site folder (e.g. by hand) is written again
    next(site.glob("badges/*/certificate/index.html")).unlink()
    assert render(district, site, workers=1).rendered == 1
    assert tree(site) == before
    # years later, badges of credentials that expire change state: their pages (and wallets) are rendered again
    later = NOW.replace(year=NOW.year + 30)
    partial = pages.write_wallet_pages(district.config, district.catalog, site, now=later, workers=1)
    assert 0 < partial.rendered < first.rendered
    fresh = tmp_path / "fresh"
    pages.write_wallet_pages(district.config, district.catalog, fresh, now=later, workers=1, incremental=False)
    assert tree(site) == tree(fresh)


def test_an_incremental_rebuild_removes_every_page_of_a_teacher_who_withdrew_consent(district, tmp_path):
    copy = tmp_path / "district"
    shutil.copytree(district.root, copy)
    moved = LargeDistrict(copy, district.private, district.keys_dir, district.config, district.catalog)
    moved.reload()
    site = tmp_path / "site"
    render(moved, site, workers=1)
    slug = "teacher-00005"
    name = wallet.load_teachers(moved.config)[slug].display_name
    badge_ids = [badge.entry.badge_id for badge in wallet.public_badges(moved.config, now=NOW, teacher=slug)]
    assert badge_ids and (site / "wallet" / slug / "index.html").is_file()
    teacher = wallet.teacher_path(moved.config, slug)
    data = yaml.safe_load(teacher.read_text(encoding="utf-8"))
    data["consent"]["wallet_page"] = False
    teacher.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    summary = render(moved, site, workers=1)
    assert 0 < summary.rendered < summary.reused  # only this teacher's pages (and wallets naming no one else)
    assert not (site / "wallet" / slug).exists()
    for badge_id in badge_ids:
        for suffix in (".png", ".svg", "/certificate/index.html"):
            assert not (site / "badges" / f"{badge_id}{suffix}").exists(), suffix
        assert "This badge is not public" in (site / "badges" / badge_id / "index.html").read_text(encoding="utf-8")
    for path in site.rglob("*"):
        if path.is_file():
            assert name.encode("utf-8") not in path.read_bytes(), path


@pytest.mark.parametrize("content", [b"\x00{not json", b"[]", b'{"format": 1, "groups": {"badge:x": 5}}'],
                         ids=["a manifest of garbage bytes", "a manifest that is not an object", "a manifest with bad hashes"])
def test_a_damaged_manifest_is_ignored(tmp_path, content):
    from credfolio.config import DistrictConfig

    district = DistrictConfig.__new__(DistrictConfig)
    object.__setattr__(district, "root", tmp_path)
    path = tmp_path / pages.CACHE_DIR / pages.MANIFEST_FILE
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    manifest = pages._Manifest.load(district, tmp_path / "site")
    assert manifest.groups == {} and manifest.fingerprint == ""


def test_pages_kept_aside_while_mkdocs_cleans_the_site_make_the_rebuild_incremental(district, tmp_path):
    site = tmp_path / "site"
    first = render(district, site, workers=1)
    (site / "badges" / "stale.json").write_text("{}")  # a badge file the wallet no longer has
    before = {path: digest for path, digest in tree(site).items() if path != "badges/stale.json"}
    assert pages.stash_previous_pages(district.config, site)
    for entry in site.iterdir():  # what `mkdocs serve` does before each rebuild (hidden entries stay)
        if not entry.name.startswith("."):
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    assert not (site / pages.PREVIOUS_DIR).exists()  # kept in the district's cache (same file system)
    pages.restore_previous_pages(district.config, site)
    assert not (district.root / pages.CACHE_DIR / pages.PREVIOUS_CACHE_DIR).exists()
    assert not (site / "badges" / "stale.json").exists()
    again = render(district, site, workers=1)
    assert again.rendered == 0 and again.reused == first.rendered
    assert tree(site) == before


def test_nothing_is_kept_aside_without_a_manifest_of_that_site(district, tmp_path):
    site = tmp_path / "site"
    (site / "badges").mkdir(parents=True)
    (site / pages.PREVIOUS_DIR / "badges").mkdir(parents=True)  # left by a failed build
    (district.root / pages.CACHE_DIR / pages.MANIFEST_FILE).unlink(missing_ok=True)
    assert not pages.stash_previous_pages(district.config, site)
    assert (site / "badges").is_dir() and not (site / pages.PREVIOUS_DIR).exists()


def test_a_build_that_stopped_half_way_is_not_trusted_by_the_next(district, tmp_path, monkeypatch):
    copy = tmp_path / "district"
    shutil.copytree(district.root, copy)
    moved = LargeDistrict(copy, district.private, district.keys_dir, district.config, district.catalog)
    moved.reload()
    site = tmp_path / "site"
    render(moved, site, workers=1)
    before = tree(site)
    teacher = wallet.teacher_path(moved.config, "teacher-00007")
    original = teacher.read_text(encoding="utf-8")
    teacher.write_text(original.replace("display_name: ", "display_name: Dr. ", 1), encoding="utf-8")
    real = pages._render_tasks

    def render_some_then_stop(renderer, tasks, public_ids):
        real(renderer, tasks[: len(tasks) // 2 + 1], public_ids)
        raise SiteError("interrupted")

    monkeypatch.setattr(pages, "_render_tasks", render_some_then_stop)
    with pytest.raises(SiteError, match="interrupted"):
        render(moved, site, workers=1)
    monkeypatch.setattr(pages, "_render_tasks", real)
    teacher.write_text(original, encoding="utf-8")  # back to the inputs of the first build
    assert render(moved, site, workers=1).rendered > 0
    assert tree(site) == before
