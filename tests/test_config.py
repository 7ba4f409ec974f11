"""District configuration from mkdocs.yml."""

from __future__ import annotations

import pytest
from district_factory import MKDOCS_YML, REPO_ROOT, make_district

from credfolio.config import load_district
from credfolio.errors import ConfigError, ValidationError


def test_sample_district_config_loads():
    config = load_district(REPO_ROOT)
    assert config.name == "Riverbend Unified School District"
    assert config.site_url == "https://riverbend-usd.github.io/micro-credentials/"
    assert config.url("catalog/talk-moves/") == "https://riverbend-usd.github.io/micro-credentials/catalog/talk-moves/"


def test_issuer_did_is_derived_from_site_url(tmp_path):
    pytest.importorskip("credfolio.keys")
    config = load_district(make_district(tmp_path))
    assert config.issuer_did == "did:web:testville.github.io:mc"


def test_missing_site_url_names_the_field(tmp_path):
    make_district(tmp_path, mkdocs_yml=MKDOCS_YML.replace("site_url: https://testville.github.io/mc/\n", ""))
    with pytest.raises(ConfigError) as raised:
        load_district(tmp_path)
    assert "site_url" in str(raised.value)


def test_http_site_url_is_refused(tmp_path):
    make_district(tmp_path, mkdocs_yml=MKDOCS_YML.replace("https://testville", "http://testville"))
    with pytest.raises(ConfigError) as raised:
        load_district(tmp_path)
    assert str(raised.value).startswith("mkdocs.yml:2: site_url: ")


def test_unknown_setting_is_reported_with_its_path(tmp_path):
    make_district(tmp_path, mkdocs_yml=MKDOCS_YML + "    colour: blue\n")
    with pytest.raises(ValidationError) as raised:
        load_district(tmp_path)
    assert "extra.credfolio.colour" in str(raised.value.problems[0])


def test_mkdocs_python_tags_are_inert(tmp_path):
    text = MKDOCS_YML + "markdown_extensions:\n  - pymdownx.emoji:\n      emoji_index: !!python/name:material.extensions.emoji.twemoji\n"
    text += "copyright: !ENV [COPYRIGHT, 'x']\n"
    make_district(tmp_path, mkdocs_yml=text)
    assert load_district(tmp_path).name == "Testville School District"


def test_no_mkdocs_yml(tmp_path):
    with pytest.raises(ConfigError) as raised:
        load_district(tmp_path)
    assert "no mkdocs.yml" in str(raised.value)


@pytest.mark.parametrize("address", ['"Office" <pl@testville.example>', "pl@testville", "pl@test ville.example", "pl?x@testville.example", "ana@tëstville.example"],
                         ids=["display name", "no top-level domain", "space", "question mark", "non-ASCII domain"])
def test_contact_email_must_be_a_plain_address_and_the_error_says_so_in_words(tmp_path, address):
    make_district(tmp_path, mkdocs_yml=MKDOCS_YML + f"    contact_email: '{address}'\n")
    with pytest.raises(ValidationError) as raised:
        load_district(tmp_path)
    problem = str(raised.value.problems[0])
    assert "extra.credfolio.contact_email" in problem and "is not a plain e-mail address" in problem
    assert "^" not in problem  # the pattern is explained, not printed


def test_a_plain_contact_email_with_plus_and_subdomains_loads(tmp_path):
    make_district(tmp_path, mkdocs_yml=MKDOCS_YML + "    contact_email: pd+badges@hr.testville.k12.example\n")
    assert load_district(tmp_path).settings.contact_email == "pd+badges@hr.testville.k12.example"
