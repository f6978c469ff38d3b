/**
 * Espruino's pretokenised code: the form the Espruino tools upload with "Pretokenise code before upload"
 * (EspruinoTools plugins/pretokenise.js, auto mode on 2v20.48 or later, then saveOnSend.js's byte encoding),
 * and the way back for the host runtime.
 *
 * Espruino's lexer (src/jslex.c) reads any byte ≥ 0x80 outside a literal as one token (`jslGetNextToken`:
 * bytes above 124 are single-character tokens whose code is the byte), so uploaded code can carry each
 * multi-character operator and reserved word as one byte, and each string as a length-prefixed raw string.
 * Whitespace and comments go; newlines between top-level statements stay, as EspruinoTools keeps them.
 */
import { type Token, tokenizer } from "acorn";

/** Code of the lexer's first operator/reserved-word token (jslex.h `_LEX_TOKENS_START` = `LEX_EQUAL`). */
const FIRST_TOKEN = 138;
/** The lexer's tokens from FIRST_TOKEN on, in jslex.h `LEX_TYPES` order: operators, then reserved words. */
const TOKEN_TEXTS: readonly string[] = [
  "==", "===", "!=", "!==", "<=", "<<", "<<=", ">=", ">>", ">>>", ">>=", ">>>=", "+=", "-=", "++", "--",
  "*=", "/=", "%=", "&=", "&&", "|=", "||", "^=", "=>",
  "if", "else", "do", "while", "for", "break", "continue", "function", "return", "var", "let", "const",
  "this", "throw", "try", "catch", "finally", "true", "false", "null", "undefined", "new", "in",
  "instanceof", "switch", "case", "default", "delete", "typeof", "void", "debugger", "class", "extends",
  "super", "static", "of",
];
/** Reserved words that are values: Espruino reads a `/` after them as division, after the others as a regex. */
const VALUE_WORDS: readonly string[] = ["true", "false", "null", "undefined"];
/** EspruinoTools leaves `catch` as text (its workaround for espruino/Espruino#1868). */
const UNTOKENISED_WORD = "catch";
/** Raw string (2v20.48+): this byte, the length (1 byte, or 2 little-endian), then the string's bytes. */
const RAW_STRING8 = 0xd1;
const RAW_STRING16 = 0xd2;
/** Raw integers (2v25.396+): never written here (the target may be older), read for others' uploads. */
const RAW_INT0 = 0xd3;
const RAW_INT8 = 0xd4;
const RAW_INT16 = 0xd5;
/** A raw string holds at most this many bytes. */
const RAW_STRING_MAX = 0xffff;
const NEWLINE = 0x0a;
const SPACE = 0x20;
const OPENING_BRACKETS: readonly string[] = ["(", "{", "["];
const CLOSING_BRACKETS: readonly string[] = [")", "}", "]"];
/** Characters a `/` may follow and start a regex, on Espruino (jslGetNextToken, JSLJT_FORWARDSLASH). */
const REGEX_AFTER_CHARS = "!%&*+-/<=>?[{}(,;:";
/** Characters of multi-character operators: two of them side by side could read as one operator. */
const OPERATOR_CHARS = "=!<>+-*/%&|^?";
/** Espruino's regex flags. */
const REGEX_FLAGS = "gimyu";
/** A character of identifiers and numbers (Espruino's isAlpha/isNumeric and `$`). */
const WORD_CHAR = /^[A-Za-z0-9_$]$/;
/** A byte Espruino's lexer reads as a token (outside literals). */
const TOKEN_CHAR = /[\x80-\xff]/;

/** One token of the minified source, as acorn reads it. */
interface Lexeme {
  readonly kind: "word" | "number" | "string" | "other";
  /** Its source text. */
  readonly text: string;
  /** A string's value. */
  readonly value: string;
  /** The source between the previous token and this one (whitespace and comments). */
  readonly gap: string;
}

/** acorn's token with the value its typings leave out (a string's value). */
interface ValuedToken extends Token {
  readonly value: unknown;
}

/** The tokens of ES5 source, read with acorn as EspruinoTools reads them (ecmaVersion 2020). */
function lexemes(source: string): Lexeme[] {
  const read = tokenizer(source, { ecmaVersion: 2020 });
  const result: Lexeme[] = [];
  let end = 0;
  for (let token = read.getToken() as ValuedToken; token.type.label !== "eof"; token = read.getToken() as ValuedToken) {
    const label = token.type.label;
    if (label === "`") throw new Error(`pretokenise: template literal at ${token.start} (the input must be ES5)`);
    const kind = label === "string" ? "string" : label === "num" ? "number" : label === "name" || token.type.keyword ? "word" : "other";
    result.push({ kind, text: source.slice(token.start, token.end), value: kind === "string" ? String(token.value) : "", gap: source.slice(end, token.start) });
    end = token.end;
  }
  return result;
}

function isWordy(lexeme: Lexeme): boolean {
  return lexeme.kind === "word" || lexeme.kind === "number";
}

