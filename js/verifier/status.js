// Bitstring Status List v1.0: decode `encodedList` and read one entry, as credfolio.status does.

import {isDigits} from './shape.js';

/** Minimum number of entries a list must have (the spec's 16 KiB). */
export const MIN_LIST_LENGTH = 131072;
/** Largest decompressed list accepted; bounds memory for a hostile gzip bomb. */
export const MAX_DECODED_BYTES = 16 * 1024 * 1024;

/** A status list or status entry that cannot be used; `message` says why. */
export class StatusError extends Error {}

/** The raw bitstring of an `encodedList` value: Multibase base64url ("u") of one GZIP member. */
export async function decodeList(encoded, maxBytes = MAX_DECODED_BYTES) {
  if (typeof encoded !== 'string' || !encoded.startsWith('u')) {
    throw new StatusError("encodedList must be Multibase base64url text starting with 'u'");
  }
  const body = encoded.slice(1).replace(/=+$/, '');
  if (!/^[A-Za-z0-9_-]*$/.test(body)) throw new StatusError('encodedList contains characters that are not base64url');
  if (body.length % 4 === 1) throw new StatusError('encodedList is not valid base64url: wrong length');
  let compressed;
  try {
    const binary = atob(body.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (body.length % 4)) % 4));
    compressed = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch (error) {
    throw new StatusError(`encodedList is not valid base64url: ${error.message}`);
  }
  if (typeof DecompressionStream === 'undefined') {
    throw new StatusError('this browser cannot decompress status lists (no DecompressionStream)');
  }
  const reader = new Blob([compressed]).stream().pipeThrough(new DecompressionStream('gzip')).getReader();
  const chunks = [];
  let total = 0;
  try {
    for (;;) {
      const {done, value} = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) {
        await reader.cancel();
        throw new StatusError(`encodedList expands to more than ${maxBytes} bytes; refusing to read it`);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof StatusError) throw error;
    throw new StatusError(`encodedList is not GZIP data (or has data after it): ${error.message}`);
  }
  const bits = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bits.set(chunk, offset);
    offset += chunk.length;
  }
  return bits;
}

const isObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * Whether the status `entry` points at a set bit of `listCredential` (true = e.g. revoked).
 * The list's proof must already be verified. Throws StatusError like credfolio.status.check_status:
 * wrong types, purpose mismatch, fewer than 131,072 entries, index out of range.
 */
export async function checkStatus(entry, listCredential) {
  if (!isObject(entry) || entry.type !== 'BitstringStatusListEntry') {
    throw new StatusError('the status entry is not a BitstringStatusListEntry');
  }
  const purpose = entry.statusPurpose;
  const indexText = entry.statusListIndex;
  if (!isDigits(indexText)) {
    throw new StatusError(`statusListIndex must be a whole number written as a string, got ${JSON.stringify(indexText ?? null)}`);
  }
  const size = Object.prototype.hasOwnProperty.call(entry, 'statusSize') ? entry.statusSize : 1;
  if (size !== 1 && size !== '1') throw new StatusError(`statusSize ${JSON.stringify(size)} is not supported (only one bit per credential)`);
  if (!isObject(listCredential)) throw new StatusError('the status list is not a JSON object');
  const types = listCredential.type;
  if (!Array.isArray(types) || !types.includes('BitstringStatusListCredential')) {
    throw new StatusError('the status list credential does not have type BitstringStatusListCredential');
  }
  const subject = listCredential.credentialSubject;
  if (!isObject(subject) || subject.type !== 'BitstringStatusList') {
    throw new StatusError("the status list credential's subject is not a BitstringStatusList");
  }
  let listPurposes = subject.statusPurpose;
  if (typeof listPurposes === 'string') listPurposes = [listPurposes];
  if (!Array.isArray(listPurposes) || !listPurposes.includes(purpose)) {
    throw new StatusError(`the status list is for '${subject.statusPurpose}', but the credential asks about '${purpose}'`);
  }
  const bits = await decodeList(subject.encodedList);
  const entries = bits.length * 8;
  if (entries < MIN_LIST_LENGTH) throw new StatusError(`the status list has only ${entries} entries; the minimum is ${MIN_LIST_LENGTH}`);
  const index = Number(indexText);
  if (!Number.isSafeInteger(index) || index >= entries) {
    throw new StatusError(`status index ${indexText} is outside the list of ${entries} entries`);
  }
  // Index 0 is the left-most bit: the most significant bit of byte 0.
  return (bits[Math.floor(index / 8)] & (0x80 >> (index % 8))) !== 0;
}
