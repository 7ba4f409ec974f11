"""Data Integrity proofs with the ``eddsa-rdfc-2022`` cryptosuite (W3C vc-di-eddsa §3.2).

What gets signed is the RDF dataset the JSON expands to, so canonicalization must never silently
lose or reinterpret data. pyld has no JSON-LD "safe mode", so :func:`canonicalize` adds one:

* strings may not hold C0 control characters (other than tab, LF, CR), DEL or lone surrogates —
  pyld and RDFC-1.0 escape some of them differently, so two correct verifiers could disagree;
* every term must be defined by a context: the document is expanded once with a fallback
  ``@vocab`` of ``urn:credfolio:undefined:`` placed *before* its own contexts, so a term no context
  defines turns into a recognisable IRI instead of being dropped, while a context that deliberately
  declares a vocabulary (such as the W3C examples context) still takes precedence; IRIs in the
  VC 2.0 ``issuer-dependent#`` namespace are refused as well, and so is any property expansion drops;
* ``@id`` / ``@type`` values must be absolute IRIs (pyld would otherwise resolve them against
  ``http://example.org/base/`` and sign that);
* only the bundled contexts (or whatever the injected loader serves) are used, never the network.

The guarded expansion is then turned into canonical N-Quads directly (``to_rdf`` + URDNA2015), so
the expensive context processing runs once per document. Caches are per process and not
thread-safe (neither are pyld's own): sign in parallel with :func:`sign_many`, which uses processes. If the guard passes, the expansion equals
the one without the fallback vocabulary, and the tests check the output is byte-identical to a plain
``jsonld.normalize`` on the W3C and 1EdTech vectors.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import copy
import hashlib
import json
import math
import os
import re
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from cachetools import LRUCache
from cryptography.exceptions import InvalidSignature
from frozendict import frozendict
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pyld import jsonld
from pyld.canon import URDNA2015
from pyld.context_resolver import ContextResolver
from pyld.identifier_issuer import IdentifierIssuer

from credfolio.contexts import CREDENTIALS_V2, document_loader
from credfolio.errors import CanonicalizationError, CredfolioError, ProofError
from credfolio.multibase import decode_multibase, encode_multibase

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"
UNDEFINED_TERM_PREFIX = "urn:credfolio:undefined:"
ISSUER_DEPENDENT_PREFIX = "https://www.w3.org/ns/credentials/issuer-dependent#"
SIGNATURE_BYTES = 64

#: JSON nesting deeper than this is refused before any JSON-LD processing (no credential comes close).
MAX_DEPTH = 48
#: rdf-canonize's default ``maxWorkFactor``: N-degree hashing runs at most (non-unique blank nodes)^1 times.
MAX_WORK_FACTOR = 1
#: JavaScript verifiers read JSON numbers as IEEE doubles.
MAX_SAFE_INTEGER = 2**53 - 1

Loader = Callable[..., dict[str, Any]]

_FORBIDDEN_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# What JSON-LD processors (pyld, jsonld.js) accept as absolute: a scheme, and no whitespace anywhere.
_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$")
_XSD_DATETIME = re.compile(
    r"^-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?(Z|[+-]\d{2}:\d{2})?$"
)
_JSON_LD_KEYWORDS = frozenset(
    "@base @container @context @direction @graph @id @import @included @index @json @language @list "
    "@nest @none @prefix @propagate @protected @reverse @set @type @value @version @vocab".split()
)
#: Keywords that mean something only in a context definition (JSON-LD 1.1 §9.15–9.16); elsewhere expansion drops them silently.
_CONTEXT_ONLY_KEYWORDS = frozenset("@base @container @import @prefix @propagate @protected @version @vocab".split())
_GUARD_CONTEXT = {"@vocab": UNDEFINED_TERM_PREFIX}


# --- canonicalization ----------------------------------------------------------------------------


class _LoaderState:
    """Per-loader caches: pyld's resolved contexts, and canonical proof configurations.

    pyld's own resolved-context cache is process-wide and keyed by URL only, so a test loader that
    serves an extra context would leak it to every other loader; a resolver cache per loader keeps
    "unknown URL is refused" true for each loader.
    """

    def __init__(self) -> None:
        self.resolved_contexts: LRUCache = LRUCache(maxsize=100)
        self.processed_contexts: LRUCache = LRUCache(maxsize=1024)
        self.proof_configs: LRUCache = LRUCache(maxsize=64)


_LOADER_STATES: OrderedDict[Any, _LoaderState] = OrderedDict()
_MAX_LOADER_STATES = 8


def _state_for(loader: Loader) -> _LoaderState:
    state = _LOADER_STATES.get(loader)
    if state is None:
        state = _LOADER_STATES[loader] = _LoaderState()
        while len(_LOADER_STATES) > _MAX_LOADER_STATES:
            _LOADER_STATES.popitem(last=False)
    else:
        _LOADER_STATES.move_to_end(loader)
    return state


def canonicalize(document: dict[str, Any], *, loader: Loader = document_loader) -> str:
    """RDFC-1.0 (URDNA2015) canonical N-Quads of a JSON-LD document, refusing anything unsafe to sign.

    Raises :class:`CanonicalizationError` naming the JSON path or term for control characters,
    undefined terms, relative IRIs, unknown context URLs and other JSON-LD errors.
    """
    if not isinstance(document, dict):
        raise CanonicalizationError("a JSON-LD document must be a JSON object")
    _check_json(document, (), 0)
    if "@context" not in document:
        raise CanonicalizationError("document has no @context, so none of its terms are defined")
    state = _state_for(loader)
    expanded = _expand_guarded(document, loader, state)
    _check_expanded(expanded, document)
    return _to_canonical_nquads(expanded, loader, state)


def _expand_guarded(document: dict[str, Any], loader: Loader, state: _LoaderState) -> list[Any]:
    contexts = document["@context"]
    guarded = dict(document)  # shallow: pyld deep-copies its input
    guarded["@context"] = [_GUARD_CONTEXT, *(contexts if isinstance(contexts, list) else [contexts])]
    dropped: list[str | None] = []
    options = {
        "documentLoader": loader,
        "contextResolver": ContextResolver(state.resolved_contexts, loader),
        # No base: a relative IRI stays relative (and is refused below) instead of being resolved
        # against pyld's placeholder base http://example.org/base/.
        "base": None,
    }
    try:
        processor = _ContextCachingProcessor(state.processed_contexts, on_property_dropped=dropped.append)
        expanded = processor.expand(guarded, options)
    except CredfolioError:
        raise
    except Exception as error:  # pyld raises JsonLdError, but also ValueError/TypeError on odd input
        raise CanonicalizationError(_explain_jsonld_error(error)) from None
    if dropped:
        name = f" {dropped[0]!r}" if dropped[0] else ""
        raise CanonicalizationError(
            f"property{name} is dropped by JSON-LD expansion (a term mapped to null or a reset @vocab), "
            "so it would not be signed"
        )
    return expanded


class _ContextCachingProcessor(jsonld.JsonLdProcessor):
    """pyld's processor, remembering processed scoped contexts across documents.

    pyld caches a processed context per (resolved context, active context), but gives every
    non-propagating clone a fresh id, so the OB 3.0 type-scoped contexts (Achievement, Profile,
    AchievementSubject, …) are re-processed for every node of every credential — over half of all
    signing time. Processing is a pure function of the active context (immutable once frozen,
    identified by its ``_uuid``), the local context object and the flags, so the result is reused;
    returning the same frozen context also lets pyld's own caches downstream hit. Only calls on a
    frozen active context and without a pending cycle set are cached (never the pre-validation of
    a context still being built), and the local context is held so its ``id`` cannot be reused.
    The vector tests check the output stays byte-identical.
    """

    def __init__(self, cache: LRUCache, on_property_dropped: Callable[[str | None], Any]) -> None:
        super().__init__(on_property_dropped=on_property_dropped)
        self._processed = cache

    def _process_context(
        self,
        active_ctx: Any,
        local_ctx: Any,
        options: dict[str, Any],
        override_protected: bool = False,
        propagate: bool = True,
        validate_scoped: bool = True,
        cycles: set[str] | None = None,
    ) -> Any:
        arguments = (override_protected, propagate, validate_scoped)
        if cycles or not isinstance(active_ctx, frozendict) or "_uuid" not in active_ctx:
            return super()._process_context(active_ctx, local_ctx, options, *arguments, cycles)
        key = (active_ctx["_uuid"], id(local_ctx), *arguments, options.get("base"), options.get("processingMode"))
        cached = self._processed.get(key)
        if cached is not None and cached[0] is local_ctx:
            return cached[1]
        result = super()._process_context(active_ctx, local_ctx, options, *arguments, cycles)
        if isinstance(result, frozendict):
            self._processed[key] = (local_ctx, result)
        return result


def _to_canonical_nquads(expanded: list[Any], loader: Loader, state: _LoaderState) -> str:
    try:
        return _BudgetedURDNA2015().main(_expanded_to_dataset(expanded), {"format": "application/n-quads"})
    except CredfolioError:
        raise
    except Exception as error:
        raise CanonicalizationError(_explain_jsonld_error(error)) from None


def _expanded_to_dataset(expanded: list[Any]) -> dict[str, list[Any]]:
    """``jsonld.to_rdf`` minus its first step: the input is already expanded.

    The public ``to_rdf`` would expand the expanded document again, costing about a third of the
    total; these are the steps it runs afterwards (pyld 3.3, JSON-LD 1.1 "Deserialize JSON-LD to
    RDF"). The vector tests pin the output byte for byte, so a pyld change here cannot go unnoticed.
    """
    processor = jsonld.JsonLdProcessor()
    issuer = IdentifierIssuer("_:b")
    node_map: dict[str, Any] = {"@default": {}}
    with _indexed_has_value():
        processor._create_node_map(expanded, node_map, "@default", issuer)
    options = {"produceGeneralizedRdf": False, "rdfDirection": None, "processingMode": "json-ld-1.1"}
    dataset = {}
    for graph_name, graph in sorted(node_map.items()):
        # like to_rdf: named graphs with relative names are skipped (the guard refuses those anyway)
        if graph_name == "@default" or _ABSOLUTE_IRI.match(graph_name) or graph_name.startswith("_:"):
            dataset[graph_name] = processor._graph_to_rdf(graph, issuer, options)
    return dataset


@contextlib.contextmanager
def _indexed_has_value() -> Iterator[None]:
    """pyld's ``has_value`` with a hash index per (subject, property) instead of a scan, while the node map is built.

    Building the node map drops duplicate values by comparing each new value with every value the
    property already has, so a property with n values costs n² comparisons: a 100 KB badge with
    10,000 tags took over five minutes. The index answers exactly as ``compare_values`` does (same
    primitive with the same bool-ness; same ``@value``/``@type``/``@language``/``@index``; same
    ``@id``); values it cannot key (JSON literals, lists, odd objects) are still compared one by one.
    Values are only ever appended while the map is built, so the index grows with the list. Like the
    rest of this module (and pyld itself) this is not thread-safe: the class attribute is swapped
    for the duration of the call.
    """
    processor_class = jsonld.JsonLdProcessor
    original = processor_class.__dict__["has_value"]
    compare = processor_class.compare_values
    indexes: dict[tuple[int, str], list[Any]] = {}

    def has_value(subject: dict[str, Any], prop: str, value: Any) -> bool:
        if prop not in subject:
            return False
        values = subject[prop]
        if isinstance(values, dict) and "@list" in values:
            values = values["@list"]
        if not isinstance(values, list):
            return False if isinstance(value, list) else compare(value, values)
        if not values:
            return False
        entry = indexes.get((id(subject), prop))
        if entry is None or entry[0] is not values or entry[1] > len(values):
            entry = indexes[(id(subject), prop)] = [values, 0, set(), []]
        _, counted, keys, unkeyed = entry
        for item in values[counted:]:
            item_key = _value_key(item)
            if item_key is None:
                unkeyed.append(item)
            else:
                keys.add(item_key)
        entry[1] = len(values)
        key = _value_key(value)
        if key is None:
            return any(compare(value, item) for item in values)
        return key in keys or any(compare(value, item) for item in unkeyed)

    processor_class.has_value = staticmethod(has_value)
    try:
        yield
    finally:
        processor_class.has_value = original


def _value_key(value: Any) -> tuple[Any, ...] | None:
    """A hashable key equal for exactly the values pyld's ``compare_values`` calls equal, or None."""
    try:
        if isinstance(value, dict):
            if "@value" in value:
                if "@id" in value or isinstance(value["@value"], dict | list):
                    return None
                inner = value["@value"]
                key: tuple[Any, ...] = ("@value", value.get("@type"), value.get("@language"), value.get("@index"), isinstance(inner, bool), inner)
            elif value.get("@id") is not None:
                key = ("@id", value["@id"])
            else:
                return None
        elif isinstance(value, list):
            return None
        else:
            key = ("primitive", isinstance(value, bool), value)
        hash(key)
    except TypeError:
        return None
    return key


class _BudgetedURDNA2015(URDNA2015):
    """URDNA2015 with rdf-canonize's default work limit, so a hostile graph cannot run for hours.

    Like rdf-canonize 5 (``maxWorkFactor`` 1, used by jsonld.js and so by the reference verifiers),
    the N-degree hash may run at most as many times in total as there are blank nodes left without
    a unique first-degree hash. Real credentials need few or none; "poison graphs" need billions.
    """

    def main(self, dataset: dict[str, Any], options: dict[str, Any]) -> str:
        self._remaining_deep_iterations: int | None = None
        return super().main(dataset, options)

    def hash_n_degree_quads(self, id_: str, issuer: Any) -> dict[str, Any]:
        if self._remaining_deep_iterations is None:
            # First call: hash_to_blank_nodes now holds exactly the groups of non-unique blank nodes.
            non_unique = sum(len(ids) for ids in self.hash_to_blank_nodes.values())
            self._max_deep_iterations = non_unique**MAX_WORK_FACTOR
            self._remaining_deep_iterations = self._max_deep_iterations
        if self._remaining_deep_iterations <= 0:
            raise CanonicalizationError(
                f"document is too expensive to canonicalize (more than {self._max_deep_iterations} deep "
                "iterations, the limit jsonld.js verifiers use too); give its objects ids"
            )
        self._remaining_deep_iterations -= 1
        return super().hash_n_degree_quads(id_, issuer)


def _check_json(value: Any, path: tuple[str | int, ...], depth: int, in_context: bool = False) -> None:
    """Refuse JSON values that JSON-LD processors would treat differently or silently drop."""
    if depth > MAX_DEPTH:
        raise CanonicalizationError(f"{_path(path)}: nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, str):
        _check_text(value, path)
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalizationError(f"{_path(path)}: object keys must be text, not {key!r}")
            _check_text(key, (*path, key))
            if key.startswith("@") and key not in _JSON_LD_KEYWORDS and re.fullmatch(r"@[A-Za-z]+", key):
                raise CanonicalizationError(
                    f"{_path((*path, key))}: {key!r} looks like a JSON-LD keyword but is not one, so it would not be signed"
                )
            if key in _CONTEXT_ONLY_KEYWORDS and not in_context:
                # Expansion ignores these outside a context, so the JSON would show a value nobody signed.
                raise CanonicalizationError(
                    f"{_path((*path, key))}: {key!r} only has a meaning inside @context; here JSON-LD ignores it, so it would not be signed"
                )
            _check_json(item, (*path, key), depth + 1, in_context or key == "@context")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_json(item, (*path, index), depth + 1, in_context)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise CanonicalizationError(
                f"{_path(path)}: {value} is too large for JavaScript verifiers to read exactly; write it as text"
            )
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise CanonicalizationError(f"{_path(path)}: {value} is not a JSON number")
        if value.is_integer():
            raise CanonicalizationError(
                f"{_path(path)}: write {int(value)} rather than {value!r}; JavaScript reads it as an integer, "
                "which canonicalizes differently"
            )
    else:
        raise CanonicalizationError(f"{_path(path)}: {type(value).__name__} is not a JSON value")


def _check_text(text: str, path: tuple[str | int, ...]) -> None:
    found = _FORBIDDEN_CHARACTERS.search(text)
    if found:
        code = ord(found.group())
        kind = "a lone surrogate" if 0xD800 <= code <= 0xDFFF else "a control character"
        raise CanonicalizationError(
            f"{_path(path)}: contains {kind} (U+{code:04X}); remove it — canonical N-Quads escape it "
            "differently between implementations"
        )


def _check_expanded(expanded: Any, document: dict[str, Any]) -> None:
    """Walk expanded JSON-LD and refuse undefined terms, issuer-dependent terms and relative IRIs."""
    for iri, role in _expanded_iris(expanded):
        if iri.startswith(UNDEFINED_TERM_PREFIX):
            term = iri[len(UNDEFINED_TERM_PREFIX) :]
            raise CanonicalizationError(
                f"{_locate(document, term)}: undefined JSON-LD term {term!r}: no context in @context defines it, "
                "so it would not be signed as written"
            )
        if iri.startswith(ISSUER_DEPENDENT_PREFIX):
            term = iri[len(ISSUER_DEPENDENT_PREFIX) :]
            raise CanonicalizationError(
                f"{_locate(document, term)}: term {term!r} is only covered by the issuer-dependent @vocab of the "
                "credentials context; define it in a context"
            )
        if iri.startswith("_:") and not re.search(r"\s", iri):
            if role == "property":
                raise CanonicalizationError(f"blank node property {iri!r} cannot be signed (not RDF)")
            continue
        if not _ABSOLUTE_IRI.match(iri):
            raise CanonicalizationError(
                f"{_locate(document, iri)}: {iri!r} in {role} is not an absolute IRI (relative, or contains "
                "spaces), so it would not be signed; use an absolute URL, URN or DID"
            )


def _expanded_iris(value: Any) -> Iterator[tuple[str, str]]:
    """Yield (IRI, role) for every property, @id, @type and datatype in expanded JSON-LD."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            is_value_object = "@value" in item
            for key, child in item.items():
                if key == "@id":
                    yield child, "@id"
                elif key == "@type":
                    if is_value_object:
                        if child != "@json":
                            yield child, "a value's @type"
                    else:
                        for type_iri in child if isinstance(child, list) else [child]:
                            yield type_iri, "@type"
                elif key in ("@value", "@language", "@direction", "@index"):
                    continue
                elif key.startswith("@"):
                    stack.append(child)
                else:
                    yield key, "property"
                    stack.append(child)


def _locate(document: Any, needle: str) -> str:
    """JSON path of the first key or string value equal to ``needle`` (for error messages)."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(document, ())]
    while stack:
        value, path = stack.pop(0)
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "@context":
                    continue
                if key == needle:
                    return _path((*path, key))
                stack.append((item, (*path, key)))
        elif isinstance(value, list):
            stack.extend((item, (*path, index)) for index, item in enumerate(value))
        elif value == needle:
            return _path(path)
    return "document"


def _path(path: tuple[str | int, ...]) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_@][A-Za-z0-9_@-]*", part):
            text += f".{part}" if text else part
        else:
            text += f"[{json.dumps(part)}]"
    return text or "document"


def _explain_jsonld_error(error: BaseException) -> str:
    """One plain sentence for a pyld failure: the innermost JsonLdError, and the context URL if one failed to load."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    for item in chain:
        details = getattr(item, "details", None)
        code = getattr(item, "code", None)
        if isinstance(details, dict) and details.get("url") and code in ("loading remote context failed", "loading document failed"):
            return f"unknown JSON-LD context {details['url']}: only bundled contexts are used, nothing is fetched"
    innermost = next((item for item in reversed(chain) if isinstance(item, jsonld.JsonLdError)), None)
    if innermost is None:
        return f"JSON-LD processing failed: {error}"
    message = innermost.args[0] if innermost.args else "error"
    details = innermost.details if isinstance(innermost.details, dict) else {}
    term = f" (term {details['term']!r})" if "term" in details else ""
    code = f" [{innermost.code}]" if innermost.code else ""
    return f"JSON-LD processing failed: {message}{term}{code}"


# --- proofs --------------------------------------------------------------------------------------


def format_created(created: datetime) -> str:
    """``created`` as ``YYYY-MM-DDTHH:MM:SSZ`` (UTC, no fractional seconds); naive datetimes are refused."""
    if not isinstance(created, datetime) or created.tzinfo is None or created.utcoffset() is None:
        raise ProofError("created must be a timezone-aware datetime")
    return created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def proof_hash_input(
    unsecured_document: dict[str, Any],
    proof_options: dict[str, Any],
    *,
    loader: Loader = document_loader,
    canonical_document: str | None = None,
) -> bytes:
    """The 64 bytes eddsa-rdfc-2022 signs: SHA-256(canonical proof config) ‖ SHA-256(canonical document).

    ``unsecured_document`` must not contain ``proof``; ``proof_options`` must not contain
    ``proofValue``. The proof configuration gets the document's ``@context`` (§3.2.5).
    ``canonical_document`` is :func:`canonicalize` of ``unsecured_document`` when the caller already
    has it (a verifier that checked the vocabulary first), so the document is not canonicalized twice.
    """
    if "proof" in unsecured_document:
        raise ProofError("the document to hash still has a proof; remove every proof first")
    if "proofValue" in proof_options:
        raise ProofError("the proof options to hash still have a proofValue; remove it first")
    config = {key: value for key, value in proof_options.items() if key != "@context"}
    if "@context" in unsecured_document:
        config["@context"] = unsecured_document["@context"]
    proof_hash = _proof_config_hash(config, loader)
    if canonical_document is None:
        canonical_document = canonicalize(unsecured_document, loader=loader)
    document_hash = hashlib.sha256(canonical_document.encode("utf-8")).digest()
    return proof_hash + document_hash


def _proof_config_hash(config: dict[str, Any], loader: Loader) -> bytes:
    # Bulk issuance signs many documents with one proof configuration; canonicalize it once.
    state = _state_for(loader)
    try:
        key = json.dumps(config, sort_keys=True, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        key = None
    cached = state.proof_configs.get(key) if key is not None else None
    if cached is None:
        cached = hashlib.sha256(canonicalize(config, loader=loader).encode("utf-8")).digest()
        if key is not None:
            state.proof_configs[key] = cached
    return cached


def create_proof(
    document: dict[str, Any],
    *,
    private_key: Ed25519PrivateKey,
    verification_method: str,
    created: datetime,
    proof_purpose: str = "assertionMethod",
    loader: Loader = document_loader,
) -> dict[str, Any]:
    """Sign a verifiable credential with an eddsa-rdfc-2022 ``DataIntegrityProof``; return a new, signed copy.

    ``proof`` in the result is always an array; an existing proof (object or array) is kept and the
    new one appended, and — as proof sets require — the signature covers the document without any
    existing proof. The proof carries no ``@context`` of its own.
    """
    if not isinstance(document, dict):
        raise ProofError("only a JSON object can be signed")
    _check_credential_context(document)
    if not isinstance(verification_method, str) or not _ABSOLUTE_IRI.match(verification_method):
        raise ProofError(f"verificationMethod must be an absolute URL or DID URL, not {verification_method!r}")
    if not isinstance(proof_purpose, str) or not proof_purpose:
        raise ProofError("proofPurpose must be a non-empty string")
    options = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": format_created(created),
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
    }
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    signature = private_key.sign(proof_hash_input(unsecured, options, loader=loader))
    signed = copy.deepcopy(document)
    signed["proof"] = [*document_proofs(signed), {**options, "proofValue": encode_multibase(signature)}]
    return signed


def document_proofs(document: dict[str, Any]) -> list[Any]:
    """The document's proofs as a list (``proof`` may be absent, one object or an array)."""
    proofs = document.get("proof")
    if proofs is None:
        return []
    return list(proofs) if isinstance(proofs, list) else [proofs]


def verify_proof(
    document: dict[str, Any],
    proof: dict[str, Any],
    *,
    public_key: Ed25519PublicKey,
    loader: Loader = document_loader,
    expected_proof_purpose: str | None = "assertionMethod",
    canonical_document: str | None = None,
) -> None:
    """Check one eddsa-rdfc-2022 proof of ``document`` against ``public_key``; :class:`ProofError` says why not.

    The document is hashed without any of its proofs (proof-set semantics) and the proof without its
    ``proofValue``. Pass ``expected_proof_purpose=None`` to accept any purpose. Both this and
    :func:`create_proof` require the credentials v2 context first, as VC Data Model 2.0 does.
    ``canonical_document``: :func:`canonicalize` of the document without its proofs, if already computed.
    """
    if not isinstance(document, dict):
        raise ProofError("the credential is not a JSON object")
    if not isinstance(proof, dict):
        raise ProofError("the proof is not a JSON object")
    if proof.get("type") != PROOF_TYPE:
        raise ProofError(f"proof type is {proof.get('type')!r}; only {PROOF_TYPE} is supported")
    if proof.get("cryptosuite") != CRYPTOSUITE:
        raise ProofError(f"proof cryptosuite is {proof.get('cryptosuite')!r}; only {CRYPTOSUITE} is supported")
    signature = _decode_proof_value(proof.get("proofValue"))
    if "created" in proof and not _is_xsd_datetime(proof["created"]):
        raise ProofError(f"proof created {proof['created']!r} is not a valid date and time")
    if not isinstance(proof.get("verificationMethod"), str):
        raise ProofError("proof has no verificationMethod")
    purpose = proof.get("proofPurpose")
    if not isinstance(purpose, str):
        raise ProofError("proof has no proofPurpose")
    if expected_proof_purpose is not None and purpose != expected_proof_purpose:
        raise ProofError(f"proof purpose is {purpose!r}, expected {expected_proof_purpose!r}")
    _check_credential_context(document)
    if "@context" in proof:
        _check_proof_context(proof["@context"], document.get("@context"))
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    options = {key: value for key, value in proof.items() if key not in ("proofValue", "@context")}
    hash_data = proof_hash_input(unsecured, options, loader=loader, canonical_document=canonical_document)
    try:
        public_key.verify(signature, hash_data)
    except InvalidSignature:
        raise ProofError(
            "signature does not match: the credential or its proof changed after signing, or another key signed it"
        ) from None


def _check_credential_context(document: dict[str, Any]) -> None:
    # VC Data Model 2.0 §4.3: the first @context is the credentials v2 URL. Reordering contexts may
    # leave the N-Quads (and so the signature) intact while changing how the JSON reads, so a
    # credential whose contexts were moved is refused here rather than trusted.
    contexts = document.get("@context")
    first = contexts[0] if isinstance(contexts, list) and contexts else contexts
    if first != CREDENTIALS_V2:
        raise ProofError(f"the first @context must be {CREDENTIALS_V2} (VC Data Model 2.0), not {first!r}")


def _decode_proof_value(proof_value: Any) -> bytes:
    if not isinstance(proof_value, str) or not proof_value:
        raise ProofError("proof has no proofValue")
    if not proof_value.startswith("z"):
        raise ProofError("proofValue must be multibase base58btc (start with 'z')")
    try:
        signature = decode_multibase(proof_value)
    except ValueError as error:
        raise ProofError(f"proofValue is not valid base58btc: {error}") from None
    if len(signature) != SIGNATURE_BYTES:
        raise ProofError(f"proofValue decodes to {len(signature)} bytes; an Ed25519 signature has {SIGNATURE_BYTES}")
    return signature


def _is_xsd_datetime(value: Any) -> bool:
    if not isinstance(value, str) or not _XSD_DATETIME.match(value):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _check_proof_context(proof_context: Any, document_context: Any) -> None:
    # vc-di-eddsa verify step: a proof @context must be a prefix of the document's @context.
    proof_list = proof_context if isinstance(proof_context, list) else [proof_context]
    document_list = document_context if isinstance(document_context, list) else [document_context]
    if document_list[: len(proof_list)] != proof_list:
        raise ProofError("the proof's @context does not match the start of the credential's @context")


# --- bulk signing --------------------------------------------------------------------------------

_worker_key: Ed25519PrivateKey | None = None


def _init_worker(private_key_bytes: bytes) -> None:
    global _worker_key
    _worker_key = Ed25519PrivateKey.from_private_bytes(private_key_bytes)


def _sign_chunk(task: tuple[int, list[dict[str, Any]], dict[str, Any]]) -> list[dict[str, Any]]:
    start, documents, arguments = task
    assert _worker_key is not None
    return _sign_all(documents, start=start, private_key=_worker_key, **arguments)


def _sign_all(
    documents: Sequence[dict[str, Any]], *, start: int, private_key: Ed25519PrivateKey,
    finish: Callable[[dict[str, Any]], Any] | None = None, **arguments: Any
) -> list[Any]:
    signed = []
    for offset, document in enumerate(documents):
        try:
            result = create_proof(document, private_key=private_key, **arguments)
        except CredfolioError as error:
            raise type(error)(f"document {start + offset + 1}: {error}") from None
        signed.append(finish(result) if finish is not None else result)
    return signed


class BulkSigner:
    """Signs batch after batch with one set of worker processes (a context manager).

    Starting processes and warming their context caches costs more than signing a small batch, so a
    long run (``credfolio issue --csv``, ``credfolio synth``) keeps one pool for all its batches. With
    ``processes=1`` (or one CPU) everything is signed in this process. ``finish`` — a picklable,
    module-level function — runs in the worker on each signed document (e.g. serializing it to text),
    which spreads that work over the CPUs too.
    """

    def __init__(self, private_key: Ed25519PrivateKey, *, processes: int | None = None) -> None:
        self.private_key = private_key
        self.processes = max(1, processes if processes is not None else (os.cpu_count() or 1))
        self._executor: concurrent.futures.ProcessPoolExecutor | None = None

    def __enter__(self) -> BulkSigner:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the worker processes (idempotent)."""
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)
            self._executor = None

    def sign(
        self,
        documents: Sequence[dict[str, Any]],
        *,
        verification_method: str,
        created: datetime,
        proof_purpose: str = "assertionMethod",
        loader: Loader = document_loader,
        finish: Callable[[dict[str, Any]], Any] | None = None,
    ) -> list[Any]:
        """Sign ``documents`` like :func:`create_proof`; results (or ``finish(result)``) keep the input order."""
        arguments = {"verification_method": verification_method, "created": created, "proof_purpose": proof_purpose,
                     "loader": loader, "finish": finish}
        documents = list(documents)
        workers = min(self.processes, len(documents)) if documents else 1
        if workers == 1:
            return _sign_all(documents, start=0, private_key=self.private_key, **arguments)
        format_created(created)  # fail fast, before starting processes
        if self._executor is None:
            self._executor = concurrent.futures.ProcessPoolExecutor(
                max_workers=self.processes, initializer=_init_worker, initargs=(self.private_key.private_bytes_raw(),)
            )
        chunk_size = max(1, math.ceil(len(documents) / (workers * 4)))
        tasks = [(start, documents[start : start + chunk_size], arguments) for start in range(0, len(documents), chunk_size)]
        return [signed for chunk in self._executor.map(_sign_chunk, tasks) for signed in chunk]


def sign_many(
    documents: Sequence[dict[str, Any]],
    *,
    private_key: Ed25519PrivateKey,
    verification_method: str,
    created: datetime,
    proof_purpose: str = "assertionMethod",
    loader: Loader = document_loader,
    processes: int | None = None,
) -> list[dict[str, Any]]:
    """Sign many documents like :func:`create_proof`, in parallel processes; results keep the input order.

    ``processes`` defaults to the number of CPUs; 1 signs in this process. The key crosses to the
    workers as raw bytes and documents travel in chunks; ``loader`` must be picklable (a module-level
    function). A failure names the 1-based position of the document. For many batches in a row, use
    one :class:`BulkSigner`.
    """
    with BulkSigner(private_key, processes=processes) as signer:
        return signer.sign(documents, verification_method=verification_method, created=created,
                           proof_purpose=proof_purpose, loader=loader)