/** Whether two tokens written back to back as text would read as other tokens: `a b`, `+ +`, `- -`, `/ /re/`, `1 .x`. */
function runTogether(previous: Lexeme, next: Lexeme): boolean {
  if (isWordy(previous) && isWordy(next)) return true; // the one case EspruinoTools checks
  if (previous.kind === "number") return next.text[0] === "." && /^[0-9]+$/.test(previous.text);
  return previous.kind === "other" && ["+", "-", "/"].includes(previous.text) && next.text[0] === previous.text;
}

/** Appends text as EspruinoTools encodes it (saveOnSend.js asUTF8Bytes): one byte per code below 256, else UTF-8. */
function appendText(out: number[], text: string): void {
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code < 256) out.push(code);
    else out.push(...Buffer.from(char, "utf8"));
  }
}

/** A string as a raw string token, or null when it stays quoted text (empty, too long, or not all 8-bit). */
function rawString(value: string): number[] | null {
  if (value.length === 0 || value.length > RAW_STRING_MAX) return null;
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code > 0xff) return null;
    bytes.push(code);
  }
  const header = value.length < 256 ? [RAW_STRING8, value.length] : [RAW_STRING16, value.length & 0xff, value.length >> 8];
  return header.concat(bytes);
}

/**
 * The bytes EspruinoTools uploads for `minifiedEs5` with PRETOKENISE on for Espruino 2v20.48+: operators and
 * reserved words as single bytes, strings (and `atob("…")` calls on a string) as raw strings, integers as
 * text. Unlike EspruinoTools it keeps the space in `a- -b`, `a+ +b`, `a/ /re/` and `1 .x` (EspruinoTools
 * glues them into other tokens), and folds `atob("…")` only for the name `atob` itself and a non-empty result,
 * counting its brackets (EspruinoTools loses one, and with it the later top-level newlines); otherwise the
 * bytes are the same.
 */
export function pretokenise(minifiedEs5: string): Uint8Array {
  const tokens = lexemes(minifiedEs5);
  const out: number[] = [];
  let depth = 0;
  /** The last token written as text (null after a token byte or raw string, which need no separator). */
  let previous: Lexeme | null = null;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (OPENING_BRACKETS.includes(token.text)) depth++;
    if (depth === 0 && token.gap.includes("\n")) out.push(NEWLINE); // keeps top-level statements apart
    if (CLOSING_BRACKETS.includes(token.text)) depth--;

    const call = token.text === "atob" && tokens[i + 1]?.text === "(" && tokens[i + 2]?.kind === "string" && tokens[i + 3]?.text === ")";
    const string = call ? tokens[i + 2]! : token;
    const raw = string.kind === "string" ? rawString(call ? Buffer.from(string.value, "base64").toString("latin1") : string.value) : null;
    const code = TOKEN_TEXTS.indexOf(token.text);
    if (raw) {
      out.push(...raw);
      previous = null;
      if (call) i += 3;
    } else if (code >= 0 && token.text !== UNTOKENISED_WORD) {
      out.push(FIRST_TOKEN + code);
      previous = null;
    } else {
      if (previous && runTogether(previous, token)) out.push(SPACE);
      appendText(out, token.text);
      previous = token;
    }
  }
  return Uint8Array.from(out);
}

/** A token of pretokenised code as JavaScript: its text, where the code after it starts, how a `/` after it reads. */
interface Expansion {
  readonly text: string;
  readonly end: number;
  readonly regexAfter: boolean;
}

/** A stretch of plain code: where it ends and how a `/` after it reads (null: as before it). */
interface PlainStretch {
  readonly end: number;
  readonly regexAfter: boolean | null;
}

/** The byte `offset` after the token starting at `start` (code as a byte string). */
function tokenByte(code: string, start: number, offset: number): number {
  if (start + offset >= code.length) throw new SyntaxError(`detokenise: code ends inside the token at ${start}`);
  return code.charCodeAt(start + offset);
}

/** The token byte (or raw string or integer) at `start` as JavaScript. */
function expansion(code: string, start: number): Expansion {
  const byte = code.charCodeAt(start);
  const word = TOKEN_TEXTS[byte - FIRST_TOKEN];
  if (word !== undefined) return { text: word, end: start + 1, regexAfter: !VALUE_WORDS.includes(word) };
  if (byte === RAW_STRING8 || byte === RAW_STRING16) {
    const header = byte === RAW_STRING8 ? 2 : 3;
    const length = byte === RAW_STRING8 ? tokenByte(code, start, 1) : tokenByte(code, start, 1) | (tokenByte(code, start, 2) << 8);
    if (length > 0) tokenByte(code, start, header + length - 1);
    const end = start + header + length;
    return { text: JSON.stringify(code.slice(start + header, end)), end, regexAfter: false };
  }
  if (byte === RAW_INT0) return { text: "0", end: start + 1, regexAfter: false };
  if (byte === RAW_INT8) {
    const value = (tokenByte(code, start, 1) << 24) >> 24;
    return { text: value < 0 ? `(${value})` : String(value), end: start + 2, regexAfter: false };
  }
  if (byte === RAW_INT16) {
    const value = ((tokenByte(code, start, 1) | (tokenByte(code, start, 2) << 8)) << 16) >> 16;
    return { text: value < 0 ? `(${value})` : String(value), end: start + 3, regexAfter: false };
  }
  throw new SyntaxError(`detokenise: byte 0x${byte.toString(16)} at ${start} is no Espruino token`);
}

