/**
 * The messages of the sync protocol and their binary bodies, written once for both ends: the tag encodes
 * responses and decodes requests, the gateway the other way round. Numbers are little-endian.
 *
 * A message is `opcode ‖ body`. Requests (gateway → tag) have opcodes below 0x80; a response carries the
 * request's opcode | 0x80; an error is `FF ‖ code (sync-errors.ts) ‖ opcode of the request (00 if unknown)`.
 * HELLO, CHALLENGE, PROOF and PROVISION travel in clear; once PROOF is accepted every message in both
 * directions is sealed (sync-session.ts). Sizes below are of the body.
 *
 *   01 HELLO        mtu LE16 ‖ gateway nonce (16)          → 81 CHALLENGE tag nonce (16) ‖ tag proof (16)
 *   02 PROOF        gateway proof (16)                     → 82 (sealed, empty): the session is open
 *   03 PROVISION    identity (sync-provision.ts)           → 83 (empty)
 *   10 INFO         (empty)                                → 90 info, see encodeInfo
 *   11 SET_TIME     unix s LE32 ‖ ms LE16                  → 91 clock record, see encodeClockRecord
 *   12 READ_LOG     cursor LE32                            → 92 next cursor LE32 ‖ groups, see encodeLogChunk
 *   13 SET_ALERT    00 none | 01 exposed                   → 93 (empty)
 *   14 READ_KEYS    (empty)                                → 94 keys, see encodeKeys (needs consent)
 *   15 NEW_KEYS     (empty)                                → 95 (empty)
 *   16 SET_CONFIG   (setting index ‖ value int16 LE) × n   → 96 (empty)
 *   17 END          (empty)                                → 97 (empty), then the tag closes the link
 *   18 REPROVISION  identity                               → 98 (empty)
 *
 * READ_LOG(cursor) also acknowledges every record below `cursor`: the gateway asks from a cursor only once
 * it has committed everything below it, so one round trip per chunk both commits the previous chunk on the
 * tag and fetches the next (a separate acknowledgement would double the round trips of a log upload).
 * HELLO carries the gateway's ATT MTU because Espruino does not tell the tag the negotiated one.
 */
import { readUint32LE, writeUint32LE, bytesToHex, hexToBytes } from "./bytes";
import { ClockRecord } from "./clock";
import { TagConfig } from "./config";
import { RECORD_BYTES } from "./encounter";
import { LogRecord } from "./encounter-log";
import { ExposureKeys } from "./exposure-keys";
import { GAEN_KEY_BYTES } from "./gaen";
import { BLUEZONE_KEY_BYTES } from "./bluezone";
import { NONCE_BYTES, PROOF_BYTES } from "./sync-session";

export var OP_HELLO = 0x01;
export var OP_PROOF = 0x02;
export var OP_PROVISION = 0x03;
export var OP_INFO = 0x10;
export var OP_SET_TIME = 0x11;
export var OP_READ_LOG = 0x12;
export var OP_SET_ALERT = 0x13;
export var OP_READ_KEYS = 0x14;
export var OP_NEW_KEYS = 0x15;
export var OP_SET_CONFIG = 0x16;
export var OP_END = 0x17;
export var OP_REPROVISION = 0x18;
/** Added to a request's opcode in its response. */
export var RESPONSE = 0x80;
/** Opcode of an error message. */
export var OP_ERROR = 0xff;
/** Bytes of a log group header: block origin LE24 ‖ record count. */
var GROUP_HEADER_BYTES = 4;
/** Bytes of a block origin (UTC quarter hours since the epoch: 3 bytes last until the year 2448). */
var ORIGIN_BYTES = 3;
/** Longest firmware or board name in INFO. */
var MAX_NAME_CHARS = 24;
/** Settings SET_CONFIG can change, by index: the order is part of the protocol (append only). */
export var CONFIG_SETTINGS = ["gaen", "bluezone", "txPower", "advertIntervalMs", "scanPeriodS", "scanWindowMs", "idleScanPeriodS", "idleAfterEmptyScans"];

