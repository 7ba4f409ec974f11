"""A synthetic district for benchmarks and load tests: catalog, teachers and signed badges at any scale.

:func:`synthesize_district` writes a complete district repository into an empty folder:

``mkdocs.yml``, ``docs/index.md``, ``hooks/credfolio.py``, ``overrides/main.html``
    the site configuration, a home page, and the thin MkDocs hooks and theme override of the
    ``credfolio init`` scaffold;
``catalog/<id>.yml`` and ``catalog/stacks.yml``
    ``credentials`` micro-credentials built from a list of real classroom practices (with rubrics,
    submission parts, alignments; some expire) and stacks of three to five of them, some with a capstone;
``wallet/teachers/<slug>.yml``
    the teachers who opted in to a public wallet (about nine in ten), with names from many languages
    (Zoë, Nguyễn Thị Lan, Søren, O'Brien, Ana-María …) and random consent choices;
``wallet/badges/``, ``wallet/ledger.jsonl``, ``wallet/status/``, ``wallet/did.json``
    ``badges`` credential badges (each a distinct teacher and credential, award dates over the last
    four years) plus the stack badges they complete, written as a bulk-issue CSV (:func:`award_rows`) and
    issued with :func:`credfolio.issuance.issue_csv` — the code behind ``credfolio issue --csv``, which
    signs in bulk on every CPU — then about 2 % revoked and 0.5 % suspended, and the status lists signed.

The signing key is a throwaway: it is generated in a temporary key store outside the target folder and
deleted with the private folder (recipients' e-mail addresses, the badges of teachers who did not opt
in) when the function returns, so nothing private is ever written into the district. Its public half
stays in ``wallet/did.json``, which is all verifiers and the site build need.

Everything except the key comes from ``random.Random(seed)`` and the fixed clock ``as_of``: two runs
with the same arguments produce the same files, apart from ``did.json`` and the proof values.
"""

from __future__ import annotations

import hashlib
import math
import random
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from credfolio.errors import SynthError

#: The moment a synthetic district is "as of": every award, revocation and signature happens before it.
AS_OF = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)
#: Awards are spread over this many days before ``as_of``.
AWARD_SPAN_DAYS = 4 * 365
SITE_URL = "https://synthetic-district.example/micro-credentials/"
EMAIL_DOMAIN = "synthetic-district.example"
HOOK_FILE = "hooks/credfolio.py"
#: Files taken as they are from the `credfolio init` scaffold: the thin hooks and the theme override.
SCAFFOLD_PARTS = ("hooks/", "overrides/")

#: Share of teachers with a public wallet; the others' badges are private (and discarded with the key).
OPT_IN_SHARE = 0.9
REVOKED_SHARE = 0.02
SUSPENDED_SHARE = 0.005
#: Share of badges given an explicit end date that has already passed by ``as_of``.
EXPIRED_SHARE = 0.03
MAX_TEACHERS = 1_000_000
MAX_BADGES = 1_000_000
MAX_CREDENTIALS = 2_000
#: Rows per bulk-issue CSV file.
CSV_CHUNK = 20_000

