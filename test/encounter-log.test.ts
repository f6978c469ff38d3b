import { expect } from "chai";
import { seededRandom as random } from "./helpers/random";
import { DAY_SECONDS } from "../firmware/bluezone";
import { Encounter, RECORD_BYTES, decodeRecord, encodeRecord, recordStrength } from "../firmware/encounter";
import {
  AppendResult,
  BLOCK_BYTES,
  BLOCK_RECORDS,
  DEFAULT_LOG_BUDGET_BYTES,
  EncounterLog,
  LOG_RECORD_BYTES,
  LogRecord,
  LogStorage,
  logDaysRetained,
  storageFootprint,
} from "../firmware/encounter-log";
import { FlashStorage } from "../sim/espruino/storage";

const PUCK = { bytes: 40960, pageBytes: 4096 };
const ROOMY = { bytes: 131072, pageBytes: 4096 };
const DAY_START = 19800 * DAY_SECONDS; // 2024-03-18
const BLOCK_FOOTPRINT = storageFootprint(BLOCK_BYTES);

/** Time origin of a block opened by a record first seen at `t`: 2 h before its quarter hour. */
function originOf(t: number): number {
  return Math.floor(t / 900) - 8;
}

function blockName(serial: number, t: number): string {
  return "zl" + serial.toString(36) + "_" + originOf(t).toString(36);
}


/** Encounters with unique IDs (a counter in the 4 ID bytes) and, given a stream, varied strength. */
class Encounters {
  private next = 1;
  constructor(private readonly rand: (() => number) | null = null) {}

