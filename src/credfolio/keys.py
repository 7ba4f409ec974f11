"""Ed25519 issuer keys: Multikey encoding, did:key, did:web and the district's DID document, and a key store.

Private keys never live in the repository or the built site: :class:`KeyStore` keeps them under
``$CREDFOLIO_KEY_DIR`` (else ``$XDG_CONFIG_HOME/credfolio/keys``, else ``~/.config/credfolio/keys``),
one folder per issuer DID, and refuses any folder inside a git work tree or inside a folder the
caller forbids (the district repository, the site output).

Rotation follows Controlled Identifiers 1.0: a new key ``key-N+1`` signs from now on, old public keys
stay in ``did.json`` so badges signed earlier keep verifying; a key is marked ``revoked`` only when it
is compromised.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import stat
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from credfolio import fsutil
from credfolio.contexts import DID_V1, MULTIKEY_V1
from credfolio.errors import ConfigError, KeyStoreError, ResolutionError
from credfolio.multibase import decode_multibase, encode_multibase

# Multicodec varint headers (multicodec table: ed25519-pub 0xed, ed25519-priv 0x1300).
ED25519_PUBLIC_HEADER = b"\xed\x01"
ED25519_PRIVATE_HEADER = b"\x80\x26"
_KEY_BYTES = 32

#: DID documents are fetched with an 8 KiB cap by the DCC did:web driver; stay under it.
MAX_DID_DOCUMENT_BYTES = 8192

_KEY_ID = re.compile(r"^key-([1-9][0-9]{0,5})$")
_DID = re.compile(r"^did:[a-z0-9]+:[A-Za-z0-9._%:-]+$")
_DID_PATH_SEGMENT = re.compile(r"^[A-Za-z0-9._-]+$")
_HOST = re.compile(r"^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")
METADATA_FILE = "keys.json"
METADATA_FORMAT = 1


# --- Multikey ----------------------------------------------------------------------------------


def public_key_to_multikey(public_key: Ed25519PublicKey) -> str:
    """``publicKeyMultibase`` of an Ed25519 public key: ``z`` + base58btc(0xed01 ‖ 32 bytes), always ``z6Mk…``."""
    return encode_multibase(ED25519_PUBLIC_HEADER + public_key.public_bytes_raw())


def multikey_to_public_key(multikey: str) -> Ed25519PublicKey:
    """Decode an Ed25519 ``publicKeyMultibase``; :class:`KeyStoreError` on a bad prefix, header or length."""
    try:
        return Ed25519PublicKey.from_public_bytes(_decode_multikey(multikey, ED25519_PUBLIC_HEADER, "public"))
    except ValueError as error:
        raise KeyStoreError(f"not an Ed25519 public Multikey: {error}") from None


def private_key_to_multikey(private_key: Ed25519PrivateKey) -> str:
    """``secretKeyMultibase`` of an Ed25519 private key: ``z`` + base58btc(0x8026 ‖ 32-byte seed)."""
    return encode_multibase(ED25519_PRIVATE_HEADER + private_key.private_bytes_raw())


def multikey_to_private_key(multikey: str) -> Ed25519PrivateKey:
    """Decode an Ed25519 ``secretKeyMultibase``; :class:`KeyStoreError` on a bad prefix, header or length."""
    return Ed25519PrivateKey.from_private_bytes(_decode_multikey(multikey, ED25519_PRIVATE_HEADER, "private"))


def _decode_multikey(multikey: str, header: bytes, kind: str) -> bytes:
    try:
        raw = decode_multibase(multikey)
    except ValueError as error:
        raise KeyStoreError(f"not an Ed25519 {kind} Multikey: {error}") from None
    if raw[:2] != header:
        raise KeyStoreError(
            f"not an Ed25519 {kind} Multikey: multicodec header is 0x{raw[:2].hex()}, expected 0x{header.hex()}"
        )
    if len(raw) != len(header) + _KEY_BYTES:
        raise KeyStoreError(
            f"not an Ed25519 {kind} Multikey: {len(raw) - len(header)} key bytes after the header, expected {_KEY_BYTES}"
        )
    return raw[len(header) :]


# --- did:key -------------------------------------------------------------------------------------


def did_key_for(public_key: Ed25519PublicKey) -> str:
    """The ``did:key`` of an Ed25519 public key (``did:key:z6Mk…``)."""
    return "did:key:" + public_key_to_multikey(public_key)


def did_key_document(did: str) -> dict[str, Any]:
    """The DID document a ``did:key`` expands to (Multikey form); :class:`ResolutionError` if it is not one.

    The verification method id is ``did:key:z…#z…`` and it is listed under every relationship, as
    the did:key method specifies.
    """
    fragment = None
    if "#" in did:
        did, fragment = did.split("#", 1)
    if not did.startswith("did:key:"):
        raise ResolutionError(f"not a did:key: {did}")
    multikey = did[len("did:key:") :]
    try:
        multikey_to_public_key(multikey)
    except KeyStoreError as error:
        raise ResolutionError(f"{did}: {error.message}") from None
    if fragment not in (None, multikey):
        raise ResolutionError(f"{did}#{fragment}: a did:key has only the verification method #{multikey}")
    method_id = f"{did}#{multikey}"
    return {
        "@context": [DID_V1, MULTIKEY_V1],
        "id": did,
        "verificationMethod": [
            {"id": method_id, "type": "Multikey", "controller": did, "publicKeyMultibase": multikey},
        ],
        "authentication": [method_id],
        "assertionMethod": [method_id],
        "capabilityDelegation": [method_id],
        "capabilityInvocation": [method_id],
    }


# --- did:web -------------------------------------------------------------------------------------


def did_web_from_site_url(url: str) -> str:
    """The ``did:web`` for a site published at ``url``.

    ``https://riverbend-usd.github.io/micro-credentials/`` → ``did:web:riverbend-usd.github.io:micro-credentials``;
    a port's colon is percent-encoded (``did:web:localhost%3A8443``). Only ``https`` URLs without
    credentials, query or fragment are accepted (:class:`ConfigError` otherwise), because did:web
    resolution always fetches ``https://…/did.json``.
    """
    if not isinstance(url, str) or not url.strip():
        raise ConfigError("site URL is empty; use the https address of the published site")
    parts = urlsplit(url.strip())
    if parts.scheme.lower() != "https":
        raise ConfigError(f"site URL must use https (did:web is always resolved over https): {url}")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ConfigError(f"site URL must not contain a user name or password: {url}")
    if parts.query or url.rstrip().endswith("?"):
        raise ConfigError(f"site URL must not have a query string: {url}")
    if parts.fragment or "#" in url:
        raise ConfigError(f"site URL must not have a fragment (#…): {url}")
    try:
        host, port = (parts.hostname or ""), parts.port
    except ValueError:
        raise ConfigError(f"site URL has an invalid port: {url}") from None
    if not _HOST.match(host):
        raise ConfigError(f"site URL needs a DNS host name (letters, digits, '-' and '.'): {url}")
    segments = [segment for segment in parts.path.split("/")]
    if segments and segments[0] == "":
        segments = segments[1:]
    if segments and segments[-1] == "":
        segments = segments[:-1]
    for segment in segments:
        if segment in ("", ".", "..") or not _DID_PATH_SEGMENT.match(segment):
            raise ConfigError(
                f"site URL path segment {segment!r} cannot be part of a did:web "
                f"(use letters, digits, '.', '-' and '_' only): {url}"
            )
    authority = host if port in (None, 443) else f"{host}%3A{port}"
    return ":".join(["did:web", authority, *segments])


def did_web_document_url(did: str) -> str:
    """Where a ``did:web`` DID document is published (did:web "Read" algorithm).

    ``did:web:host:a:b`` → ``https://host/a/b/did.json``; ``did:web:host`` → ``https://host/.well-known/did.json``.
    :class:`ResolutionError` if ``did`` is not a well-formed did:web.
    """
    if not isinstance(did, str) or not did.startswith("did:web:") or "#" in did or "?" in did or "/" in did:
        raise ResolutionError(f"not a did:web DID: {did}")
    authority, *segments = did[len("did:web:") :].split(":")
    host = unquote(authority)
    host_only, _, port = host.partition(":")
    if not _HOST.match(host_only) or (port and not port.isdigit()):
        raise ResolutionError(f"did:web has an invalid host: {did}")
    if any(not _DID_PATH_SEGMENT.match(segment) or segment in (".", "..") for segment in segments):
        raise ResolutionError(f"did:web has an invalid path segment: {did}")
    path = "/".join(segments) if segments else ".well-known"
    return f"https://{host}/{path}/did.json"


# --- issuer keys and the DID document ------------------------------------------------------------


@dataclass(frozen=True)
class IssuerKey:
    """One issuer key: ``key-N``, its public key, the private key when loaded for signing, and its dates."""

    key_id: str
    public_key: Ed25519PublicKey
    private_key: Ed25519PrivateKey | None
    created: datetime
    revoked: datetime | None = None

    @property
    def public_multikey(self) -> str:
        """``publicKeyMultibase`` (``z6Mk…``)."""
        return public_key_to_multikey(self.public_key)

    def verification_method(self, did: str) -> str:
        """Absolute verification method id, ``<did>#<key_id>``."""
        return f"{did}#{self.key_id}"


