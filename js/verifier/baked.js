// Get the credential out of what a person drops or uploads: JSON, a baked PNG (the first iTXt chunk
// with keyword "openbadgecredential") or a baked SVG (<openbadges:credential> with CDATA), as
// Open Badges 3.0 "Baked Badge" describes them.

export const OB_SVG_NAMESPACE = 'https://purl.imsglobal.org/ob/v3p0';
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const PNG_KEYWORD = 'openbadgecredential';

/** The file cannot hold a credential credfolio can read; `message` says why, in plain language. */
export class BakedBadgeError extends Error {}

const looksLikeJws = (text) => /^ey[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(text.trim());

function jwsRefused() {
  return new BakedBadgeError('this badge holds a JWT (VC-JWT) credential; credfolio verifies Data Integrity (eddsa-rdfc-2022) credentials only');
}

/**
 * The credential inside `bytes` (a file's contents).
 * @returns {{kind: 'json'|'png'|'svg', credential: Uint8Array|string}} what the file was, and the
 *   credential's JSON as bytes (JSON, PNG) or text (SVG) — parsed later by the structure check
 */
export function extractCredential(bytes) {
  const data = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (PNG_SIGNATURE.every((byte, i) => data[i] === byte)) return {kind: 'png', credential: fromPng(data)};
  const head = new TextDecoder('utf-8', {fatal: false}).decode(data.subarray(0, 512)).replace(/^\ufeff/, '').trimStart();
  if (head.startsWith('<')) return {kind: 'svg', credential: fromSvg(new TextDecoder('utf-8').decode(data))};
  return {kind: 'json', credential: data};
}

function fromPng(data) {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let at = PNG_SIGNATURE.length;
  while (at + 8 <= data.length) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...data.subarray(at + 4, at + 8));
    const start = at + 8;
    const end = start + length;
    if (end + 4 > data.length) throw new BakedBadgeError('this PNG file is truncated or damaged');
    if (type === 'iTXt') {
      const chunk = data.subarray(start, end);
      const keywordEnd = chunk.indexOf(0);
      if (keywordEnd > 0 && new TextDecoder('latin1').decode(chunk.subarray(0, keywordEnd)) === PNG_KEYWORD) {
        const compressed = chunk[keywordEnd + 1];
        if (compressed !== 0) throw new BakedBadgeError('the credential in this PNG is compressed, which Open Badges does not allow (the iTXt chunk must not be compressed)');
        const languageEnd = chunk.indexOf(0, keywordEnd + 3);
        const translatedEnd = languageEnd < 0 ? -1 : chunk.indexOf(0, languageEnd + 1);
        if (translatedEnd < 0) throw new BakedBadgeError('the openbadgecredential chunk of this PNG is damaged');
        const text = chunk.subarray(translatedEnd + 1);
        if (looksLikeJws(new TextDecoder().decode(text.subarray(0, 4096)))) throw jwsRefused();
        return text;
      }
    }
    if (type === 'IEND') break;
    at = end + 4;
  }
  throw new BakedBadgeError('this PNG image has no badge baked into it (no iTXt chunk "openbadgecredential")');
}

function fromSvg(text) {
  if (typeof DOMParser === 'undefined') throw new BakedBadgeError('this browser cannot read SVG files');
  // DOMParser builds an inert document: nothing in it is rendered, fetched or run.
  const document = new DOMParser().parseFromString(text, 'image/svg+xml');
  if (document.getElementsByTagName('parsererror').length) throw new BakedBadgeError('this file is neither JSON, a PNG image nor a well-formed SVG image');
  const element = document.getElementsByTagNameNS(OB_SVG_NAMESPACE, 'credential')[0];
  if (!element) throw new BakedBadgeError(`this SVG image has no badge baked into it (no <openbadges:credential> element in the ${OB_SVG_NAMESPACE} namespace)`);
  if (element.hasAttribute('verify')) throw jwsRefused();
  return element.textContent.trim();
}
