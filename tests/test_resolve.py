"""DID and JSON resolution from a site folder, mapped folders and https; strict JSON parsing."""

from __future__ import annotations

import email.message
import io
import json
import os
import urllib.error
import urllib.request

import pytest
from badge_factory import ISSUER_DID, PEER_CORPUS, SITE_URL
from credfolio.errors import ResolutionError
from credfolio.keys import did_key_for
from credfolio.resolve import ChainResolver, FolderMapResolver, HttpsResolver, Resolver, SiteResolver, _HttpsOnlyRedirects, parse_json


def test_site_resolver_serves_the_districts_did_document(site):
    document = site.resolver().resolve_did(ISSUER_DID)
    assert document["id"] == ISSUER_DID
    assert document["assertionMethod"] == [ISSUER_DID + "#key-1"]


def test_site_resolver_serves_json_under_the_site_url_ignoring_query_and_fragment(site):
    resolver = site.resolver()
    status = resolver.fetch_json(SITE_URL + "status/1.json")
    assert status["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert resolver.fetch_json(SITE_URL + "status/1.json?timestamp=1#list") == status


def test_resolvers_satisfy_the_protocol(site):
    assert isinstance(site.resolver(), Resolver)
    assert isinstance(HttpsResolver(), Resolver)
    assert isinstance(ChainResolver(site.resolver()), Resolver)


def test_did_key_resolves_locally_in_every_resolver(site, issuer_private_key):
    did = did_key_for(issuer_private_key.public_key())
    for resolver in (site.resolver(), FolderMapResolver({}), HttpsResolver(opener=_NoNetwork()), ChainResolver(site.resolver())):
        document = resolver.resolve_did(did)
        assert document["id"] == did
        assert document["assertionMethod"] == [f"{did}#{did.removeprefix('did:key:')}"]


def test_a_did_web_document_for_another_did_is_refused(site):
    site.write_json("did.json", {"id": "did:web:evil.example", "assertionMethod": []})
    with pytest.raises(ResolutionError, match="is for 'did:web:evil.example', not did:web:testville.github.io:mc"):
        site.resolver().resolve_did(ISSUER_DID)


@pytest.mark.parametrize(
    "did, message",
    [
        ("did:example:123", "DID method 'example' is not supported"),
        ("https://testville.github.io/mc/", "is not a DID"),
        ("did:web:other.github.io:mc", "could not be fetched: it is not under https://testville.github.io/mc/"),
        ("did:key:z6MkBAD", "did:key:z6MkBAD"),
    ],
    ids=["unsupported method", "not a DID", "did:web outside the site", "broken did:key"],
)
def test_unresolvable_dids_raise_plain_errors(site, did, message):
    with pytest.raises(ResolutionError, match=message):
        site.resolver().resolve_did(did)


ESCAPES = {
    "dot-dot segment": SITE_URL + "../secret.json",
    "encoded dot-dot": SITE_URL + "%2e%2e/secret.json",
    "encoded slash": SITE_URL + "status%2F..%2F..%2Fsecret.json",
    "encoded backslash": SITE_URL + "..%5Csecret.json",
    "NUL byte": SITE_URL + "did.json%00.png",
    "directory": SITE_URL + "status/",
    "site root": SITE_URL,
    "empty segment": SITE_URL + "status//1.json",
}


@pytest.mark.parametrize("url", list(ESCAPES.values()), ids=list(ESCAPES))
def test_paths_cannot_leave_the_site_folder(site, url):
    (site.dir.parent / "secret.json").write_text('{"secret": true}')
    with pytest.raises(ResolutionError, match="could not be fetched"):
        site.resolver().fetch_json(url)


def test_symlinks_pointing_outside_the_site_are_refused(site):
    (site.dir.parent / "secret.json").write_text('{"secret": true}')
    os.symlink(site.dir.parent / "secret.json", site.dir / "link.json")
    with pytest.raises(ResolutionError, match="leaves the site folder"):
        site.resolver().fetch_json(SITE_URL + "link.json")


@pytest.mark.parametrize(
    "url",
    ["http://testville.github.io/mc/did.json", "https://testville.github.io/other/did.json", "https://evil.example/mc/did.json", "file:///etc/passwd"],
    ids=["http", "other path on the host", "other host", "file URL"],
)
def test_urls_outside_the_site_are_not_served(site, url):
    assert not site.resolver().covers(url)
    with pytest.raises(ResolutionError, match="could not be fetched"):
        site.resolver().fetch_json(url)


def test_missing_oversized_and_malformed_files_give_plain_errors(site):
    resolver = SiteResolver(site.dir, SITE_URL, max_bytes=100)
    with pytest.raises(ResolutionError, match=r"status/2.json could not be fetched: no file"):
        resolver.fetch_json(SITE_URL + "status/2.json")
    with pytest.raises(ResolutionError, match="larger than 100 bytes"):
        resolver.fetch_json(SITE_URL + "did.json")
    (site.dir / "bad.json").write_text("{not json")
    with pytest.raises(ResolutionError, match=r"bad.json is not valid JSON: Expecting property name"):
        site.resolver().fetch_json(SITE_URL + "bad.json")
    (site.dir / "list.json").write_text("[1, 2]")
    with pytest.raises(ResolutionError, match="is not a JSON object"):
        site.resolver().fetch_json(SITE_URL + "list.json")


def test_folder_map_prefers_the_longest_prefix(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "x.json").write_text('{"from": "a"}')
    (tmp_path / "b" / "x.json").write_text('{"from": "b"}')
    resolver = FolderMapResolver({"https://host.example/": tmp_path / "a", "https://host.example/deep": tmp_path / "b"})
    assert resolver.fetch_json("https://host.example/x.json") == {"from": "a"}
    assert resolver.fetch_json("https://host.example/deep/x.json") == {"from": "b"}


def test_folder_map_refuses_non_https_prefixes(tmp_path):
    with pytest.raises(ResolutionError, match="must be an https URL"):
        FolderMapResolver({"http://host.example/": tmp_path})


def test_folder_map_resolves_the_peer_corpus_did_web_documents():
    sites = PEER_CORPUS / "sites"
    if not sites.is_dir():
        pytest.skip(f"peer corpus not found at {PEER_CORPUS} (../shared/peer-corpus): cannot resolve its DIDs")
    resolver = FolderMapResolver({"https://digitalcredentials.github.io/": sites / "dcc-verifier-core"})
    document = resolver.resolve_did("did:web:digitalcredentials.github.io:dcc-did-web:multikey")
    assert document["assertionMethod"][0]["type"] == "Multikey"


# --- chain ----------------------------------------------------------------------------------------


class _Recording:
    """A resolver that answers every URL and records what it was asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def resolve_did(self, did):  # pragma: no cover - not used
        raise ResolutionError("no")

    def fetch_json(self, url):
        self.asked.append(url)
        return {"from": "network"}


def test_chain_answers_site_urls_from_the_folder_and_never_falls_through_to_the_network(site):
    network = _Recording()
    chain = ChainResolver(site.resolver(), network)
    assert chain.fetch_json(SITE_URL + "did.json")["id"] == ISSUER_DID
    with pytest.raises(ResolutionError, match="no file"):
        chain.fetch_json(SITE_URL + "status/404.json")
    assert chain.fetch_json("https://elsewhere.example/x.json") == {"from": "network"}
    assert network.asked == ["https://elsewhere.example/x.json"]
    assert chain.resolve_did(ISSUER_DID)["id"] == ISSUER_DID


def test_chain_without_a_covering_resolver_says_so(site):
    with pytest.raises(ResolutionError, match="no resolver is configured"):
        ChainResolver(site.resolver()).fetch_json("https://elsewhere.example/x.json")


# --- https ----------------------------------------------------------------------------------------


class _NoNetwork(urllib.request.OpenerDirector):
    def open(self, *args, **kwargs):  # pragma: no cover - fails the test if reached
        raise AssertionError("the network was used")


class _Response(io.BytesIO):
    def __init__(self, body: bytes, *, content_type: str = "application/json", url: str = "https://host.example/x.json") -> None:
        super().__init__(body)
        self.headers = email.message.Message()
        if content_type:
            self.headers["Content-Type"] = content_type
        self._url = url

    def geturl(self) -> str:
        return self._url


class _CannedOpener(urllib.request.OpenerDirector):
    def __init__(self, outcome) -> None:
        super().__init__()
        self.outcome = outcome
        self.requests: list[urllib.request.Request] = []

    def open(self, request, timeout=None):
        self.requests.append(request)
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome


def test_https_resolver_reads_an_extensionless_status_list_served_as_octet_stream():
    # GitHub Pages' content type for files without an extension; the browser verifier accepts it too
    opener = _CannedOpener(_Response(b'{"id": "x"}', content_type="application/octet-stream",
                                     url="https://host.example/status/e5WK8CbZ1GjycuPombrj"))
    assert HttpsResolver(opener=opener).fetch_json("https://host.example/status/e5WK8CbZ1GjycuPombrj") == {"id": "x"}


def test_https_resolver_fetches_json_with_a_timeout_and_accept_header():
    opener = _CannedOpener(_Response(b'{"id": "x"}', content_type="application/ld+json; charset=utf-8"))
    assert HttpsResolver(opener=opener, timeout=2.5).fetch_json("https://host.example/x.json#frag") == {"id": "x"}
    request = opener.requests[0]
    assert request.full_url == "https://host.example/x.json"
    assert "application/json" in request.get_header("Accept")


@pytest.mark.parametrize(
    "url",
    ["http://host.example/x.json", "file:///etc/passwd", "ftp://host.example/x.json", "https:///nohost"],
    ids=["http", "file", "ftp", "no host"],
)
def test_https_resolver_fetches_only_https(url):
    with pytest.raises(ResolutionError, match="only https URLs are fetched"):
        HttpsResolver(opener=_NoNetwork()).fetch_json(url)


HTTPS_FAILURES = {
    "HTTP 404": (urllib.error.HTTPError("https://host.example/x.json", 404, "Not Found", {}, None), "the server answered 404 Not Found"),
    "DNS failure": (urllib.error.URLError("Name or service not known"), "Name or service not known"),
    "timeout": (TimeoutError("timed out"), "timed out"),
    "HTML error page": (_Response(b"<html></html>", content_type="text/html"), "the server sent text/html, not JSON"),
    "oversized body": (_Response(b'{"a": "' + b"x" * 200 + b'"}'), "larger than 100 bytes"),
    "duplicate keys": (_Response(b'{"a": 1, "a": 2}'), "has the key 'a' twice"),
    "ended on http after redirects": (_Response(b"{}", url="http://host.example/x.json"), "which is not https"),
}


@pytest.mark.parametrize("outcome, message", list(HTTPS_FAILURES.values()), ids=list(HTTPS_FAILURES))
def test_https_resolver_failures_name_the_url_and_the_reason(outcome, message):
    with pytest.raises(ResolutionError, match=message) as error:
        HttpsResolver(opener=_CannedOpener(outcome), max_bytes=100).fetch_json("https://host.example/x.json")
    assert str(error.value).startswith("https://host.example/x.json ")


def test_redirects_to_non_https_are_refused():
    request = urllib.request.Request("https://host.example/x.json")
    with pytest.raises(ResolutionError, match="redirects to http://host.example/x.json, which is not https"):
        _HttpsOnlyRedirects().redirect_request(request, None, 302, "Found", {}, "http://host.example/x.json")
    followed = _HttpsOnlyRedirects().redirect_request(request, None, 302, "Found", {}, "https://cdn.example/x.json")
    assert followed.full_url == "https://cdn.example/x.json"


# --- strict JSON ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"a": 1, "b": {"c": 1, "c": 2}}', "has the key 'c' twice in one object"),
        ('{"a": NaN}', "contains NaN, which is not JSON"),
        ('{"a": Infinity}', "contains Infinity"),
        (b'{"a": "\xff"}', "is not UTF-8 text"),
        ("[" * 5_000 + "]" * 5_000, "nested too deeply"),
        ('{"a": 1', "is not valid JSON"),
    ],
    ids=["duplicate key", "NaN", "Infinity", "not UTF-8", "deep nesting", "truncated"],
)
def test_parse_json_is_strict(text, message):
    with pytest.raises(ResolutionError, match=message):
        parse_json(text, source="the file")


def test_parse_json_accepts_a_byte_order_mark():
    assert parse_json("\ufeff" + json.dumps({"a": 1}).encode().decode()) == {"a": 1}


def test_raw_bytes_come_from_the_covering_resolver(site):
    chain = ChainResolver(site.resolver(), HttpsResolver(opener=_NoNetwork()))
    assert chain.fetch_bytes(SITE_URL + "did.json") == (site.dir / "did.json").read_bytes()
    with pytest.raises(ResolutionError, match="only serves parsed JSON"):
        ChainResolver(_Recording()).fetch_bytes("https://elsewhere.example/x.json")
