// verifyCredential: the browser twin of credfolio.verify.verify_credential.
//
// Same seven checks in the same order, the same rules and the same states, so a badge page and
// `credfolio verify` never disagree (tests/test_browser_verifier.py compares both on every case):
//
//   structure   the input is one JSON object (strict parse: duplicate keys refused)
//   schema      the OB 3.0 AchievementCredential shape (shape.js = credential.shape_problems)
//   contexts    every JSON-LD context is bundled and every term is defined
//   proof       every proof is a valid DataIntegrityProof / eddsa-rdfc-2022 signature
//   issuer_key  each signing key belongs to the issuer (did:web document, assertionMethod, controller)
//   dates       validFrom has arrived (5 minutes of clock skew) and validUntil has not passed
//   status      the Bitstring Status List says the badge is not revoked or suspended
//
// States: verified, expired, revoked, suspended, failed, unknown-status. A status that could not
// be checked is never reported as valid.

import {canonicalize, CanonicalizationError, CONTEXT_URLS} from './canonicalize.js';
import {resolveDid, ResolutionError} from './did.js';
import {sha256, verifyEd25519} from './ed25519.js';
import {JsonProblem, parseStrictJson} from './json.js';
import {decodeMultibase, multikeyToPublicKey} from './multibase.js';
import {CREDENTIALS_V2, isDigits, parseDatetime, shapeProblems} from './shape.js';
import {checkStatus, StatusError} from './status.js';

export const CHECK_IDS = ['structure', 'schema', 'contexts', 'proof', 'issuer_key', 'dates', 'status'];
export const STATES = ['verified', 'expired', 'revoked', 'suspended', 'failed', 'unknown-status'];
// More proofs than this are refused unchecked (credfolio.verify.MAX_PROOFS): each costs a
// canonicalization and a key lookup, and real credentials carry one or two.
export const MAX_PROOFS = 16;
export const SUPPORTED_PROOF_TYPE = 'DataIntegrityProof';
export const SUPPORTED_CRYPTOSUITE = 'eddsa-rdfc-2022';
export const CLOCK_SKEW_MS = 5 * 60 * 1000;
/** Raw credentials larger than this are refused unread (credfolio.verify.MAX_CREDENTIAL_BYTES: the baked-badge limit). */
export const MAX_CREDENTIAL_BYTES = 2 * 1024 * 1024;

/** Numbers the strict parser found that JavaScript cannot hold exactly, per parsed document. */
export const NUMBER_PROBLEMS = new WeakMap();

const NOT_READ = 'not checked: the input is not a readable credential';
const XSD_DATETIME = /^-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;

const isObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);
const has = (node, key) => Object.prototype.hasOwnProperty.call(node, key);
const check = (id, ok, message) => ({id, ok, message});
const repr = (value) => (value === undefined || value === null ? 'None' : typeof value === 'string' ? `'${value}'` : JSON.stringify(value));
const without = (document, key) => Object.fromEntries(Object.entries(document).filter(([k]) => k !== key));

/**
 * Verify an Open Badges 3.0 credential.
 * @param {object|string|Uint8Array|ArrayBuffer} input the credential, or its JSON text / UTF-8 bytes
 * @param {object} options
 * @param {Date|number} [options.now] the verifier's clock (default: the device clock)
 * @param {(url: string) => Promise<object>} options.fetchJson fetches a JSON object (DID documents,
 *   status lists); throws an Error whose message says what could not be fetched and why
 * @param {'auto'|'webcrypto'|'noble'} [options.signatureBackend] Ed25519 implementation
 * @returns {Promise<{verified: boolean, state: string, checks: {id: string, ok: boolean|null, message: string}[]}>}
 */