FIRST_NAMES = (
    "Zoë", "Søren", "Ana-María", "Siobhán", "José", "Łukasz", "Chloé", "Aoife", "Dmitri", "Ngozi", "Maël", "Hana",
    "Priya", "Mateo", "Amara", "Yuki", "Fatima", "Oluwaseun", "Björn", "Inés", "Kwame", "Mei", "Rafael", "Sofía",
    "Thandiwe", "Émile", "Leilani", "Tomás", "Aylin", "Jürgen", "Marcus", "Grace", "Darnell", "Aisha", "Jamal",
    "Keiko", "Lars", "Renée", "Catalina", "Mohammed", "Anh", "Ioana", "Seo-yeon", "Nikolai", "Françoise", "Tariq",
    "Beatriz", "Liam", "Olivia", "Noah", "Emma",
)
LAST_NAMES = (
    "O'Brien", "Müller", "García", "Nakamura", "Okonkwo", "D'Angelo", "Ó Briain", "Kowalczyk", "Åberg", "Hernández",
    "Smith", "Johnson", "Washington", "Dubois", "Rossi", "Novák", "Haddad", "Kim", "Patel", "Chen", "Lefèvre",
    "Çelik", "Žukauskas", "van der Berg", "MacLeod", "St. John", "Mensah", "Papadopoulos", "Ivanova", "Jørgensen",
    "Fernández-López", "Yılmaz", "Nowak", "Abernathy", "Whitfield", "Raghunathan", "Bello", "Ramírez", "Thompson",
    "Nguyen", "Takahashi", "Kuznetsov", "Moreau", "Eriksson", "Al-Sayed", "Oyelaran", "Castillo", "Brennan",
)
#: Vietnamese names put the family name first; a few teachers carry one whole.
WHOLE_NAMES = ("Nguyễn Thị Lan", "Trần Văn Minh", "Lê Thị Hồng", "Phạm Quốc Bảo")
SCHOOLS = (
    "Lincoln Elementary School", "Cedar Valley Middle School", "Riverside High School", "Oak Park Elementary School",
    "Escuela Dual Bilingüe Las Palmas", "Harbor View K-8", "Northgate Academy", "Washington Carver High School",
)
ROLES = ("Grade 2 teacher", "Grade 4 teacher", "Mathematics teacher", "Science teacher", "English teacher",
         "Spanish and ELD teacher", "Instructional coach", "Special education teacher", "Librarian")

#: (title, competency verb phrase, key method, subject, grade bands) of real, well-studied classroom practices.
PRACTICES = (
    ("Wait Time", "uses wait time after questions so that more students think and respond",
     "pauses three to five seconds after posing a question and again after a student answers", "All subjects", ["PK-2", "3-5", "6-8", "9-12"]),
    ("Talk Moves", "orchestrates whole-class discussion with a repertoire of talk moves",
     "uses revoicing, say-more, press-for-reasoning and add-on moves during planned discussions", "All subjects", ["3-5", "6-8", "9-12"]),
    ("Hinge Questions", "checks understanding at the hinge point of a lesson with a diagnostic question",
     "poses a multiple-choice question whose wrong answers reveal misconceptions and adjusts the lesson on the spot", "Mathematics", ["3-5", "6-8"]),
    ("Exit Tickets", "uses exit tickets to plan the next lesson from evidence",
     "ends lessons with a short task tied to the learning intention and sorts responses to group students", "All subjects", ["3-5", "6-8", "9-12"]),
    ("Number Talks", "leads short daily number talks that build mental computation",
     "poses a computation, collects strategies and records them so students compare reasoning", "Mathematics", ["PK-2", "3-5"]),
    ("Socratic Seminar", "prepares students to lead a text-based Socratic seminar",
     "assigns a rich text, teaches questioning stems and coaches an inner and outer circle", "English Language Arts", ["6-8", "9-12"]),
    ("Feedback That Moves Learning Forward", "gives feedback that students act on",
     "writes task-focused comments tied to success criteria and gives lesson time to respond", "All subjects", ["3-5", "6-8", "9-12"]),
    ("Learning Intentions and Success Criteria", "shares and co-constructs learning intentions and success criteria",
     "states what is learned and how success looks, and revisits both during the lesson", "All subjects", ["PK-2", "3-5", "6-8", "9-12"]),
    ("Station Rotation", "runs a station rotation that personalises practice",
     "groups students by evidence and rotates them through teacher-led, collaborative and online stations", "All subjects", ["3-5", "6-8"]),
    ("Universal Design for Learning", "designs accessible materials with Universal Design for Learning",
     "offers multiple means of representation, action and engagement and checks materials for accessibility", "All subjects", ["PK-2", "3-5", "6-8", "9-12"]),
    ("Academic Language for English Learners", "gives English learners structured practice with academic language",
     "plans language objectives, sentence frames and structured pair talk for each content lesson", "English Language Development", ["3-5", "6-8", "9-12"]),
    ("Peer Coaching Cycles", "coaches a colleague through a cycle of goal, observation and feedback",
     "agrees a focus, observes with a data collection tool and debriefs with questions", "Professional practice", ["PK-2", "3-5", "6-8", "9-12"]),
    ("PLC Facilitation", "facilitates a professional learning community around student work",
     "uses protocols to look at student work, decide next steps and track their effect", "Professional practice", ["PK-2", "3-5", "6-8", "9-12"]),
    ("Retrieval Practice", "builds low-stakes retrieval practice into lessons",
     "starts lessons with short quizzes on earlier content and spaces them over weeks", "All subjects", ["3-5", "6-8", "9-12"]),
    ("Worked Examples", "uses worked examples and fading to teach problem solving",
     "pairs worked examples with similar problems and gradually removes steps", "Mathematics", ["6-8", "9-12"]),
    ("Restorative Circles", "leads restorative circles that build community and repair harm",
     "runs regular community-building circles and a structured conversation after conflict", "Social-emotional learning", ["3-5", "6-8", "9-12"]),
    ("Digital Citizenship", "teaches students to be safe, responsible and critical online",
     "teaches lessons on privacy, lateral reading and online kindness and applies them in class projects", "Digital learning", ["3-5", "6-8"]),
    ("Science Notebooks", "uses science notebooks to make student reasoning visible",
     "asks students to record predictions, data and claim-evidence-reasoning entries and responds to them", "Science", ["3-5", "6-8"]),
)
LEVELS = (("exemplary", "Exemplary", 4), ("proficient", "Proficient", 3), ("developing", "Developing", 2), ("beginning", "Beginning", 1))
ROWS = (("planning", "Planning"), ("enactment", "Classroom enactment"), ("student-evidence", "Evidence of student learning"),
        ("reflection", "Reflection"))
