/**
 * Bluezone F0 lists, the JSON the Bluezone server pushes for positive cases:
 * `{"data":[{"daily_key": hex, "time_start": s, "max": 96, "time_end": s}]}`. An entry's IDs run from
 * time_start in steps of a day / max while a step starts at or before time_end, chaining into later days
 * (firmware/bluezone.ts), so one entry may cover several days.
 */
import { BLUEZONE_IDS_PER_DAY, BLUEZONE_KEY_BYTES, BluezoneF0Entry, utcDayNumber } from "../../firmware/bluezone";
import { hexToBytes } from "../../firmware/bytes";

/** Longest span one entry may cover: beyond the apps' 14-day window with room, and it bounds the hashing a file can ask for. */
export const MAX_ENTRY_DAYS = 30;
/** Most IDs a day an entry may ask for (one a minute); Bluezone uses 96. */
const MAX_IDS_PER_DAY = 1440;

/** One checked F0 entry. */
export interface F0Key {
  /** The 32-byte daily key of the day starting at timeStart. */
  dailyKey: Uint8Array;
  timeStart: number;
  idsPerDay: number;
  timeEnd: number;
}

/** The F0 list JSON of `entries` (made with firmware bluezoneF0Entry). */
export function writeF0List(entries: BluezoneF0Entry[]): string {
  return JSON.stringify({ data: entries }, null, 2) + "\n";
}

/** The entries of an F0 list, or what is wrong with it. */
export function readF0List(text: string): F0Key[] | { error: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { error: `not JSON: ${(err as Error).message}` };
  }
  const data = typeof json === "object" && json !== null ? (json as Record<string, unknown>).data : undefined;
  if (!Array.isArray(data)) return { error: 'an F0 list is an object with a "data" array' };
  const keys: F0Key[] = [];
  for (let i = 0; i < data.length; i++) {
    const key = f0KeyOf(data[i]);
    if ("error" in key) return { error: `entry ${i + 1}: ${key.error}` };
    keys.push(key);
  }
  return keys;
}

/** Whether `v` is a whole number of seconds a key can have (not before 1970, not past 2^31). */
function isUnixSeconds(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 0 && v < 2 ** 31;
}

/** One entry checked, or what is wrong with it. */
function f0KeyOf(entry: unknown): F0Key | { error: string } {
  if (typeof entry !== "object" || entry === null) return { error: "not an object" };
  const e = entry as Record<string, unknown>;
  const dailyKey = typeof e.daily_key === "string" ? hexToBytes(e.daily_key) : null;
  if (!dailyKey || dailyKey.length !== BLUEZONE_KEY_BYTES) return { error: `daily_key must be ${BLUEZONE_KEY_BYTES * 2} hex digits` };
  if (!isUnixSeconds(e.time_start)) return { error: "time_start must be Unix seconds" };
  if (!isUnixSeconds(e.time_end)) return { error: "time_end must be Unix seconds" };
  const max = e.max === undefined ? BLUEZONE_IDS_PER_DAY : e.max;
  if (typeof max !== "number" || !Number.isInteger(max) || max < 1 || max > MAX_IDS_PER_DAY) return { error: `max must be a whole number 1..${MAX_IDS_PER_DAY}` };
  if (e.time_end < e.time_start) return { error: "time_end lies before time_start" };
  if (utcDayNumber(e.time_end) - utcDayNumber(e.time_start) >= MAX_ENTRY_DAYS) return { error: `the entry spans more than ${MAX_ENTRY_DAYS} days` };
  return { dailyKey, timeStart: e.time_start, idsPerDay: max, timeEnd: e.time_end };
}