/** `opcode ‖ body`. */
export function message(opcode: number, body: Uint8Array): Uint8Array {
  var out = new Uint8Array(1 + body.length);
  out[0] = opcode;
  out.set(body, 1);
  return out;
}

/** The error message for `code`, answering a request with `opcode` (0 when it could not be read). */
export function errorMessage(code: number, opcode: number): Uint8Array {
  return new Uint8Array([OP_ERROR, code, opcode]);
}

/** Reads little-endian numbers from a body; past the end it yields NaN, so decoders check the length once at the end. */
interface Reader {
  bytes: Uint8Array;
  at: number;
}

/** The next `count` bytes as an unsigned little-endian number. */
function readNumber(r: Reader, count: number): number {
  var value = 0;
  for (var i = count - 1; i >= 0; i--) value = value * 256 + r.bytes[r.at + i];
  r.at += count;
  return value;
}

/** The next `count` bytes (a copy), or an empty array past the end. */
function readBytes(r: Reader, count: number): Uint8Array {
  var bytes = r.bytes.slice(r.at, r.at + count);
  r.at += count;
  return bytes;
}

/** A length-prefixed ASCII string. */
function readText(r: Reader): string {
  var length = readNumber(r, 1);
  var text = "";
  for (var i = 0; i < length && r.at < r.bytes.length; i++) text += String.fromCharCode(r.bytes[r.at++]);
  return text;
}

/** The signed 32-bit number in an unsigned one. */
function signed32(value: number): number {
  return value >= 0x80000000 ? value - 0x100000000 : value;
}

/** Writes `value` as `count` little-endian bytes at `at`; returns the offset after it. */
function writeNumber(bytes: Uint8Array, at: number, value: number, count: number): number {
  for (var i = 0; i < count; i++) {
    bytes[at + i] = value & 0xff;
    value = Math.floor(value / 256);
  }
  return at + count;
}

/** `value` rounded into a signed 32-bit field, as its unsigned bit pattern. */
function int32Bits(value: number): number {
  var v = Math.max(-0x80000000, Math.min(0x7fffffff, Math.round(value)));
  return v < 0 ? v + 0x100000000 : v;
}

/** `value` clamped to what `count` unsigned bytes hold. */
function saturate(value: number, count: number): number {
  return Math.max(0, Math.min(Math.pow(256, count) - 1, Math.round(value)));
}

/** Writes a length-prefixed ASCII string (cut to MAX_NAME_CHARS); returns the offset after it. */
function writeText(bytes: Uint8Array, at: number, text: string): number {
  var length = Math.min(text.length, MAX_NAME_CHARS);
  bytes[at] = length;
  for (var i = 0; i < length; i++) bytes[at + 1 + i] = text.charCodeAt(i) & 0x7f;
  return at + 1 + length;
}

/** The opening of a handshake. */
export interface Hello {
  mtu: number;
  nonce: Uint8Array;
}

/** HELLO body: mtu LE16 ‖ gateway nonce. */
export function encodeHello(hello: Hello): Uint8Array {
  var body = new Uint8Array(2 + NONCE_BYTES);
  writeNumber(body, 0, hello.mtu, 2);
  body.set(hello.nonce, 2);
  return body;
}

/** The HELLO in `body`, or null when malformed. */
export function decodeHello(body: Uint8Array): Hello | null {
  if (body.length !== 2 + NONCE_BYTES) return null;
  return { mtu: body[0] | (body[1] << 8), nonce: body.slice(2) };
}

/** The tag's answer to HELLO. */
export interface Challenge {
  nonce: Uint8Array;
  proof: Uint8Array;
}

/** CHALLENGE body: tag nonce ‖ tag proof. */
export function encodeChallenge(challenge: Challenge): Uint8Array {
  var body = new Uint8Array(NONCE_BYTES + PROOF_BYTES);
  body.set(challenge.nonce, 0);
  body.set(challenge.proof, NONCE_BYTES);
  return body;
}

/** The CHALLENGE in `body`, or null when malformed. */
export function decodeChallenge(body: Uint8Array): Challenge | null {
  if (body.length !== NONCE_BYTES + PROOF_BYTES) return null;
  return { nonce: body.slice(0, NONCE_BYTES), proof: body.slice(NONCE_BYTES) };
}

