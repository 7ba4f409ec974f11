// did:web and did:key resolution, as credfolio.resolve.BaseResolver and credfolio.keys do it.

import {multikeyToPublicKey} from './multibase.js';

export const DID_V1 = 'https://www.w3.org/ns/did/v1';
export const MULTIKEY_V1 = 'https://w3id.org/security/multikey/v1';

const HOST = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const DID_PATH_SEGMENT = /^[A-Za-z0-9._-]+$/;

/** A failure to fetch or resolve something; `message` says what and why, in plain language. */
export class ResolutionError extends Error {}

/** Python's urllib.parse.unquote: %XX sequences decoded as UTF-8, malformed ones left as they are. */
function unquote(text) {
  return text.replace(/(%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

/** Where a did:web DID document is published: did:web:host:a:b → https://host/a/b/did.json. */
export function didWebDocumentUrl(did) {
  if (typeof did !== 'string' || !did.startsWith('did:web:') || /[#?/]/.test(did)) {
    throw new ResolutionError(`not a did:web DID: ${did}`);
  }
  const [authority, ...segments] = did.slice('did:web:'.length).split(':');
  const host = unquote(authority);
  const colon = host.indexOf(':');
  const hostOnly = colon < 0 ? host : host.slice(0, colon);
  const port = colon < 0 ? '' : host.slice(colon + 1);
  if (!HOST.test(hostOnly) || (port && !/^[0-9]+$/.test(port))) throw new ResolutionError(`did:web has an invalid host: ${did}`);
  if (segments.some((s) => !DID_PATH_SEGMENT.test(s) || s === '.' || s === '..')) {
    throw new ResolutionError(`did:web has an invalid path segment: ${did}`);
  }
  const path = segments.length ? segments.join('/') : '.well-known';
  return `https://${host}/${path}/did.json`;
}

/** The DID document a did:key expands to (Multikey form), computed locally. */
export function didKeyDocument(did) {
  let fragment = null;
  if (did.includes('#')) [did, fragment] = [did.slice(0, did.indexOf('#')), did.slice(did.indexOf('#') + 1)];
  if (!did.startsWith('did:key:')) throw new ResolutionError(`not a did:key: ${did}`);
  const multikey = did.slice('did:key:'.length);
  try {
    multikeyToPublicKey(multikey);
  } catch (error) {
    throw new ResolutionError(`${did}: ${error.message}`);
  }
  if (fragment !== null && fragment !== multikey) {
    throw new ResolutionError(`${did}#${fragment}: a did:key has only the verification method #${multikey}`);
  }
  const methodId = `${did}#${multikey}`;
  return {
    '@context': [DID_V1, MULTIKEY_V1],
    id: did,
    verificationMethod: [{id: methodId, type: 'Multikey', controller: did, publicKeyMultibase: multikey}],
    authentication: [methodId],
    assertionMethod: [methodId],
    capabilityDelegation: [methodId],
    capabilityInvocation: [methodId],
  };
}

/**
 * The DID document of `did` (fragment ignored): did:key locally, did:web through `fetchJson`
 * (and its `id` must be the DID itself).
 */
export async function resolveDid(did, fetchJson) {
  if (typeof did !== 'string' || !did.startsWith('did:')) throw new ResolutionError(`${JSON.stringify(did)} is not a DID`);
  if (did.includes('#')) did = did.slice(0, did.indexOf('#'));
  if (did.startsWith('did:key:')) return didKeyDocument(did);
  if (did.startsWith('did:web:')) {
    const url = didWebDocumentUrl(did);
    let document;
    try {
      document = await fetchJson(url);
    } catch (error) {
      throw new ResolutionError(`DID document of ${did} could not be fetched: ${error.message}`);
    }
    if (document.id !== did) {
      throw new ResolutionError(`DID document at ${url} is for ${JSON.stringify(document.id ?? null)}, not ${did}`);
    }
    return document;
  }
  const parts = did.split(':');
  const method = parts.length >= 3 ? parts[1] : did;
  throw new ResolutionError(`${did}: DID method '${method}' is not supported (only did:web and did:key)`);
}
