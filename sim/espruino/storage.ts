/**
 * Espruino's `require("Storage")` on a simulated nRF52 flash area, modelled on src/jsflash.c and
 * src/jswrap_storage.c of Espruino 2v2x:
 * - files are a log from the start of the area: a 32-byte header (uint32 size | flags<<24, then the name,
 *   28 bytes, zero padded) followed by the data padded to 4 bytes (JSF_ALIGNMENT on nRF52);
 * - flash bits only go 1→0: every program operation ANDs into the array; only a page erase sets 0xFF;
 * - replacing or erasing a file zeroes the first 4 bytes of its name (trash) until compaction;
 * - `write(name, data, offset, size)`: offset 0 (re)creates the file (size = data length unless given),
 *   keeping an existing one of the same size that is still fully erased; a later offset writes inside it.
 *   Writing where any byte is already programmed throws "File already written with different data";
 *   writing past the end throws "Too much data for file size"; no room, even after the automatic
 *   compaction, throws "Unable to find or create file" (each throw is an Error; the call returns nothing);
 * - names longer than 28 characters are silently truncated to 28 (jsfNameFromVar), as on the device;
 * - at every hardware boot the area is checked: an invalid header that is not all 0xFF means
 *   "Storage is corrupt." and everything is erased (jsiSemiInit → jsfResetStorage).
 */
import { bytesToString, isPlainObject, toBytes } from "./bytes";
import { espruinoStorageJson, parseLiberalJson } from "./json";
import { HOST_REALM, type Realm, realmArrayBuffer } from "./realm";

/** Bytes of a file header: uint32 size/flags + 28-byte name. */
export const HEADER_BYTES = 32;
/** Longest file name; longer names are truncated to this. */
export const NAME_BYTES = 28;
/** nRF52 flash program granularity (JSF_ALIGNMENT). */
const ALIGNMENT = 4;
const ERASED = 0xff;
const SIZE_MASK = 0x00ffffff;
const WORD_UNSET = 0xffffffff;

/** Size of the flash area and of one erase page. */
export interface FlashStorageOptions {
  bytes: number;
  pageBytes: number;
}

/** `require("Storage").getStats()` as Espruino returns it. */
export interface StorageStats {
  totalBytes: number;
  freeBytes: number;
  fileBytes: number;
  fileCount: number;
  trashBytes: number;
  trashCount: number;
}

/** Data accepted by `write`: what Espruino accepts, plus objects (written as JSON). */
export type StorageData = string | ArrayBuffer | ArrayBufferView | ArrayLike<unknown> | object;

/** One header found in flash. */
interface FileEntry {
  /** Address of the header. */
  readonly address: number;
  /** Data bytes (without padding). */
  readonly size: number;
  /** Name as stored (without padding); "" once trashed. */
  name: string;
}

/** A power cut armed for the next Storage operation that programs flash. */
interface PendingCut {
  bytesThatLand: number;
}

/** Thrown (host-side) when an armed power cut interrupts a write; the tag treats it as losing power. */
export class PowerCutError extends Error {
  constructor() {
    super("power cut during flash write");
  }
}

/** The Storage library on one tag's flash. */
export class FlashStorage {
  /** Size of the area. */
  readonly bytes: number;
  /** Size of one erase page. */
  readonly pageBytes: number;
  /** Writes that tried to program bytes already programmed (Espruino throws for these); firmware tests expect 0. */
  rewriteViolations = 0;
  /** Names that were longer than 28 characters and got truncated (silently, as on the device). */
  truncatedNames = 0;
  /** Number of page erases so far (wear; compaction and boot-time recovery erase pages). */
  pageErases = 0;
  /** Where values handed to JavaScript are built (the tag sets its context's realm at every boot). */
  realm: Realm = HOST_REALM;
  /** Receives the lines Espruino prints while compacting or recovering ("Compacting...", "Storage is corrupt."). */
  log: (line: string) => void = () => {};
  /** Called when an armed power cut strikes (the tag loses power at that moment). */
  onPowerCut: () => void = () => {};

