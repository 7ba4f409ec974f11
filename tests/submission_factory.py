"""Builders for submissions, scores and form exports used by the submission, review and CLI tests."""

from __future__ import annotations

from pathlib import Path

from district_factory import make_district

from credfolio.catalog import Catalog, load_catalog

SUBMISSION_YML = """\
format: 1
id: 2025-03-14-ana-lopez-wait-time
credential: wait-time
credential_version: "1.0.0"
submitted: 2025-03-14
teacher:
  name: Ana López
  email: ana.lopez@testville.example
  school: Lincoln Elementary
  role: Grade 4 teacher
overview:
  context: |
    I teach 28 fourth-graders; a third of them are English learners.
artifacts:
  video:
    url: https://drive.example.org/file/d/abc123/view
    note: Minutes 3-7 show the pauses.
reflection:
  impact: |
    More students answered, and their answers were longer and more precise.
consent:
  show_evidence_on_badge: true
  evidence_links_in_badge: false
"""

PASSING_SCORES = {"pausing": "proficient", "reflection": "exemplary"}
FAILING_SCORES = {"pausing": "proficient", "reflection": "developing"}

CSV_HEADER = ["Timestamp", "Email address", "Name", "Which micro-credential?", "Describe your class.",
              "Link to your classroom video", "What changed?", "Show my evidence on my badge?"]

MAPPING_YML = """\
format: 1
credential: "Which micro-credential?"
submitted: "Timestamp"
teacher.name: "Name"
teacher.email: "Email address"
overview.context: "Describe your class."
artifacts.video: "Link to your classroom video"
reflection.impact: "What changed?"
consent.show_evidence_on_badge: "Show my evidence on my badge?"
"""


def csv_row(*, when: str = "3/14/2025 10:22:05", email: str = "ana.lopez@testville.example", name: str = "Ana López",
            credential: str = "wait-time", context: str = "I teach 28 fourth-graders.",
            video: str = "https://drive.example.org/v/1", impact: str = "More students answered.", consent: str = "Yes") -> list[str]:
    """One form response, in CSV_HEADER order."""
    return [when, email, name, credential, context, video, impact, consent]


def district_with_catalog(tmp_path: Path) -> tuple[Path, Catalog]:
    """A valid district in ``tmp_path/district`` and its catalog."""
    root = make_district(tmp_path / "district")
    return root, load_catalog(root)


def write_submission(folder: Path, text: str = SUBMISSION_YML, name: str = "submission.yml") -> Path:
    """Write a submission file and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path
