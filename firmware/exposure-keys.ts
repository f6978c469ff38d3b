/**
 * The tag's secret exposure keys for both profiles, as kept in Storage: a GAEN Temporary Exposure Key per
 * UTC day (kept 14 days, then erased) and the Bluezone daily key of the oldest kept day, from which every
 * later day's key follows by hashing. Only a positive wearer's keys ever leave the tag (with consent).
 */
import { bytesToHex, hexToBytes } from "./bytes";
import { BLUEZONE_KEY_BYTES, hashForward } from "./bluezone";
import { Sha256 } from "./crypto-types";
import { GAEN_KEY_BYTES, TEK_RETENTION_DAYS } from "./gaen";

/** Key material as stored (JSON-friendly: hex strings). */
export interface ExposureKeys {
  /** [UTC day, TEK hex], oldest first, at most 14. */
  teks: [number, string][];
  /** UTC day of `bzKey`. */
  bzDay: number;
  /** Bluezone daily key of `bzDay` (the base key on the day it was made), hex; "" before the first day. */
  bzKey: string;
}

/** Fresh random bytes (E.hwRand on the tag). */
export type RandomBytes = (count: number) => Uint8Array;

/** No keys yet: a new tag, or keys dropped after a positive report. */
export function emptyKeys(): ExposureKeys {
  return { teks: [], bzDay: 0, bzKey: "" };
}

/**
 * The keys with what UTC day `day` needs: its TEK (new if missing), a Bluezone chain (a new base key if
 * none), and nothing older than 14 days (the Bluezone key moved forward, since hashes only go forward).
 * `changed` says whether the result must be saved.
 */
export function keysForDay(keys: ExposureKeys, day: number, random: RandomBytes, sha256: Sha256): { keys: ExposureKeys; changed: boolean } {
  var oldest = day - TEK_RETENTION_DAYS + 1;
  var teks = keys.teks.filter(function (t) {
    return t[0] >= oldest && t[0] <= day;
  });
  // TEKs are kept oldest first and none is of a later day: today's, if there, is the last.
  var last = teks[teks.length - 1];
  if (!last || last[0] !== day) teks.push([day, bytesToHex(random(GAEN_KEY_BYTES))]);
  // A chain that starts after `day` means the clock went back: begin a new one rather than link days.
  var newChain = !keys.bzKey || keys.bzDay > day;
  var bzDay = newChain ? day : Math.max(keys.bzDay, oldest);
  var bzKey = newChain ? random(BLUEZONE_KEY_BYTES) : (bluezoneKeyOfDay(sha256, keys, bzDay) as Uint8Array);
  var next: ExposureKeys = { teks: teks, bzDay: bzDay, bzKey: bytesToHex(bzKey) };
  return { keys: next, changed: JSON.stringify(next) !== JSON.stringify(keys) };
}

/** The TEK of UTC day `day`, or null when the tag has none for it. */
export function tekOfDay(keys: ExposureKeys, day: number): Uint8Array | null {
  var tek = keys.teks.filter(function (t) {
    return t[0] === day;
  })[0];
  return tek ? hexToBytes(tek[1]) : null;
}

/** The Bluezone daily key of UTC day `day`, or null when it lies before the kept chain. */
export function bluezoneKeyOfDay(sha256: Sha256, keys: ExposureKeys, day: number): Uint8Array | null {
  if (!keys.bzKey || day < keys.bzDay) return null;
  return hashForward(sha256, hexToBytes(keys.bzKey) as Uint8Array, day - keys.bzDay);
}