  private readonly flash: Uint8Array;
  private entries: FileEntry[] = [];
  /** Address just after the last header's padded data: where the next file goes. */
  private end = 0;
  private pendingCut: PendingCut | null = null;
  /** Bytes still allowed to land during an interrupted operation (null: no cut in progress). */
  private budget: number | null = null;
  /** After a cut, nothing more reaches flash until the next boot mounts it again. */
  private frozen = false;

  constructor(options: FlashStorageOptions) {
    if (options.bytes % options.pageBytes !== 0) throw new RangeError("Storage size must be whole pages");
    this.bytes = options.bytes;
    this.pageBytes = options.pageBytes;
    this.flash = new Uint8Array(options.bytes).fill(ERASED);
  }

  // ---------------------------------------------------------------- the Espruino API

  /** The file's bytes from `offset` (clipped), `length` bytes (≤ 0: to the end), or undefined if absent. */
  read(name: string, offset = 0, length = 0): string | undefined {
    const bytes = this.readBytes(name, offset, length);
    return bytes === undefined ? undefined : bytesToString(bytes);
  }

  /** The whole file as an ArrayBuffer, or undefined if absent. */
  readArrayBuffer(name: string): ArrayBuffer | undefined {
    const bytes = this.readBytes(name, 0, 0);
    return bytes === undefined ? undefined : realmArrayBuffer(this.realm, bytes);
  }

  /** The file parsed as (Espruino-liberal) JSON; invalid JSON throws unless `noExceptions`. */
  readJSON(name: string, noExceptions?: boolean): unknown {
    const text = this.read(name);
    if (text === undefined) return undefined;
    const parsed = parseLiberalJson(text, this.realm);
    if (parsed.ok) return parsed.value;
    if (noExceptions) return undefined;
    throw new this.realm.SyntaxError(parsed.error);
  }

  /** Espruino's `Storage.write` (see the file comment for the rules). */
  write(name: string, data: StorageData, offset?: number, size?: number): boolean {
    if (isPlainObject(data)) return this.writeFile(name, toBytes(JSON.stringify(data)), 0, 0);
    return this.writeFile(name, toBytes(data), toInt(offset), toInt(size));
  }

  /** Writes `data` as Espruino's compact JSON dialect. */
  writeJSON(name: string, data: unknown): boolean {
    return this.writeFile(name, toBytes(espruinoStorageJson(data)), 0, 0);
  }

  /** Erases the file (turns it into trash); absent files are ignored. */
  erase(name: string): void {
    const entry = this.find(this.fileName(name));
    if (entry) this.operate(() => this.trash(entry));
  }

  /** Names of live files, optionally those matching `regex` (String.match semantics). */
  list(regex?: RegExp, filter?: { sf?: boolean }): string[] {
    const names = new this.realm.Array() as string[];
    if (filter && filter.sf === true) return names; // no StorageFiles (Storage.open) are modelled
    for (const entry of this.entries) {
      if (entry.name === "") continue;
      if (regex && entry.name.match(regex) === null) continue;
      names.push(entry.name);
    }
    return names;
  }

  /** Free bytes at the end of the log (the largest file that fits, header included). */
  getFree(): number {
    return this.bytes - this.end;
  }

  /** Counts and bytes of live files and trash (jsfGetStorageStats). */
  getStats(): StorageStats {
    const stats: StorageStats = new this.realm.Object() as StorageStats;
    Object.assign(stats, { totalBytes: this.bytes, freeBytes: this.getFree(), fileBytes: 0, fileCount: 0, trashBytes: 0, trashCount: 0 });
    for (const entry of this.entries) {
      const span = entrySpan(entry.size);
      if (entry.name === "") {
        stats.trashBytes += span;
        stats.trashCount++;
      } else {
        stats.fileBytes += span;
        stats.fileCount++;
      }
    }
    return stats;
  }

  /** Moves live files down over the trash and erases the freed pages. */
  compact(): void {
    if (this.frozen) return;
    this.compactNow();
  }

  // ---------------------------------------------------------------- host-side hooks

