"""Builders for small, valid districts used by catalog, config, CLI and site tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

MKDOCS_YML = """\
site_name: Testville Schools Micro-credentials
site_url: https://testville.github.io/mc/
theme:
  name: material
extra:
  credfolio:
    format: 1
    name: Testville School District
"""

CREDENTIAL_YML = """\
id: {id}
title: "Wait Time {title_suffix}"
version: "1.0.0"
status: {status}
summary: "Use wait time to raise participation."
alt_text: "Badge: an hourglass"
competency: The educator uses wait time after questions so that more students think and respond.
key_method: >-
  The educator pauses **three to five seconds** after posing a question and after a student answers.
method_components:
  - title: "Pause after the question"
    description: "Count silently before calling on anyone."
research:
  rationale: "Longer wait time increases the length and quality of student responses."
  citations:
    - text: "Rowe, M. B. (1986). Wait time: Slowing down may be a way of speeding up! Journal of Teacher Education, 37(1), 43-50."
      url: "https://doi.org/10.1177/002248718603700110"
resources:
  - title: "Wait time"
    url: "https://www.edutopia.org/"
    kind: article
submission:
  overview:
    - id: context
      prompt: "Describe your class."
      word_limit: 200
  artifacts:
    - id: video
      title: "Classroom video"
      description: "A 10-minute video excerpt."
      rubric_rows: [pausing]
  reflection:
    - id: impact
      prompt: "What changed?"
      word_limit: 300
      rubric_rows: [reflection]
rubric:
  levels:
    - {{id: exemplary, name: Exemplary, points: 4}}
    - {{id: proficient, name: Proficient, points: 3}}
    - {{id: developing, name: Developing, points: 2}}
    - {{id: not-yet, name: Not yet, points: 1}}
  rows:
    - id: pausing
      criterion: "Pausing"
      descriptors:
        exemplary: "Pauses consistently and teaches students why."
        proficient: "Pauses consistently."
        developing: "Pauses sometimes."
        not-yet: "Rarely pauses."
    - id: reflection
      criterion: "Reflection"
      descriptors:
        exemplary: "Uses evidence to plan next steps."
        proficient: "Uses evidence."
        developing: "Describes without evidence."
        not-yet: "Missing."
  passing:
    minimum_level: proficient
hours: 10
cost:
  amount: 0
eligibility:
  roles: ["Classroom teacher"]
  requires_students: true
subjects: ["All subjects"]
grade_bands: ["3-5", "6-8"]
alignments:
  - framework: "InTASC Model Core Teaching Standards"
    code: "8"
    name: "Instructional Strategies"
    url: "https://ccsso.org/"
"""

STACKS_YML = """\
format: 1
stacks:
  - id: questioning
    title: "Questioning"
    description: "Ask better questions."
    credentials: [wait-time, wait-time-two]
    earns:
      title: "Questioning Specialist"
      badge: true
"""


def credential_yaml(credential_id: str = "wait-time", *, status: str = "active", title_suffix: str = "") -> str:
    """Text of a valid credential file."""
    return CREDENTIAL_YML.format(id=credential_id, status=status, title_suffix=title_suffix or credential_id)


def make_district(root: Path, *, credentials: dict[str, str] | None = None, stacks: str | None = STACKS_YML,
                  mkdocs_yml: str = MKDOCS_YML) -> Path:
    """Write a district with two valid credentials and one stack (override any file's text)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "mkdocs.yml").write_text(mkdocs_yml, encoding="utf-8")
    catalog = root / "catalog"
    catalog.mkdir(exist_ok=True)
    if credentials is None:
        credentials = {"wait-time": credential_yaml("wait-time"), "wait-time-two": credential_yaml("wait-time-two")}
    for credential_id, text in credentials.items():
        (catalog / f"{credential_id}.yml").write_text(textwrap.dedent(text), encoding="utf-8")
    if stacks is not None:
        (catalog / "stacks.yml").write_text(stacks, encoding="utf-8")
    return root

REPO_ROOT = Path(__file__).resolve().parents[1]
STANDARDS = REPO_ROOT.parent / "shared" / "standards"