/** What INFO reports. */
export interface TagInfo {
  /** Firmware version (ASCII, at most 24 characters are sent). */
  firmware: string;
  /** Board name (ASCII, likewise). */
  board: string;
  batteryPercent: number;
  /** The tag's clock, unix s. */
  time: number;
  /** The last clock set; null if never set. */
  clock: ClockRecord | null;
  alert: boolean;
  storageFault: boolean;
  /** Log records stored, and of those not yet acknowledged. */
  logRecords: number;
  logUnacknowledged: number;
  /** Unacknowledged records the log dropped to make room. */
  logDropped: number;
  /** The cursor the next record will get, and the acknowledged cursor. */
  logNextCursor: number;
  logAcknowledged: number;
  /** Flash used by the log, as a fraction of its budget (0–1). */
  storageFill: number;
  scanPeriodS: number;
}

var INFO_ALERT = 1;
var INFO_STORAGE_FAULT = 2;
/** Sizes of a clock record's fields: set at (whole unix s, 0 = never) ‖ offset ms (int32) ‖ drift ppm (int32). */
var CLOCK_FIELD_BYTES = [4, 4, 4];
/**
 * Sizes of INFO's fields after the two names: battery % ‖ flags (1 alert, 2 storage fault) ‖ tag time ‖
 * clock record ‖ storage fill ‰ ‖ log records ‖ unacknowledged ‖ dropped ‖ next cursor ‖ acknowledged
 * cursor ‖ scan period s.
 */
var INFO_FIELD_BYTES = [1, 1, 4].concat(CLOCK_FIELD_BYTES, [2, 2, 2, 2, 4, 4, 2]);

/** Writes `values` little-endian in fields of `sizes` bytes (each clamped to its field); returns the offset after them. */
function writeFields(bytes: Uint8Array, at: number, values: number[], sizes: number[]): number {
  for (var i = 0; i < sizes.length; i++) at = writeNumber(bytes, at, saturate(values[i], sizes[i]), sizes[i]);
  return at;
}

/** Reads fields of `sizes` bytes. */
function readFields(r: Reader, sizes: number[]): number[] {
  var values: number[] = [];
  for (var i = 0; i < sizes.length; i++) values.push(readNumber(r, sizes[i]));
  return values;
}

/** A clock record's field values (all zero when never set). */
function clockValues(clock: ClockRecord | null): number[] {
  return clock ? [Math.floor(clock.setAt), int32Bits(clock.offsetS * 1000), int32Bits(clock.driftPpm)] : [0, 0, 0];
}

/** The clock record in field values `v` from `at`; null when never set. */
function clockOf(v: number[], at: number): ClockRecord | null {
  return v[at] ? { setAt: v[at], offsetS: signed32(v[at + 1]) / 1000, driftPpm: signed32(v[at + 2]) } : null;
}

/** INFO response body: firmware (length ‖ ASCII) ‖ board (length ‖ ASCII) ‖ the fields of INFO_FIELD_BYTES. */
export function encodeInfo(info: TagInfo): Uint8Array {
  var body = new Uint8Array(2 * (1 + MAX_NAME_CHARS) + 40);
  var at = writeText(body, writeText(body, 0, info.firmware), info.board);
  var flags = (info.alert ? INFO_ALERT : 0) | (info.storageFault ? INFO_STORAGE_FAULT : 0);
  var values = [info.batteryPercent, flags, info.time].concat(clockValues(info.clock), [
    info.storageFill * 1000,
    info.logRecords,
    info.logUnacknowledged,
    info.logDropped,
    info.logNextCursor,
    info.logAcknowledged,
    info.scanPeriodS,
  ]);
  return body.subarray(0, writeFields(body, at, values, INFO_FIELD_BYTES));
}

