"""Build-time verification with cached verdicts: a verdict is reused only while everything it rests on is unchanged."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from badge_factory import ISSUED, NOW, OTHER_SEED, make_credential
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from credfolio import proof, verdicts, verify
from credfolio.keys import IssuerKey


@pytest.fixture
def canonicalizations(monkeypatch):
    """Counts RDFC canonicalizations made by the verifier (of badges and status lists alike)."""
    calls = {"count": 0}
    original = proof.canonicalize

    def counting(document, **options):
        calls["count"] += 1
        return original(document, **options)

    monkeypatch.setattr(proof, "canonicalize", counting)
    monkeypatch.setattr(verify, "canonicalize", counting)
    return calls


def _publish(site, document, name: str = "badge") -> Path:
    return site.write_json(f"badges/{name}.json", document)


def _verify(site, paths: list[Path], tmp_path: Path, *, now=NOW, stats=None, **options):
    return verdicts.verify_badges([(path.name, path) for path in paths], site_dir=site.dir, site_url=site.url, now=now,
                                  cache_file=tmp_path / "cache" / "verdicts.json", stats=stats, workers=1, **options)


def _states(results) -> list[str]:
    return [result.state for result in results]


def test_an_unchanged_badge_is_not_canonicalized_again(site, signed_credential, tmp_path, canonicalizations):
    badge = _publish(site, signed_credential)
    first, second = verdicts.CacheStats(), verdicts.CacheStats()
    assert _states(_verify(site, [badge], tmp_path, stats=first)) == ["verified"]
    assert (first.hits, first.misses) == (0, 1) and canonicalizations["count"] > 0
    canonicalizations["count"] = 0
    results = _verify(site, [badge], tmp_path, stats=second)
    assert _states(results) == ["verified"] and results[0].cached
    assert (second.hits, second.misses) == (1, 0)
    assert canonicalizations["count"] == 0


def _change_badge(site, tmp_path):
    other = site.sign(make_credential(recipient_name="Someone Else"))
    _publish(site, other)


def _change_did_document(site, tmp_path):
    # the district key marked compromised before the badge was signed: the cached "verified" must not survive
    key = site.key
    site.keys = [IssuerKey(key.key_id, key.public_key, None, key.created, revoked=ISSUED - timedelta(days=1))]
    site.write_did_document()


def _add_an_unrelated_key(site, tmp_path):
    other = Ed25519PrivateKey.from_private_bytes(OTHER_SEED)
    site.keys = [site.key, IssuerKey("key-2", other.public_key(), None, ISSUED)]
    site.write_did_document()


def _revoke_in_status_list(site, tmp_path):
    site.write_status_list(set_bits=[94567])


def _flip_another_status_bit(site, tmp_path):
    site.write_status_list(set_bits=[12])


def _remove_status_list(site, tmp_path):
    (site.dir / "status" / "1.json").unlink()


@pytest.mark.parametrize("change, state", [
    (_change_badge, "verified"),
    (_change_did_document, "failed"),
    (_add_an_unrelated_key, "verified"),
    (_revoke_in_status_list, "revoked"),
    (_flip_another_status_bit, "verified"),
    (_remove_status_list, "unknown-status"),
], ids=[
    "re-verifies a badge whose bytes changed",
    "re-verifies when did.json marks the key compromised",
    "re-verifies when did.json changes in any way",
    "re-verifies when the status list revokes the badge",
    "re-verifies when any bit of the status list changes",
    "re-verifies when the status list is gone",
])
def test_a_cached_verdict_is_invalidated_when_its_inputs_change(site, signed_credential, tmp_path, canonicalizations, change, state):
    badge = _publish(site, signed_credential)
    assert _states(_verify(site, [badge], tmp_path)) == ["verified"]
    change(site, tmp_path)
    canonicalizations["count"] = 0
    stats = verdicts.CacheStats()
    results = _verify(site, [badge], tmp_path, stats=stats)
    assert _states(results) == [state] and not results[0].cached
    assert stats.misses == 1 and canonicalizations["count"] > 0


def test_a_cached_verdict_ends_when_the_badge_expires(site, make_credential, tmp_path):
    valid_until = NOW + timedelta(days=30)
    badge = _publish(site, site.sign(make_credential(valid_until=valid_until)))
    assert _states(_verify(site, [badge], tmp_path)) == ["verified"]
    assert _verify(site, [badge], tmp_path, now=NOW + timedelta(days=29))[0].cached
    results = _verify(site, [badge], tmp_path, now=valid_until)
    assert _states(results) == ["expired"] and not results[0].cached


def test_a_cached_verdict_does_not_apply_before_the_badge_is_valid(site, make_credential, tmp_path):
    badge = _publish(site, site.sign(make_credential()))
    assert _states(_verify(site, [badge], tmp_path)) == ["verified"]
    results = _verify(site, [badge], tmp_path, now=ISSUED - timedelta(days=1))
    assert _states(results) == ["failed"] and not results[0].cached


def test_failures_are_not_cached(site, signed_credential, tmp_path):
    signed_credential["credentialSubject"]["name"] = "Tampered"
    badge = _publish(site, signed_credential)
    for _ in range(2):
        results = _verify(site, [badge], tmp_path)
        assert _states(results) == ["failed"] and not results[0].cached and results[0].reason.startswith("proof: ")


@pytest.mark.parametrize("content", [
    b"\x00\xff not json",
    b'{"format": 1, "fingerprint": "x", "verdicts": []}',
    b"[]",
    b"",
], ids=["ignores a cache file of garbage bytes", "ignores a cache file of another verifier", "ignores a cache file that is not an object",
        "ignores an empty cache file"])
def test_a_damaged_cache_file_is_ignored_and_rebuilt(site, signed_credential, tmp_path, content):
    badge = _publish(site, signed_credential)
    cache = tmp_path / "cache" / "verdicts.json"
    cache.parent.mkdir(parents=True)
    cache.write_bytes(content)
    assert _states(_verify(site, [badge], tmp_path)) == ["verified"]
    assert json.loads(cache.read_text())["verdicts"]
    assert _verify(site, [badge], tmp_path)[0].cached


def test_damaged_entries_are_verified_afresh(site, signed_credential, tmp_path):
    badge = _publish(site, signed_credential)
    _verify(site, [badge], tmp_path)
    cache = tmp_path / "cache" / "verdicts.json"
    data = json.loads(cache.read_text())
    for entry in data["verdicts"].values():
        entry["until"] = "not a date"
    cache.write_text(json.dumps(data))
    results = _verify(site, [badge], tmp_path)
    assert _states(results) == ["verified"] and not results[0].cached


def test_a_new_verifier_starts_a_new_cache(site, signed_credential, tmp_path, monkeypatch):
    badge = _publish(site, signed_credential)
    _verify(site, [badge], tmp_path)
    monkeypatch.setattr(verdicts, "verifier_fingerprint", lambda: "another credfolio")
    assert not _verify(site, [badge], tmp_path)[0].cached


def test_the_cache_keeps_only_the_badges_of_this_build(site, make_credential, tmp_path):
    first = _publish(site, site.sign(make_credential(recipient_name="A")), "a")
    second = _publish(site, site.sign(make_credential(recipient_name="B")), "b")
    _verify(site, [first, second], tmp_path)
    _verify(site, [second], tmp_path)
    assert len(json.loads((tmp_path / "cache" / "verdicts.json").read_text())["verdicts"]) == 1


def test_parallel_verification_gives_the_serial_verdicts(site, make_credential, tmp_path):
    documents = [site.sign(make_credential(recipient_name=f"Teacher {n}")) for n in range(5)]
    documents[2]["credentialSubject"]["name"] = "Tampered"
    paths = [_publish(site, document, f"b{n}") for n, document in enumerate(documents)]
    arguments = {"site_dir": site.dir, "site_url": site.url, "now": NOW, "cache_file": None}
    serial = verdicts.verify_badges([(p.name, p) for p in paths], workers=1, **arguments)
    stats = verdicts.CacheStats()
    parallel = verdicts.verify_badges([(p.name, p) for p in paths], workers=2, parallel_threshold=0, stats=stats, **arguments)
    assert stats.workers == 2
    assert [(r.display, r.state, r.reason) for r in parallel] == [(r.display, r.state, r.reason) for r in serial]
    assert _states(serial) == ["verified", "verified", "failed", "verified", "verified"]
