/**
 * The encounter log in Storage. Records (encounter.ts) are appended to pre-sized block files, one offset
 * write each, and a written byte is never written again (flash bits only go 1→0).
 *
 * - Block file `zl<serial>_<origin>` (both base 36): 146 records (1022 bytes) of encounters first seen in
 *   the 32 hours from `origin` (UTC quarter hours since the epoch), which is set 2 hours before the block's
 *   first record. `serial` counts blocks, so a record's cursor `serial × 146 + index` only ever grows. A new
 *   block starts when the current one is full or a record's time is outside its window. (A window tied to
 *   the UTC day would cut blocks opened late in the day short: at 150 a day that wastes about one block in
 *   ten, more than the 24 KB budget has.)
 * - Boot needs no saved write position: the newest block is scanned for its last written record. A record
 *   cut by a power failure (last byte still 0xFF) is skipped and never rewritten.
 * - `zlstate` (JSON) keeps the acknowledged cursor and the next serial.
 * - Retention: blocks whose records are all older than 21 days are erased.
 * - When a new block does not fit the budget (or the flash), acknowledged blocks go first (oldest first);
 *   then the oldest blocks are thinned to their strongest 3/4 (longest, then nearest): the kept records are
 *   written to a new block `zl<serial>_<origin>_<old serial>` before the old one is erased, so a power cut loses
 *   nothing kept, and boot finishes (or undoes) an interrupted thinning. Nothing here throws on a full or
 *   failing flash: failures come back in the return value and are counted.
 */
import { DAY_SECONDS } from "./bluezone";
import {
  Encounter,
  QUARTER_SECONDS,
  RECORD_BYTES,
  RECORD_COMPLETE,
  RECORD_EMPTY,
  encodeRecord,
  recordFirstSeen,
  recordFitsBlock,
  recordState,
  recordStrength,
} from "./encounter";

/** Bytes of one encounter record in the log. */
export var LOG_RECORD_BYTES = RECORD_BYTES;
/** Records in one block file: as many as fit in 1 KB. */
export var BLOCK_RECORDS = Math.floor(1024 / RECORD_BYTES);
/** Data bytes of a block file. */
export var BLOCK_BYTES = BLOCK_RECORDS * RECORD_BYTES;
/** Storage's header in front of every file (Espruino 2v2x: size word + 28-byte name). */
export var STORAGE_HEADER_BYTES = 32;
/** Storage pads every file's data to the nRF52 flash word. */
var FLASH_WORD_BYTES = 4;
/** Flash the log may use by default, block files with their headers. */
export var DEFAULT_LOG_BUDGET_BYTES = 24 * 1024;
/** Days a record is kept. */
export var LOG_RETENTION_DAYS = 21;
/** A block's time origin lies this many quarter hours before its first record, so that encounters begun
 * a little earlier but closed later (up to 30 minutes and the gap) still fit it. */
var BLOCK_LEAD_QUARTERS = 8;
/** Thinning keeps this fraction of a block's records. */
var THIN_KEEP_NUMERATOR = 3;
var THIN_KEEP_DENOMINATOR = 4;
var BLOCK_NAME_PREFIX = "zl";
var BLOCK_FILES = /^zl[0-9a-z]+_/;
var STATE_FILE = "zlstate";

/** The part of Espruino's Storage the log uses: require("Storage") on the tag, FlashStorage on the host. */
export interface LogStorage {
  readArrayBuffer(name: string): ArrayBuffer | undefined;
  readJSON(name: string, noExceptions?: boolean): any;
  write(name: string, data: Uint8Array, offset?: number, size?: number): boolean;
  writeJSON(name: string, data: any): boolean;
  erase(name: string): void;
  list(regex?: RegExp): string[];
  getFree(): number;
  compact(): void;
}

/** Limits of the log; each has a default. */
export interface LogOptions {
  /** Flash the block files may use, headers included. */
  budgetBytes?: number;
  retentionDays?: number;
}

/** What became of one append: the record's cursor, or why it was not stored. */
export type AppendResult = { ok: true; cursor: number } | { ok: false; reason: string };

/** One stored record as the sync reads it: decode with decodeRecord(record, 0, origin). */
export interface LogRecord {
  cursor: number;
  /** Time origin of the record's block, UTC quarter hours since the epoch. */
  origin: number;
  record: Uint8Array;
}