def did_document(did: str, keys: list[IssuerKey]) -> dict[str, Any]:
    """The issuer's ``did.json``: one Multikey verification method per key, all listed in ``assertionMethod``.

    Rotated-out keys stay, so badges they signed keep verifying. Keys marked compromised stay too,
    carrying ``revoked`` (Controlled Identifiers 1.0): a verifier that honours it refuses their
    proofs, one that does not at least still finds the key; dropping them would only hide the date.
    ``assertionMethod`` holds absolute id strings (the 1EdTech resolver requires strings). The
    output depends only on its inputs (sorted by key number) and is refused over 8 KiB.
    """
    if not keys:
        raise KeyStoreError(f"{did} has no keys; generate one first")
    ordered = sorted(keys, key=lambda key: _key_number(key.key_id))
    methods = []
    for key in ordered:
        method: dict[str, Any] = {
            "id": key.verification_method(did),
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": key.public_multikey,
        }
        if key.revoked is not None:
            method["revoked"] = format_datetime(key.revoked)
        methods.append(method)
    document = {
        "@context": [DID_V1, MULTIKEY_V1],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": [method["id"] for method in methods],
    }
    size = len(json.dumps(document, indent=2).encode("utf-8"))
    if size >= MAX_DID_DOCUMENT_BYTES:
        raise KeyStoreError(
            f"did.json for {did} would be {size} bytes; verifiers fetch at most {MAX_DID_DOCUMENT_BYTES} "
            "(too many keys — start a new DID or drop long-retired keys deliberately)"
        )
    return document