  at(first: number): Encounter {
    const n = this.next++;
    const id = new Uint8Array([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
    const r = this.rand;
    const rssiMean = r ? -40 - Math.floor(r() * 50) : -60;
    return { id, aem: 0x15, first, seconds: r ? Math.floor(r() * 1800) : 600, rssiMean, rssiMax: rssiMean + (r ? Math.floor(r() * 10) : 4) };
  }
}

function idOf(record: Uint8Array): number {
  return ((record[0]! << 24) | (record[1]! << 16) | (record[2]! << 8) | record[3]!) >>> 0;
}

function expectStored(result: AppendResult): number {
  if (!result.ok) throw new Error("append failed: " + result.reason);
  return result.cursor;
}

function readAll(log: EncounterLog): LogRecord[] {
  return log.readFrom(0, 1e9);
}

function blockNames(storage: FlashStorage): string[] {
  return storage.list(/^zl[0-9a-z]+_/);
}

/** A reboot: the flash as the device mounts it, and the log opened on it. */
function reboot(storage: FlashStorage): EncounterLog {
  storage.mount();
  return new EncounterLog(storage);
}

describe("encounter log in Storage", () => {
  it("appends each record with one offset write into a pre-sized 1 KB block named zl<serial>_<origin>", () => {
    const storage = new FlashStorage(PUCK);
    const log = new EncounterLog(storage);
    const make = new Encounters();
    const appended = [make.at(DAY_START + 3600), make.at(DAY_START + 4000), make.at(DAY_START + 9000)];
    expect(appended.map((e) => expectStored(log.append(e)))).to.deep.equal([0, 1, 2]);
    const name = blockName(0, DAY_START + 3600);
    expect(blockNames(storage)).to.deep.equal([name]);
    const bytes = new Uint8Array(storage.readArrayBuffer(name)!);
    expect(bytes.length).to.equal(BLOCK_BYTES).and.equal(1022);
    const origin = originOf(DAY_START + 3600);
    expect(Array.from(bytes.subarray(0, 7))).to.deep.equal(Array.from(encodeRecord(appended[0]!, origin)!));
    expect(bytes.subarray(3 * RECORD_BYTES).every((b) => b === 0xff)).to.equal(true);
    const read = readAll(log);
    expect(read.map((r) => [r.cursor, r.origin, idOf(r.record)])).to.deep.equal([
      [0, origin, 1],
      [1, origin, 2],
      [2, origin, 3],
    ]);
    expect(decodeRecord(read[2]!.record, 0, origin)).to.deep.include({ first: DAY_START + 9000 - (9000 % 900), seconds: 600, rssiMean: -60, rssiMax: -57 });
    expect(LOG_RECORD_BYTES).to.equal(7);
    expect(storage.rewriteViolations).to.equal(0);
  });

  it("fills 146 records a block, then starts the next; cursors run on", () => {
    const storage = new FlashStorage(PUCK);
    const log = new EncounterLog(storage);
    const make = new Encounters();
    const cursors: number[] = [];
    for (let i = 0; i < 2 * BLOCK_RECORDS + 5; i++) cursors.push(expectStored(log.append(make.at(DAY_START + 100 * i))));
    expect(cursors).to.deep.equal(cursors.map((_, i) => i));
    expect(blockNames(storage)).to.deep.equal([0, 1, 2].map((serial) => blockName(serial, DAY_START + 100 * BLOCK_RECORDS * serial)));
    expect(log.status()).to.include({ records: 2 * BLOCK_RECORDS + 5, unacknowledged: 2 * BLOCK_RECORDS + 5, bytes: 3 * BLOCK_FOOTPRINT });
    expect(storage.rewriteViolations).to.equal(0);
  });

  it("keeps a block for 32 hours from 2 h before its first record, and starts a new one outside them", () => {
    const storage = new FlashStorage(PUCK);
    const log = new EncounterLog(storage);
    const make = new Encounters();
    const opened = DAY_START + 23 * 3600 + 50 * 60; // late in the day: the block still gets 30 hours ahead
    const originTime = DAY_START + 21 * 3600 + 45 * 60; // 2 h before the quarter hour of its first record
    log.append(make.at(opened));
    log.append(make.at(originTime)); // began well before the block's first record, closed after it
    log.append(make.at(originTime + 32 * 3600 - 1)); // the window's last second
    expect(blockNames(storage)).to.deep.equal([blockName(0, opened)]);
    expect(readAll(log).map((r) => decodeRecord(r.record, 0, r.origin)!.first)).to.deep.equal([
      DAY_START + 23 * 3600 + 45 * 60,
      originTime,
      DAY_START + 2 * DAY_SECONDS + 5 * 3600 + 30 * 60,
    ]);
    expect(log.append(make.at(originTime - 1)).ok).to.equal(true); // before the window: a new block
    expect(blockNames(storage)).to.have.length(2);
    const later = originTime + 32 * 3600;
    expect(expectStored(log.append(make.at(later)))).to.equal(2 * BLOCK_RECORDS);
    expect(blockNames(storage)).to.deep.equal([blockName(0, opened), blockName(1, originTime - 1), blockName(2, later)]);
    // A clock set back by days: the record gets a block of its own, and cursors still only grow.
    expect(expectStored(log.append(make.at(DAY_START - 3 * DAY_SECONDS)))).to.equal(3 * BLOCK_RECORDS);
    expect(expectStored(log.append(make.at(later + 60)))).to.equal(4 * BLOCK_RECORDS);
    expect(readAll(log).map((r) => r.cursor)).to.deep.equal([0, 1, 2, BLOCK_RECORDS, 2 * BLOCK_RECORDS, 3 * BLOCK_RECORDS, 4 * BLOCK_RECORDS]);
  });

  it("finds the write position again after a reboot, without any saved position", () => {
    const storage = new FlashStorage(PUCK);
    const make = new Encounters();
    let log = new EncounterLog(storage);
    for (let i = 0; i < 10; i++) log.append(make.at(DAY_START + 60 * i));
    log = reboot(storage);
    expect(expectStored(log.append(make.at(DAY_START + 3600)))).to.equal(10);
    for (let i = 11; i < BLOCK_RECORDS; i++) log.append(make.at(DAY_START + 3600 + i));
    log = reboot(storage);
    expect(expectStored(log.append(make.at(DAY_START + 7200)))).to.equal(BLOCK_RECORDS); // the full block is not reused
    expect(readAll(log).map((r) => idOf(r.record))).to.deep.equal(Array.from({ length: BLOCK_RECORDS + 1 }, (_, i) => i + 1));
    expect(storage.rewriteViolations).to.equal(0);
  });

  it("after a power cut in the middle of a record: earlier records intact, the torn one skipped and never rewritten", () => {
    const storage = new FlashStorage(PUCK);
    const make = new Encounters();
    let log = new EncounterLog(storage);
    const before = [0, 1, 2, 3, 4].map((i) => make.at(DAY_START + 600 * i));
    for (const e of before) log.append(e);
    storage.cutPowerDuringNextWrite(3);
    const torn = make.at(DAY_START + 4000);
    expect(log.append(torn)).to.deep.equal({ ok: false, reason: "write failed" });
    log = reboot(storage);
    const origin = originOf(DAY_START);
    const slot = new Uint8Array(storage.readArrayBuffer(blockName(0, DAY_START))!).subarray(5 * RECORD_BYTES, 6 * RECORD_BYTES);
    expect(Array.from(slot)).to.deep.equal([...Array.from(encodeRecord(torn, origin)!.subarray(0, 3)), 0xff, 0xff, 0xff, 0xff]);
    expect(readAll(log).map((r) => decodeRecord(r.record, 0, r.origin))).to.deep.equal(before.map((e) => decodeRecord(encodeRecord(e, origin)!, 0, origin)));
    expect(expectStored(log.append(make.at(DAY_START + 5000)))).to.equal(6);
    expect(readAll(log).map((r) => r.cursor)).to.deep.equal([0, 1, 2, 3, 4, 6]);
    expect(log.status().records).to.equal(6);
    expect(storage.rewriteViolations).to.equal(0);
  });

  it("after a power cut while a new block is created: its torn first record is skipped", () => {
    const storage = new FlashStorage(PUCK);
    const make = new Encounters();
    let log = new EncounterLog(storage);
    for (let i = 0; i < BLOCK_RECORDS; i++) log.append(make.at(DAY_START + 60 * i));
    storage.cutPowerDuringNextWrite(32 + 4); // the new file's header and 4 bytes of its first record
    expect(log.append(make.at(DAY_START + 20000)).ok).to.equal(false);
    log = reboot(storage);
    expect(blockNames(storage)).to.deep.equal([blockName(0, DAY_START), blockName(1, DAY_START + 20000)]);
    expect(expectStored(log.append(make.at(DAY_START + 21000)))).to.equal(BLOCK_RECORDS + 1);
    expect(log.status().records).to.equal(BLOCK_RECORDS + 1);
    expect(storage.rewriteViolations).to.equal(0);
  });

  it("reads from a cursor in chunks and keeps the acknowledged cursor across reboots", () => {
    const storage = new FlashStorage(PUCK);
    const make = new Encounters();
    let log = new EncounterLog(storage);
    for (let i = 0; i < 300; i++) log.append(make.at(DAY_START + 200 * i));
    const chunks: number[][] = [];
    for (let cursor = 0; ; ) {
      const chunk = log.readFrom(cursor, 64);
      if (chunk.length === 0) break;
      chunks.push(chunk.map((r) => r.cursor));
      cursor = chunk[chunk.length - 1]!.cursor + 1;
    }
    expect(chunks.map((c) => c.length)).to.deep.equal([64, 64, 64, 64, 44]);
    expect(chunks.flat()).to.deep.equal(Array.from({ length: 300 }, (_, i) => i));
    expect(log.readFrom(250, 3).map((r) => idOf(r.record))).to.deep.equal([251, 252, 253]);

    expect(log.acknowledge(150)).to.equal(true);
    expect(log.status()).to.include({ records: 300, unacknowledged: 150, acknowledged: 150, nextCursor: 300 });
    log = reboot(storage);
    expect(log.status()).to.include({ unacknowledged: 150, acknowledged: 150 });
    expect(log.acknowledge(100)).to.equal(true); // never goes back
    expect(log.status().acknowledged).to.equal(150);
    expect(log.acknowledge(1e9)).to.equal(true); // not past what exists
    expect(log.status()).to.include({ acknowledged: 300, unacknowledged: 0 });
  });

  it("never hands out a cursor twice, even after every block is gone", () => {
    const storage = new FlashStorage(PUCK);
    const make = new Encounters();
    let log = new EncounterLog(storage);
    for (let i = 0; i < 200; i++) log.append(make.at(DAY_START + 200 * i));
    log.acknowledge(200);
    expect(log.expire(DAY_START + 60 * DAY_SECONDS)).to.equal(2);
    expect(blockNames(storage)).to.deep.equal([]);
    log = reboot(storage);
    expect(expectStored(log.append(make.at(DAY_START + 60 * DAY_SECONDS)))).to.be.at.least(200);
  });

  it("erases the blocks whose records are all older than 21 days", () => {
    const storage = new FlashStorage(ROOMY);
    const make = new Encounters();
    const log = new EncounterLog(storage);
    for (let t = DAY_START; t < DAY_START + 30 * DAY_SECONDS; t += 5 * 3600) log.append(make.at(t));
    const now = DAY_START + 30 * DAY_SECONDS + 12 * 3600;
    const cutoff = now - 21 * DAY_SECONDS;
    // Newest first sighting of each block, as stored.
    const newest = new Map<number, number>();
    for (const r of readAll(log)) {
      const serial = Math.floor(r.cursor / BLOCK_RECORDS);
      newest.set(serial, Math.max(newest.get(serial) ?? 0, decodeRecord(r.record, 0, r.origin)!.first));
    }
    const expired = [...newest].filter(([, t]) => t < cutoff).map(([serial]) => serial);
    expect(expired.length).to.be.greaterThan(5);
    expect(log.expire(now)).to.equal(expired.length);
    const left = readAll(log);
    expect(new Set(left.map((r) => Math.floor(r.cursor / BLOCK_RECORDS)))).to.deep.equal(new Set([...newest.keys()].filter((serial) => !expired.includes(serial))));
    // What is left is the last 21 days, plus older records of blocks that still hold a recent one (a block spans 32 h).
    const firsts = left.map((r) => decodeRecord(r.record, 0, r.origin)!.first);
    expect(Math.min(...firsts)).to.be.at.least(cutoff - 32 * 3600);
    expect(firsts.filter((t) => t >= cutoff)).to.have.length(Math.ceil((now - cutoff) / (5 * 3600)) - 3);
    expect(log.expire(now)).to.equal(0);
  });

  it("fits 21 days of 150 encounters a day in 24 KB, beside a 16 KB program in 40 KB of Storage", () => {
    const storage = new FlashStorage(PUCK);
    storage.write(".bootcde", new Uint8Array(16384).fill(0x20));
    const log = new EncounterLog(storage);
    const make = new Encounters(random(1));
    for (let day = 0; day < 21; day++) {
      for (let i = 0; i < 150; i++) expectStored(log.append(make.at(DAY_START + day * DAY_SECONDS + (i + 0.5) * 576)));
    }
    const status = log.status();
    expect(status).to.include({ records: 3150, unacknowledged: 3150, dropped: 0, failures: 0 });
    expect(status.bytes).to.be.at.most(DEFAULT_LOG_BUDGET_BYTES);
    expect(status.bytes / 3150).to.be.lessThan(7.8);
    expect(storage.truncatedNames).to.equal(0);
    expect(storage.rewriteViolations).to.equal(0);
  });

  it("when full, drops acknowledged blocks first, then the weakest encounters of the oldest blocks, and keeps appending", () => {
    const storage = new FlashStorage(PUCK);
    storage.write(".bootcde", new Uint8Array(16384).fill(0x20));
    const log = new EncounterLog(storage);
    const make = new Encounters(random(2));
    let t = DAY_START;
    let lastCursor = -1;
    /** Appends one encounter (150 a day); true when it opened a block. */
    const appendOne = (): boolean => {
      const cursor = expectStored(log.append(make.at(t)));
      expect(cursor).to.be.greaterThan(lastCursor);
      lastCursor = cursor;
      t += 576;
      return cursor % BLOCK_RECORDS === 0;
    };
    for (let i = 0; i < 3150; i++) appendOne();
    expect(log.status().dropped).to.equal(0);
    log.acknowledge(5 * BLOCK_RECORDS);

    // Until the five acknowledged blocks are gone, nothing unacknowledged is lost.
    while (blockNames(storage).some((name) => parseInt(name.slice(2), 36) < 5)) appendOne();
    const afterAcknowledged = log.status();
    expect(afterAcknowledged).to.include({ dropped: 0, unacknowledged: afterAcknowledged.records });

    // Then each new block thins the oldest blocks, each to its strongest 3/4.
    let before = readAll(log);
    let thinnings = 0;
    for (let i = 0; i < 30 * 150; i++) {
      if (!appendOne()) continue;
      const after = readAll(log);
      const present = new Set(after.map((r) => idOf(r.record)));
      const bySerial = new Map<number, { origin: number; kept: number[]; lost: number[] }>();
      for (const r of before) {
        const serial = Math.floor(r.cursor / BLOCK_RECORDS);
        const group = bySerial.get(serial) ?? { origin: r.origin, kept: [], lost: [] };
        (present.has(idOf(r.record)) ? group.kept : group.lost).push(recordStrength(r.record, 0));
        bySerial.set(serial, group);
      }
      before = after;
      const byAge = [...bySerial.entries()].sort((a, b) => a[1].origin - b[1].origin || a[0] - b[0]).map(([, g]) => g);
      const thinned = byAge.map((g) => g.lost.length > 0);
      if (!thinned.includes(true)) continue;
      thinnings++;
      // Only the oldest blocks lost records: each its weakest, a quarter of it.
      const firstUntouched = thinned.indexOf(false);
      expect(firstUntouched).to.be.greaterThan(0);
      expect(thinned.slice(firstUntouched)).to.not.include(true);
      for (const g of byAge.slice(0, firstUntouched)) {
        expect(Math.max(...g.lost)).to.be.at.most(Math.min(...g.kept));
        expect(g.lost.length).to.equal(Math.ceil((g.kept.length + g.lost.length) / 4));
      }
    }
    expect(thinnings).to.be.at.least(25);
    const status = log.status();
    expect(status.failures).to.equal(0);
    expect(status.dropped).to.be.greaterThan(0);
    expect(status.bytes).to.be.at.most(DEFAULT_LOG_BUDGET_BYTES);
    expect(storage.rewriteViolations).to.equal(0);
  });

  it("a power cut while thinning loses nothing: a torn copy is dropped, a finished one replaces its original", () => {
    const budgetBytes = 4 * BLOCK_FOOTPRINT;
    const fill = (storage: LogStorage) => {
      const log = new EncounterLog(storage, { budgetBytes });
      const make = new Encounters(random(3));
      for (let i = 0; i < 4 * BLOCK_RECORDS; i++) log.append(make.at(DAY_START + 150 * i));
      return { log, next: make.at(DAY_START + 150 * 4 * BLOCK_RECORDS) };
    };

    // Cut while the copy of the oldest block is written.
    const a = new FlashStorage(ROOMY);
    const first = fill(a);
    const ids = new Set(readAll(first.log).map((r) => idOf(r.record)));
    a.cutPowerDuringNextWrite(32 + 20);
    expect(first.log.append(first.next).ok).to.equal(false);
    a.mount();
    expect(a.list(/^zl.*_.*_/)).to.have.length(1); // the torn copy is in flash
    let log = new EncounterLog(a, { budgetBytes });
    expect(a.list(/^zl.*_.*_/)).to.deep.equal([]);
    expect(new Set(readAll(log).map((r) => idOf(r.record)))).to.deep.equal(ids);
    expectStored(log.append(first.next));
    expect(log.status().bytes).to.be.at.most(budgetBytes);

    // Cut just before the original is erased: the finished copy stands, the original goes at boot.
    const b = new FlashStorage(ROOMY);
    const cutAtFirstErase: LogStorage = {
      readArrayBuffer: (name) => b.readArrayBuffer(name),
      readJSON: (name, noExceptions) => b.readJSON(name, noExceptions),
      write: (name, data, offset, size) => b.write(name, data, offset, size),
      writeJSON: (name, data) => b.writeJSON(name, data),
      erase: (name) => {
        b.cutPowerDuringNextWrite(0);
        b.erase(name);
      },
      list: (regex) => b.list(regex),
      getFree: () => b.getFree(),
      compact: () => b.compact(),
    };
    const second = fill(cutAtFirstErase);
    const before = readAll(second.log);
    expect(second.log.append(second.next).ok).to.equal(false);
    b.mount();
    const copy = b.list(/^zl.*_.*_/);
    expect(copy).to.have.length(1);
    expect(b.list(/^zl0_/)).to.have.length(1); // the original survived the cut
    log = new EncounterLog(b, { budgetBytes });
    expect(b.list(/^zl0_/)).to.deep.equal([]);
    const after = readAll(log);
    const afterIds = after.map((r) => idOf(r.record));
    expect(new Set(afterIds).size).to.equal(afterIds.length); // nothing twice
    const lost = before.filter((r) => !afterIds.includes(idOf(r.record)));
    expect(lost.length).to.equal(BLOCK_RECORDS - Math.floor((BLOCK_RECORDS * 3) / 4));
    expect(lost.every((r) => r.cursor < BLOCK_RECORDS)).to.equal(true);
    expect(log.status().dropped).to.equal(0); // counted by the tag that was cut, not this boot
    expect(a.rewriteViolations + b.rewriteViolations).to.equal(0);
  });

  it("never throws on a full flash: the append fails and is counted", () => {
    const tiny = new EncounterLog(new FlashStorage(PUCK), { budgetBytes: 500 });
    expect(tiny.append(new Encounters().at(DAY_START))).to.deep.equal({ ok: false, reason: "log full" });
    expect(tiny.status().failures).to.equal(1);

    const storage = new FlashStorage(PUCK);
    storage.write("big", new Uint8Array(PUCK.bytes - 32 - 1500));
    const log = new EncounterLog(storage);
    expect(log.append(new Encounters().at(DAY_START))).to.deep.equal({ ok: false, reason: "log full" });
    expect(log.status()).to.include({ failures: 1, records: 0 });
  });
});

describe("log capacity (bench helper)", () => {
  it("holds at least 21 days of 150 encounters a day in 24 KB, and about 22 at any lower rate", () => {
    expect(logDaysRetained(150, DEFAULT_LOG_BUDGET_BYTES)).to.be.at.least(21);
    for (const perDay of [1, 10, 40, 100, 140]) expect(logDaysRetained(perDay, DEFAULT_LOG_BUDGET_BYTES)).to.be.at.least(21.9);
    expect(logDaysRetained(300, DEFAULT_LOG_BUDGET_BYTES)).to.be.lessThan(11);
    expect(logDaysRetained(0, DEFAULT_LOG_BUDGET_BYTES)).to.equal(Infinity);
  });

  it("agrees with the real log: the first drop comes after the retained days, within one block", () => {
    for (const perDay of [150, 60, 10]) {
      const storage = new FlashStorage(ROOMY);
      const log = new EncounterLog(storage);
      const make = new Encounters();
      const spacing = DAY_SECONDS / perDay;
      let k = 0;
      for (;;) {
        const cursor = expectStored(log.append(make.at(DAY_START + (k++ + 0.5) * spacing)));
        // Room is only ever made when a block is opened.
        if (cursor % BLOCK_RECORDS === 0 && log.status().dropped > 0) break;
      }
      const heldDays = ((k - 1) * spacing) / DAY_SECONDS;
      const predicted = logDaysRetained(perDay, DEFAULT_LOG_BUDGET_BYTES);
      expect(heldDays, `${perDay} a day`).to.be.at.least(predicted);
      expect(heldDays, `${perDay} a day`).to.be.at.most(predicted + 1.5);
    }
  });
});
