// Fetching DID documents, status lists and credentials from the browser.
//
// Only the URLs a credential names are fetched, and only over https — except in local preview:
// when the page itself is served from this computer (127.0.0.1, localhost, ::1, e.g. `make demo`),
// addresses under the district's configured site URL are read from the serving origin instead, and
// the page says so. Cross-origin reads need the other site's CORS permission; when a browser refuses
// one, the message says so instead of a bare "failed to fetch".

import {ResolutionError} from './did.js';
import {parseStrictJson, JsonProblem} from './json.js';
import {NUMBER_PROBLEMS} from './verify.js';

export const MAX_BYTES = 1_000_000;
export const TIMEOUT_MS = 10_000;
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
// Static hosts pick a type from the file extension: an extensionless status list URL (common in the DCC
// fixtures) comes as application/octet-stream. The body is parsed as strict JSON either way; HTML is
// refused so a badge *page* pasted by mistake gets a clear message.
const JSON_TYPES = new Set(['application/json', 'application/ld+json', 'application/did+json', 'application/did+ld+json', 'text/plain', 'application/octet-stream']);

/**
 * The URL mapping for this page.
 * @param {{siteUrl?: string, siteRoot?: string}} config the district's published site URL, and the
 *   site root relative to this page
 * @param {Location|URL} location where the page is served from
 * @returns {{localPreview: boolean, siteUrl: string|null, localRoot: string|null, mapUrl: (url: string) => string}}
 */
export function urlMapping(config, location) {
  const siteUrl = typeof config.siteUrl === 'string' && /^https:\/\/[^/]+\/(.*\/)?$/.test(config.siteUrl) ? config.siteUrl : null;
  const localPreview = LOCAL_HOSTS.has(location.hostname) && siteUrl !== null;
  const localRoot = localPreview ? new URL(config.siteRoot || '/', location.href).href : null;
  const mapUrl = (url) => (localPreview && url.startsWith(siteUrl) ? localRoot + url.slice(siteUrl.length) : url);
  return {localPreview, siteUrl, localRoot, mapUrl};
}

/**
 * fetchBytes(url) for the verifier: https only (plus same-origin addresses for the credential itself),
 * mapped for local preview, at most MAX_BYTES, within TIMEOUT_MS.
 * @param {{mapUrl: (url: string) => string, onMapped?: (from: string, to: string) => void, origin: string,
 *   allowSameOrigin?: boolean, acceptImages?: boolean}} options allowSameOrigin and acceptImages are for
 *   the credential itself (a same-origin path, a baked PNG/SVG), never for DID documents or status lists
 */
export function makeFetchBytes({mapUrl, onMapped = () => {}, origin, allowSameOrigin = false, acceptImages = false}) {
  return async function fetchBytes(url) {
    let parsed;
    try {
      parsed = new URL(url);
    } catch {
      throw new ResolutionError(`${url} could not be fetched: it is not a web address`);
    }
    const sameOrigin = parsed.origin === origin;
    if (parsed.protocol !== 'https:' && !(allowSameOrigin && sameOrigin)) {
      throw new ResolutionError(`${url} could not be fetched: only https addresses are fetched`);
    }
    const bare = url.split('#')[0];
    const target = mapUrl(bare);
    if (target !== bare) onMapped(bare, target);
    const targetOrigin = new URL(target).origin;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
    let response;
    try {
      // no-cache: revalidate, so a revocation published a minute ago is seen now.
      response = await fetch(target, {credentials: 'omit', mode: 'cors', redirect: 'follow', cache: 'no-cache', referrerPolicy: 'no-referrer', signal: controller.signal});
    } catch (error) {
      clearTimeout(timer);
      if (error.name === 'AbortError') throw new ResolutionError(`${url} could not be fetched: no answer within ${TIMEOUT_MS / 1000} seconds`);
      if (targetOrigin !== origin) {
        throw new ResolutionError(`${url} could not be fetched: the site did not answer, or it does not allow other sites to read this file (CORS)`);
      }
      throw new ResolutionError(`${url} could not be fetched: the network request failed`);
    }
    try {
      if (response.redirected && new URL(response.url).protocol !== 'https:' && new URL(response.url).origin !== targetOrigin) {
        throw new ResolutionError(`${url} could not be fetched: it redirects to ${response.url}, which is not https`);
      }
      if (!response.ok) throw new ResolutionError(`${url} could not be fetched: the server answered ${response.status} ${response.statusText}`.trimEnd());
      const contentType = (response.headers.get('Content-Type') || '').split(';')[0].trim().toLowerCase();
      if (contentType && !(JSON_TYPES.has(contentType) || contentType.endsWith('+json') || (acceptImages && /^image\/(png|svg\+xml)$/.test(contentType)))) {
        throw new ResolutionError(`${url} could not be fetched: the server sent ${contentType}, not JSON`);
      }
      return await readLimited(response, url);
    } finally {
      clearTimeout(timer);
    }
  };
}

async function readLimited(response, url) {
  const reader = response.body.getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    const {done, value} = await reader.read();
    if (done) break;
    total += value.length;
    if (total > MAX_BYTES) {
      await reader.cancel();
      throw new ResolutionError(`${url} could not be fetched: larger than ${MAX_BYTES} bytes`);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

/** fetchJson(url) for verifyCredential: fetchBytes + strict JSON + must be an object. */
export function makeFetchJson(fetchBytes) {
  return async function fetchJson(url) {
    const bytes = await fetchBytes(url);
    let parsed;
    try {
      parsed = parseStrictJson(bytes, url);
    } catch (error) {
      if (error instanceof JsonProblem) throw new ResolutionError(error.message);
      throw error;
    }
    const {value, numberProblems} = parsed;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ResolutionError(`${url} is not a JSON object`);
    if (numberProblems.length) NUMBER_PROBLEMS.set(value, numberProblems);
    return value;
  };
}