EXPIRIES = (None, None, "P3Y", "P5Y")
REVOCATION_REASONS = (
    "Awarded in error: the review was recorded against the wrong submission.",
    "The evidence submitted was found not to be the teacher's own work.",
    "Issued to the wrong teacher; a corrected badge was issued.",
)
SUSPENSION_REASON = "Under review: the district is confirming the consent forms for the classroom video."

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SynthReport:
    """What :func:`synthesize_district` wrote."""

    root: Path
    teachers: int
    opted_in: int
    credentials: int
    stacks: int
    badges: int
    public_badges: int
    stack_badges: int
    revoked: int
    suspended: int
    expired: int
    verification_method: str


def synthesize_district(
    target: Path | str,
    *,
    teachers: int,
    badges: int,
    credentials: int,
    seed: int = 0,
    as_of: datetime = AS_OF,
    processes: int | None = None,
    progress: Progress | None = None,
) -> SynthReport:
    """Write a synthetic district into ``target`` (missing or empty); see the module docstring.

    ``badges`` credential badges go to distinct (teacher, credential) pairs, so it is at most
    ``teachers × credentials``; completed stacks add stack badges on top. ``processes`` is passed to
    the bulk signer (default: every CPU); ``progress(done, total)`` follows the signing. Bad
    arguments raise :class:`SynthError`.
    """
    from credfolio import issuance
    from credfolio.catalog import load_catalog
    from credfolio.config import load_district
    from credfolio.keys import KeyStore
    from credfolio.wallet import ISSUANCE_SECRET_FILE, write_did_document, write_teacher

    root = Path(target)
    _check_arguments(root, teachers=teachers, badges=badges, credentials=credentials, as_of=as_of)
    as_of = as_of.astimezone(UTC).replace(microsecond=0)
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    _write_site_files(root, seed)
    definitions = [_credential(number, rng) for number in range(credentials)]
    _write_catalog(root, definitions, rng)
    profiles = make_teachers(teachers, rng)

    with tempfile.TemporaryDirectory(prefix="credfolio-synth-") as scratch:
        scratch_dir = Path(scratch)
        district = load_district(root)
        # Personal data (e-mail addresses, private badges) goes to a scratch folder deleted on return.
        settings = district.settings.model_copy(update={"private_dir": str(scratch_dir / "private")})
        district = replace(district, settings=settings)
        catalog = load_catalog(root, district.settings.catalog_dir)
        private = district.private_path
        private.mkdir(mode=0o700, parents=True)
        # A secret derived from the seed keeps badge ids the same from run to run.
        secret = hashlib.sha256(f"credfolio-synth:{seed}".encode()).hexdigest()
        (private / ISSUANCE_SECRET_FILE).write_text(secret + "\n", encoding="ascii")
        keys = KeyStore(scratch_dir / "keys", forbidden_roots=[root])
        key = keys.generate(district.issuer_did, now=as_of - timedelta(days=AWARD_SPAN_DAYS + 30))
        write_did_document(district, keys)
        for profile, public in profiles:
            if public:
                write_teacher(district, profile)

        # Through the code behind `credfolio issue --csv`: the file is checked, then issued in signed batches.
        # Files of CSV_CHUNK rows stay well under the command's 20 MB / 100,000-row limits per file.
        rows = award_rows(profiles, catalog, badges, as_of=as_of, rng=rng)
        issued: list[Any] = []
        stack_badges: list[Any] = []
        for start in range(0, len(rows), CSV_CHUNK):
            awards = write_award_csv(scratch_dir / f"awards-{start // CSV_CHUNK + 1}.csv", rows[start : start + CSV_CHUNK])
            report = issuance.issue_csv(district, catalog, keys, awards, now=as_of - timedelta(days=2), rng=rng, processes=processes,
                                        progress=_offset(progress, start, len(rows)))
            issued += report.issued
            stack_badges += report.stack_badges
        revoked, suspended = _withdraw_some(district, issued, now=as_of - timedelta(days=1), rng=rng)
        issuance.publish_status_lists(district, keys, now=as_of - timedelta(days=1))
        expired = _count_expired(district, as_of)
        method = key.verification_method(district.issuer_did)

    everything = issued + stack_badges
    return SynthReport(
        root=root, teachers=teachers, opted_in=sum(1 for _, public in profiles if public), credentials=credentials,
        stacks=len(catalog.stacks), badges=len(everything), public_badges=sum(1 for badge in everything if badge.public),
        stack_badges=len(stack_badges), revoked=revoked, suspended=suspended, expired=expired, verification_method=method,
    )


