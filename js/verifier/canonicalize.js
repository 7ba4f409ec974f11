// RDFC-1.0 canonical N-Quads with credfolio's "safe mode" — a port of credfolio.proof.canonicalize.
//
// jsonld.js (like pyld) silently drops terms no context defines, so they would not be signed. The
// same guards as in Python apply before anything is hashed:
// * no C0 control characters (other than tab, LF, CR), DEL or lone surrogates in any string;
// * every term defined: the document is expanded with a fallback @vocab "urn:credfolio:undefined:"
//   placed before its own contexts, and IRIs in that namespace — or in the VC 2.0 issuer-dependent
//   vocabulary — are refused, as is any property the expansion drops;
// * @id / @type values must be absolute IRIs (no base IRI is used);
// * only the bundled contexts are used: the loader refuses every other URL and never fetches.

import jsonld from 'jsonld';
import rdfCanonize from 'rdf-canonize';
import CONTEXT_TEXTS from 'credfolio:contexts';
import {jsonPath} from './json.js';

export const UNDEFINED_TERM_PREFIX = 'urn:credfolio:undefined:';
export const ISSUER_DEPENDENT_PREFIX = 'https://www.w3.org/ns/credentials/issuer-dependent#';
export const MAX_DEPTH = 48;
export const CONTEXT_URLS = new Set(Object.keys(CONTEXT_TEXTS));

/** A document that cannot be canonicalized safely; `message` names the JSON path or term. */
export class CanonicalizationError extends Error {}

const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;
const ABSOLUTE_IRI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$/;
const KEYWORDS = new Set(('@base @container @context @direction @graph @id @import @included @index @json @language @list ' +
  '@nest @none @prefix @propagate @protected @reverse @set @type @value @version @vocab').split(' '));
const GUARD_CONTEXT = {'@vocab': UNDEFINED_TERM_PREFIX};
const parsedContexts = new Map();

/** The offline document loader: bundled contexts only, parsed once, never fetched. */
export async function documentLoader(url) {
  if (!CONTEXT_URLS.has(url)) {
    const error = new Error(`JSON-LD context is not bundled with credfolio and is never fetched: ${url}`);
    error.unknownContext = url;
    throw error;
  }
  if (!parsedContexts.has(url)) parsedContexts.set(url, JSON.parse(CONTEXT_TEXTS[url]));
  // "static" lets jsonld.js keep the processed context in its cache; jsonld.js never mutates it.
  return {contextUrl: null, documentUrl: url, document: parsedContexts.get(url), tag: 'static'};
}

const isObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);

/** The first control character or lone surrogate in `text` (a Python str never holds a paired one), or -1. */
function forbiddenCode(text) {
  const control = CONTROL.exec(text);
  let first = control ? control.index : text.length;
  // No regex lookbehind here: older Safari versions cannot even parse it.
  for (let i = 0; i < first; i += 1) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i += 1;
      else first = i;
    } else if (code >= 0xdc00 && code <= 0xdfff) {
      first = i;
    }
  }
  return first < text.length ? text.charCodeAt(first) : -1;
}

function checkText(text, path) {
  const code = forbiddenCode(text);
  if (code >= 0) {
    const kind = code >= 0xd800 && code <= 0xdfff ? 'a lone surrogate' : 'a control character';
    const hex = code.toString(16).toUpperCase().padStart(4, '0');
    throw new CanonicalizationError(
      `${jsonPath(path)}: contains ${kind} (U+${hex}); remove it — canonical N-Quads escape it differently between implementations`);
  }
}

// Keywords that mean something only in a context definition; elsewhere expansion drops them silently.
const CONTEXT_ONLY_KEYWORDS = new Set('@base @container @import @prefix @propagate @protected @version @vocab'.split(' '));

function checkJson(value, path, depth, inContext = false) {
  if (depth > MAX_DEPTH) throw new CanonicalizationError(`${jsonPath(path)}: nested more than ${MAX_DEPTH} levels deep`);
  if (typeof value === 'string') {
    checkText(value, path);
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => checkJson(item, [...path, index], depth + 1, inContext));
  } else if (isObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      checkText(key, [...path, key]);
      if (key.startsWith('@') && !KEYWORDS.has(key) && /^@[A-Za-z]+$/.test(key)) {
        throw new CanonicalizationError(
          `${jsonPath([...path, key])}: '${key}' looks like a JSON-LD keyword but is not one, so it would not be signed`);
      }
      if (CONTEXT_ONLY_KEYWORDS.has(key) && !inContext) {
        throw new CanonicalizationError(
          `${jsonPath([...path, key])}: '${key}' only has a meaning inside @context; here JSON-LD ignores it, so it would not be signed`);
      }
      checkJson(item, [...path, key], depth + 1, inContext || key === '@context');
    }
  } else if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new CanonicalizationError(`${jsonPath(path)}: ${value} is not a JSON number`);
    if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
      throw new CanonicalizationError(`${jsonPath(path)}: ${value} is too large for JavaScript verifiers to read exactly; write it as text`);
    }
  } else if (!(typeof value === 'boolean' || value === null)) {
    throw new CanonicalizationError(`${jsonPath(path)}: ${typeof value} is not a JSON value`);
  }
}

