/**
 * Bluezone rotating IDs (Vietnam's app; BluezoneGlobal/react-native-bluetooth-scan, Android sources under
 * lib/android/src/main/java/com/scan/bluezoneid). Confirmed there:
 * - daily key: BluezoneIdGenerator.createBluezoneDailyKey hashes the base key once per UTC day since it
 *   was made (day 0 = base key); BluezoneDate truncates to UTC midnight;
 * - subkeys: createListBluezoneDailyId takes SHA-256(daily key ‖ "bluzonesubkey") as subkey 0 and hashes it
 *   again for each next one; 96 a day (BluezoneIdConstants MAX_NUMBER_SUB_KEY_PER_DAY = 24 × 4), ID i
 *   from UTC midnight + i × DAY / 96;
 * - ID: convertBluezoneSubKeyToBluezoneId takes subkey bytes 0, 4, 8, 12 then 16, 18, ..., 30 (12 bytes);
 * - advert: ServiceTraceCovid puts service UUID 0x4E56 and manufacturer data with company 8885 (0x22B5)
 *   holding the 12-byte ID (AppConstants BLUEZONE_UUID, BLE_ID), no name, no TX power;
 * - F0 list: BluezoneIdTrace.checkContactF reads {daily_key hex, time_start s, max, time_end s} and walks
 *   IDs from time_start in DAY / max steps while the step start ≤ time_end, hashing to the next daily key
 *   after `max` IDs, so one entry may span several days.
 * Only SHA-256 is needed, so the profile also runs on boards without AES.
 *
 * Cost: ID i of a day needs i + 1 hashes after the daily key, so the tag keeps its place on the chain
 * (BluezoneChain) and moves it forward one hash per 15 minutes instead of starting from the day's key.
 */
import { FLAGS_AD_HEX } from "./ad";
import { asciiBytes, bytesToHex, concatBytes, hexToBytes } from "./bytes";
import { Sha256 } from "./crypto-types";

/** Days start at UTC midnight. */
export var DAY_SECONDS = 86400;
/** IDs per UTC day. */
export var BLUEZONE_IDS_PER_DAY = 96;
/** Each ID is valid 15 minutes. */
export var BLUEZONE_ID_SECONDS = DAY_SECONDS / BLUEZONE_IDS_PER_DAY;
/** Base and daily keys are 32 bytes (SHA-256 outputs). */
export var BLUEZONE_KEY_BYTES = 32;
/** A Bluezone ID is 12 bytes. */
export var BLUEZONE_ID_BYTES = 12;
/** Salt appended to the daily key for subkey 0 (sic: "bluzone"). */
export var BLUEZONE_SUBKEY_SALT = "bluzonesubkey";
/** The company identifier of Bluezone's manufacturer data, 8885 ("XU"). */
export var BLUEZONE_COMPANY_ID = 0x22b5;

/** Where a key chain stands: UTC day number, that day's key, an ID index and that ID's subkey. */
export interface BluezoneChain {
  day: number;
  dailyKey: Uint8Array;
  index: number;
  subkey: Uint8Array;
}

/** One entry of a Bluezone F0 list, in the JSON field names the apps read. */
export interface BluezoneF0Entry {
  /** Daily key of the day that starts at time_start, lower-case hex. */
  daily_key: string;
  /** Unix seconds of that day's UTC midnight. */
  time_start: number;
  /** IDs per day. */
  max: number;
  /** Unix seconds; readers derive IDs that start at or before it, chaining into later days. */
  time_end: number;
}

/** The UTC day number (days since the Unix epoch) of a Unix time in seconds. */
export function utcDayNumber(unixSeconds: number): number {
  return Math.floor(unixSeconds / DAY_SECONDS);
}

/** The index (0..95) of the Bluezone ID valid at a Unix time in seconds. */
export function bluezoneIdIndex(unixSeconds: number): number {
  return Math.floor((unixSeconds % DAY_SECONDS) / BLUEZONE_ID_SECONDS);
}

/** `bytes` hashed `times` times: how Bluezone's daily keys, and a day's subkeys, follow each other. */
export function hashForward(sha256: Sha256, bytes: Uint8Array, times: number): Uint8Array {
  while (times-- > 0) bytes = sha256(bytes);
  return bytes;
}

/** The chain at ID 0 of UTC day `day`, whose daily key is `dailyKey` (a base key is the key of the day it was made). */
export function bluezoneChainAt(sha256: Sha256, dailyKey: Uint8Array, day: number): BluezoneChain {
  return { day: day, dailyKey: dailyKey, index: 0, subkey: sha256(concatBytes([dailyKey, asciiBytes(BLUEZONE_SUBKEY_SALT)])) };
}

/**
 * The chain moved forward to ID `index` of UTC day `day`: one hash per day crossed, one for the new day's
 * subkey 0, one per ID stepped. Null when the target lies before the chain, which hashes cannot undo.
 */
export function bluezoneChainSeek(sha256: Sha256, chain: BluezoneChain, day: number, index: number): BluezoneChain | null {
  if (day < chain.day || (day === chain.day && index < chain.index)) return null;
  if (day > chain.day) chain = bluezoneChainAt(sha256, hashForward(sha256, chain.dailyKey, day - chain.day), day);
  return { day: day, dailyKey: chain.dailyKey, index: index, subkey: hashForward(sha256, chain.subkey, index - chain.index) };
}

/** The 12-byte ID a subkey gives: its bytes 0, 4, 8, 12, 16, 18, 20, 22, 24, 26, 28, 30. */
export function bluezoneId(subkey: Uint8Array): Uint8Array {
  var id = new Uint8Array(BLUEZONE_ID_BYTES);
  for (var i = 0; i < BLUEZONE_ID_BYTES; i++) id[i] = subkey[i < 4 ? 4 * i : 2 * i + 8];
  return id;
}

/** The 23-byte Bluezone advert carrying a 12-byte ID. */
export function bluezoneAdvert(id: Uint8Array): Uint8Array {
  // 02 01 1A Flags, as in the GAEN advert · 03 03 56 4E complete 16-bit UUID list: 0x4E56 ·
  // 0F FF B5 22 manufacturer data, company 0x22B5: ID
  return concatBytes([hexToBytes(FLAGS_AD_HEX + "0303564e" + "0fffb522") as Uint8Array, id]);
}

/** The F0 entry publishing the daily key of UTC day `day`, read up to `timeEnd` (Unix seconds). */
export function bluezoneF0Entry(dailyKey: Uint8Array, day: number, timeEnd: number): BluezoneF0Entry {
  return { daily_key: bytesToHex(dailyKey), time_start: day * DAY_SECONDS, max: BLUEZONE_IDS_PER_DAY, time_end: timeEnd };
}