/** The INFO response in `body`, or null when malformed. */
export function decodeInfo(body: Uint8Array): TagInfo | null {
  var r: Reader = { bytes: body, at: 0 };
  var firmware = readText(r);
  var board = readText(r);
  var v = readFields(r, INFO_FIELD_BYTES);
  if (r.at !== body.length) return null;
  return {
    firmware: firmware,
    board: board,
    batteryPercent: v[0],
    alert: (v[1] & INFO_ALERT) !== 0,
    storageFault: (v[1] & INFO_STORAGE_FAULT) !== 0,
    time: v[2],
    clock: clockOf(v, 3),
    storageFill: v[6] / 1000,
    logRecords: v[7],
    logUnacknowledged: v[8],
    logDropped: v[9],
    logNextCursor: v[10],
    logAcknowledged: v[11],
    scanPeriodS: v[12],
  };
}

/** SET_TIME body: unix s LE32 ‖ ms LE16. */
export function encodeSetTime(unixSeconds: number): Uint8Array {
  var body = new Uint8Array(6);
  var seconds = Math.floor(unixSeconds);
  writeNumber(body, 0, seconds, 4);
  writeNumber(body, 4, Math.min(999, Math.round((unixSeconds - seconds) * 1000)), 2);
  return body;
}

/** The time (unix s, with ms) in a SET_TIME body, or null when malformed. */
export function decodeSetTime(body: Uint8Array): number | null {
  if (body.length !== 6) return null;
  var ms = body[4] | (body[5] << 8);
  return ms > 999 ? null : readUint32LE(body, 0) + ms / 1000;
}

/** SET_TIME response body: the clock record's fields (CLOCK_FIELD_BYTES). */
export function encodeClockRecord(clock: ClockRecord): Uint8Array {
  var body = new Uint8Array(12);
  writeFields(body, 0, clockValues(clock), CLOCK_FIELD_BYTES);
  return body;
}

/** The clock record in a SET_TIME response, or null when malformed or never set. */
export function decodeClockRecord(body: Uint8Array): ClockRecord | null {
  var r: Reader = { bytes: body, at: 0 };
  var v = readFields(r, CLOCK_FIELD_BYTES);
  return r.at === body.length ? clockOf(v, 0) : null;
}

/** READ_LOG body: the cursor, LE32. */
export function encodeCursor(cursor: number): Uint8Array {
  var body = new Uint8Array(4);
  writeUint32LE(body, 0, cursor);
  return body;
}

/** The cursor in a READ_LOG body, or null when malformed. */
export function decodeCursor(body: Uint8Array): number | null {
  return body.length === 4 ? readUint32LE(body, 0) : null;
}

/**
 * READ_LOG response body of at most `room` bytes: next cursor LE32, then the records in cursor order as
 * groups of one block: block origin LE24 ‖ count ‖ count × 7-byte record (encounter.ts; a record decodes
 * with its block's origin). Takes `records` from the front while they fit; the next cursor follows the last
 * one taken (`from` when none). Fewer than 256 records are read at once, so a count fits its byte.
 */
export function encodeLogChunk(records: LogRecord[], from: number, room: number): Uint8Array {
  var body = new Uint8Array(room);
  var at = 4;
  var next = from;
  var origin = -1;
  var countAt = 0;
  for (var i = 0; i < records.length; i++) {
    var record = records[i];
    var newGroup = record.origin !== origin;
    if (at + RECORD_BYTES + (newGroup ? GROUP_HEADER_BYTES : 0) > room) break;
    if (newGroup) {
      origin = record.origin;
      at = writeNumber(body, at, origin, ORIGIN_BYTES);
      countAt = at++;
    }
    body[countAt]++;
    body.set(record.record, at);
    at += RECORD_BYTES;
    next = record.cursor + 1;
  }
  writeUint32LE(body, 0, next);
  return body.subarray(0, at);
}

/** A record received from the log, with its block's origin (decodeRecord(record, 0, origin)). */
export interface ReceivedRecord {
  origin: number;
  record: Uint8Array;
}

/** A READ_LOG response: the records and the cursor to ask from next. */
export interface LogChunk {
  next: number;
  records: ReceivedRecord[];
}