def _offset(progress: Progress | None, start: int, total: int) -> Progress | None:
    """Progress of one CSV file as progress of the whole run."""
    if progress is None:
        return None
    return lambda done, _: progress(start + done, total)


# --- arguments ------------------------------------------------------------------------------------------------


def _check_arguments(root: Path, *, teachers: int, badges: int, credentials: int, as_of: datetime) -> None:
    for name, value, low, high in (("teachers", teachers, 1, MAX_TEACHERS), ("badges", badges, 0, MAX_BADGES),
                                   ("credentials", credentials, 1, MAX_CREDENTIALS)):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise SynthError(f"the number of {name} must be a whole number from {low:,} to {high:,} (got {value!r})")
    if badges > teachers * credentials:
        raise SynthError(f"{badges:,} badges need more than {teachers:,} teachers × {credentials:,} credentials: "
                         "each teacher earns each credential at most once")
    if not isinstance(as_of, datetime) or as_of.tzinfo is None or as_of.utcoffset() is None:
        raise SynthError("as_of must be a timezone-aware date and time")
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise SynthError(f"{root} {'is not a folder' if not root.is_dir() else 'is not empty'}; "
                         "give a new or empty folder for the synthetic district")


# --- site files -----------------------------------------------------------------------------------------------

def _write_site_files(root: Path, seed: int) -> None:
    name = "Synthetic Unified School District"
    config = {
        "site_name": f"{name} Micro-credentials",
        "site_url": SITE_URL,
        "site_description": f"A synthetic district generated by credfolio synth (seed {seed}) for benchmarks and load tests.",
        "strict": True,
        "theme": {"name": "material", "custom_dir": "overrides", "font": False, "language": "en",
                  "palette": [{"scheme": "default", "primary": "custom", "accent": "custom"}]},
        "hooks": [HOOK_FILE],
        "plugins": ["search"],
        "extra": {"credfolio": {"format": 1, "name": name, "short_name": "Synthetic USD",
                                "contact_email": f"professional.learning@{EMAIL_DOMAIN}", "stack_badges": "auto"}},
    }
    header = "# A synthetic district written by `credfolio synth` (benchmarks and load tests; no real people).\n"
    (root / "mkdocs.yml").write_text(header + yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    from credfolio.scaffold import scaffold_files

    for relative, data in scaffold_files(name, SITE_URL).items():
        if relative.startswith(SCAFFOLD_PARTS):
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            (root / relative).write_bytes(data)
    (root / "docs").mkdir()
    (root / "docs" / "index.md").write_text(f"# {name}\n\nA synthetic district for benchmarks: every name in it is made up.\n",
                                            encoding="utf-8")
    (root / ".gitignore").write_text("site/\n.cache/\n", encoding="utf-8")


# --- catalog --------------------------------------------------------------------------------------------------


def _credential(number: int, rng: random.Random) -> dict[str, Any]:
    title, competency, method, subject, bands = PRACTICES[number % len(PRACTICES)]
    edition = number // len(PRACTICES)
    if edition:
        title = f"{title} {_roman(edition + 1)}"
    credential_id = f"{_slug(title)}"
    level_ids = [level[0] for level in LEVELS]
    rows = ROWS[: rng.randint(2, len(ROWS))]
    definition: dict[str, Any] = {
        "id": credential_id,
        "title": title,
        "version": f"1.{rng.randint(0, 3)}.0",
        "status": "active",
        "summary": f"Show that you {competency}.",
        "alt_text": f"Badge for the {title} micro-credential",
        "competency": f"The educator {competency}.",
        "key_method": f"The educator {method}, then analyses the evidence of student learning to plan the next step.",
        "method_components": [
            {"title": "Plan", "description": f"Plan a lesson sequence in which you {method}."},
            {"title": "Teach and collect evidence", "description": "Teach the sequence and collect **student work** from it."},
            {"title": "Reflect", "description": "Compare the evidence with your goal and decide what to change."},
        ],
        "research": {"rationale": f"Studies of *{title.lower()}* report gains in participation and achievement when the practice is used routinely.",
                     "citations": [{"text": "Hattie, J. (2009). Visible learning: A synthesis of over 800 meta-analyses relating to achievement. Routledge."}]},
        "resources": [{"title": f"{title}: a practice guide", "url": f"https://{EMAIL_DOMAIN}/guides/{credential_id}", "kind": "article"}],
        "submission": {
            "overview": [{"id": "context", "prompt": "Describe your class and why you chose this practice.", "word_limit": 250}],
            "artifacts": [{"id": "lesson-evidence", "title": "Lesson plan and student work",
                           "description": "A lesson plan showing the practice and three samples of student work.",
                           "rubric_rows": [row_id for row_id, _ in rows if row_id != "reflection"] or [rows[0][0]]}],
            "reflection": [{"id": "impact", "prompt": "What changed for your students, and what will you do next?", "word_limit": 400,
                            "rubric_rows": [row_id for row_id, _ in rows if row_id == "reflection"]}],
        },
        "rubric": {
            "levels": [{"id": level_id, "name": name, "points": points} for level_id, name, points in LEVELS],
            "rows": [{"id": row_id, "criterion": criterion,
                      "descriptors": {level_id: f"{name} {criterion.lower()}." for level_id, name, _ in LEVELS}}
                     for row_id, criterion in rows],
            "passing": {"minimum_level": level_ids[1], "rows_below_allowed": rng.choice((0, 0, 1)) if len(rows) > 2 else 0},
        },
        "hours": rng.choice((5, 8, 10, 12, 15, 20, 25)),
        "cost": {"amount": 0},
        "eligibility": {"roles": ["Classroom teacher", "Instructional coach"], "requires_students": subject != "Professional practice"},
        "subjects": [subject],
        "grade_bands": bands,
        "alignments": [{"framework": "InTASC Model Core Teaching Standards", "code": str(rng.randint(1, 10)),
                        "name": "Instructional Strategies", "url": "https://ccsso.org/"}],
        "tags": [subject.lower(), "synthetic"],
    }
    expiry = rng.choice(EXPIRIES)
    if expiry:
        definition["expires_after"] = expiry
    return definition


def _roman(number: int) -> str:
    numerals = ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"), (40, "XL"), (10, "X"),
                (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
    text = ""
    for value, numeral in numerals:
        count, number = divmod(number, value)
        text += numeral * count
    return text


def _slug(text: str) -> str:
    from credfolio.submissions import slugify

    return slugify(text)


def _write_catalog(root: Path, definitions: list[dict[str, Any]], rng: random.Random) -> None:
    folder = root / "catalog"
    folder.mkdir()
    for definition in definitions:
        text = yaml.safe_dump(definition, sort_keys=False, allow_unicode=True, width=110)
        (folder / f"{definition['id']}.yml").write_text(text, encoding="utf-8")
    ids = [definition["id"] for definition in definitions]
    titles = {definition["id"]: definition["title"] for definition in definitions}
    rng.shuffle(ids)
    stacks = []
    start = 0
    while len(ids) - start >= 3:
        size = min(rng.randint(3, 5), len(ids) - start)
        members = ids[start : start + size]
        start += size
        number = len(stacks) + 1
        stack: dict[str, Any] = {
            "id": f"pathway-{number}",
            "title": f"Pathway {number}: {titles[members[0]]}",
            "description": "A pathway of related micro-credentials: " + ", ".join(titles[member] for member in members) + ".",
            "credentials": members[:-1] if rng.random() < 0.5 else members,
            "earns": {"title": f"Pathway {number} Specialist", "badge": True},
        }
        if len(stack["credentials"]) < len(members):
            stack["capstone"] = members[-1]
        stacks.append(stack)
    (folder / "stacks.yml").write_text(yaml.safe_dump({"format": 1, "stacks": stacks}, sort_keys=False, allow_unicode=True),
                                       encoding="utf-8")


# --- teachers and awards --------------------------------------------------------------------------------------


def make_teachers(count: int, rng: random.Random) -> list[tuple[Any, bool]]:
    """``count`` made-up teachers with distinct slugs: ``(TeacherProfile, opted_in)`` pairs (about 9 in 10 opt in)."""
    from credfolio.wallet import TeacherProfile, WalletConsent

    profiles = []
    used: dict[str, int] = {}
    for _ in range(count):
        if rng.random() < 0.03:
            name = rng.choice(WHOLE_NAMES)
        else:
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        base = _slug(name)
        used[base] = used.get(base, 0) + 1
        slug = base if used[base] == 1 else f"{base}-{used[base]}"
        consent = WalletConsent(show_school=rng.random() < 0.6, show_role=rng.random() < 0.6,
                                search_engines=rng.random() < 0.2, show_evidence=rng.random() < 0.4)
        profile = TeacherProfile(slug, name, school=rng.choice(SCHOOLS), role=rng.choice(ROLES), consent=consent)
        profiles.append((profile, rng.random() < OPT_IN_SHARE))
    return profiles


def award_rows(profiles: list[tuple[Any, bool]], catalog: Any, count: int, *, as_of: datetime = AS_OF,
               rng: random.Random) -> list[dict[str, str]]:
    """``count`` passed awards, each a distinct (teacher, credential) pair, as rows of a bulk-issue CSV.

    ``profiles`` are ``(TeacherProfile, opted_in)`` pairs (see :func:`make_teachers`); an opted-in
    teacher's rows name their ``teacher_slug``, so the badge is published. Award dates fall in the
    :data:`AWARD_SPAN_DAYS` before ``as_of``; about 3 % of badges get an end date that has passed.
    """
    from credfolio.issuance import CSV_COLUMNS

    definitions = sorted(catalog.credentials.values(), key=lambda definition: definition.id)
    pairs = rng.sample(range(len(profiles) * len(definitions)), count)
    rows = []
    for pair in pairs:
        profile, public = profiles[pair // len(definitions)]
        definition = definitions[pair % len(definitions)]
        age = rng.randint(2, AWARD_SPAN_DAYS)
        awarded = as_of.date() - timedelta(days=age)
        valid_until = ""
        if age > 30 and rng.random() < EXPIRED_SHARE:
            valid_until = (awarded + timedelta(days=rng.randint(1, age - 3))).isoformat()
        evidence = f"https://{EMAIL_DOMAIN}/portfolio/{profile.slug}/{definition.id}" if rng.random() < 0.3 else ""
        scores = ";".join(f"{row}={level}" for row, level in passing_scores(definition, rng).items())
        row = {"credential": definition.id, "name": profile.display_name, "email": f"{profile.slug}@{EMAIL_DOMAIN}",
               "teacher_slug": profile.slug if public else "", "evidence": evidence, "valid_until": valid_until,
               "awarded": awarded.isoformat(), "request_id": "", "scores": scores}
        rows.append({column: row[column] for column in CSV_COLUMNS})
    return rows


def write_award_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    """Write :func:`award_rows` as a bulk-issue CSV (the input of ``credfolio issue --csv``)."""
    import csv

    from credfolio.issuance import CSV_COLUMNS

    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def passing_scores(definition: Any, rng: random.Random) -> dict[str, str]:
    """Rubric levels of a passed review: on every row, the passing level or one above it."""
    levels = [level.id for level in definition.rubric.levels]
    minimum = levels.index(definition.rubric.passing.minimum_level)
    return {row.id: levels[rng.randint(0, minimum)] for row in definition.rubric.rows}


def _withdraw_some(district: Any, issued: list[Any], *, now: datetime, rng: random.Random) -> tuple[int, int]:
    """Revoke and suspend a few badges in one ledger append (one revoke command each would re-sign a list each time)."""
    from credfolio.issuance import LOCK_FILE
    from credfolio.ledger import open_ledger, timestamp
    from credfolio.wallet import ledger_path

    ordered = sorted(issued, key=lambda badge: badge.badge_id)
    revoke_count = math.floor(len(ordered) * REVOKED_SHARE) or (1 if len(ordered) >= 10 else 0)
    suspend_count = math.floor(len(ordered) * SUSPENDED_SHARE) or (1 if len(ordered) >= 20 else 0)
    chosen = rng.sample(ordered, revoke_count + suspend_count)
    events = [{"event": "revoked", "at": timestamp(now), "badge": badge.badge_id, "reason": rng.choice(REVOCATION_REASONS)}
              for badge in chosen[:revoke_count]]
    events += [{"event": "suspended", "at": timestamp(now), "badge": badge.badge_id, "reason": SUSPENSION_REASON}
               for badge in chosen[revoke_count:]]
    with open_ledger(ledger_path(district), issuer=district.issuer_did, now=now, lock=district.private_path / LOCK_FILE) as ledger:
        ledger.append(events)
    return revoke_count, suspend_count


def _count_expired(district: Any, as_of: datetime) -> int:
    from credfolio.wallet import read_state

    return sum(1 for entry in read_state(district).badges.values() if entry.state(as_of) == "expired")


def as_of_date(day: date) -> datetime:
    """Midnight UTC at the start of ``day`` (the ``--as-of`` option)."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
