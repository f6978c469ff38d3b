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
import { asciiBytes, bytesToHex, concatBytes, hexToBytes, readField, readFields, uint32LE, writeFields } from "./bytes";
import { ClockRecord } from "./clock";
import { CONFIG_SETTINGS, DEFAULT_CONFIG, TagConfig } from "./config";
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
/** Bytes of a block origin (UTC quarter hours since the epoch: 3 bytes last until the year 2448). */
var ORIGIN_BYTES = 3;
/** Bytes of a log group header: block origin LE24 ‖ record count. */
var GROUP_HEADER_BYTES = ORIGIN_BYTES + 1;
/** Longest firmware or board name in INFO. */
var MAX_NAME_CHARS = 24;
/** A SET_CONFIG value: int16 LE (booleans as 0/1). */
var SETTING_BYTES = -2;

/** `opcode ‖ body`. */
export function message(opcode: number, body: Uint8Array): Uint8Array {
  return concatBytes([new Uint8Array([opcode]), body]);
}

/** The error message for `code`, answering a request with `opcode` (0 when it could not be read). */
export function errorMessage(code: number, opcode: number): Uint8Array {
  return new Uint8Array([OP_ERROR, code, opcode]);
}

/** The opening of a handshake. */
export interface Hello {
  mtu: number;
  nonce: Uint8Array;
}

/** HELLO body: mtu LE16 ‖ gateway nonce. */
export function encodeHello(hello: Hello): Uint8Array {
  var body = new Uint8Array(2 + NONCE_BYTES);
  body.set(hello.nonce, writeFields(body, 0, [hello.mtu], [2]));
  return body;
}

/** The HELLO in `body`, or null when malformed. */
export function decodeHello(body: Uint8Array): Hello | null {
  return body.length === 2 + NONCE_BYTES ? { mtu: readField(body, 0, 2), nonce: body.slice(2) } : null;
}

/** The tag's answer to HELLO. */
export interface Challenge {
  nonce: Uint8Array;
  proof: Uint8Array;
}

/** CHALLENGE body: tag nonce ‖ tag proof. */
export function encodeChallenge(nonce: Uint8Array, proof: Uint8Array): Uint8Array {
  return concatBytes([nonce, proof]);
}

/** The CHALLENGE in `body`, or null when malformed. */
export function decodeChallenge(body: Uint8Array): Challenge | null {
  if (body.length !== NONCE_BYTES + PROOF_BYTES) return null;
  return { nonce: body.slice(0, NONCE_BYTES), proof: body.slice(NONCE_BYTES) };
}

/**
 * What the tag reports to INFO, in the order of the body: encodeInfo turns alert and storageFault into the
 * flags byte, the clock into its three fields and the fill into ‰. A tuple, so that the tag builds no
 * object with a dozen long member names. Names are ASCII, cut to 24 characters.
 */
export type InfoFields = [
  firmware: string,
  board: string,
  batteryPercent: number,
  alert: boolean,
  storageFault: boolean,
  /** The tag's clock, unix s. */
  time: number,
  /** The last clock set; null if never set. */
  clock: ClockRecord | null,
  /** Flash used by the log, as a fraction of its budget (0–1). */
  storageFill: number,
  /** Log records stored, and of those not yet acknowledged. */
  logRecords: number,
  logUnacknowledged: number,
  /** Unacknowledged records the log dropped to make room. */
  logDropped: number,
  /** The cursor the next record will get, and the acknowledged cursor. */
  logNextCursor: number,
  logAcknowledged: number,
  scanPeriodS: number,
];

/** What INFO reports, as the gateway reads it. */
export interface TagInfo {
  firmware: string;
  board: string;
  batteryPercent: number;
  time: number;
  clock: ClockRecord | null;
  alert: boolean;
  storageFault: boolean;
  logRecords: number;
  logUnacknowledged: number;
  logDropped: number;
  logNextCursor: number;
  logAcknowledged: number;
  storageFill: number;
  scanPeriodS: number;
}

