/**
 * Espruino's JSON dialect for Storage (2v20+): `Storage.writeJSON` drops quotes on identifier and integer
 * keys and escapes strings JS-style (`\xHH`, `\0`..`\7`), so the file is JavaScript rather than strict JSON;
 * `Storage.readJSON` parses it liberally (jswrap_json.c: jsfGetJSON with JSON_DROP_QUOTES,
 * jswrap_json_parse_liberal). Both are reproduced here so file sizes and contents match the device.
 */
import { types } from "node:util";
import type { Realm } from "./realm";

/** Serialise like `require("Storage").writeJSON` does. */
export function espruinoStorageJson(value: unknown): string {
  return serialise(value, new Set());
}

function serialise(value: unknown, seen: Set<object>): string {
  if (value === undefined || value === null || typeof value === "function" || typeof value === "symbol") return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "null";
  if (typeof value === "bigint") return String(value);
  if (typeof value === "string") return quote(value);
  const object = value as Record<string, unknown> & { toJSON?: () => unknown };
  if (seen.has(object)) return "null"; // Espruino's IS_RECURSING guard
  seen.add(object);
  try {
    if (typeof object.toJSON === "function") return serialise(object.toJSON(), seen);
    if (types.isArrayBuffer(value)) return "[" + Array.from(new Uint8Array(value)).join(",") + "]";
    if (ArrayBuffer.isView(value)) return "[" + Array.from(value as unknown as ArrayLike<number>).join(",") + "]";
    if (Array.isArray(value)) return "[" + value.map((item) => serialise(item, seen)).join(",") + "]";
    const fields: string[] = [];
    for (const key of Object.keys(object)) {
      const item = object[key];
      if (item === undefined || typeof item === "function") continue;
      fields.push(objectKey(key) + ":" + serialise(item, seen));
    }
    return "{" + fields.join(",") + "}";
  } finally {
    seen.delete(object);
  }
}

const ID_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const INTEGER_KEY = /^-?(0|[1-9][0-9]*)$/;

/** Keys that are identifiers (jsutils.c isIDString) or integers lose their quotes. */
function objectKey(key: string): string {
  return (key.length < 63 && ID_KEY.test(key)) || INTEGER_KEY.test(key) ? key : quote(key);
}

/** A quoted string with Espruino's non-JSON escapes (jsutils.c escapeCharacter, jsonStyle=false). */
function quote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    const next = i + 1 < s.length ? s.charCodeAt(i + 1) : -1;
    out += escapeCharacter(ch, next);
  }
  return out + '"';
}

function escapeCharacter(ch: number, next: number): string {
  switch (ch) {
    case 0x0a: return "\\n";
    case 0x09: return "\\t";
    case 0x08: return "\\b";
    case 0x0b: return "\\v";
    case 0x0c: return "\\f";
    case 0x0d: return "\\r";
    case 0x5c: return "\\\\";
    case 0x22: return '\\"';
  }
  const nextIsOctal = next >= 0x30 && next <= 0x37;
  if (ch < 8 && !nextIsOctal) return "\\" + ch;
  if (ch < 32 || ch >= 127) {
    const digits = ch > 255 ? 4 : 2;
    return (ch > 255 ? "\\u" : "\\x") + ch.toString(16).toUpperCase().padStart(digits, "0");
  }
  return String.fromCharCode(ch);
}

/** Outcome of a liberal parse: the value, or where it failed. */
export type JsonParse = { ok: true; value: unknown } | { ok: false; error: string };

/** Parse JSON the way `Storage.readJSON` does: standard JSON plus unquoted keys and JS string escapes. */
export function parseLiberalJson(text: string, realm: Realm): JsonParse {
  const parser = new LiberalParser(text, realm);
  try {
    const value = parser.value();
    parser.skipSpace();
    if (!parser.atEnd()) return { ok: false, error: parser.unexpected() };
    return { ok: true, value };
  } catch (e) {
    if (e instanceof ParseFailure) return { ok: false, error: e.message };
    throw e;
  }
}

class ParseFailure extends Error {}

