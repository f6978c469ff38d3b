import { createCipheriv } from "node:crypto";
import { expect } from "chai";
import { DAY_SECONDS } from "../firmware/bluezone";
import { Aes128Block } from "../firmware/crypto-types";
import {
  Encounter,
  EncounterAggregator,
  MAX_ENCOUNTER_SECONDS,
  RECORD_BYTES,
  RECORD_COMPLETE,
  RECORD_EMPTY,
  RECORD_TORN,
  SIGHTING_FLOOR_DBM,
  decodeRecord,
  encodeRecord,
  recordFirstSeen,
  recordStrength,
  recordState,
  txPowerFromAemBits,
} from "../firmware/encounter";
import { aemCrypt, bluetoothMetadata } from "../firmware/gaen";
import gaenVectors from "./vectors/gaen-v1.2.json";

const nodeAes128Block: Aes128Block = (key, block) => {
  const cipher = createCipheriv("aes-128-ecb", key, null);
  cipher.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([cipher.update(block), cipher.final()]));
};

const DAY_START = 19800 * DAY_SECONDS; // 2024-03-18
/** A block's time origin: 2 h before the day, in quarter hours since the epoch. */
const ORIGIN = DAY_START / 900 - 8;

function hex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, "hex"));
}

function encounter(fields: Partial<Encounter> = {}): Encounter {
  return { id: hex("a1b2c3d4"), aem: 0, first: DAY_START + 3600, seconds: 600, rssiMean: -60, rssiMax: -54, ...fields };
}

function encode(e: Encounter, origin = ORIGIN): Uint8Array {
  const record = encodeRecord(e, origin);
  if (!record) throw new Error("record out of its block's window");
  return record;
}

/** Bits 23..0 of a record's packed field (bytes 4–6). */
function field(record: Uint8Array): number {
  return (record[4]! << 16) | (record[5]! << 8) | record[6]!;
}

