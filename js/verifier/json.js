// Strict JSON, as credfolio's Python verifier reads it (credfolio.resolve.parse_json).
//
// JSON.parse silently keeps the last of two equal keys, and reads 1.0 as 1 and 2**60 inexactly.
// A signed document must mean one thing to every verifier, so this parser refuses duplicate keys
// and NaN/Infinity like Python does, and records numbers that a JavaScript reader cannot hold the
// way Python holds them (an integral float such as 1.0, an integer beyond 2**53 - 1): the
// canonicalization guard then refuses them, exactly as proof.py's _check_json does.

export class JsonProblem extends Error {}

const MAX_NESTING = 990; // Python's json module stops near its recursion limit (1000).
const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;

/**
 * Parse JSON text strictly.
 * @param {string|Uint8Array|ArrayBuffer} data text, or UTF-8 bytes
 * @param {string} source what the text is, for messages ("the credential", a URL)
 * @returns {{value: any, numberProblems: string[]}} the value, and one sentence per number JavaScript
 *   cannot hold exactly (empty for ordinary documents)
 */
export function parseStrictJson(data, source = 'document') {
  let text = data;
  if (typeof data !== 'string') {
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : data;
    try {
      text = new TextDecoder('utf-8', {fatal: true}).decode(bytes); // drops one leading BOM, like parse_json
    } catch {
      throw new JsonProblem(`${source} is not UTF-8 text`);
    }
  } else if (text.startsWith('\ufeff')) {
    text = text.slice(1);
  }
  const parser = new Parser(text, source);
  return {value: parser.parseDocument(), numberProblems: parser.numberProblems};
}

class Parser {
  constructor(text, source) {
    this.text = text;
    this.source = source;
    this.at = 0;
    this.depth = 0;
    this.numberProblems = [];
  }

  fail(what) {
    const before = this.text.slice(0, this.at);
    const line = before.split('\n').length;
    const column = this.at - before.lastIndexOf('\n');
    throw new JsonProblem(`${this.source} is not valid JSON: ${what} at line ${line} column ${column}`);
  }

  skipSpace() {
    const text = this.text;
    while (this.at < text.length) {
      const c = text.charCodeAt(this.at);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.at += 1;
      else break;
    }
  }

  parseDocument() {
    this.skipSpace();
    if (this.at >= this.text.length) this.fail('Expecting value');
    const value = this.parseValue([]);
    this.skipSpace();
    if (this.at < this.text.length) this.fail('Extra data');
    return value;
  }

  parseValue(path) {
    const c = this.text[this.at];
    if (c === '{') return this.parseObject(path);
    if (c === '[') return this.parseArray(path);
    if (c === '"') return this.parseString();
    if (this.text.startsWith('true', this.at)) { this.at += 4; return true; }
    if (this.text.startsWith('false', this.at)) { this.at += 5; return false; }
    if (this.text.startsWith('null', this.at)) { this.at += 4; return null; }
    for (const constant of ['NaN', 'Infinity', '-Infinity']) {
      if (this.text.startsWith(constant, this.at)) {
        throw new JsonProblem(`${this.source} contains ${constant}, which is not JSON`);
      }
    }
    return this.parseNumber(path);
  }

  enter() {
    this.depth += 1;
    if (this.depth > MAX_NESTING) throw new JsonProblem(`${this.source} is nested too deeply`);
  }

  parseObject(path) {
    this.enter();
    this.at += 1;
    const result = {};
    this.skipSpace();
    if (this.text[this.at] === '}') { this.at += 1; this.depth -= 1; return result; }
    for (;;) {
      this.skipSpace();
      if (this.text[this.at] !== '"') this.fail('Expecting property name enclosed in double quotes');
      const key = this.parseString();
      if (Object.prototype.hasOwnProperty.call(result, key)) {
        throw new JsonProblem(`${this.source} has the key '${key}' twice in one object`);
      }
      this.skipSpace();
      if (this.text[this.at] !== ':') this.fail("Expecting ':' delimiter");
      this.at += 1;
      this.skipSpace();
      // defineProperty: a key named "__proto__" stays an ordinary key instead of changing the prototype
      Object.defineProperty(result, key, {value: this.parseValue([...path, key]), enumerable: true, writable: true, configurable: true});
      this.skipSpace();
      const next = this.text[this.at];
      this.at += 1;
      if (next === '}') break;
      if (next !== ',') { this.at -= 1; this.fail("Expecting ',' delimiter"); }
    }
    this.depth -= 1;
    return result;
  }

  parseArray(path) {
    this.enter();
    this.at += 1;
    const result = [];
    this.skipSpace();
    if (this.text[this.at] === ']') { this.at += 1; this.depth -= 1; return result; }
    for (;;) {
      this.skipSpace();
      result.push(this.parseValue([...path, result.length]));
      this.skipSpace();
      const next = this.text[this.at];
      this.at += 1;
      if (next === ']') break;
      if (next !== ',') { this.at -= 1; this.fail("Expecting ',' delimiter"); }
    }
    this.depth -= 1;
    return result;
  }

  parseString() {
    const text = this.text;
    let at = this.at + 1;
    let out = '';
    let start = at;
    for (;;) {
      if (at >= text.length) { this.at = this.at; this.fail('Unterminated string starting'); }
      const c = text.charCodeAt(at);
      if (c === 0x22) break;
      if (c < 0x20) { this.at = at; this.fail('Invalid control character'); }
      if (c === 0x5c) {
        out += text.slice(start, at);
        const e = text[at + 1];
        const simple = {'"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t'}[e];
        if (simple !== undefined) {
          out += simple;
          at += 2;
        } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(at + 2, at + 6))) {
          out += String.fromCharCode(parseInt(text.slice(at + 2, at + 6), 16));
          at += 6;
        } else {
          this.at = at;
          this.fail('Invalid \\escape');
        }
        start = at;
        continue;
      }
      at += 1;
    }
    out += text.slice(start, at);
    this.at = at + 1;
    return out;
  }

  parseNumber(path) {
    NUMBER.lastIndex = this.at;
    const match = NUMBER.exec(this.text);
    if (!match) this.fail('Expecting value');
    this.at = NUMBER.lastIndex;
    const lexeme = match[0];
    const value = Number(lexeme);
    const where = jsonPath(path);
    if (match[1] !== undefined || match[2] !== undefined) {
      // Python reads this as a float; an integral one (1.0, 1e2) is refused by the canonicalization guard.
      if (!Number.isFinite(value)) this.numberProblems.push(`${where}: ${lexeme} is not a JSON number`);
      else if (Number.isInteger(value)) this.numberProblems.push(`${where}: write ${BigInt(value)} rather than ${lexeme}; JavaScript reads it as an integer, which canonicalizes differently`);
    } else if (!Number.isSafeInteger(value)) {
      this.numberProblems.push(`${where}: ${lexeme} is too large for JavaScript verifiers to read exactly; write it as text`);
    }
    return value;
  }
}

/** A JSON path as proof.py's _path writes it: ``credentialSubject.achievement.name``, ``proof[0]``. */
export function jsonPath(path) {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else if (/^[A-Za-z_@][A-Za-z0-9_@-]*$/.test(part)) text += text ? `.${part}` : part;
    else text += `[${JSON.stringify(part)}]`;
  }
  return text || 'document';
}