class LiberalParser {
  private pos = 0;
  constructor(private readonly text: string, private readonly realm: Realm) {}

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  unexpected(): string {
    return this.atEnd() ? "Unexpected end of input" : `Got ${JSON.stringify(this.text[this.pos])} at ${this.pos}`;
  }

  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }

  value(): unknown {
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === "{") return this.object();
    if (c === "[") return this.array();
    if (c === '"' || c === "'") return this.string();
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return this.number();
    const word = this.identifier();
    if (word === "true") return true;
    if (word === "false") return false;
    if (word === "null") return null;
    if (word === "undefined") return undefined;
    if (word === "NaN") return NaN;
    if (word === "Infinity") return Infinity;
    throw new ParseFailure(this.unexpected());
  }

  private object(): Record<string, unknown> {
    const result = new this.realm.Object() as Record<string, unknown>;
    this.pos++;
    this.skipSpace();
    if (this.text[this.pos] === "}") {
      this.pos++;
      return result;
    }
    for (;;) {
      this.skipSpace();
      const c = this.text[this.pos];
      const key = c === '"' || c === "'" ? this.string() : c !== undefined && /[0-9-]/.test(c) ? String(this.number()) : this.identifier();
      if (key === "") throw new ParseFailure(this.unexpected());
      this.expect(":");
      result[key] = this.value();
      this.skipSpace();
      if (this.text[this.pos] === ",") { this.pos++; continue; }
      this.expect("}");
      return result;
    }
  }

  private array(): unknown[] {
    const result = new this.realm.Array() as unknown[];
    this.pos++;
    this.skipSpace();
    if (this.text[this.pos] === "]") {
      this.pos++;
      return result;
    }
    for (;;) {
      result.push(this.value());
      this.skipSpace();
      if (this.text[this.pos] === ",") { this.pos++; continue; }
      this.expect("]");
      return result;
    }
  }

  private expect(c: string): void {
    this.skipSpace();
    if (this.text[this.pos] !== c) throw new ParseFailure(this.unexpected());
    this.pos++;
  }

  private identifier(): string {
    const match = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(this.text.slice(this.pos, this.pos + 64));
    if (!match) return "";
    this.pos += match[0].length;
    return match[0];
  }

  private number(): number {
    const match = /^-?(Infinity|0[xX][0-9a-fA-F]+|[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?)/.exec(this.text.slice(this.pos, this.pos + 64));
    if (!match) throw new ParseFailure(this.unexpected());
    this.pos += match[0].length;
    return Number(match[0]);
  }

  private string(): string {
    const quoteChar = this.text[this.pos++];
    let out = "";
    for (;;) {
      if (this.atEnd()) throw new ParseFailure("Unterminated string");
      const c = this.text[this.pos++]!;
      if (c === quoteChar) return out;
      if (c !== "\\") { out += c; continue; }
      const e = this.text[this.pos++];
      switch (e) {
        case "n": out += "\n"; break;
        case "t": out += "\t"; break;
        case "b": out += "\b"; break;
        case "v": out += "\v"; break;
        case "f": out += "\f"; break;
        case "r": out += "\r"; break;
        case "x": out += String.fromCharCode(this.hexDigits(2)); break;
        case "u": out += String.fromCharCode(this.hexDigits(4)); break;
        case undefined: throw new ParseFailure("Unterminated string");
        default:
          if (e >= "0" && e <= "7") {
            let code = e.charCodeAt(0) - 48;
            while (this.pos < this.text.length && /[0-7]/.test(this.text[this.pos]!) && code * 8 < 256) {
              code = code * 8 + this.text.charCodeAt(this.pos++) - 48;
            }
            out += String.fromCharCode(code);
          } else out += e;
      }
    }
  }

  private hexDigits(count: number): number {
    const digits = this.text.slice(this.pos, this.pos + count);
    if (!new RegExp(`^[0-9a-fA-F]{${count}}$`).test(digits)) throw new ParseFailure("Bad escape");
    this.pos += count;
    return parseInt(digits, 16);
  }
}
