// Ed25519 signature checks: the browser's own WebCrypto where it has Ed25519 (Chromium 137+,
// Firefox 129+, Safari 17+), else @noble/ed25519 (audited, pure JavaScript) with RFC 8032 strict
// rules, so both paths accept exactly what Python's cryptography (OpenSSL) accepts.

import * as noble from '@noble/ed25519';

let webCryptoSupport = null;

async function hasWebCryptoEd25519() {
  if (webCryptoSupport === null) {
    try {
      const probe = new Uint8Array(32);
      probe[0] = 1; // a valid point encoding (the identity element's y = 1)
      await crypto.subtle.importKey('raw', probe, {name: 'Ed25519'}, false, ['verify']);
      webCryptoSupport = true;
    } catch {
      webCryptoSupport = false;
    }
  }
  return webCryptoSupport;
}

/**
 * Whether `signature` (64 bytes) is `publicKey`'s (32 raw bytes) Ed25519 signature of `message`.
 * @param {{backend?: 'auto'|'webcrypto'|'noble'}} [options] 'noble' forces the fallback (tests use it)
 * @returns {Promise<{valid: boolean, backend: string}>}
 */
export async function verifyEd25519(signature, message, publicKey, {backend = 'auto'} = {}) {
  if (backend === 'webcrypto' || (backend === 'auto' && (await hasWebCryptoEd25519()))) {
    try {
      const key = await crypto.subtle.importKey('raw', publicKey, {name: 'Ed25519'}, false, ['verify']);
      return {valid: await crypto.subtle.verify({name: 'Ed25519'}, key, signature, message), backend: 'webcrypto'};
    } catch {
      return {valid: false, backend: 'webcrypto'}; // a key the browser cannot even import verifies nothing
    }
  }
  try {
    return {valid: await noble.verifyAsync(signature, message, publicKey, {zip215: false}), backend: 'noble'};
  } catch {
    return {valid: false, backend: 'noble'};
  }
}

/** SHA-256 of UTF-8 text, with WebCrypto. */
export async function sha256(text) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}
