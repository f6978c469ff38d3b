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
var THIN_KEEP = 3 / 4;
var BLOCK_NAME_PREFIX = "zl";
/** Block file names, an appended block's or a thinned copy's (the state file has no "_"). */
var BLOCK_FILES = /^zl[0-9a-z]+_/;
/** Fields of a block name after the prefix, separated by "_". */
var SERIAL_FIELD = 0;
var ORIGIN_FIELD = 1;
/** Only in the name of a thinned copy: the serial of the block it replaces. */
var SOURCE_FIELD = 2;
var STATE_FILE = "zlstate";
var LOG_FULL = "log full";
var WRITE_FAILED = "write failed";

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

/** Limits of the log. */
export interface LogOptions {
  /** Flash the block files may use, headers included; default DEFAULT_LOG_BUDGET_BYTES. */
  budgetBytes?: number;
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

/** Flash taken by a file of `dataBytes` bytes: Storage's header plus the data padded to a flash word. */
export function storageFootprint(dataBytes: number): number {
  return STORAGE_HEADER_BYTES + Math.ceil(dataBytes / FLASH_WORD_BYTES) * FLASH_WORD_BYTES;
}

var BLOCK_FOOTPRINT = storageFootprint(BLOCK_BYTES);
/** Flash kept free for thinning: the largest copy a thinning writes before it erases the original. */
var THIN_RESERVE_BYTES = storageFootprint(Math.floor(BLOCK_RECORDS * THIN_KEEP) * RECORD_BYTES);

/** Time origin of a new block whose first record was first seen at unix time `t`. */
function blockOrigin(t: number): number {
  return Math.floor(t / QUARTER_SECONDS) - BLOCK_LEAD_QUARTERS;
}

/** Whether an appended block with time origin `origin` and `count` records takes one first seen at `t`. */
function blockTakes(origin: number, count: number, t: number): boolean {
  return count < BLOCK_RECORDS && recordFitsBlock(t, origin);
}

/** The name of an appended block; a thinned copy's adds "_" and the serial of the block it replaces. */
function blockName(serial: number, origin: number): string {
  return BLOCK_NAME_PREFIX + serial.toString(36) + "_" + origin.toString(36);
}

/** One number field of a block name; NaN if the name has none there (an appended block has no source). */
function blockField(name: string, index: number): number {
  return parseInt(name.substr(BLOCK_NAME_PREFIX.length).split("_")[index], 36);
}

function serialOf(name: string): number {
  return blockField(name, SERIAL_FIELD);
}

function originOf(name: string): number {
  return blockField(name, ORIGIN_FIELD);
}

function bySerial(a: string, b: string): number {
  return serialOf(a) - serialOf(b);
}

function ascending(a: number, b: number): number {
  return a - b;
}

/** Index of the last record slot that is not empty, -1 if none. */
function lastUsedIndex(bytes: Uint8Array): number {
  for (var i = Math.floor(bytes.length / RECORD_BYTES) - 1; i >= 0; i--) if (recordState(bytes, i * RECORD_BYTES) !== RECORD_EMPTY) return i;
  return -1;
}

/**
 * The encounter log of one tag in `storage`. Its state lives in the constructor's closure, not in
 * fields: the minifier shortens local names but never property names, and the upload budget is tight.
 */
export class EncounterLog {
  /** Stores one closed encounter. */
  readonly append: (e: Encounter) => AppendResult;
  /** Up to `maxRecords` complete records from `cursor` on, in cursor order. */
  readonly readFrom: (cursor: number, maxRecords: number) => LogRecord[];
  /** Marks every record below `cursor` as safely at the gateway (saved); false if it could not be saved. */
  readonly acknowledge: (cursor: number) => boolean;
  /** Erases the blocks whose records are all older than the retention at unix time `now`; returns how many. */
  readonly expire: (now: number) => number;
  /** Counts and flash use. */
  readonly status: () => LogStatus;