/** Where the string starting at `start` ends, by Espruino's rules (jslLexString): escapes, no newline, `${}` nesting. */
function stringEnd(code: string, start: number): number {
  const quote = code[start];
  const template = quote === "`";
  let nesting = 0;
  let i = start + 1;
  while (i < code.length && (code[i] !== quote || nesting > 0)) {
    const char = code[i];
    if (char === "\\") i++;
    else if (char === "\n" && !template) return i;
    else if (template && char === "{" && (nesting > 0 || code[i - 1] === "$")) nesting++;
    else if (template && char === "}" && nesting > 0) nesting--;
    i++;
  }
  return Math.min(i + 1, code.length);
}

/** Where the regex starting at `start` ends, flags included, by Espruino's rules (jslLexRegex). */
function regexEnd(code: string, start: number): number {
  let i = start + 1;
  while (i < code.length && code[i] !== "/" && code[i] !== "\n") i += code[i] === "\\" ? 2 : 1;
  if (code[i] !== "/") return Math.min(i, code.length);
  i++;
  while (i < code.length && REGEX_FLAGS.includes(code[i]!)) i++;
  return i;
}

function isWordChar(char: string): boolean {
  return WORD_CHAR.test(char);
}

/** The plain (below 0x80) token, literal, comment or whitespace at `start`, read as Espruino's lexer reads it. */
function plainStretch(code: string, start: number, regexAllowed: boolean): PlainStretch {
  const char = code[start]!;
  if (char <= " ") return { end: start + 1, regexAfter: null };
  if (code.startsWith("//", start)) {
    const newline = code.indexOf("\n", start);
    return { end: newline < 0 ? code.length : newline, regexAfter: null };
  }
  if (code.startsWith("/*", start)) {
    const close = code.indexOf("*/", start + 2);
    return { end: close < 0 ? code.length : close + 2, regexAfter: null };
  }
  if (char === '"' || char === "'" || char === "`") return { end: stringEnd(code, start), regexAfter: false };
  if (char === "/" && regexAllowed) return { end: regexEnd(code, start), regexAfter: false };
  if (isWordChar(char)) {
    let end = start + 1;
    while (end < code.length && isWordChar(code[end]!)) end++;
    const word = code.slice(start, end);
    return { end, regexAfter: TOKEN_TEXTS.includes(word) && !VALUE_WORDS.includes(word) };
  }
  // One punctuation character: every multi-character operator ends with one of REGEX_AFTER_CHARS except `||`.
  return { end: start + 1, regexAfter: REGEX_AFTER_CHARS.includes(char) || (char === "|" && code[start - 1] === "|") };
}

/** Whether two characters side by side could be read as one token (so a space goes between them). */
function joins(left: string, right: string): boolean {
  const operators = OPERATOR_CHARS.includes(left) && OPERATOR_CHARS.includes(right);
  return (isWordChar(left) && isWordChar(right)) || operators || (left >= "0" && left <= "9" && right === ".");
}

/**
 * JavaScript that means what Espruino reads in `code`: token bytes, raw strings and raw integers become text
 * (with a space where a neighbour would otherwise run into them); everything else, literals included, is
 * kept byte for byte as a byte string (char code = byte). Code with no byte ≥ 0x80 comes back unchanged.
 */
export function detokenise(code: Uint8Array): string {
  const source = Buffer.from(code.buffer, code.byteOffset, code.byteLength).toString("latin1");
  if (!TOKEN_CHAR.test(source)) return source;
  let out = "";
  let copied = 0;
  let lastChar = "";
  let regexAllowed = true;
  for (let i = 0; i < source.length; ) {
    if (source.charCodeAt(i) < 0x80) {
      const stretch = plainStretch(source, i, regexAllowed);
      if (stretch.regexAfter !== null) regexAllowed = stretch.regexAfter;
      i = stretch.end;
      continue;
    }
    const token = expansion(source, i);
    // The character before: plain code since the last token, or the end of that token's text.
    const before = copied < i ? source[i - 1]! : lastChar;
    out += source.slice(copied, i) + (before !== "" && joins(before, token.text[0]!) ? " " : "") + token.text;
    lastChar = token.text[token.text.length - 1]!;
    const after = source[token.end];
    if (after !== undefined && after < "\x80" && joins(lastChar, after)) {
      out += " ";
      lastChar = " ";
    }
    regexAllowed = token.regexAfter;
    copied = i = token.end;
  }
  return out + source.slice(copied);
}