export async function verifyCredential(input, {now = Date.now(), fetchJson, signatureBackend = 'auto', clockSkewMs = CLOCK_SKEW_MS} = {}) {
  if (typeof fetchJson !== 'function') throw new TypeError('verifyCredential needs a fetchJson function');
  const session = {
    now: now instanceof Date ? now.getTime() : now,
    fetchJson,
    clockSkewMs,
    signatureBackend,
    methods: new Map(),
    canonical: new Map(),
    backendsUsed: new Set(),
  };
  const [credential, structure, numberProblems] = checkStructure(input);
  if (credential === null) {
    return {verified: false, state: 'failed', checks: [structure, ...CHECK_IDS.slice(1).map((id) => check(id, null, NOT_READ))]};
  }
  session.numberProblems = numberProblems;
  const schema = checkSchema(credential);
  const contexts = await checkContexts(credential, session);
  const [proof, issuerKey] = await checkSignatures(credential, session, contexts.ok === true);
  const [dates, dateOutcome] = checkDates(credential, session);
  const [status, statusOutcome] = await checkStatusChecks(credential, session);
  const checks = [structure, schema, contexts, proof, issuerKey, dates, status];
  const state = overallState(checks.slice(0, 5), dateOutcome, statusOutcome);
  return {verified: state === 'verified', state, checks, signatureBackends: [...session.backendsUsed]};
}

function overallState(core, dateOutcome, statusOutcome) {
  if (core.some((c) => c.ok !== true) || ['invalid', 'not-yet-valid'].includes(dateOutcome) || statusOutcome === 'invalid') return 'failed';
  if (statusOutcome === 'revoked' || statusOutcome === 'suspended') return statusOutcome;
  if (dateOutcome === 'expired') return 'expired';
  if (statusOutcome === 'unknown') return 'unknown-status';
  return 'verified';
}

// --- structure / schema / contexts ------------------------------------------------------------

function jsonKind(value) {
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return 'a string';
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'boolean') return 'bool';
  return typeof value;
}

function checkStructure(input) {
  let parsed = input;
  let numberProblems = [];
  if (typeof input === 'string' || input instanceof Uint8Array || input instanceof ArrayBuffer) {
    const size = typeof input === 'string' ? new TextEncoder().encode(input).length : input.byteLength;
    if (size > MAX_CREDENTIAL_BYTES) {
      // Refused before parsing, so a huge input costs no more than reading it (no badge comes close).
      const grouped = (n) => n.toLocaleString('en-US');
      return [null, check('structure', false, `the credential is ${grouped(size)} bytes; credfolio verifies credentials of at most ${grouped(MAX_CREDENTIAL_BYTES)} bytes`), []];
    }
    try {
      ({value: parsed, numberProblems} = parseStrictJson(input, 'the credential'));
    } catch (error) {
      if (error instanceof JsonProblem) return [null, check('structure', false, error.message), []];
      throw error;
    }
  } else if (isObject(input)) {
    parsed = JSON.parse(JSON.stringify(input)); // never touch the caller's object
  }
  if (!isObject(parsed)) return [null, check('structure', false, `the credential must be a JSON object, not ${jsonKind(parsed)}`), []];
  return [parsed, check('structure', true, 'the credential is one well-formed JSON object'), numberProblems];
}

function checkSchema(credential) {
  const problems = shapeProblems(credential);
  if (!problems.length) return check('schema', true, 'it has the fields and shapes Open Badges 3.0 requires');
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
  return check('schema', false, `not a valid Open Badges 3.0 credential: ${problems[0]}${more}`);
}

function contextList(document) {
  const contexts = has(document, '@context') ? document['@context'] : null;
  return Array.isArray(contexts) ? contexts : [contexts];
}

/** Canonical N-Quads, computed once per distinct document in one verification. */
function canonical(document, session, numberProblems = []) {
  const key = JSON.stringify(document);
  if (!session.canonical.has(key)) session.canonical.set(key, canonicalize(document, {numberProblems}));
  return session.canonical.get(key);
}

async function checkContexts(credential, session) {
  const contexts = contextList(credential);
  const unknown = contexts.filter((c) => typeof c === 'string' && !CONTEXT_URLS.has(c));
  if (unknown.length) {
    return check('contexts', false, `it uses a vocabulary (JSON-LD context) credfolio does not know and will not download: ${unknown[0]}`);
  }
  if (contexts.some((c) => !(typeof c === 'string' || isObject(c)))) {
    return check('contexts', false, 'its @context holds something that is neither a URL nor an object');
  }
  try {
    await canonical(without(credential, 'proof'), session, documentNumberProblems(session.numberProblems));
  } catch (error) {
    if (error instanceof CanonicalizationError) return check('contexts', false, `its contents cannot be read safely: ${error.message}`);
    return check('contexts', false, `its contents cannot be read as linked data: ${error.name}: ${error.message}`);
  }
  return check('contexts', true, 'every field is defined by a known vocabulary, so the signature covers all of it');
}