/** The READ_LOG response in `body`, or null when malformed. */
export function decodeLogChunk(body: Uint8Array): LogChunk | null {
  var r: Reader = { bytes: body, at: 0 };
  var chunk: LogChunk = { next: readNumber(r, 4), records: [] };
  while (r.at < body.length) {
    var origin = readNumber(r, ORIGIN_BYTES);
    var count = readNumber(r, 1);
    if (!(count > 0) || r.at + count * RECORD_BYTES > body.length) return null;
    for (var i = 0; i < count; i++) chunk.records.push({ origin: origin, record: readBytes(r, RECORD_BYTES) });
  }
  return r.at === body.length ? chunk : null;
}

/**
 * READ_KEYS response body: TEK count ‖ (UTC day LE16 ‖ TEK 16) × count, then, when the tag has a
 * Bluezone chain, its first kept day LE16 ‖ that day's daily key (32): every later day's key follows by
 * SHA-256, so the gateway derives the rest rather than the tag sending 14 × 32 bytes.
 */
export function encodeKeys(keys: ExposureKeys): Uint8Array {
  var body = new Uint8Array(1 + keys.teks.length * (2 + GAEN_KEY_BYTES) + 2 + BLUEZONE_KEY_BYTES);
  body[0] = keys.teks.length;
  var at = 1;
  for (var i = 0; i < keys.teks.length; i++) {
    at = writeNumber(body, at, keys.teks[i][0], 2);
    body.set(hexToBytes(keys.teks[i][1]) as Uint8Array, at);
    at += GAEN_KEY_BYTES;
  }
  if (keys.bzKey) {
    at = writeNumber(body, at, keys.bzDay, 2);
    body.set(hexToBytes(keys.bzKey) as Uint8Array, at);
    at += BLUEZONE_KEY_BYTES;
  }
  return body.subarray(0, at);
}

/** The keys in a READ_KEYS response, or null when malformed. */
export function decodeKeys(body: Uint8Array): ExposureKeys | null {
  var r: Reader = { bytes: body, at: 0 };
  var keys: ExposureKeys = { teks: [], bzDay: 0, bzKey: "" };
  var count = readNumber(r, 1);
  for (var i = 0; i < count && r.at < body.length; i++) keys.teks.push([readNumber(r, 2), bytesToHex(readBytes(r, GAEN_KEY_BYTES))]);
  if (r.at < body.length) {
    keys.bzDay = readNumber(r, 2);
    keys.bzKey = bytesToHex(readBytes(r, BLUEZONE_KEY_BYTES));
  }
  return keys.teks.length === count && r.at === body.length ? keys : null;
}

/** SET_CONFIG body for the settings in `patch` (names from CONFIG_SETTINGS; booleans as 0/1). */
export function encodeConfigPatch(patch: Partial<TagConfig>): Uint8Array {
  var body = new Uint8Array(3 * CONFIG_SETTINGS.length);
  var at = 0;
  for (var i = 0; i < CONFIG_SETTINGS.length; i++) {
    var value = (patch as any)[CONFIG_SETTINGS[i]];
    if (value === undefined) continue;
    body[at] = i;
    at = writeNumber(body, at + 1, (Number(value) + 0x10000) & 0xffff, 2);
  }
  return body.subarray(0, at);
}

/**
 * The settings in a SET_CONFIG body as an applyConfig patch, with booleans where `current` has them; null
 * when malformed (length, unknown index, or a boolean other than 0/1). Ranges are applyConfig's to check.
 */
export function decodeConfigPatch(body: Uint8Array, current: TagConfig): { [name: string]: number | boolean } | null {
  if (body.length % 3) return null;
  var patch: { [name: string]: number | boolean } = {};
  for (var at = 0; at < body.length; at += 3) {
    var name = CONFIG_SETTINGS[body[at]];
    if (!name) return null;
    var value = body[at + 1] | (body[at + 2] << 8);
    if (value >= 0x8000) value -= 0x10000;
    if (typeof (current as any)[name] === "boolean") {
      if (value !== 0 && value !== 1) return null;
      patch[name] = value === 1;
    } else {
      patch[name] = value;
    }
  }
  return patch;
}