describe("encounter record (7 bytes)", () => {
  it("spells out every bit: ID prefix, then q7 t6 d4 r5 m2 in bytes 4–6", () => {
    // q = 5 (first seen in the 6th quarter hour after the origin), t = 0x2A, d = 7 (14 min), r = 12 (−54 dBm), m = 2 (+6 dB)
    const record = encode(encounter({ first: DAY_START - 7200 + 5 * 900 + 899, aem: 0xea, seconds: 14 * 60, rssiMean: -54, rssiMax: -48 }));
    expect(Buffer.from(record).toString("hex")).to.equal("a1b2c3d4" + "0b53b2");
    expect(record.length).to.equal(RECORD_BYTES);
  });

  it("round-trips an encounter to its steps: quarter hour, 2 minutes, 2 dB, 3 dB", () => {
    const e = encounter({ first: DAY_START + 12 * 3600 + 7 * 60, aem: 0x9c, seconds: 17 * 60 + 10, rssiMean: -71, rssiMax: -63 });
    expect(decodeRecord(encode(e), 0, ORIGIN)).to.deep.equal({
      id: hex("a1b2c3d4"),
      aem: 0x1c,
      first: DAY_START + 12 * 3600,
      seconds: 17 * 60 + 60, // 1030 s rounds to 9 steps of 2 minutes
      rssiMean: -72, // round(41 / 2) = 21 → −72 (Math.round rounds halves up)
      rssiMax: -63, // 9 dB above the stored mean's original: round(8 / 3) = 3 → −72 + 9
    });
  });

  it("first sighting: 7 bits of UTC quarter hours from the block's origin, 32 hours", () => {
    expect(field(encode(encounter({ first: DAY_START - 7200 }))) >> 17).to.equal(0);
    expect(field(encode(encounter({ first: DAY_START + 30 * 3600 - 1 }))) >> 17).to.equal(127);
    expect(encodeRecord(encounter({ first: DAY_START - 7201 }), ORIGIN)).to.equal(null);
    expect(encodeRecord(encounter({ first: DAY_START + 30 * 3600 }), ORIGIN)).to.equal(null);
    const record = encode(encounter({ first: DAY_START + 30 * 3600 - 1 }));
    expect(recordFirstSeen(record, 0, ORIGIN)).to.equal(DAY_START + 30 * 3600 - 900);
    expect(decodeRecord(record, 0, ORIGIN)!.first).to.equal(DAY_START + 30 * 3600 - 900);
    expect(decodeRecord(encode(encounter({ first: DAY_START + 1000 }), ORIGIN + 3), 0, ORIGIN + 3)!.first).to.equal(DAY_START + 900);
  });

  it("AEM: keeps the low 6 bits of AEM byte 1, 0 for Bluezone", () => {
    expect((field(encode(encounter({ aem: 0xff }))) >> 11) & 0x3f).to.equal(0x3f);
    expect((field(encode(encounter({ aem: 0x40 }))) >> 11) & 0x3f).to.equal(0);
    expect(field(encode(encounter({ aem: 0 }))) >> 11).to.equal(field(encode(encounter({ aem: 0x80 }))) >> 11);
  });

  it("duration: 2-minute steps, rounded, saturating at 30 minutes", () => {
    const d = (seconds: number) => (field(encode(encounter({ seconds }))) >> 7) & 0xf;
    expect([0, 59, 60, 179, 180, 1740, 1799, 1800, 1920, 100000].map(d)).to.deep.equal([0, 0, 1, 1, 2, 15, 15, 15, 15, 15]);
    expect(decodeRecord(encode(encounter({ seconds: MAX_ENCOUNTER_SECONDS })), 0, ORIGIN)!.seconds).to.equal(MAX_ENCOUNTER_SECONDS);
  });

  it("mean RSSI: 2 dB steps from −30 to −90 dBm, clamped at both ends; code 31 never written", () => {
    const r = (rssiMean: number) => (field(encode(encounter({ rssiMean, rssiMax: rssiMean }))) >> 2) & 0x1f;
    expect([-10, -30, -31, -32, -33, -60, -89, -90, -91, -127].map(r)).to.deep.equal([0, 0, 1, 1, 2, 15, 30, 30, 30, 30]);
    expect(decodeRecord(encode(encounter({ rssiMean: -90, rssiMax: -90 })), 0, ORIGIN)!.rssiMean).to.equal(-90);
    expect(decodeRecord(encode(encounter({ rssiMean: -30, rssiMax: -30 })), 0, ORIGIN)!.rssiMean).to.equal(-30);
  });

  it("strongest above mean: 3 dB steps, rounded, saturating at 9 dB", () => {
    const m = (above: number) => field(encode(encounter({ rssiMean: -70, rssiMax: -70 + above }))) & 3;
    expect([0, 1, 2, 4, 5, 7, 8, 9, 30].map(m)).to.deep.equal([0, 0, 1, 1, 2, 2, 3, 3, 3]);
  });

  it("a complete record's last byte is never 0xFF, for every duration, RSSI and peak code", () => {
    for (let seconds = 0; seconds <= 1800; seconds += 120) {
      for (let rssiMean = -30; rssiMean >= -90; rssiMean -= 2) {
        for (let above = 0; above <= 9; above += 3) {
          const record = encode(encounter({ seconds, rssiMean, rssiMax: rssiMean + above, id: hex("ffffffff"), aem: 0xff, first: DAY_START + 30 * 3600 - 1 }));
          expect(record[6]).to.not.equal(0xff);
          expect(recordState(record, 0)).to.equal(RECORD_COMPLETE);
        }
      }
    }
  });

  it("tells an empty slot from a record cut short by a power failure", () => {
    const slots = new Uint8Array(4 * RECORD_BYTES).fill(0xff);
    const record = encode(encounter());
    slots.set(record, 0); // complete
    slots.set(record.subarray(0, 6), RECORD_BYTES); // all but the last byte landed
    slots.set(record.subarray(0, 1), 2 * RECORD_BYTES); // one byte landed
    expect([0, 1, 2, 3].map((i) => recordState(slots, i * RECORD_BYTES))).to.deep.equal([RECORD_COMPLETE, RECORD_TORN, RECORD_TORN, RECORD_EMPTY]);
    expect(decodeRecord(slots, RECORD_BYTES, ORIGIN)).to.equal(null);
    expect(decodeRecord(slots, 3 * RECORD_BYTES, ORIGIN)).to.equal(null);
    expect(decodeRecord(slots, 0, ORIGIN)!.id).to.deep.equal(record.subarray(0, 4));
  });

  it("ranks records longest first, then nearest", () => {
    const strength = (seconds: number, rssiMean: number) => recordStrength(encode(encounter({ seconds, rssiMean, rssiMax: rssiMean })), 0);
    expect(strength(600, -80)).to.be.greaterThan(strength(480, -40));
    expect(strength(600, -50)).to.be.greaterThan(strength(600, -52));
    expect(strength(0, -90)).to.equal(0);
  });

  it("the gateway recovers the TX power from the 6 stored AEM bits (GAEN v1.2 vector and every TX in −48…+15 dBm)", () => {
    const aemk = hex(gaenVectors.aemk);
    const first = gaenVectors.intervals[0]!;
    // Vector: metadata 40 08 00 00 encrypts to AEM 72 03 38 74; the record keeps 0x03 & 0x3F.
    const stored = decodeRecord(encode(encounter({ aem: hex(first.aem)[1]! })), 0, ORIGIN)!.aem;
    const keystream = aemCrypt(nodeAes128Block, aemk, hex(first.rpi), new Uint8Array(4));
    expect(txPowerFromAemBits(stored ^ keystream[1]!)).to.equal(8);
    for (const interval of gaenVectors.intervals.slice(0, 16)) {
      const rpi = hex(interval.rpi);
      const ks = aemCrypt(nodeAes128Block, aemk, rpi, new Uint8Array(4))[1]!;
      for (let tx = -48; tx <= 15; tx++) {
        const aem = aemCrypt(nodeAes128Block, aemk, rpi, bluetoothMetadata(tx));
        const bits = decodeRecord(encode(encounter({ aem: aem[1]! })), 0, ORIGIN)!.aem;
        expect(txPowerFromAemBits(bits ^ ks)).to.equal(tx);
      }
    }
  });
});