function documentNumberProblems(problems) {
  // Number problems inside `proof` belong to the proof configuration, which is canonicalized separately.
  return problems.filter((problem) => !/^proof(\[|\.|:)/.test(problem));
}

// --- proof + issuer key -----------------------------------------------------------------------

function proofList(document) {
  if (!has(document, 'proof') || document.proof === null) return [];
  return Array.isArray(document.proof) ? document.proof : [document.proof];
}

function issuerId(document) {
  const issuer = document.issuer;
  if (typeof issuer === 'string') return issuer;
  if (isObject(issuer) && typeof issuer.id === 'string') return issuer.id;
  return null;
}

async function checkSignatures(credential, session, contextsOk) {
  const [proofResults, keyResults] = await evaluateProofs(credential, issuerId(credential), session, contextsOk);
  return [combine('proof', proofResults), combine('issuer_key', keyResults)];
}

async function evaluateProofs(document, issuer, session, contextsOk) {
  const proofs = proofList(document);
  if (!proofs.length) {
    return [[[false, 'it has no signature (no proof), so anyone could have written it']],
      [[null, 'not checked: there is no signature whose key could be checked']]];
  }
  if (proofs.length > MAX_PROOFS) {
    return [[[false, `it has ${proofs.length.toLocaleString('en-US')} proofs; credfolio checks at most ${MAX_PROOFS} (no credential needs more), so none was checked`]],
      [[null, 'not checked: the signatures were not checked']]];
  }
  const unsigned = without(document, 'proof');
  const signatureResults = [];
  const keyResults = [];
  const firstWithValue = new Map();
  for (const [offset, proof] of proofs.entries()) {
    const label = proofs.length === 1 ? 'the signature' : `signature ${offset + 1} of ${proofs.length}`;
    if (!isObject(proof)) {
      signatureResults.push([false, `${label} is not a proof object`]);
      continue;
    }
    if (typeof proof.proofValue === 'string' && firstWithValue.has(proof.proofValue)) {
      // A proof set never needs one signature twice; counted twice, it could pass for a second signer.
      signatureResults.push([false, `${label} repeats signature ${firstWithValue.get(proof.proofValue)}: a proof set never holds the same signature twice`]);
      continue;
    }
    if (typeof proof.proofValue === 'string') firstWithValue.set(proof.proofValue, offset + 1);
    const proofType = proof.type;
    const suite = proof.cryptosuite;
    if (proofType !== SUPPORTED_PROOF_TYPE || suite !== SUPPORTED_CRYPTOSUITE) {
      const kind = suite ? `${proofType} / ${suite}` : String(proofType ?? 'None');
      signatureResults.push([false, `${label} uses ${kind}, which credfolio cannot check (it verifies ${SUPPORTED_PROOF_TYPE} with ${SUPPORTED_CRYPTOSUITE})`]);
      continue;
    }
    let methodId = proof.verificationMethod;
    if (typeof methodId !== 'string' || !methodId) {
      signatureResults.push([false, `${label} does not say which key made it (no verificationMethod)`]);
      continue;
    }
    methodId = normalizeMethodId(methodId);
    const resolved = await resolveMethod(methodId, session);
    keyResults.push(checkKeyOwnership(methodId, resolved, proof, issuer, label));
    if (proof.proofPurpose !== 'assertionMethod') {
      signatureResults.push([false, `${label} has purpose ${repr(proof.proofPurpose)}; a credential needs "assertionMethod"`]);
      continue;
    }
    const [publicKey, keySource] = signatureKey(methodId, resolved);
    if (publicKey === null) {
      signatureResults.push([null, `${label} could not be checked: ${keySource}`]);
      continue;
    }
    if (!contextsOk) {
      signatureResults.push([null, `${label} was not checked because the contents cannot be read safely (see contexts)`]);
      continue;
    }
    try {
      await verifyProof(unsigned, proof, publicKey, session);
    } catch (error) {
      if (error instanceof ProofError || error instanceof CanonicalizationError) {
        signatureResults.push([false, `${label} does not match the contents: the credential was changed after signing, or signed by another key (${error.message})`]);
      } else {
        signatureResults.push([false, `${label} could not be checked: ${error.name}: ${error.message}`]);
      }
      continue;
    }
    signatureResults.push([true, `${label} is valid (${SUPPORTED_CRYPTOSUITE}, key ${keySource})`]);
  }
  if (!keyResults.length) keyResults.push([null, 'not checked: no signature credfolio can check names a key']);
  return [signatureResults, keyResults];
}

function normalizeMethodId(methodId) {
  // A bare did:key:z… names its only key, did:key:z…#z… (as DCC and 1EdTech verifiers read it).
  if (methodId.startsWith('did:key:') && !methodId.includes('#')) return `${methodId}#${methodId.slice('did:key:'.length)}`;
  return methodId;
}

function fragmentOf(methodId) {
  return methodId.includes('#') ? methodId.slice(methodId.lastIndexOf('#') + 1) : '';
}

function signatureKey(methodId, resolved) {
  if (resolved.method) {
    try {
      return [multikeyToPublicKey(resolved.method.publicKeyMultibase), methodId];
    } catch {
      return [null, `the key ${methodId} is not an Ed25519 Multikey`];
    }
  }
  // A key id whose fragment is itself a Multikey lets the signature's mathematics be checked even when
  // the issuer's key document cannot be fetched; ownership is the separate issuer_key check, which fails.
  const fragment = fragmentOf(methodId);
  if (fragment.startsWith('z6Mk')) {
    try {
      return [multikeyToPublicKey(fragment), `${fragment.slice(0, 12)}… named in the proof; its owner is checked under issuer_key`];
    } catch {
      // fall through
    }
  }
  return [null, `the signing key could not be found (${resolved.error})`];
}

async function resolveMethod(methodId, session) {
  if (session.methods.has(methodId)) return session.methods.get(methodId);
  const result = {method: null, controllerDocument: null, error: null};
  const base = methodId.split('#')[0];
  try {
    let document;
    if (methodId.startsWith('did:')) document = await resolveDid(base, session.fetchJson);
    else if (methodId.startsWith('https://')) document = await session.fetchJson(base);
    else throw new ResolutionError(`'${methodId}' is not a DID URL or an https URL`);
    if (!isObject(document)) throw new ResolutionError(`the key document for ${base} is not a JSON object`);
    result.controllerDocument = document;
    result.method = findMethod(document, methodId);
    if (!result.method) throw new ResolutionError(`${base} lists no key with the id ${methodId}`);
  } catch (error) {
    result.error = error.message;
  }
  session.methods.set(methodId, result);
  return result;
}

function findMethod(document, methodId) {
  const candidates = [];
  for (const relationship of ['verificationMethod', 'assertionMethod']) {
    if (Array.isArray(document[relationship])) candidates.push(...document[relationship]);
  }
  return candidates.find((c) => isObject(c) && c.id === methodId) || null;
}

function day(ms) {
  if (ms === null || ms === undefined) return 'an unknown date';
  const date = new Date(ms);
  const iso = date.toISOString();
  if (date.getUTCHours() === 0 && date.getUTCMinutes() === 0 && date.getUTCSeconds() === 0 && ms % 1000 === 0) return iso.slice(0, 10);
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

function checkKeyOwnership(methodId, resolved, proof, issuer, label) {
  if (issuer === null) return [false, 'the credential does not name its issuer, so no key can be its issuer\'s'];
  const base = methodId.split('#')[0];
  if (!methodId.includes('#') || base !== issuer) return [false, `${label} was made with ${methodId}, which is not a key of the issuer ${issuer}`];
  if (!resolved.method) return [false, `the issuer's key ${methodId} could not be found: ${resolved.error}`];
  const document = resolved.controllerDocument || {};
  if (document.id !== issuer) return [false, `the key document for ${issuer} says it belongs to ${repr(document.id)}`];
  const listed = document.assertionMethod;
  const listedIds = Array.isArray(listed) ? listed.map((item) => (typeof item === 'string' ? item : isObject(item) ? item.id : null)) : [];
  if (!listedIds.includes(methodId)) {
    return [false, `the issuer has not authorized ${methodId} to sign credentials (it is not listed under assertionMethod)`];
  }
  const method = resolved.method;
  if (method.controller !== issuer) return [false, `the key ${methodId} is controlled by ${repr(method.controller)}, not by the issuer ${issuer}`];
  if (method.type !== 'Multikey') return [false, `the key ${methodId} is of type ${repr(method.type)}; credfolio accepts Ed25519 Multikey keys`];
  const multikey = method.publicKeyMultibase;
  try {
    if (typeof multikey !== 'string' || !multikey.startsWith('z6Mk')) throw new Error('not z6Mk…');
    multikeyToPublicKey(multikey);
  } catch {
    return [false, `the key ${methodId} is not an Ed25519 Multikey (publicKeyMultibase z6Mk…)`];
  }
  const createdText = proof.created ?? null;
  const created = createdText !== null ? parseDatetime(createdText) : null;
  if (createdText !== null && created === null) return [false, `${label} has an unreadable creation date ${repr(createdText)}`];
  for (const [limitName, wording] of [['revoked', 'was marked compromised'], ['expires', 'expired']]) {
    if (!has(method, limitName)) continue;
    const limit = parseDatetime(method[limitName]);
    if (limit === null) return [false, `the key ${methodId} has an unreadable ${limitName} date ${repr(method[limitName])}`];
    if (created === null) return [false, `the key ${methodId} ${wording} on ${day(limit)} and ${label} has no date, so it may have been made afterwards`];
    if (created >= limit) return [false, `the key ${methodId} ${wording} on ${day(limit)}; ${label} was made on ${day(created)}, after that`];
  }
  const note = has(method, 'revoked') ? ` (the key was retired on ${day(parseDatetime(method.revoked))}, after this signature was made)` : '';
  return [true, `signed with ${methodId}, a key the issuer ${issuer} publishes for signing credentials${note}`];
}

function combine(id, results) {
  const failures = results.filter(([ok]) => ok === false).map(([, m]) => m);
  if (failures.length) return check(id, false, failures.join('; '));
  const unknown = results.filter(([ok]) => ok === null).map(([, m]) => m);
  if (unknown.length) return check(id, null, unknown.join('; '));
  return check(id, true, results.map(([, m]) => m).join('; '));
}

// --- the eddsa-rdfc-2022 proof (credfolio.proof.verify_proof) --------------------------------

class ProofError extends Error {}

function isXsdDatetime(value) {
  if (typeof value !== 'string' || !XSD_DATETIME.test(value)) return false;
  const zoned = /(Z|[+-]\d{2}:\d{2})$/.test(value) ? value : `${value}Z`;
  return parseDatetime(zoned) !== null;
}

function decodeProofValue(proofValue) {
  if (typeof proofValue !== 'string' || !proofValue) throw new ProofError('proof has no proofValue');
  if (!proofValue.startsWith('z')) throw new ProofError("proofValue must be multibase base58btc (start with 'z')");
  let signature;
  try {
    signature = decodeMultibase(proofValue);
  } catch (error) {
    throw new ProofError(`proofValue is not valid base58btc: ${error.message}`);
  }
  if (signature.length !== 64) throw new ProofError(`proofValue decodes to ${signature.length} bytes; an Ed25519 signature has 64`);
  return signature;
}

async function verifyProof(unsigned, proof, publicKey, session) {
  if (proof.type !== SUPPORTED_PROOF_TYPE) throw new ProofError(`proof type is ${repr(proof.type)}; only ${SUPPORTED_PROOF_TYPE} is supported`);
  if (proof.cryptosuite !== SUPPORTED_CRYPTOSUITE) throw new ProofError(`proof cryptosuite is ${repr(proof.cryptosuite)}; only ${SUPPORTED_CRYPTOSUITE} is supported`);
  const signature = decodeProofValue(proof.proofValue);
  if (has(proof, 'created') && !isXsdDatetime(proof.created)) throw new ProofError(`proof created ${repr(proof.created)} is not a valid date and time`);
  if (typeof proof.verificationMethod !== 'string') throw new ProofError('proof has no verificationMethod');
  if (typeof proof.proofPurpose !== 'string') throw new ProofError('proof has no proofPurpose');
  if (proof.proofPurpose !== 'assertionMethod') throw new ProofError(`proof purpose is ${repr(proof.proofPurpose)}, expected 'assertionMethod'`);
  // VC Data Model 2.0: the first @context is the credentials v2 URL; moved contexts may keep the
  // N-Quads (and so the signature) while changing how the JSON reads.
  const contexts = unsigned['@context'];
  const first = Array.isArray(contexts) && contexts.length ? contexts[0] : contexts;
  if (first !== CREDENTIALS_V2) throw new ProofError(`the first @context must be ${CREDENTIALS_V2} (VC Data Model 2.0), not ${repr(first)}`);
  if (has(proof, '@context')) {
    const proofList = Array.isArray(proof['@context']) ? proof['@context'] : [proof['@context']];
    const documentList = Array.isArray(contexts) ? contexts : [contexts];
    if (JSON.stringify(documentList.slice(0, proofList.length)) !== JSON.stringify(proofList)) {
      throw new ProofError("the proof's @context does not match the start of the credential's @context");
    }
  }
  // eddsa-rdfc-2022: SHA-256(canonical proof configuration) ‖ SHA-256(canonical document), proof first.
  const config = Object.fromEntries(Object.entries(proof).filter(([k]) => k !== 'proofValue' && k !== '@context'));
  if (has(unsigned, '@context')) config['@context'] = unsigned['@context'];
  const proofHash = await sha256(await canonical(config, session));
  const documentHash = await sha256(await canonical(unsigned, session, documentNumberProblems(session.numberProblems)));
  const hashData = new Uint8Array(64);
  hashData.set(proofHash, 0);
  hashData.set(documentHash, 32);
  const {valid, backend} = await verifyEd25519(signature, hashData, publicKey, {backend: session.signatureBackend});
  session.backendsUsed.add(backend);
  if (!valid) throw new ProofError('signature does not match: the credential or its proof changed after signing, or another key signed it');
}

// --- dates ------------------------------------------------------------------------------------

function checkDates(document, session) {
  const validFrom = parseDatetime(document.validFrom);
  if (validFrom === null) return [check('dates', false, 'it has no readable start date (validFrom)'), 'invalid'];
  if (validFrom > session.now + session.clockSkewMs) return [check('dates', false, `it is not valid yet: it starts on ${day(validFrom)}`), 'not-yet-valid'];
  if (has(document, 'validUntil')) {
    const validUntil = parseDatetime(document.validUntil);
    if (validUntil === null) return [check('dates', false, `its end date (validUntil) ${repr(document.validUntil)} cannot be read`), 'invalid'];
    if (validUntil <= session.now) return [check('dates', false, `it expired on ${day(validUntil)}`), 'expired'];
    return [check('dates', true, `valid from ${day(validFrom)} until ${day(validUntil)}`), 'ok'];
  }
  return [check('dates', true, `valid from ${day(validFrom)}, with no end date`), 'ok'];
}

// --- status -----------------------------------------------------------------------------------

const STATUS_RANK = {revoked: 0, suspended: 1, invalid: 2, unknown: 3, ok: 4};

async function checkStatusChecks(document, session) {
  let entries = has(document, 'credentialStatus') ? document.credentialStatus : null;
  if (entries === null || (Array.isArray(entries) && !entries.length)) {
    return [check('status', true, 'no status entry: the issuer cannot revoke this badge'), 'ok'];
  }
  if (!Array.isArray(entries)) entries = [entries];
  const outcomes = [];
  for (const entry of entries) outcomes.push(await checkStatusEntry(entry, document, session));
  const kind = outcomes.map(([outcome]) => outcome).reduce((a, b) => (STATUS_RANK[b] < STATUS_RANK[a] ? b : a));
  const messages = outcomes.filter(([outcome]) => outcome === kind).map(([, m]) => m).join('; ');
  const ok = kind === 'ok' ? true : kind === 'unknown' ? null : false;
  return [check('status', ok, messages), kind];
}

function purposeWord(purpose) {
  return {revocation: 'revoked', suspension: 'suspended'}[purpose] || `flagged for ${repr(purpose)}`;
}

async function checkStatusEntry(entry, document, session) {
  if (!isObject(entry)) return ['invalid', 'its status entry is not an object'];
  if (entry.type !== 'BitstringStatusListEntry') {
    return ['unknown', `status could not be checked: credfolio does not support the status type ${repr(entry.type)}`];
  }
  const listUrl = entry.statusListCredential;
  const purpose = entry.statusPurpose;
  const index = entry.statusListIndex;
  if (typeof listUrl !== 'string' || !listUrl.startsWith('https://')) {
    return ['invalid', `its status entry does not point at an https status list (statusListCredential ${repr(listUrl)})`];
  }
  if (!isDigits(index)) return ['invalid', `its status entry has an unreadable index ${repr(index)}`];
  let listCredential;
  try {
    listCredential = await session.fetchJson(listUrl);
  } catch (error) {
    const message = error.message || String(error);
    const reason = message.startsWith(listUrl) ? message : `${listUrl} could not be fetched: ${message}`;
    return ['unknown', `status could not be checked: status list ${reason}`];
  }
  const [outcome, problem] = await verifyStatusList(listCredential, listUrl, issuerId(document), session);
  if (outcome !== 'ok') return [outcome, problem];
  let isSet;
  try {
    isSet = await checkStatus(entry, listCredential);
  } catch (error) {
    if (error instanceof StatusError) return ['invalid', `the status list ${listUrl} cannot be used: ${error.message}`];
    throw error;
  }
  if (!isSet) return ['ok', `not ${purposeWord(purpose)} (status list ${listUrl}, entry ${index}, checked)`];
  if (purpose === 'revocation') return ['revoked', `the issuer has revoked this badge (status list ${listUrl}, entry ${index})`];
  if (purpose === 'suspension') return ['suspended', `the issuer has suspended this badge (status list ${listUrl}, entry ${index})`];
  return ['ok', `status list ${listUrl} entry ${index} is set for ${repr(purpose)}, which does not affect validity`];
}

async function verifyStatusList(listCredential, listUrl, credentialIssuer, session) {
  const unusable = `status could not be checked: the status list ${listUrl}`;
  if (!isObject(listCredential)) return ['invalid', `the status list ${listUrl} is not a JSON object`];
  const types = listCredential.type;
  if (!Array.isArray(types) || !types.includes('BitstringStatusListCredential')) {
    return ['invalid', `the status list ${listUrl} is not a BitstringStatusListCredential`];
  }
  const unknown = contextList(listCredential).filter((c) => typeof c === 'string' && !CONTEXT_URLS.has(c));
  if (unknown.length) return ['unknown', `${unusable} uses a vocabulary credfolio does not know: ${unknown[0]}`];
  try {
    await canonical(without(listCredential, 'proof'), session, documentNumberProblems(NUMBER_PROBLEMS.get(listCredential) || []));
  } catch (error) {
    return ['invalid', `the status list ${listUrl} cannot be read safely: ${error.message}`];
  }
  const listIssuer = issuerId(listCredential);
  const proofs = proofList(listCredential);
  const unsupported = proofs.filter((p) => !(isObject(p) && p.type === SUPPORTED_PROOF_TYPE && p.cryptosuite === SUPPORTED_CRYPTOSUITE));
  if (proofs.length && unsupported.length) {
    const kind = isObject(unsupported[0]) ? unsupported[0].type : 'an unreadable proof';
    return ['unknown', `${unusable} is signed with ${kind}, which credfolio cannot check`];
  }
  const [signatures, keys] = await evaluateProofs(listCredential, listIssuer, session, true);
  for (const [ok, message] of [...signatures, ...keys]) {
    if (ok === false) return ['invalid', `the status list ${listUrl} is not genuine: ${message}`];
  }
  for (const [ok, message] of [...signatures, ...keys]) {
    if (ok === null) return ['unknown', `${unusable} could not be verified: ${message}`];
  }
  if (credentialIssuer !== null && listIssuer !== credentialIssuer) {
    return ['unknown', `${unusable} was published by ${repr(listIssuer)}, not by the badge's issuer ${credentialIssuer}`];
  }
  const validFrom = has(listCredential, 'validFrom') ? parseDatetime(listCredential.validFrom) : null;
  if (validFrom !== null && validFrom > session.now + session.clockSkewMs) return ['unknown', `${unusable} is not valid until ${day(validFrom)}`];
  if (has(listCredential, 'validUntil')) {
    const validUntil = parseDatetime(listCredential.validUntil);
    if (validUntil === null || validUntil <= session.now) {
      return ['unknown', `${unusable} expired on ${day(validUntil)}; the issuer must publish a fresh list`];
    }
  }
  return ['ok', ''];
}