var INFO_ALERT = 1;
var INFO_STORAGE_FAULT = 2;
/** Fields of a clock record: set at (whole unix s, 0 = never) ‖ offset ms (int32) ‖ drift ppm (int32). */
var CLOCK_FIELD_BYTES = [4, -4, -4];
/**
 * Fields of INFO after the two names: battery % ‖ flags (1 alert, 2 storage fault) ‖ tag time ‖ clock
 * record ‖ storage fill ‰ ‖ log records ‖ unacknowledged ‖ dropped ‖ next cursor ‖ acknowledged cursor ‖
 * scan period s.
 */
var INFO_FIELD_BYTES = [1, 1, 4].concat(CLOCK_FIELD_BYTES, [2, 2, 2, 2, 4, 4, 2]);

/** A clock record's field values (all zero when never set). */
function clockValues(clock: ClockRecord | null): number[] {
  return clock ? [Math.floor(clock.setAt), clock.offsetS * 1000, clock.driftPpm] : [0, 0, 0];
}

/** The clock record in field values `v` from `at`; null when never set. */
function clockOf(v: number[], at: number): ClockRecord | null {
  return v[at] ? { setAt: v[at], offsetS: v[at + 1] / 1000, driftPpm: v[at + 2] } : null;
}

/** A length-prefixed ASCII name, cut to MAX_NAME_CHARS. */
function nameField(name: string): Uint8Array {
  name = name.substr(0, MAX_NAME_CHARS);
  return asciiBytes(String.fromCharCode(name.length) + name);
}

/** The length-prefixed name at `at` (shorter when the body ends first). */
function readName(bytes: Uint8Array, at: number): string {
  var name = "";
  for (var i = 1; i <= bytes[at] && at + i < bytes.length; i++) name += String.fromCharCode(bytes[at + i]);
  return name;
}

/** INFO response body: firmware (length ‖ ASCII) ‖ board (length ‖ ASCII) ‖ the fields of INFO_FIELD_BYTES. */
export function encodeInfo(info: InfoFields): Uint8Array {
  var fields = new Uint8Array(40);
  var flags = (info[3] ? INFO_ALERT : 0) | (info[4] ? INFO_STORAGE_FAULT : 0);
  var values = [info[2], flags, info[5]].concat(clockValues(info[6]), [info[7] * 1000], info.slice(8) as number[]);
  return concatBytes([nameField(info[0]), nameField(info[1]), fields.subarray(0, writeFields(fields, 0, values, INFO_FIELD_BYTES))]);
}

/** The INFO response in `body`, or null when malformed. */
export function decodeInfo(body: Uint8Array): TagInfo | null {
  var firmware = readName(body, 0);
  var board = readName(body, 1 + firmware.length);
  var v = readFields(body, 2 + firmware.length + board.length, INFO_FIELD_BYTES);
  if (!v) return null;
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
  writeFields(body, 0, [seconds, Math.min(999, (unixSeconds - seconds) * 1000)], [4, 2]);
  return body;
}

/** The time (unix s, with ms) in a SET_TIME body, or null when malformed. */
export function decodeSetTime(body: Uint8Array): number | null {
  var ms = readField(body, 4, 2);
  return body.length === 6 && ms <= 999 ? readField(body, 0, 4) + ms / 1000 : null;
}

/** SET_TIME response body: the clock record's fields (CLOCK_FIELD_BYTES). */
export function encodeClockRecord(clock: ClockRecord): Uint8Array {
  var body = new Uint8Array(12);
  writeFields(body, 0, clockValues(clock), CLOCK_FIELD_BYTES);
  return body;
}

/** The clock record in a SET_TIME response, or null when malformed or never set. */
export function decodeClockRecord(body: Uint8Array): ClockRecord | null {
  var v = readFields(body, 0, CLOCK_FIELD_BYTES);
  return v && clockOf(v, 0);
}

/** READ_LOG body: the cursor, LE32. */
export function encodeCursor(cursor: number): Uint8Array {
  var body = new Uint8Array(4);
  writeFields(body, 0, [cursor], [4]);
  return body;
}

