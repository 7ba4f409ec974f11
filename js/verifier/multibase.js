// Multibase base58btc (prefix "z") and Ed25519 Multikey, as credfolio.multibase and credfolio.keys read them.

export const BASE58BTC_ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const INDEX = new Map([...BASE58BTC_ALPHABET].map((char, value) => [char, value]));
const ED25519_PUBLIC_HEADER = [0xed, 0x01];

/** Decode base58btc text (no multibase prefix); throws on a character outside the alphabet. */
export function b58decode(text) {
  let number = 0n;
  for (const char of text) {
    const value = INDEX.get(char);
    if (value === undefined) throw new Error(`'${char}' is not a base58btc character`);
    number = number * 58n + BigInt(value);
  }
  const bytes = [];
  while (number > 0n) {
    bytes.push(Number(number & 0xffn));
    number >>= 8n;
  }
  let zeros = 0;
  while (zeros < text.length && text[zeros] === '1') zeros += 1;
  return Uint8Array.from([...new Array(zeros).fill(0), ...bytes.reverse()]);
}

/** Encode bytes as base58btc (no multibase prefix). */
export function b58encode(bytes) {
  let number = 0n;
  for (const byte of bytes) number = (number << 8n) | BigInt(byte);
  let text = '';
  while (number > 0n) {
    text = BASE58BTC_ALPHABET[Number(number % 58n)] + text;
    number /= 58n;
  }
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros += 1;
  return '1'.repeat(zeros) + text;
}

/** Decode multibase base58btc ("z…"); throws when the prefix is not "z" or a character is invalid. */
export function decodeMultibase(text) {
  if (typeof text !== 'string' || !text.startsWith('z')) throw new Error("not multibase base58btc (must start with 'z')");
  return b58decode(text.slice(1));
}

/** The 32 raw bytes of an Ed25519 public Multikey ("z6Mk…"); throws on a bad prefix, header or length. */
export function multikeyToPublicKey(multikey) {
  let raw;
  try {
    raw = decodeMultibase(multikey);
  } catch (error) {
    throw new Error(`not an Ed25519 public Multikey: ${error.message}`);
  }
  if (raw[0] !== ED25519_PUBLIC_HEADER[0] || raw[1] !== ED25519_PUBLIC_HEADER[1]) {
    const header = [...raw.slice(0, 2)].map((b) => b.toString(16).padStart(2, '0')).join('');
    throw new Error(`not an Ed25519 public Multikey: multicodec header is 0x${header}, expected 0xed01`);
  }
  if (raw.length !== 34) {
    throw new Error(`not an Ed25519 public Multikey: ${raw.length - 2} key bytes after the header, expected 32`);
  }
  return raw.slice(2);
}