function* expandedIris(value) {
  const stack = [value];
  while (stack.length) {
    const item = stack.pop();
    if (Array.isArray(item)) {
      stack.push(...item);
    } else if (isObject(item)) {
      const isValueObject = '@value' in item;
      for (const [key, child] of Object.entries(item)) {
        if (key === '@id') yield [child, '@id'];
        else if (key === '@type') {
          if (isValueObject) {
            if (child !== '@json') yield [child, "a value's @type"];
          } else {
            for (const type of Array.isArray(child) ? child : [child]) yield [type, '@type'];
          }
        } else if (['@value', '@language', '@direction', '@index'].includes(key)) {
          continue;
        } else if (key.startsWith('@')) {
          stack.push(child);
        } else {
          yield [key, 'property'];
          stack.push(child);
        }
      }
    }
  }
}

function locate(document, needle) {
  const queue = [[document, []]];
  while (queue.length) {
    const [value, path] = queue.shift();
    if (isObject(value)) {
      for (const [key, item] of Object.entries(value)) {
        if (key === '@context') continue;
        if (key === needle) return jsonPath([...path, key]);
        queue.push([item, [...path, key]]);
      }
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => queue.push([item, [...path, index]]));
    } else if (value === needle) {
      return jsonPath(path);
    }
  }
  return 'document';
}

function checkExpanded(expanded, document) {
  for (const [iri, role] of expandedIris(expanded)) {
    if (typeof iri !== 'string') continue;
    if (iri.startsWith(UNDEFINED_TERM_PREFIX)) {
      const term = iri.slice(UNDEFINED_TERM_PREFIX.length);
      throw new CanonicalizationError(
        `${locate(document, term)}: undefined JSON-LD term '${term}': no context in @context defines it, so it would not be signed as written`);
    }
    if (iri.startsWith(ISSUER_DEPENDENT_PREFIX)) {
      const term = iri.slice(ISSUER_DEPENDENT_PREFIX.length);
      throw new CanonicalizationError(
        `${locate(document, term)}: term '${term}' is only covered by the issuer-dependent @vocab of the credentials context; define it in a context`);
    }
    if (iri.startsWith('_:') && !/\s/.test(iri)) {
      if (role === 'property') throw new CanonicalizationError(`blank node property '${iri}' cannot be signed (not RDF)`);
      continue;
    }
    if (!ABSOLUTE_IRI.test(iri)) {
      throw new CanonicalizationError(
        `${locate(document, iri)}: '${iri}' in ${role} is not an absolute IRI (relative, or contains spaces), so it would not be signed; use an absolute URL, URN or DID`);
    }
  }
}

function explain(error) {
  for (let current = error; current; current = current.cause || current.details?.cause) {
    if (current.unknownContext) return `unknown JSON-LD context ${current.unknownContext}: only bundled contexts are used, nothing is fetched`;
    const url = current.details?.url;
    if (url && !CONTEXT_URLS.has(url)) return `unknown JSON-LD context ${url}: only bundled contexts are used, nothing is fetched`;
    if (!current.cause && !current.details?.cause) break;
  }
  const code = error.details?.code ? ` [${error.details.code}]` : '';
  return `JSON-LD processing failed: ${error.message}${code}`;
}

/**
 * RDFC-1.0 canonical N-Quads of a JSON-LD document, refusing anything unsafe to sign.
 * @param {object} document
 * @param {{numberProblems?: string[]}} [options] numbers the strict JSON parser found JavaScript cannot
 *   hold exactly (Python refuses those too)
 * @returns {Promise<string>}
 */