/** Figures for the gateway's "info" command. */
export interface LogStatus {
  /** Complete records stored. */
  records: number;
  /** Of those, the ones at or above the acknowledged cursor. */
  unacknowledged: number;
  /** Flash used by the block files, headers included. */
  bytes: number;
  budgetBytes: number;
  /** The cursor the next record will get; acknowledging it acknowledges everything. */
  nextCursor: number;
  acknowledged: number;
  /** Appends that could not be stored. */
  failures: number;
  /** Unacknowledged records dropped to make room. */
  dropped: number;
}

/** A block file as named. */
interface Block {
  name: string;
  serial: number;
  origin: number;
  /** Serial of the block this one is a thinned copy of; -1 for a block filled by appends. */
  source: number;
}

/** Flash taken by a file of `dataBytes` bytes: Storage's header plus the data padded to a flash word. */
export function storageFootprint(dataBytes: number): number {
  return STORAGE_HEADER_BYTES + Math.ceil(dataBytes / FLASH_WORD_BYTES) * FLASH_WORD_BYTES;
}

/** Flash kept free for thinning: the largest copy a thinning writes before it erases the original. */
var THIN_RESERVE_BYTES = storageFootprint(Math.floor((BLOCK_RECORDS * THIN_KEEP_NUMERATOR) / THIN_KEEP_DENOMINATOR) * RECORD_BYTES);

/** Time origin of a new block whose first record was first seen at unix time `t`. */
function blockOrigin(t: number): number {
  return Math.floor(t / QUARTER_SECONDS) - BLOCK_LEAD_QUARTERS;
}

/** Whether an appended block with time origin `origin` and `count` records takes one first seen at `t`. */
function blockTakes(origin: number, count: number, t: number): boolean {
  return count < BLOCK_RECORDS && recordFitsBlock(t, origin);
}

function blockName(serial: number, origin: number, source: number): string {
  return BLOCK_NAME_PREFIX + serial.toString(36) + "_" + origin.toString(36) + (source >= 0 ? "_" + source.toString(36) : "");
}

function parseBlockName(name: string): Block | null {
  var parts = name.substr(BLOCK_NAME_PREFIX.length).split("_");
  var serial = parseInt(parts[0], 36);
  var origin = parseInt(parts[1], 36);
  var source = parts.length > 2 ? parseInt(parts[2], 36) : -1;
  if (isNaN(serial) || isNaN(origin) || isNaN(source)) return null;
  return { name: name, serial: serial, origin: origin, source: source };
}

/** The block files in Storage, by serial. */
function listBlocks(storage: LogStorage): Block[] {
  var names = storage.list(BLOCK_FILES);
  var blocks: Block[] = [];
  for (var i = 0; i < names.length; i++) {
    var block = parseBlockName(names[i]);
    if (block) blocks.push(block);
  }
  return blocks.sort(function (a, b) {
    return a.serial - b.serial;
  });
}

/** The oldest of `blocks` by time origin (then serial) that `accept` accepts, or null. */
function oldestBlock(blocks: Block[], accept: (block: Block) => boolean): Block | null {
  var oldest: Block | null = null;
  for (var i = 0; i < blocks.length; i++) {
    var b = blocks[i];
    if (accept(b) && (!oldest || b.origin < oldest.origin || (b.origin === oldest.origin && b.serial < oldest.serial))) oldest = b;
  }
  return oldest;
}

/** Index of the last record slot that is not empty, -1 if none. */
function lastUsedIndex(bytes: Uint8Array): number {
  for (var i = Math.floor(bytes.length / RECORD_BYTES) - 1; i >= 0; i--) if (recordState(bytes, i * RECORD_BYTES) !== RECORD_EMPTY) return i;
  return -1;
}

/** Storage.write that reports a throw (full flash, power loss) as false. */
function tryWrite(storage: LogStorage, name: string, data: Uint8Array, offset?: number, size?: number): boolean {
  try {
    return storage.write(name, data, offset, size) !== false;
  } catch (e) {
    return false;
  }
}

/** The encounter log of one tag in `storage`. */
export class EncounterLog {
  private storage: LogStorage;
  private budgetBytes: number;
  private retentionDays: number;
  /** The block appends go to; null until the next append opens one. */
  private current: Block | null;
  /** Next record index in the current block. */
  private currentCount: number;
  private nextSerial: number;
  private acknowledged: number;
  private failures: number;
  private dropped: number;