describe("encounter aggregation", () => {
  const T0 = DAY_START + 8 * 3600;
  const RPI = hex("00112233445566778899aabbccddeeff");
  const BZ = hex("bbbbbbbb0102030405060708");

  function collect(options?: { gapSeconds?: number; maxOpen?: number }): { agg: EncounterAggregator; closed: Encounter[] } {
    const closed: Encounter[] = [];
    return { agg: new EncounterAggregator((e) => closed.push(e), options), closed };
  }

  it("makes one encounter of a tag's GAEN and Bluezone packets from one address, keeping the GAEN ID", () => {
    const { agg, closed } = collect();
    agg.sighting("c6:00:00:00:00:01 random", BZ, "bluezone", 0, -70, T0);
    agg.sighting("c6:00:00:00:00:01 random", RPI, "gaen", 0xa7, -60, T0 + 1);
    agg.sighting("c6:00:00:00:00:01 random", BZ, "bluezone", 0, -50, T0 + 240);
    agg.sighting("c6:00:00:00:00:01 random", RPI, "gaen", 0xa7, -64, T0 + 241);
    expect(agg.openCount()).to.equal(1);
    agg.closeAll();
    expect(closed).to.deep.equal([{ id: RPI.subarray(0, 4), aem: 0xa7, first: T0, seconds: 241, rssiMean: -61, rssiMax: -50 }]);
  });

  it("keeps the Bluezone ID when no GAEN packet comes (a Bluezone phone), and the first GAEN ID of an address", () => {
    const { agg, closed } = collect();
    agg.sighting("phone-bz", BZ, "bluezone", 0x55, -80, T0);
    agg.sighting("phone-bz", hex("cccccccc0102030405060708"), "bluezone", 0, -80, T0 + 240);
    agg.sighting("phone-en", RPI, "gaen", 0x11, -66, T0);
    agg.sighting("phone-en", hex("ffeeddccbbaa99887766554433221100"), "gaen", 0x22, -66, T0 + 240);
    agg.closeAll();
    expect(closed.map((e) => [Buffer.from(e.id).toString("hex"), e.aem])).to.deep.equal([
      ["bbbbbbbb", 0],
      ["00112233", 0x11],
    ]);
  });

  it("closes an encounter once its address has been silent for longer than the gap (default two 240 s scans)", () => {
    const { agg, closed } = collect();
    agg.sighting("a", RPI, "gaen", 0, -60, T0);
    agg.sighting("a", RPI, "gaen", 0, -60, T0 + 480); // one scan missed: still the same encounter
    expect(agg.flush(T0 + 480 + 480)).to.equal(0);
    expect(agg.flush(T0 + 480 + 481)).to.equal(1);
    expect(closed).to.have.length(1);
    expect(closed[0]!.seconds).to.equal(480);
    // Heard again after a gap, without a flush in between: the old one closes, a new one begins.
    agg.sighting("a", RPI, "gaen", 0, -60, T0 + 3000);
    agg.sighting("a", RPI, "gaen", 0, -60, T0 + 3000 + 600);
    expect(closed).to.have.length(2);
    expect(closed[1]!.first).to.equal(T0 + 3000);
    expect(closed[1]!.seconds).to.equal(0);
    expect(agg.openCount()).to.equal(1);
  });

  it("honours a configured gap", () => {
    const { agg, closed } = collect({ gapSeconds: 120 });
    agg.sighting("a", RPI, "gaen", 0, -60, T0);
    agg.flush(T0 + 121);
    expect(closed).to.have.length(1);
  });

  it("closes an encounter that has lasted 30 minutes and starts the next one", () => {
    const { agg, closed } = collect();
    for (let t = 0; t <= 3600; t += 240) {
      agg.sighting("a", RPI, "gaen", 0, -60, T0 + t);
      agg.flush(T0 + t);
    }
    // The sighting at 1920 s found the first encounter 30 minutes old: closed, and a new one begun.
    expect(closed).to.have.length(1);
    expect(closed[0]).to.include({ first: T0, seconds: 1680 });
    agg.flush(T0 + 1920 + MAX_ENCOUNTER_SECONDS - 1);
    expect(closed).to.have.length(1);
    agg.flush(T0 + 1920 + MAX_ENCOUNTER_SECONDS);
    expect(closed).to.have.length(2);
    expect(closed[1]).to.include({ first: T0 + 1920, seconds: 1680 });
  });

  it("holds at most maxOpen encounters, closing the one heard least recently", () => {
    const { agg, closed } = collect({ maxOpen: 3 });
    agg.sighting("a", RPI, "gaen", 0, -60, T0);
    agg.sighting("b", RPI, "gaen", 0, -60, T0 + 1);
    agg.sighting("c", RPI, "gaen", 0, -60, T0 + 2);
    agg.sighting("a", RPI, "gaen", 0, -60, T0 + 3); // a is now the most recent
    agg.sighting("d", BZ, "bluezone", 0, -60, T0 + 4);
    expect(agg.openCount()).to.equal(3);
    expect(closed.map((e) => e.first)).to.deep.equal([T0 + 1]); // b
    for (let i = 0; i < 100; i++) agg.sighting("x" + i, BZ, "bluezone", 0, -60, T0 + 10 + i);
    expect(agg.openCount()).to.equal(3);
    expect(closed).to.have.length(101);
  });

  it("averages RSSI over every advert at or above the floor and keeps the strongest, clamping impossible readings", () => {
    const { agg, closed } = collect();
    for (const rssi of [-50, -60, SIGHTING_FLOOR_DBM, SIGHTING_FLOOR_DBM - 1, -200]) agg.sighting("a", BZ, "bluezone", 0, rssi, T0);
    agg.sighting("b", BZ, "bluezone", 0, 300, T0);
    agg.closeAll();
    expect(closed[0]).to.include({ rssiMean: Math.round((-50 - 60 + SIGHTING_FLOOR_DBM) / 3), rssiMax: -50, seconds: 0 });
    expect(closed[1]).to.include({ rssiMean: 127, rssiMax: 127 });
  });

  it("opens no encounter for a device heard only below the floor (far away: it cannot count)", () => {
    const { agg, closed } = collect();
    for (let s = 0; s < 10; s++) agg.sighting("far", RPI, "gaen", 0, SIGHTING_FLOOR_DBM - 1, T0 + s * 60);
    expect(agg.openCount()).to.equal(0);
    agg.closeAll();
    expect(closed).to.deep.equal([]);
  });
});