def format_datetime(moment: datetime) -> str:
    """XSD dateTime in UTC without fractional seconds, ``YYYY-MM-DDTHH:MM:SSZ``; naive datetimes are refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_datetime(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _key_number(key_id: str) -> int:
    match = _KEY_ID.match(key_id)
    if not match:
        raise KeyStoreError(f"invalid key id {key_id!r} (expected key-1, key-2, …)")
    return int(match.group(1))


# --- key store -----------------------------------------------------------------------------------


def default_key_root() -> Path:
    """``$CREDFOLIO_KEY_DIR``, else ``$XDG_CONFIG_HOME/credfolio/keys``, else ``~/.config/credfolio/keys``."""
    explicit = os.environ.get("CREDFOLIO_KEY_DIR")
    if explicit:
        return Path(explicit).expanduser()
    config_home = os.environ.get("XDG_CONFIG_HOME")
    base = Path(config_home).expanduser() if config_home else Path.home() / ".config"
    return base / "credfolio" / "keys"


class KeyStore:
    """Issuer keys on the administrator's machine, one folder per issuer DID.

    Layout: ``<root>/<DID, percent-encoded>/keys.json`` (public metadata) and ``key-N.secret.pem``
    (PKCS#8, encrypted when a passphrase was given). Folders are 0700, files 0600, every write is
    atomic (temporary file + ``os.replace``) and mutations hold an exclusive lock. The root may not
    be inside a git work tree or inside any of ``forbidden_roots``.
    """

    def __init__(self, root: Path | None = None, *, forbidden_roots: Iterable[Path] = ()) -> None:
        self.root = Path(root).expanduser() if root is not None else default_key_root()
        resolved = _resolve_existing_prefix(self.root)
        for forbidden in forbidden_roots:
            forbidden_resolved = _resolve_existing_prefix(Path(forbidden).expanduser())
            if resolved == forbidden_resolved or forbidden_resolved in resolved.parents:
                raise KeyStoreError(
                    f"key folder {self.root} is inside {forbidden}; private keys must never be in the "
                    "repository or the site — set CREDFOLIO_KEY_DIR to a folder outside it"
                )
        work_tree = _enclosing_git_work_tree(resolved)
        if work_tree is not None:
            raise KeyStoreError(
                f"key folder {self.root} is inside the git work tree {work_tree}; private keys must never be "
                "committed — set CREDFOLIO_KEY_DIR to a folder outside any repository"
            )

    # public API

    def generate(self, did: str, *, now: datetime, passphrase: str | bytes | None = None) -> IssuerKey:
        """Create the first key (``key-1``) for ``did``; :class:`KeyStoreError` if the DID already has keys."""
        with self._locked(did, create=True) as folder:
            if self._read_metadata(did, folder, missing_ok=True):
                raise KeyStoreError(f"{did} already has keys in {folder}; use rotate to add a new one")
            return self._add_key(did, folder, [], "key-1", now, passphrase)

    def rotate(self, did: str, *, now: datetime, passphrase: str | bytes | None = None) -> IssuerKey:
        """Add ``key-N+1`` and make it the signing key; older public keys stay in the DID document."""
        with self._locked(did, create=False) as folder:
            entries = self._read_metadata(did, folder, missing_ok=False)
            next_id = f"key-{max(_key_number(entry['id']) for entry in entries) + 1}"
            return self._add_key(did, folder, entries, next_id, now, passphrase)

    def list_keys(self, did: str) -> list[IssuerKey]:
        """Every key of ``did``, oldest first, public parts only (no passphrase needed)."""
        folder = self._folder(did)
        if not folder.is_dir():
            raise KeyStoreError(f"no keys for {did} in {self.root}; generate one first")
        keys = [self._public_key_of(did, folder, entry) for entry in self._read_metadata(did, folder, missing_ok=False)]
        return sorted(keys, key=lambda key: _key_number(key.key_id))

    def signing_key(self, did: str, *, passphrase: str | bytes | None = None) -> IssuerKey:
        """The newest key not marked compromised, with its private key loaded.

        A passphrase is required for a key generated with one (wrong or missing: :class:`KeyStoreError`)
        and ignored for a key generated without.
        """
        keys = [key for key in self.list_keys(did) if key.revoked is None]
        if not keys:
            raise KeyStoreError(f"every key of {did} is marked compromised; rotate to create a new key")
        newest = keys[-1]
        folder = self._folder(did)
        private_key = _load_private_key(folder / _secret_name(newest.key_id), passphrase)
        if public_key_to_multikey(private_key.public_key()) != newest.public_multikey:
            raise KeyStoreError(
                f"{folder / _secret_name(newest.key_id)} does not match the public key recorded in "
                f"{folder / METADATA_FILE}; the key folder has been tampered with"
            )
        return replace(newest, private_key=private_key)

    def mark_compromised(self, did: str, key_id: str, *, at: datetime) -> IssuerKey:
        """Record that ``key_id`` is compromised since ``at``; it gets CID ``revoked`` and never signs again."""
        revoked = format_datetime(_aware(at, "at"))
        with self._locked(did, create=False) as folder:
            entries = self._read_metadata(did, folder, missing_ok=False)
            entry = next((entry for entry in entries if entry["id"] == key_id), None)
            if entry is None:
                known = ", ".join(entry["id"] for entry in entries)
                raise KeyStoreError(f"{did} has no key {key_id!r} (keys: {known})")
            if entry.get("revoked"):
                raise KeyStoreError(f"{did}#{key_id} is already marked compromised since {entry['revoked']}")
            entry["revoked"] = revoked
            self._write_metadata(did, folder, entries)
            return self._public_key_of(did, folder, entry)

    def did_document(self, did: str) -> dict[str, Any]:
        """The ``did.json`` for ``did`` built from every stored key (see :func:`did_document`)."""
        return did_document(did, self.list_keys(did))

    # helpers

    def _folder(self, did: str) -> Path:
        if not isinstance(did, str) or not _DID.match(did):
            raise KeyStoreError(f"not a DID: {did!r}")
        return self.root / quote(did, safe="-._")

    @contextlib.contextmanager
    def _locked(self, did: str, *, create: bool) -> Iterator[Path]:
        folder = self._folder(did)
        if create:
            _make_private_dirs(folder)
        elif not folder.is_dir():
            raise KeyStoreError(f"no keys for {did} in {self.root}; generate one first")
        lock_path = folder / ".lock"
        descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield folder
        finally:
            os.close(descriptor)

    def _add_key(
        self, did: str, folder: Path, entries: list[dict[str, Any]], key_id: str, now: datetime, passphrase: str | bytes | None
    ) -> IssuerKey:
        created = format_datetime(_aware(now, "now"))
        private_key = Ed25519PrivateKey.generate()
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(_passphrase_bytes(passphrase))
            if passphrase
            else serialization.NoEncryption()
        )
        pem = private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
        # Secret first: a crash before the metadata write leaves an unused file, never a listed key without one.
        _write_private_file(folder / _secret_name(key_id), pem)
        entry = {
            "id": key_id,
            "publicKeyMultibase": public_key_to_multikey(private_key.public_key()),
            "created": created,
            "encrypted": bool(passphrase),
        }
        self._write_metadata(did, folder, [*entries, entry])
        return IssuerKey(key_id, private_key.public_key(), private_key, _parse_datetime(created))

    def _write_metadata(self, did: str, folder: Path, entries: list[dict[str, Any]]) -> None:
        document = {"format": METADATA_FORMAT, "did": did, "keys": entries}
        _write_private_file(folder / METADATA_FILE, (json.dumps(document, indent=2) + "\n").encode("utf-8"))

    def _read_metadata(self, did: str, folder: Path, *, missing_ok: bool) -> list[dict[str, Any]]:
        path = folder / METADATA_FILE
        if not path.exists():
            if missing_ok:
                return []
            raise KeyStoreError(f"no keys for {did} in {self.root}; generate one first")
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise KeyStoreError(f"{path}: cannot read key metadata: {error}") from None
        if not isinstance(document, dict) or document.get("format") != METADATA_FORMAT:
            raise KeyStoreError(f"{path}: not a credfolio key metadata file (format {METADATA_FORMAT})")
        if document.get("did") != did:
            raise KeyStoreError(f"{path}: holds keys of {document.get('did')!r}, not {did}")
        entries = document.get("keys")
        if not isinstance(entries, list) or not entries:
            raise KeyStoreError(f"{path}: keys: must be a non-empty list")
        for number, entry in enumerate(entries):
            where = f"{path}: keys[{number}]"
            if not isinstance(entry, dict):
                raise KeyStoreError(f"{where}: must be an object")
            for field in ("id", "publicKeyMultibase", "created"):
                if not isinstance(entry.get(field), str):
                    raise KeyStoreError(f"{where}.{field}: missing or not text")
        return entries

    def _public_key_of(self, did: str, folder: Path, entry: dict[str, Any]) -> IssuerKey:
        where = f"{folder / METADATA_FILE}: {entry['id']}"
        _key_number(entry["id"])
        try:
            public_key = multikey_to_public_key(entry["publicKeyMultibase"])
            created = _parse_datetime(entry["created"])
            revoked = _parse_datetime(entry["revoked"]) if entry.get("revoked") else None
        except (KeyStoreError, ValueError) as error:
            raise KeyStoreError(f"{where}: {error}") from None
        return IssuerKey(entry["id"], public_key, None, created, revoked)


def _secret_name(key_id: str) -> str:
    return f"{key_id}.secret.pem"


def _aware(moment: datetime, name: str) -> datetime:
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise KeyStoreError(f"{name} must be a timezone-aware datetime")
    return moment


def _passphrase_bytes(passphrase: str | bytes) -> bytes:
    return passphrase.encode("utf-8") if isinstance(passphrase, str) else bytes(passphrase)


def _load_private_key(path: Path, passphrase: str | bytes | None) -> Ed25519PrivateKey:
    try:
        mode = path.stat().st_mode
        pem = path.read_bytes()
    except FileNotFoundError:
        raise KeyStoreError(f"{path}: private key file is missing") from None
    except OSError as error:
        raise KeyStoreError(f"{path}: cannot read private key: {error.strerror}") from None
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyStoreError(f"{path}: private key is readable by other users; run: chmod 600 {path}")
    encrypted = b"ENCRYPTED PRIVATE KEY" in pem
    if encrypted and not passphrase:
        raise KeyStoreError(f"{path}: private key is protected by a passphrase; give the passphrase")
    try:
        key = serialization.load_pem_private_key(pem, password=_passphrase_bytes(passphrase) if encrypted else None)
    except ValueError:
        if encrypted:
            raise KeyStoreError(f"{path}: wrong passphrase for this private key") from None
        raise KeyStoreError(f"{path}: not a readable PKCS#8 private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyStoreError(f"{path}: not an Ed25519 private key")
    return key


def _make_private_dirs(folder: Path) -> None:
    # Folders we create are 0700; an existing root is left alone (it may be a shared folder), but the
    # per-DID folder that holds the secrets is always made private.
    missing = [path for path in (folder, *folder.parents) if not path.exists()]
    for path in reversed(missing):
        path.mkdir(mode=0o700)
    if os.name == "posix" and stat.S_IMODE(folder.stat().st_mode) != 0o700:
        os.chmod(folder, 0o700)


def _write_private_file(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` atomically with mode 0600 (never readable by others, even briefly)."""
    fsutil.atomic_write_bytes(path, content, private=True)



def _resolve_existing_prefix(path: Path) -> Path:
    """``path`` made absolute with symlinks resolved as far as it exists (the rest may be created later)."""
    return Path(os.path.realpath(path.absolute()))


def _enclosing_git_work_tree(path: Path) -> Path | None:
    for candidate in (path, *path.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


# --- finding private keys where they must not be -------------------------------------------------------

#: PEM private keys, and candidates for Multikey-encoded Ed25519 secrets (multicodec 0x8026 encodes as
#: "z3u2…"). A candidate is key material only if it decodes to that header and a 32-byte seed: about one
#: signature (proofValue) in 200,000 also starts with "z3u2", and a genuine badge must not stop the build.
_PEM_PRIVATE_KEY = re.compile(rb"-----BEGIN (?:ENCRYPTED |EC |OPENSSH |RSA )?PRIVATE KEY-----")
#: A 34-byte key is 48 base58 characters with its "z"; the bound keeps a long base58 run (a signature,
#: or a hostile megabyte of it) from being decoded at all.
_SECRET_MULTIKEY_CANDIDATE = re.compile(rb"(?<![1-9A-HJ-NP-Za-km-z])z3u2[1-9A-HJ-NP-Za-km-z]{40,50}(?![1-9A-HJ-NP-Za-km-z])")
#: File names the key store and common tools give private keys.
_KEY_FILE_SUFFIXES = (".secret", ".pem", ".key")


def holds_private_key_material(data: bytes) -> bool:
    """True if ``data`` contains a PEM private key or an Ed25519 ``secretKeyMultibase``."""
    # Substring tests first: the regular expressions would otherwise run over every byte of a large site.
    if b"PRIVATE KEY-----" in data and _PEM_PRIVATE_KEY.search(data):
        return True
    if b"z3u2" not in data:
        return False
    return any(_is_secret_multikey(match.group().decode("ascii")) for match in _SECRET_MULTIKEY_CANDIDATE.finditer(data))


def _is_secret_multikey(text: str) -> bool:
    try:
        raw = decode_multibase(text)
    except Exception:  # noqa: BLE001 - not decodable means not a key
        return False
    return len(raw) == len(ED25519_PRIVATE_HEADER) + 32 and raw.startswith(ED25519_PRIVATE_HEADER)


def tracked_key_files(repository: Path | str) -> list[str]:
    """Files git tracks under ``repository`` that are, or hold, private keys (paths relative to it).

    A key file name (``*.secret``, ``*.pem``, ``*.key``) counts only if the file holds key material
    (a ``.pem`` certificate is public). Returns ``[]`` when ``repository`` is not in a git work tree
    or git is not installed: there is then nothing git could push.
    """
    git = shutil.which("git")
    root = Path(repository)
    if git is None:
        return []
    # Content search through git itself: it reads only tracked files and skips binary ones quickly.
    found = _git_lines(git, root, "grep", "-l", "-z", "-I", "--fixed-strings", "-e", "PRIVATE KEY-----", "-e", "z3u2", "--", ".")
    named = [path for path in _git_lines(git, root, "ls-files", "-z", "--", ".") if path.endswith(_KEY_FILE_SUFFIXES)]
    keys = []
    for relative in sorted(set(found) | set(named)):
        try:
            data = (root / relative).read_bytes()
        except OSError:
            continue  # deleted from the work tree but still tracked: git diff shows it, the next commit removes it
        if holds_private_key_material(data):
            keys.append(relative)
    return keys


def _git_lines(git: str, root: Path, *arguments: str) -> list[str]:
    try:
        done = subprocess.run([git, "-C", str(root), *arguments], capture_output=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return []
    if done.returncode not in (0, 1):  # 1: git grep found nothing; anything else: not a repository
        return []
    return [item for item in done.stdout.decode("utf-8", "surrogateescape").split("\0") if item]