  /** Opens the log as found in `storage` (a boot): finishes an interrupted thinning, finds the write position. */
  constructor(storage: LogStorage, options?: LogOptions) {
    this.storage = storage;
    this.budgetBytes = (options && options.budgetBytes) || DEFAULT_LOG_BUDGET_BYTES;
    this.retentionDays = (options && options.retentionDays) || LOG_RETENTION_DAYS;
    this.failures = 0;
    this.dropped = 0;
    var state = storage.readJSON(STATE_FILE, true) || {};
    this.acknowledged = state.a || 0;
    this.finishThinning();
    var blocks = listBlocks(storage);
    var newest = blocks.length ? blocks[blocks.length - 1] : null;
    this.nextSerial = Math.max(newest ? newest.serial + 1 : 0, state.s || 0, Math.ceil(this.acknowledged / BLOCK_RECORDS));
    this.current = null;
    this.currentCount = 0;
    if (newest && newest.source < 0) {
      var next = lastUsedIndex(this.bytesOf(newest)) + 1;
      if (next < BLOCK_RECORDS) {
        this.current = newest;
        this.currentCount = next;
      }
    }
  }

  /** Stores one closed encounter. */
  append(e: Encounter): AppendResult {
    var block = this.current;
    if (block && blockTakes(block.origin, this.currentCount, e.first)) {
      // The slot is used even if the write fails: a partly written slot must never be written again.
      var index = this.currentCount++;
      if (!tryWrite(this.storage, block.name, encodeRecord(e, block.origin) as Uint8Array, index * RECORD_BYTES)) return this.failed("write failed");
      return { ok: true, cursor: block.serial * BLOCK_RECORDS + index };
    }
    return this.appendToNewBlock(e);
  }

  /** Up to `maxRecords` complete records from `cursor` on, in cursor order. */
  readFrom(cursor: number, maxRecords: number): LogRecord[] {
    var out: LogRecord[] = [];
    var blocks = listBlocks(this.storage);
    for (var b = 0; b < blocks.length && out.length < maxRecords; b++) {
      var base = blocks[b].serial * BLOCK_RECORDS;
      if (base + BLOCK_RECORDS <= cursor) continue;
      var bytes = this.bytesOf(blocks[b]);
      var count = Math.floor(bytes.length / RECORD_BYTES);
      for (var i = cursor > base ? cursor - base : 0; i < count && out.length < maxRecords; i++) {
        var at = i * RECORD_BYTES;
        if (recordState(bytes, at) === RECORD_COMPLETE) out.push({ cursor: base + i, origin: blocks[b].origin, record: bytes.slice(at, at + RECORD_BYTES) });
      }
    }
    return out;
  }

  /** Marks every record below `cursor` as safely at the gateway (saved); false if it could not be saved. */
  acknowledge(cursor: number): boolean {
    var end = this.nextCursor();
    if (cursor > end) cursor = end;
    if (cursor <= this.acknowledged) return true;
    var previous = this.acknowledged;
    this.acknowledged = cursor;
    if (this.saveState()) return true;
    this.acknowledged = previous;
    return false;
  }

  /** Erases the blocks whose records are all older than the retention at unix time `now`; returns how many. */
  expire(now: number): number {
    var cutoff = now - this.retentionDays * DAY_SECONDS;
    var blocks = listBlocks(this.storage);
    var erased = 0;
    for (var b = 0; b < blocks.length; b++) {
      if (this.newestTime(blocks[b]) < cutoff && this.eraseBlock(blocks[b])) erased++;
    }
    return erased;
  }

  /** Counts and flash use. */
  status(): LogStatus {
    var blocks = listBlocks(this.storage);
    var records = 0;
    var unacknowledged = 0;
    var bytesUsed = 0;
    for (var b = 0; b < blocks.length; b++) {
      var bytes = this.bytesOf(blocks[b]);
      bytesUsed += storageFootprint(bytes.length);
      for (var i = 0; i * RECORD_BYTES < bytes.length; i++) {
        if (recordState(bytes, i * RECORD_BYTES) !== RECORD_COMPLETE) continue;
        records++;
        if (blocks[b].serial * BLOCK_RECORDS + i >= this.acknowledged) unacknowledged++;
      }
    }
    return {
      records: records,
      unacknowledged: unacknowledged,
      bytes: bytesUsed,
      budgetBytes: this.budgetBytes,
      nextCursor: this.nextCursor(),
      acknowledged: this.acknowledged,
      failures: this.failures,
      dropped: this.dropped,
    };
  }