  /** Opens the log as found in `storage` (a boot): finishes an interrupted thinning, finds the write position. */
  constructor(storage: LogStorage, options?: LogOptions) {
    var budgetBytes = (options && options.budgetBytes) || DEFAULT_LOG_BUDGET_BYTES;
    /** Every record below this cursor is at the gateway. */
    var acknowledged = 0;
    /** The block appends go to; "" until the next append opens one. */
    var openBlock = "";
    /** Next record index in the open block. */
    var openCount = 0;
    /** Serial of the next block made (appended or a thinned copy). */
    var nextSerial = 0;
    var failures = 0;
    var dropped = 0;

    /** The block files, by serial. */
    function blockNames(): string[] {
      return storage.list(BLOCK_FILES).sort(bySerial);
    }

    /** The block's bytes (memory-mapped on the tag: no RAM copy); none if it is gone. */
    function bytesOf(name: string): Uint8Array {
      return new Uint8Array(storage.readArrayBuffer(name) || []);
    }

    function usedBytes(names: string[]): number {
      var used = 0;
      for (var i = 0; i < names.length; i++) used += storageFootprint(bytesOf(names[i]).length);
      return used;
    }

    /**
     * Calls `visit(bytes, offset, cursor, origin)` for each complete record of the blocks `names` from
     * `cursor` on, in order, until it returns true.
     */
    function visitRecords(names: string[], cursor: number, visit: (bytes: Uint8Array, offset: number, cursor: number, origin: number) => boolean | void): void {
      for (var b = 0; b < names.length; b++) {
        var base = serialOf(names[b]) * BLOCK_RECORDS;
        var origin = originOf(names[b]);
        var bytes = bytesOf(names[b]);
        for (var i = Math.max(cursor - base, 0); i * RECORD_BYTES < bytes.length; i++) {
          if (recordState(bytes, i * RECORD_BYTES) === RECORD_COMPLETE && visit(bytes, i * RECORD_BYTES, base + i, origin)) return;
        }
      }
    }

    function nextCursor(): number {
      return openBlock ? serialOf(openBlock) * BLOCK_RECORDS + openCount : nextSerial * BLOCK_RECORDS;
    }

    function failed(reason: string): AppendResult {
      failures++;
      return { ok: false, reason: reason };
    }

    /** Storage.write that reports a throw (full flash, power loss) as false. */
    function write(name: string, data: Uint8Array, offset?: number, size?: number): boolean {
      try {
        return storage.write(name, data, offset, size) !== false;
      } catch (e) {
        return false;
      }
    }

    function erase(name: string): boolean {
      try {
        storage.erase(name);
      } catch (e) {
        return false;
      }
      if (name === openBlock) openBlock = "";
      return true;
    }

    function saveState(acknowledgedCursor: number): boolean {
      try {
        return storage.writeJSON(STATE_FILE, { a: acknowledgedCursor, s: nextSerial }) !== false;
      } catch (e) {
        return false;
      }
    }

    /**
     * Replaces block `name` by a copy of its strongest 3/4 (acknowledged records dropped first): the copy is
     * written before the original is erased. A block with nothing worth keeping is just erased.
     */
    function thin(name: string): boolean {
      var bytes = bytesOf(name);
      var total = 0;
      // strength × 256 + slot: sorting these puts the weakest (then the earliest) first.
      var candidates: number[] = [];
      visitRecords([name], 0, function (bytes, offset, cursor) {
        total++;
        if (cursor >= acknowledged) candidates.push(recordStrength(bytes, offset) * 256 + offset / RECORD_BYTES);
      });
      var keep = Math.min(candidates.length, Math.floor(total * THIN_KEEP));
      // Without flash for the copy (other files took the reserve; makeRoom has just compacted), the block goes
      // whole rather than the log stopping.
      if (storage.getFree() < storageFootprint(keep * RECORD_BYTES)) keep = 0;
      if (keep) {
        // The strongest `keep` have keys from this one up; the candidates are still in slot order.
        var weakestKept = candidates.slice().sort(ascending)[candidates.length - keep];
        var copy = new Uint8Array(keep * RECORD_BYTES);
        for (var c = 0, k = 0; c < candidates.length; c++) {
          var at = (candidates[c] & 0xff) * RECORD_BYTES;
          if (candidates[c] >= weakestKept) copy.set(bytes.subarray(at, at + RECORD_BYTES), RECORD_BYTES * k++);
        }
        if (!write(blockName(nextSerial++, originOf(name)) + "_" + serialOf(name).toString(36), copy)) return false;
      }
      if (!erase(name)) return false;
      dropped += candidates.length - keep;
      return true;
    }

    /** The cursor after the block's last used slot: the whole block is at the gateway once `acknowledged` reaches it. */
    function blockEnd(name: string): number {
      return serialOf(name) * BLOCK_RECORDS + lastUsedIndex(bytesOf(name)) + 1;
    }

    /** The order blocks give up room in: acknowledged ones first, then by age (time origin, then serial). */
    function dropOrder(a: string, b: string): number {
      var acknowledgedFirst = +(blockEnd(b) <= acknowledged) - +(blockEnd(a) <= acknowledged);
      return acknowledgedFirst || originOf(a) - originOf(b) || serialOf(a) - serialOf(b);
    }

    /**
     * Frees flash until a new block fits the budget and leaves the thinning reserve free in Storage. It
     * thins the blocks in drop order (an acknowledged block goes whole), in passes that thin each block at
     * most once, so the loss spreads over the oldest days. Null once it fits, else why not.
     */
    function makeRoom(): string | null {
      var needFree = BLOCK_FOOTPRINT + THIN_RESERVE_BYTES;
      for (var pass: string[] = [], i = 0; ; i++) {
        // Erased files only give their flash back once Storage is compacted.
        if (storage.getFree() < needFree) storage.compact();
        var names = blockNames();
        var used = usedBytes(names);
        var free = storage.getFree();
        if (used + BLOCK_FOOTPRINT <= budgetBytes && free >= needFree) return null;
        // Other files hold so much flash (or the budget is so small) that even an empty log would not do.
        if (free + used < needFree || BLOCK_FOOTPRINT > budgetBytes) return LOG_FULL;
        if (i >= pass.length) {
          pass = names.sort(dropOrder);
          i = 0;
        }
        if (!thin(pass[i])) return WRITE_FAILED;
      }
    }

    /**
     * The boot, in a function so that the closures do not keep its temporaries alive. A thinning cut short:
     * a whole copy replaces its original, a torn one is dropped (the copy is written in one go, in byte
     * order, so its last record is complete only if all of it is). The write position: the slot after the
     * newest block's last used one (a thinned copy has none free).
     */
    function open(): void {
      var state = storage.readJSON(STATE_FILE, true) || {};
      acknowledged = state.a || 0;
      var names = blockNames();
      for (var c = 0; c < names.length; c++) {
        for (var o = 0; o < names.length; o++) {
          if (serialOf(names[o]) !== blockField(names[c], SOURCE_FIELD)) continue;
          var copy = bytesOf(names[c]);
          erase(recordState(copy, copy.length - RECORD_BYTES) === RECORD_COMPLETE ? names[o] : names[c]);
        }
      }
      names = blockNames();
      var newest = names[names.length - 1];
      // The saved serial, written with every new block and every acknowledgement, covers the acknowledged cursor.
      nextSerial = Math.max(newest ? serialOf(newest) + 1 : 0, state.s || 0);
      if (newest) {
        var bytes = bytesOf(newest);
        openCount = lastUsedIndex(bytes) + 1;
        if (openCount * RECORD_BYTES < bytes.length) openBlock = newest;
      }
    }

    open();
    this.append = function (e) {
      if (!openBlock || !blockTakes(originOf(openBlock), openCount, e.first)) {
        var problem = makeRoom();
        if (problem) return failed(problem);
        openBlock = blockName(nextSerial++, blockOrigin(e.first));
        openCount = 0;
      }
      // The slot is used even if the write fails: a partly written slot must never be written again.
      var index = openCount++;
      // The first record's write creates the pre-sized block file (erased: 0xFF); the others land in it.
      if (write(openBlock, encodeRecord(e, originOf(openBlock)) as Uint8Array, index * RECORD_BYTES, BLOCK_BYTES)) {
        // A new block: its serial is saved, so that cursors never repeat even once every block is gone.
        if (!index) saveState(acknowledged);
        return { ok: true, cursor: serialOf(openBlock) * BLOCK_RECORDS + index };
      }
      // A block whose file could not be created is not used.
      if (!index) openBlock = "";
      return failed(WRITE_FAILED);
    };

    this.readFrom = function (cursor, maxRecords) {
      var out: LogRecord[] = [];
      if (maxRecords > 0) {
        visitRecords(blockNames(), cursor, function (bytes, offset, recordCursor, origin) {
          out.push({ cursor: recordCursor, origin: origin, record: bytes.slice(offset, offset + RECORD_BYTES) });
          return out.length >= maxRecords;
        });
      }
      return out;
    };

    this.acknowledge = function (cursor) {
      cursor = Math.min(cursor, nextCursor());
      if (cursor > acknowledged) {
        if (!saveState(cursor)) return false;
        acknowledged = cursor;
      }
      return true;
    };

    this.expire = function (now) {
      var cutoff = now - LOG_RETENTION_DAYS * DAY_SECONDS;
      var erased = 0;
      var names = blockNames();
      for (var b = 0; b < names.length; b++) {
        var origin = originOf(names[b]);
        // A block's records are first seen at or after its origin: only blocks older than the cutoff are read.
        var recent = origin * QUARTER_SECONDS >= cutoff;
        if (!recent) {
          visitRecords([names[b]], 0, function (bytes, offset) {
            return (recent = recordFirstSeen(bytes, offset, origin) >= cutoff);
          });
        }
        if (!recent && erase(names[b])) erased++;
      }
      return erased;
    };

    this.status = function () {
      var records = 0;
      var unacknowledged = 0;
      visitRecords(blockNames(), 0, function (_bytes, _offset, cursor) {
        records++;
        if (cursor >= acknowledged) unacknowledged++;
      });
      return {
        records: records,
        unacknowledged: unacknowledged,
        bytes: usedBytes(blockNames()),
        budgetBytes: budgetBytes,
        nextCursor: nextCursor(),
        acknowledged: acknowledged,
        failures: failures,
        dropped: dropped,
      };
    };
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