export async function canonicalize(document, {numberProblems = []} = {}) {
  if (!isObject(document)) throw new CanonicalizationError('a JSON-LD document must be a JSON object');
  checkJson(document, [], 0);
  if (numberProblems.length) throw new CanonicalizationError(numberProblems[0]);
  if (!('@context' in document)) throw new CanonicalizationError('document has no @context, so none of its terms are defined');
  const contexts = Array.isArray(document['@context']) ? document['@context'] : [document['@context']];
  const guarded = {...document, '@context': [GUARD_CONTEXT, ...contexts]};
  const dropped = [];
  const eventHandler = ({event, next}) => {
    if (event.code === 'invalid property' || event.code === 'invalid reverse property') dropped.push(event.details?.property ?? null);
    else next();
  };
  let expanded;
  try {
    expanded = await jsonld.expand(guarded, {documentLoader, base: null, eventHandler});
  } catch (error) {
    throw new CanonicalizationError(explain(error));
  }
  if (dropped.length) {
    const name = dropped[0] ? ` '${dropped[0]}'` : '';
    throw new CanonicalizationError(
      `property${name} is dropped by JSON-LD expansion (a term mapped to null or a reset @vocab), so it would not be signed`);
  }
  checkExpanded(expanded, document);
  try {
    const dataset = await withIndexedHasValue(() => jsonld.toRDF(expanded, {skipExpansion: true, produceGeneralizedRdf: false, safe: false, base: null}));
    // maxWorkFactor 1 (rdf-canonize's default, and proof.py's budget): a hostile graph cannot run for hours.
    return await rdfCanonize.canonize(dataset, {algorithm: 'RDFC-1.0', format: 'application/n-quads', maxWorkFactor: 1});
  } catch (error) {
    throw new CanonicalizationError(explain(error));
  }
}

// jsonld.js drops duplicate values while it builds the node map by comparing each new value with every
// value the property already has: n values cost n² comparisons, so a 0.5 MB badge with 50,000 tags
// froze the page for minutes (pyld has the same flaw; proof.py's _indexed_has_value is the twin of
// this). While toRDF runs, util.hasValue answers from a hash index per (subject, property), exactly as
// util.compareValues would (=== primitives; same @value/@type/@language/@index; same @id). Values it
// cannot key (JSON literals, arrays, odd objects) are still compared one by one. The node map only
// appends values, so the index grows with the array.
async function withIndexedHasValue(run) {
  const util = jsonld.util;
  const original = util.hasValue;
  const indexes = new WeakMap(); // subject -> Map(property -> {values, counted, keys, unkeyed})
  util.hasValue = (subject, property, value) => {
    if (!util.hasProperty(subject, property)) return false;
    let values = subject[property];
    const isList = isPlainObject(values) && has(values, '@list');
    if (isList) values = values['@list'];
    if (!Array.isArray(values)) return Array.isArray(value) ? false : util.compareValues(value, values);
    let byProperty = indexes.get(subject);
    if (!byProperty) indexes.set(subject, (byProperty = new Map()));
    let entry = byProperty.get(property);
    if (!entry || entry.values !== values || entry.counted > values.length) {
      entry = {values, counted: 0, keys: new Set(), unkeyed: []};
      byProperty.set(property, entry);
    }
    for (let i = entry.counted; i < values.length; ++i) {
      const key = valueKey(values[i]);
      if (key === null) entry.unkeyed.push(values[i]);
      else entry.keys.add(key);
    }
    entry.counted = values.length;
    const key = valueKey(value);
    if (key === null) return values.some((item) => util.compareValues(value, item));
    return entry.keys.has(key) || entry.unkeyed.some((item) => util.compareValues(value, item));
  };
  try {
    return await run();
  } finally {
    util.hasValue = original;
  }
}

const isPlainObject = (value) => Object.prototype.toString.call(value) === '[object Object]';
const has = (node, key) => Object.prototype.hasOwnProperty.call(node, key);
const KEYABLE = new Set(['string', 'number', 'boolean']);
const optionalText = (value) => value === undefined || typeof value === 'string';

/** A string equal for exactly the values jsonld.js's compareValues calls equal, or null. */
function valueKey(value) {
  if (value === null || KEYABLE.has(typeof value)) return JSON.stringify(['primitive', typeof value, value]);
  if (!isPlainObject(value)) return null;
  if ('@value' in value) {
    const inner = value['@value'];
    if ('@id' in value || !KEYABLE.has(typeof inner) || ![value['@type'], value['@language'], value['@index']].every(optionalText)) return null;
    return JSON.stringify(['@value', typeof inner, inner, value['@type'] ?? null, value['@language'] ?? null, value['@index'] ?? null]);
  }
  if ('@id' in value && typeof value['@id'] === 'string') return JSON.stringify(['@id', value['@id']]);
  return null;
}
