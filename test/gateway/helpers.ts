/**
 * Shared pieces of the gateway tests: temporary data folders, repeatable test bytes, and encounter rows
 * made the way a tag makes them (firmware ID derivation, 7-byte record encoded and decoded).
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bluezoneChainAt, bluezoneChainSeek, bluezoneId, bluezoneIdIndex, utcDayNumber } from "../../firmware/bluezone";
import { decodeRecord, encodeRecord, QUARTER_SECONDS } from "../../firmware/encounter";
import { aemCrypt, bluetoothMetadata, deriveAemk, deriveRpik, enIntervalNumber, rollingProximityIdentifier } from "../../firmware/gaen";
import { idPrefix } from "../../tools/gateway/diagnosis-ids";
import { nodeAes128, nodeSha256 } from "../../tools/gateway/host-crypto";
import { EncounterRow } from "../../tools/gateway/store";

/** A new temporary folder; remove it with `removeDir`. */
export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `zonetag-test-${label}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A repeatable stream of test bytes: SHA-256 in counter mode over a label. */
export function testBytes(label: string, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let at = 0, n = 0; at < length; n++, at += 32) {
    out.set(createHash("sha256").update(`${label}/${n}`).digest().subarray(0, Math.min(32, length - at)), at);
  }
  return out;
}

/** 2025-03-01 00:00 UTC, a day the tests live on. */
export const TEST_DAY = utcDayNumber(Date.UTC(2025, 2, 1) / 1000);
export const TEST_DAY_START = TEST_DAY * 86400;

/** What a tag heard of one sender. */
export interface Heard {
  /** Unix s of the first sighting. */
  at: number;
  seconds: number;
  rssiMean: number;
  rssiMax?: number;
}

/** The stored row of a record as a tag writes it: encoded into its 7 bytes and decoded, as a sync would. */
export function recordRow(id: Uint8Array, aem: number, heard: Heard): EncounterRow {
  const origin = Math.floor(heard.at / QUARTER_SECONDS);
  const record = encodeRecord({ id, aem, first: heard.at, seconds: heard.seconds, rssiMean: heard.rssiMean, rssiMax: heard.rssiMax ?? heard.rssiMean }, origin);
  const e = decodeRecord(record as Uint8Array, 0, origin);
  if (!e) throw new Error("record did not decode");
  return { firstSeen: e.first, prefix: idPrefix(e.id, 0), aem: e.aem, durationMin: e.seconds / 60, sightings: 0, rssiMax: e.rssiMax, rssiMean: e.rssiMean };
}

/** The row of a GAEN sender with `tek` and TX power `txPower` heard as `heard` (the RPI on air at `heard.at`). */
export function gaenRow(tek: Uint8Array, txPower: number, heard: Heard, rpiAt: number = heard.at): EncounterRow {
  const rpi = rollingProximityIdentifier(nodeAes128, deriveRpik(nodeSha256, tek), enIntervalNumber(rpiAt));
  const aem = aemCrypt(nodeAes128, deriveAemk(nodeSha256, tek), rpi, bluetoothMetadata(txPower));
  return recordRow(rpi, aem[1], heard);
}

/** The row of a Bluezone sender whose daily key of day `keyDay` is `dailyKey`, heard as `heard`. */
export function bluezoneRow(dailyKey: Uint8Array, keyDay: number, heard: Heard): EncounterRow {
  const chain = bluezoneChainSeek(nodeSha256, bluezoneChainAt(nodeSha256, dailyKey, keyDay), utcDayNumber(heard.at), bluezoneIdIndex(heard.at));
  if (!chain) throw new Error("heard before the key's day");
  return recordRow(bluezoneId(chain.subkey), 0, heard);
}