  private nextCursor(): number {
    return this.current ? this.current.serial * BLOCK_RECORDS + this.currentCount : this.nextSerial * BLOCK_RECORDS;
  }

  private failed(reason: string): AppendResult {
    this.failures++;
    return { ok: false, reason: reason };
  }

  private appendToNewBlock(e: Encounter): AppendResult {
    var origin = blockOrigin(e.first);
    this.current = null;
    var problem = this.makeRoom(storageFootprint(BLOCK_BYTES));
    if (problem) return this.failed(problem);
    var block: Block = { name: blockName(this.nextSerial, origin, -1), serial: this.nextSerial, origin: origin, source: -1 };
    this.nextSerial++;
    // One write creates the pre-sized file (erased 0xFF) and stores the first record.
    if (!tryWrite(this.storage, block.name, encodeRecord(e, origin) as Uint8Array, 0, BLOCK_BYTES)) return this.failed("write failed");
    this.current = block;
    this.currentCount = 1;
    this.saveState();
    return { ok: true, cursor: block.serial * BLOCK_RECORDS };
  }

  /**
   * Frees flash until a file of `bytes` fits the budget and leaves the thinning reserve free in Storage:
   * acknowledged blocks first, then thinning of the oldest. Null once it fits, else why not.
   */
  private makeRoom(bytes: number): string | null {
    var log = this;
    var passStart = this.nextSerial;
    var compacted = false;
    for (;;) {
      var blocks = listBlocks(this.storage);
      var used = 0;
      for (var b = 0; b < blocks.length; b++) used += storageFootprint(this.bytesOf(blocks[b]).length);
      var free = this.storage.getFree();
      var needFree = bytes + THIN_RESERVE_BYTES;
      // Erased files only give their flash back once Storage is compacted.
      if (free < needFree && !compacted) {
        this.storage.compact();
        compacted = true;
        continue;
      }
      if (used + bytes <= this.budgetBytes && free >= needFree) return null;
      // Other files hold so much flash (or the budget is so small) that even an empty log would not do.
      if (free + used < needFree || bytes > this.budgetBytes) return "log full";
      compacted = false;
      var victim = oldestBlock(blocks, function (block) {
        return block.serial * BLOCK_RECORDS + lastUsedIndex(log.bytesOf(block)) < log.acknowledged;
      });
      if (victim) {
        if (!this.eraseBlock(victim)) return "write failed";
        continue;
      }
      // Each block is thinned at most once a pass, so the loss spreads over the oldest days.
      victim = oldestBlock(blocks, function (block) {
        return block.serial < passStart;
      });
      if (!victim) {
        passStart = this.nextSerial;
        victim = oldestBlock(blocks, function () {
          return true;
        });
      }
      if (!victim) return "log full";
      if (!this.thin(victim)) return "write failed";
    }
  }

  /**
   * Replaces `block` by a copy of its strongest 3/4 (acknowledged records dropped first): the copy is
   * written before the original is erased. A block with nothing worth keeping is just erased.
   */
  private thin(block: Block): boolean {
    var bytes = this.bytesOf(block);
    var base = block.serial * BLOCK_RECORDS;
    var total = 0;
    // strength × 256 + index: sorting these puts the weakest (then the earliest) first.
    var candidates: number[] = [];
    for (var i = 0; i * RECORD_BYTES < bytes.length; i++) {
      if (recordState(bytes, i * RECORD_BYTES) !== RECORD_COMPLETE) continue;
      total++;
      if (base + i >= this.acknowledged) candidates.push(recordStrength(bytes, i * RECORD_BYTES) * 256 + i);
    }
    var keep = Math.min(candidates.length, Math.floor((total * THIN_KEEP_NUMERATOR) / THIN_KEEP_DENOMINATOR));
    var size = keep * RECORD_BYTES;
    if (keep > 0 && this.storage.getFree() < storageFootprint(size)) this.storage.compact();
    // Without flash for the copy (other files took the reserve), the block goes whole rather than the log stopping.
    if (keep === 0 || this.storage.getFree() < storageFootprint(size)) {
      if (!this.eraseBlock(block)) return false;
      this.dropped += candidates.length;
      return true;
    }
    var kept = candidates
      .sort(function (a, b) {
        return a - b;
      })
      .slice(candidates.length - keep)
      .map(function (key) {
        return key & 0xff;
      })
      .sort(function (a, b) {
        return a - b;
      });
    var copy = new Uint8Array(size);
    for (var k = 0; k < keep; k++) copy.set(bytes.subarray(kept[k] * RECORD_BYTES, (kept[k] + 1) * RECORD_BYTES), k * RECORD_BYTES);
    var name = blockName(this.nextSerial++, block.origin, block.serial);
    if (!tryWrite(this.storage, name, copy)) return false;
    if (!this.eraseBlock(block)) return false;
    this.dropped += candidates.length - keep;
    return true;
  }

