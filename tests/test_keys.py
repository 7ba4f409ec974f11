"""Ed25519 Multikey, did:key, did:web, DID documents and the key store."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from proof_fixtures import NOW, fixed_key

from credfolio.errors import ConfigError, KeyStoreError, ResolutionError
from credfolio.keys import (
    MAX_DID_DOCUMENT_BYTES,
    IssuerKey,
    KeyStore,
    default_key_root,
    did_document,
    did_key_document,
    did_key_for,
    did_web_document_url,
    did_web_from_site_url,
    multikey_to_private_key,
    multikey_to_public_key,
    private_key_to_multikey,
    public_key_to_multikey,
)
from credfolio.multibase import b58decode, b58encode, decode_multibase, encode_multibase

# W3C vc-di-eddsa TestVectors/keyPair.json
W3C_PUBLIC = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
# split so the repository holds no key-shaped literal (credfolio check warns about tracked keys)
W3C_PRIVATE = "z3u2" "en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
W3C_PUBLIC_HEX = "b00d8d938e7f773d51565aad36a623f5344f7f5d1960f9cf3e8e12620ea2810f"
W3C_SEED_HEX = "c96ef9ea10c5e414c471723aff9de72c35fa5b70fae97e8832ecac7d2e2b8ed6"
# 1EdTech OB 3.0 Linked Data proof test vector
OB_PUBLIC = "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
OB_PUBLIC_HEX = "4bdeafde2ea8beefadd8c699b5c7e0704cf51154d52e17b20b71337ca04cc5a5"
DID = "did:web:riverbend-usd.github.io:micro-credentials"


# --- multibase and Multikey ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "text"),
    [(b"", ""), (b"\0", "1"), (b"\0\0\x01", "112"), (b"hello world", "StV1DL6CwTryKyV"), (b"\xff" * 4, "7YXq9G")],
    ids=["empty", "one-zero-byte", "leading-zeros", "ascii", "high-bytes"],
)
def test_base58btc_known_values(data, text):
    assert b58encode(data) == text
    assert b58decode(text) == data


def test_multibase_requires_the_z_prefix_and_the_alphabet():
    assert decode_multibase(encode_multibase(b"\x01\x02")) == b"\x01\x02"
    with pytest.raises(ValueError, match="start with 'z'"):
        decode_multibase("m" + b58encode(b"x"))
    with pytest.raises(ValueError, match="base58btc"):
        decode_multibase("z0OIl")


def test_w3c_vector_public_multikey_round_trips():
    public_key = multikey_to_public_key(W3C_PUBLIC)
    assert public_key.public_bytes_raw().hex() == W3C_PUBLIC_HEX
    assert public_key_to_multikey(public_key) == W3C_PUBLIC


def test_w3c_vector_private_multikey_round_trips_and_matches_its_public_key():
    private_key = multikey_to_private_key(W3C_PRIVATE)
    assert private_key.private_bytes_raw().hex() == W3C_SEED_HEX
    assert private_key_to_multikey(private_key) == W3C_PRIVATE
    assert public_key_to_multikey(private_key.public_key()) == W3C_PUBLIC


def test_ob_vector_public_key_encodes_as_published():
    public_key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(OB_PUBLIC_HEX))
    assert public_key_to_multikey(public_key) == OB_PUBLIC


def test_generated_keys_round_trip():
    private_key = Ed25519PrivateKey.generate()
    public = public_key_to_multikey(private_key.public_key())
    assert public.startswith("z6Mk")
    assert multikey_to_public_key(public).public_bytes_raw() == private_key.public_key().public_bytes_raw()
    assert multikey_to_private_key(private_key_to_multikey(private_key)).private_bytes_raw() == private_key.private_bytes_raw()


@pytest.mark.parametrize(
    ("decode", "text", "message"),
    [
        (multikey_to_public_key, W3C_PUBLIC[1:], "start with 'z'"),
        (multikey_to_public_key, "z" + "0" * 40, "base58btc"),
        (multikey_to_public_key, W3C_PRIVATE, "header is 0x8026, expected 0xed01"),
        (multikey_to_private_key, W3C_PUBLIC, "header is 0xed01, expected 0x8026"),
        (multikey_to_public_key, encode_multibase(b"\xed\x01" + b"\x01" * 31), "31 key bytes"),
        (multikey_to_public_key, encode_multibase(b"\xed\x01" + b"\x01" * 33), "33 key bytes"),
        (multikey_to_private_key, encode_multibase(b"\x80\x26" + b"\x01" * 64), "64 key bytes"),
        (multikey_to_public_key, encode_multibase(b"\x12\x00" + b"\x01" * 32), "header is 0x1200"),
        (multikey_to_public_key, "z", "header is 0x"),
    ],
    ids=[
        "rejects a public key without the z prefix",
        "rejects characters outside base58btc",
        "rejects a private key where a public key is expected",
        "rejects a public key where a private key is expected",
        "rejects a short public key",
        "rejects a long public key",
        "rejects the old 64-byte seed-and-public private key form",
        "rejects a non-Ed25519 multicodec",
        "rejects an empty multikey",
    ],
)
def test_multikey_errors(decode, text, message):
    with pytest.raises(KeyStoreError, match=message):
        decode(text)


# --- did:key ---------------------------------------------------------------------------------------


def test_did_key_for_and_its_document():
    public_key = multikey_to_public_key(W3C_PUBLIC)
    did = did_key_for(public_key)
    assert did == f"did:key:{W3C_PUBLIC}"
    document = did_key_document(did)
    method_id = f"{did}#{W3C_PUBLIC}"
    assert document["id"] == did
    assert document["@context"] == ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"]
    assert document["verificationMethod"] == [
        {"id": method_id, "type": "Multikey", "controller": did, "publicKeyMultibase": W3C_PUBLIC}
    ]
    assert document["assertionMethod"] == [method_id]
    assert did_key_document(method_id) == document


@pytest.mark.parametrize(
    "did",
    [f"did:web:{W3C_PUBLIC}", "did:key:z6MkNOTAKEY", f"did:key:{W3C_PRIVATE}", f"did:key:{W3C_PUBLIC}#key-1"],
    ids=["other-method", "bad-base58", "private-key-inside", "foreign-fragment"],
)
def test_did_key_document_rejects(did):
    with pytest.raises(ResolutionError):
        did_key_document(did)


# --- did:web ---------------------------------------------------------------------------------------

DID_WEB_TABLE = [
    ("https://riverbend-usd.github.io/micro-credentials/", DID, "https://riverbend-usd.github.io/micro-credentials/did.json"),
    ("https://riverbend-usd.github.io/micro-credentials", DID, "https://riverbend-usd.github.io/micro-credentials/did.json"),
    ("https://example.github.io/a/b/", "did:web:example.github.io:a:b", "https://example.github.io/a/b/did.json"),
    ("https://w3c-ccg.github.io/", "did:web:w3c-ccg.github.io", "https://w3c-ccg.github.io/.well-known/did.json"),
    ("https://Badges.Example.ORG", "did:web:badges.example.org", "https://badges.example.org/.well-known/did.json"),
    ("https://localhost:8443/mc/", "did:web:localhost%3A8443:mc", "https://localhost:8443/mc/did.json"),
    ("https://example.org:443/mc/", "did:web:example.org:mc", "https://example.org/mc/did.json"),
]


@pytest.mark.parametrize(("site_url", "did", "document_url"), DID_WEB_TABLE, ids=[row[0] for row in DID_WEB_TABLE])
def test_did_web_mapping(site_url, did, document_url):
    assert did_web_from_site_url(site_url) == did
    assert did_web_document_url(did) == document_url


@pytest.mark.parametrize(
    ("site_url", "message"),
    [
        ("http://riverbend-usd.github.io/mc/", "https"),
        ("ftp://riverbend-usd.github.io/mc/", "https"),
        ("https://riverbend-usd.github.io/mc/?x=1", "query"),
        ("https://riverbend-usd.github.io/mc/#top", "fragment"),
        ("https://admin:secret@riverbend-usd.github.io/mc/", "user name or password"),
        ("https://riverbend-usd.github.io:99999/", "port"),
        ("https:///mc/", "host"),
        ("https://riverbend-usd.github.io/a b/", "path segment"),
        ("https://riverbend-usd.github.io/a:b/", "path segment"),
        ("https://riverbend-usd.github.io/a//b/", "path segment"),
        ("https://riverbend-usd.github.io/../", "path segment"),
        ("", "empty"),
    ],
    ids=[
        "http",
        "ftp",
        "query",
        "fragment",
        "userinfo",
        "bad-port",
        "no-host",
        "space-in-path",
        "colon-in-path",
        "empty-segment",
        "dot-dot",
        "empty",
    ],
)
def test_did_web_from_site_url_refuses(site_url, message):
    with pytest.raises(ConfigError, match=message):
        did_web_from_site_url(site_url)


@pytest.mark.parametrize(
    "did",
    ["did:key:z6Mk", "did:web:", "did:web:example.org#key-1", "did:web:exa mple.org", "did:web:example.org:..", "did:web:example.org/x"],
    ids=["other-method", "no-host", "fragment", "space", "dot-dot", "slash"],
)
def test_did_web_document_url_refuses(did):
    with pytest.raises(ResolutionError):
        did_web_document_url(did)


# --- DID document ----------------------------------------------------------------------------------


def _issuer_key(number: int, *, revoked: datetime | None = None) -> IssuerKey:
    private_key = Ed25519PrivateKey.from_private_bytes(bytes([number]) * 32)
    return IssuerKey(f"key-{number}", private_key.public_key(), None, NOW, revoked)


def test_did_document_shape():
    keys = [_issuer_key(1, revoked=datetime(2025, 7, 1, 8, 30, 15, 123456, tzinfo=UTC)), _issuer_key(2)]
    document = did_document(DID, keys)
    assert document == {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": DID,
        "verificationMethod": [
            {
                "id": f"{DID}#key-1",
                "type": "Multikey",
                "controller": DID,
                "publicKeyMultibase": keys[0].public_multikey,
                "revoked": "2025-07-01T08:30:15Z",
            },
            {"id": f"{DID}#key-2", "type": "Multikey", "controller": DID, "publicKeyMultibase": keys[1].public_multikey},
        ],
        "assertionMethod": [f"{DID}#key-1", f"{DID}#key-2"],
    }


def test_did_document_is_deterministic_and_orders_keys_numerically():
    keys = [_issuer_key(10), _issuer_key(2), _issuer_key(1)]
    first = did_document(DID, keys)
    assert json.dumps(first) == json.dumps(did_document(DID, list(reversed(keys))))
    assert first["assertionMethod"] == [f"{DID}#key-1", f"{DID}#key-2", f"{DID}#key-10"]


def test_did_document_is_refused_over_8_kib():
    keys = [_issuer_key(number) for number in range(1, 41)]
    with pytest.raises(KeyStoreError, match=str(MAX_DID_DOCUMENT_BYTES)):
        did_document(DID, keys)


def test_did_document_needs_a_key():
    with pytest.raises(KeyStoreError, match="no keys"):
        did_document(DID, [])


def test_issuer_key_helpers():
    key = IssuerKey("key-3", fixed_key().public_key(), None, NOW)
    assert key.verification_method(DID) == f"{DID}#key-3"
    assert key.public_multikey == public_key_to_multikey(fixed_key().public_key())


# --- key store -------------------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path):
    return KeyStore(tmp_path / "keys")


def _modes(root):
    return {path.relative_to(root).as_posix(): stat.S_IMODE(path.stat().st_mode) for path in root.rglob("*")}


def test_generate_creates_key_1_with_private_files(store, tmp_path):
    key = store.generate(DID, now=NOW)
    assert key.key_id == "key-1"
    assert key.private_key is not None
    assert key.created == NOW
    modes = _modes(tmp_path / "keys")
    assert modes, "nothing was written"
    for name, mode in modes.items():
        expected = 0o700 if (tmp_path / "keys" / name).is_dir() else 0o600
        assert mode == expected, f"{name} has mode {oct(mode)}"
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    assert not [name for name in modes if name.endswith(".tmp")], "temporary files were left behind"


def test_generate_refuses_when_keys_exist(store):
    store.generate(DID, now=NOW)
    with pytest.raises(KeyStoreError, match="already has keys"):
        store.generate(DID, now=NOW)


def test_rotate_adds_the_next_key_and_keeps_old_public_keys(store):
    first = store.generate(DID, now=NOW)
    second = store.rotate(DID, now=NOW + timedelta(days=1))
    assert second.key_id == "key-2"
    listed = store.list_keys(DID)
    assert [key.key_id for key in listed] == ["key-1", "key-2"]
    assert all(key.private_key is None for key in listed)
    assert listed[0].public_multikey == first.public_multikey
    assert store.signing_key(DID).key_id == "key-2"
    assert store.did_document(DID)["assertionMethod"] == [f"{DID}#key-1", f"{DID}#key-2"]


def test_rotate_without_keys_is_refused(store):
    with pytest.raises(KeyStoreError, match="generate one first"):
        store.rotate(DID, now=NOW)


def test_signing_key_signs_with_the_listed_public_key(store):
    store.generate(DID, now=NOW)
    key = store.signing_key(DID)
    signature = key.private_key.sign(b"message")
    store.list_keys(DID)[0].public_key.verify(signature, b"message")


def test_passphrase_protects_the_secret(store, tmp_path):
    store.generate(DID, now=NOW, passphrase="correct horse battery staple")
    secret = next((tmp_path / "keys").rglob("key-1.secret.pem")).read_bytes()
    assert b"ENCRYPTED PRIVATE KEY" in secret
    assert store.list_keys(DID)[0].key_id == "key-1"  # listing needs no passphrase
    assert store.signing_key(DID, passphrase="correct horse battery staple").private_key is not None


def test_wrong_passphrase_is_a_clear_error(store):
    store.generate(DID, now=NOW, passphrase="right")
    with pytest.raises(KeyStoreError, match="wrong passphrase"):
        store.signing_key(DID, passphrase="wrong")


def test_missing_passphrase_is_a_clear_error(store):
    store.generate(DID, now=NOW, passphrase="right")
    with pytest.raises(KeyStoreError, match="protected by a passphrase"):
        store.signing_key(DID)


def test_a_passphrase_for_an_unprotected_key_is_ignored(store):
    store.generate(DID, now=NOW)
    assert store.signing_key(DID, passphrase="not needed").private_key is not None


def test_mark_compromised_revokes_the_key_in_the_did_document(store):
    store.generate(DID, now=NOW)
    store.rotate(DID, now=NOW)
    at = datetime(2025, 6, 3, 9, 0, 0, 500, tzinfo=UTC)
    store.mark_compromised(DID, "key-2", at=at)
    methods = store.did_document(DID)["verificationMethod"]
    assert methods[1]["revoked"] == "2025-06-03T09:00:00Z"
    assert "revoked" not in methods[0]
    assert store.signing_key(DID).key_id == "key-1"
    with pytest.raises(KeyStoreError, match="already marked compromised"):
        store.mark_compromised(DID, "key-2", at=at)


def test_no_signing_key_when_every_key_is_compromised(store):
    store.generate(DID, now=NOW)
    store.mark_compromised(DID, "key-1", at=NOW)
    with pytest.raises(KeyStoreError, match="rotate"):
        store.signing_key(DID)


def test_mark_compromised_names_the_known_keys(store):
    store.generate(DID, now=NOW)
    with pytest.raises(KeyStoreError, match="keys: key-1"):
        store.mark_compromised(DID, "key-9", at=NOW)


def test_dids_get_separate_folders(store):
    store.generate(DID, now=NOW)
    store.generate("did:web:other.example", now=NOW)
    assert store.list_keys(DID)[0].public_multikey != store.list_keys("did:web:other.example")[0].public_multikey


def test_unknown_did_is_a_clear_error(store):
    with pytest.raises(KeyStoreError, match="generate one first"):
        store.list_keys(DID)


def test_naive_now_is_refused(store):
    with pytest.raises(KeyStoreError, match="timezone-aware"):
        store.generate(DID, now=datetime(2025, 6, 1))


def test_group_readable_secret_is_refused(store, tmp_path):
    store.generate(DID, now=NOW)
    secret = next((tmp_path / "keys").rglob("key-1.secret.pem"))
    os.chmod(secret, 0o644)
    with pytest.raises(KeyStoreError, match="chmod 600"):
        store.signing_key(DID)


def test_swapped_secret_file_is_detected(store, tmp_path):
    store.generate(DID, now=NOW)
    store.rotate(DID, now=NOW)
    folder = next((tmp_path / "keys").iterdir())
    (folder / "key-2.secret.pem").write_bytes((folder / "key-1.secret.pem").read_bytes())
    with pytest.raises(KeyStoreError, match="does not match the public key"):
        store.signing_key(DID)


def test_corrupt_metadata_names_the_file(store, tmp_path):
    store.generate(DID, now=NOW)
    metadata = next((tmp_path / "keys").rglob("keys.json"))
    metadata.write_text("{not json")
    with pytest.raises(KeyStoreError, match="keys.json"):
        store.list_keys(DID)


def test_refuses_a_root_inside_a_git_work_tree(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path / "district")], check=True)
    with pytest.raises(KeyStoreError, match="git work tree"):
        KeyStore(tmp_path / "district" / "private" / "keys")


def test_refuses_a_root_inside_a_forbidden_folder(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    with pytest.raises(KeyStoreError, match="never be in the repository or the site"):
        KeyStore(site / "keys", forbidden_roots=[site])
    with pytest.raises(KeyStoreError):
        KeyStore(site, forbidden_roots=[site])
    KeyStore(tmp_path / "elsewhere", forbidden_roots=[site])


def test_refuses_a_symlink_into_a_git_work_tree(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path / "repo")], check=True)
    (tmp_path / "link").symlink_to(tmp_path / "repo")
    with pytest.raises(KeyStoreError, match="git work tree"):
        KeyStore(tmp_path / "link" / "keys")


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"CREDFOLIO_KEY_DIR": "/srv/keys", "XDG_CONFIG_HOME": "/xdg"}, "/srv/keys"),
        ({"XDG_CONFIG_HOME": "/xdg"}, "/xdg/credfolio/keys"),
        ({"HOME": "/home/admin"}, "/home/admin/.config/credfolio/keys"),
    ],
    ids=["explicit-key-dir", "xdg-config-home", "home-fallback"],
)
def test_default_key_root(monkeypatch, environment, expected):
    for name in ("CREDFOLIO_KEY_DIR", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert default_key_root().as_posix() == expected