  /**
   * Arms a power cut for the next Storage operation that programs flash (write, writeJSON, erase): only its
   * first `bytesThatLand` bytes reach flash, counted in the order the device programs them (the 4-byte trash
   * mark of a replaced file, the 32-byte header of a new file, then the data); then PowerCutError is thrown
   * and flash stays frozen until `mount()`.
   */
  cutPowerDuringNextWrite(bytesThatLand: number): void {
    this.pendingCut = { bytesThatLand };
  }

  /**
   * Reads the area as the device does at a hardware boot: rebuilds the file index from the headers, and if
   * storage is corrupt (an invalid header that is not erased), prints "Storage is corrupt." and erases it all.
   */
  mount(): void {
    this.frozen = false;
    this.budget = null;
    this.pendingCut = null;
    if (!this.scan()) {
      this.log("Storage is corrupt.");
      this.erasePages(0, this.bytes);
      this.scan();
    }
  }

  /** A copy of the raw flash bytes (for tests that inspect the layout). */
  rawBytes(): Uint8Array {
    return this.flash.slice();
  }

  // ---------------------------------------------------------------- internals

  private readBytes(name: string, offset: number, length: number): Uint8Array | undefined {
    const entry = this.find(this.fileName(name));
    if (!entry) return undefined;
    let start = Math.max(0, toInt(offset));
    let count = toInt(length);
    if (count <= 0) count = entry.size;
    if (start > entry.size) start = entry.size;
    if (start + count > entry.size) count = entry.size - start;
    const data = entry.address + HEADER_BYTES;
    return this.flash.slice(data + start, data + start + Math.max(0, count));
  }

  private writeFile(rawName: string, data: Uint8Array, offset: number, requestedSize: number): boolean {
    if (offset < 0 || requestedSize < 0) return false;
    const size = requestedSize === 0 ? data.length : requestedSize;
    if (size === 0) throw new this.realm.Error("Can't create zero length file");
    const name = this.fileName(rawName);
    return this.operate(() => {
      let entry = this.find(name);
      if (offset === 0 && (!entry || entry.size !== size || !this.isErased(entry.address + HEADER_BYTES, size))) {
        if (entry && entry.size === size && data.length === size && this.isEqual(entry.address + HEADER_BYTES, data)) return true;
        if (entry) this.trash(entry);
        entry = this.create(name, size);
      }
      if (!entry) throw new this.realm.Error("Unable to find or create file");
      if (offset + data.length > entry.size) throw new this.realm.Error("Too much data for file size");
      const address = entry.address + HEADER_BYTES + offset;
      if (!this.isErased(address, data.length)) {
        this.rewriteViolations++;
        throw new this.realm.Error("File already written with different data");
      }
      this.program(address, data);
      return true;
    });
  }

  /** Runs one Storage operation, applying an armed power cut to the flash it programs. */
  private operate<T>(operation: () => T): T {
    if (this.frozen) throw new PowerCutError();
    if (this.pendingCut) {
      this.budget = this.pendingCut.bytesThatLand;
      this.pendingCut = null;
    }
    try {
      return operation();
    } finally {
      this.budget = null;
    }
  }

  /** Programs bytes (AND into flash), honouring a power cut in progress. */
  private program(address: number, bytes: Uint8Array): void {
    let count = bytes.length;
    const cut = this.budget !== null && this.budget < count;
    if (this.budget !== null) {
      count = Math.min(count, this.budget);
      this.budget -= count;
    }
    for (let i = 0; i < count; i++) this.flash[address + i]! &= bytes[i]!;
    if (cut) {
      this.frozen = true;
      this.budget = null;
      this.scan(); // the index follows what landed; recovery waits for the next boot
      this.onPowerCut();
      throw new PowerCutError();
    }
  }

  /** Marks a file as trash by zeroing the first 4 bytes of its name. */
  private trash(entry: FileEntry): void {
    this.program(entry.address + 4, new Uint8Array(4));
    entry.name = "";
  }