  /** After a reboot: keeps a complete thinned copy and erases its original, or drops a torn copy. */
  private finishThinning(): void {
    var blocks = listBlocks(this.storage);
    for (var i = 0; i < blocks.length; i++) {
      var copy = blocks[i];
      for (var j = 0; j < blocks.length && copy.source >= 0; j++) {
        if (blocks[j].serial === copy.source) this.eraseBlock(this.isWhole(copy) ? blocks[j] : copy);
      }
    }
  }

  /** Whether every record of a thinned copy is complete (its write was not cut). */
  private isWhole(block: Block): boolean {
    var bytes = this.bytesOf(block);
    for (var at = 0; at < bytes.length; at += RECORD_BYTES) if (recordState(bytes, at) !== RECORD_COMPLETE) return false;
    return bytes.length > 0;
  }

  /** Unix time of the newest record in `block` (its window start if it holds none). */
  private newestTime(block: Block): number {
    var bytes = this.bytesOf(block);
    var newest = block.origin * QUARTER_SECONDS;
    for (var at = 0; at < bytes.length; at += RECORD_BYTES) {
      if (recordState(bytes, at) === RECORD_EMPTY) continue;
      var t = recordFirstSeen(bytes, at, block.origin);
      if (t > newest) newest = t;
    }
    return newest;
  }

  private eraseBlock(block: Block): boolean {
    try {
      this.storage.erase(block.name);
    } catch (e) {
      return false;
    }
    if (this.current && this.current.name === block.name) this.current = null;
    return true;
  }

  /** The block's bytes (memory-mapped on the tag: no RAM copy). */
  private bytesOf(block: Block): Uint8Array {
    var buffer = this.storage.readArrayBuffer(block.name);
    return buffer ? new Uint8Array(buffer) : new Uint8Array(0);
  }

  private saveState(): boolean {
    try {
      return this.storage.writeJSON(STATE_FILE, { a: this.acknowledged, s: this.nextSerial }) !== false;
    } catch (e) {
      return false;
    }
  }
}

/**
 * Days of encounters a log of `budgetBytes` holds at `perDay` encounters a day (spread evenly) before it
 * must drop any: blocks are filled with the log's own rules (block size, time windows, Storage's headers
 * and padding) and at every new block past the budget the span still held is measured; the result is the
 * smallest such span. Infinity when nothing is ever logged.
 */
export function logDaysRetained(perDay: number, budgetBytes: number): number {
  if (!(perDay > 0)) return Infinity;
  var maxBlocks = Math.floor(budgetBytes / storageFootprint(BLOCK_BYTES));
  if (maxBlocks < 1) return 0;
  var spacing = DAY_SECONDS / perDay;
  var starts: number[] = [];
  var origin = 0;
  var count = BLOCK_RECORDS;
  var days = Infinity;
  for (var k = 0; starts.length < 4 * maxBlocks + 4 || k * spacing < 60 * DAY_SECONDS; k++) {
    var t = (k + 0.5) * spacing;
    if (!blockTakes(origin, count, t)) {
      origin = blockOrigin(t);
      count = 0;
      starts.push(t);
      if (starts.length > maxBlocks) days = Math.min(days, (t - starts[starts.length - maxBlocks]) / DAY_SECONDS);
    }
    count++;
  }
  return days;
}