/** The cursor in a READ_LOG body, or null when malformed. */
export function decodeCursor(body: Uint8Array): number | null {
  return body.length === 4 ? readField(body, 0, 4) : null;
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
      countAt = writeFields(body, at, [origin], [ORIGIN_BYTES]);
      at = countAt + 1;
    }
    body[countAt]++;
    body.set(record.record, at);
    at += RECORD_BYTES;
    next = record.cursor + 1;
  }
  body.set(uint32LE(next));
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
  if (body.length < 4) return null;
  var chunk: LogChunk = { next: readField(body, 0, 4), records: [] };
  for (var at = 4; at < body.length; ) {
    var origin = readField(body, at, ORIGIN_BYTES);
    var count = body[at + ORIGIN_BYTES];
    at += GROUP_HEADER_BYTES;
    if (!(count > 0) || at + count * RECORD_BYTES > body.length) return null;
    for (var i = 0; i < count; i++) chunk.records.push({ origin: origin, record: body.slice(at, (at += RECORD_BYTES)) });
  }
  return chunk;
}

/**
 * READ_KEYS response body: TEK count ‖ (UTC day LE16 ‖ TEK 16) × count, then, when the tag has a
 * Bluezone chain, its first kept day LE16 ‖ that day's daily key (32): every later day's key follows by
 * SHA-256, so the gateway derives the rest rather than the tag sending 14 × 32 bytes.
 */
export function encodeKeys(keys: ExposureKeys): Uint8Array {
  var parts: Uint8Array[] = [new Uint8Array([keys.teks.length])];
  var dayKeys = keys.bzKey ? keys.teks.concat([[keys.bzDay, keys.bzKey]]) : keys.teks;
  // day LE16 ‖ key, for each
  for (var i = 0; i < dayKeys.length; i++) parts.push(new Uint8Array([dayKeys[i][0], dayKeys[i][0] >> 8]), hexToBytes(dayKeys[i][1]) as Uint8Array);
  return concatBytes(parts);
}

/** The keys in a READ_KEYS response, or null when malformed. */
export function decodeKeys(body: Uint8Array): ExposureKeys | null {
  var keys: ExposureKeys = { teks: [], bzDay: 0, bzKey: "" };
  var count = body[0];
  var at = 1;
  /** The key of `bytes` after the day at `at`, as hex. */
  function key(bytes: number): string {
    return bytesToHex(body.slice(at + 2, (at += 2 + bytes)));
  }
  while (keys.teks.length < count && at < body.length) keys.teks.push([readField(body, at, 2), key(GAEN_KEY_BYTES)]);
  if (at < body.length) {
    keys.bzDay = readField(body, at, 2);
    keys.bzKey = key(BLUEZONE_KEY_BYTES);
  }
  return keys.teks.length === count && at === body.length ? keys : null;
}

/** SET_CONFIG body for the settings in `patch` (indices from CONFIG_SETTINGS, config.ts; booleans as 0/1). */
export function encodeConfigPatch(patch: Partial<TagConfig>): Uint8Array {
  var body = new Uint8Array(3 * CONFIG_SETTINGS.length);
  var at = 0;
  for (var i = 0; i < CONFIG_SETTINGS.length; i++) {
    var value = (patch as any)[CONFIG_SETTINGS[i]];
    if (value === undefined) continue;
    body[at] = i;
    at = writeFields(body, at + 1, [Number(value)], [SETTING_BYTES]);
  }
  return body.subarray(0, at);
}

/**
 * The settings in a SET_CONFIG body as an applyConfig patch, with booleans for the flags; null when
 * malformed (length, unknown index, or a flag other than 0/1). Ranges are applyConfig's to check.
 */
export function decodeConfigPatch(body: Uint8Array): { [name: string]: number | boolean } | null {
  if (body.length % 3) return null;
  var patch: { [name: string]: number | boolean } = {};
  for (var at = 0; at < body.length; at += 3) {
    var name = CONFIG_SETTINGS[body[at]];
    var value = readField(body, at + 1, SETTING_BYTES);
    var isFlag = typeof (DEFAULT_CONFIG as any)[name] === "boolean";
    if (!name || (isFlag && value !== 0 && value !== 1)) return null;
    patch[name] = isFlag ? value === 1 : value;
  }
  return patch;
}