  /** Appends a header for a new file, compacting first if that makes room (jsfCreateFile). */
  private create(name: string, size: number): FileEntry | undefined {
    const required = entrySpan(size);
    if (this.end + required > this.bytes) {
      const trash = this.getStats().trashBytes;
      // Espruino only compacts when that would make room ("better to fail fast").
      if (trash === 0 || this.end - trash + required > this.bytes) return undefined;
      this.compactNow();
      if (this.end + required > this.bytes) return undefined;
    }
    const header = new Uint8Array(HEADER_BYTES);
    new DataView(header.buffer).setUint32(0, size & SIZE_MASK, true);
    for (let i = 0; i < name.length; i++) header[4 + i] = name.charCodeAt(i) & 0xff;
    const entry: FileEntry = { address: this.end, size, name };
    this.entries.push(entry);
    this.end += required;
    this.program(entry.address, header);
    return entry;
  }

  /** Packs the live files from the start of the area, rewriting (erasing) only the pages that change. */
  private compactNow(): void {
    if (!this.entries.some((entry) => entry.name === "")) return;
    this.log("Compacting...");
    const image = new Uint8Array(this.bytes).fill(ERASED);
    const packed: FileEntry[] = [];
    let address = 0;
    for (const entry of this.entries) {
      if (entry.name === "") continue;
      const span = entrySpan(entry.size);
      image.set(this.flash.subarray(entry.address, entry.address + span), address);
      packed.push({ address, size: entry.size, name: entry.name });
      address += span;
    }
    for (let page = 0; page < this.bytes; page += this.pageBytes) {
      const next = image.subarray(page, page + this.pageBytes);
      if (next.every((b, i) => b === this.flash[page + i])) continue;
      this.erasePages(page, this.pageBytes);
      this.flash.set(next, page);
    }
    this.entries = packed;
    this.end = address;
  }

  private erasePages(from: number, length: number): void {
    this.flash.fill(ERASED, from, from + length);
    this.pageErases += Math.ceil(length / this.pageBytes);
  }

  /** Rebuilds the index from the headers in flash; false if storage is corrupt. */
  private scan(): boolean {
    this.entries = [];
    const view = new DataView(this.flash.buffer);
    let address = 0;
    while (address + HEADER_BYTES <= this.bytes) {
      const word = view.getUint32(address, true);
      const size = word & SIZE_MASK;
      const valid = word !== WORD_UNSET && word !== 0 && address + HEADER_BYTES + size <= this.bytes;
      if (!valid) {
        this.end = address;
        return this.isErased(address, HEADER_BYTES);
      }
      this.entries.push({ address, size, name: this.headerName(address) });
      address += entrySpan(size);
    }
    this.end = Math.min(address, this.bytes);
    return true;
  }

  private headerName(address: number): string {
    const nameBytes = this.flash.subarray(address + 4, address + 4 + NAME_BYTES);
    if (nameBytes[0] === 0 && nameBytes[1] === 0 && nameBytes[2] === 0 && nameBytes[3] === 0) return "";
    let length = 0;
    while (length < NAME_BYTES && nameBytes[length] !== 0) length++;
    return bytesToString(nameBytes.subarray(0, length));
  }

  private find(name: string): FileEntry | undefined {
    if (name === "") return undefined;
    for (const entry of this.entries) if (entry.name === name) return entry;
    return undefined;
  }

  /** The stored form of a name: truncated to 28 characters, as jsfNameFromVar does. */
  private fileName(name: string): string {
    const text = String(name);
    if (text.length <= NAME_BYTES) return text;
    this.truncatedNames++;
    return text.slice(0, NAME_BYTES);
  }

  private isErased(address: number, length: number): boolean {
    for (let i = address; i < address + length; i++) if (this.flash[i] !== ERASED) return false;
    return true;
  }

  private isEqual(address: number, data: Uint8Array): boolean {
    for (let i = 0; i < data.length; i++) if (this.flash[address + i] !== data[i]) return false;
    return true;
  }
}

/** Header plus data padded to the flash word. */
function entrySpan(size: number): number {
  return HEADER_BYTES + Math.ceil(size / ALIGNMENT) * ALIGNMENT;
}

/** Espruino's int argument conversion (undefined → 0, fractions truncated). */
function toInt(value: unknown): number {
  const n = Number(value);
  return Number.isFinite(n) ? Math.trunc(n) : 0;
}
