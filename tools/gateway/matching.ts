/**
 * Exposure matching: the IDs of imported diagnosis keys joined with the encounters tags logged, scored by
 * a risk rule (risk-rule.ts), written to the store with the alerts for the tags' next syncs.
 *
 * Speed: the encounter side is read once from the (prefix, time) index. The encounters of each UTC day
 * (with margins for the skew) go into a table bucketed by the top bits of the prefix, a day's being small
 * enough to stay in the CPU's cache; keys are taken in time order, and each key's IDs, derived in one
 * batch, are looked up in the table of the day they were on air. So the cost is one index scan plus a
 * constant per ID. (The other way round, a map from every derived ID, would hold 144 entries per key:
 * 14 million for a file of 100 000 keys.) Only the few candidates that share a prefix and a time are
 * read back in full.
 */
import { DAY_SECONDS } from "../../firmware/bluezone";
import { DEFAULT_CONFIG } from "../../firmware/config";
import { QUARTER_SECONDS } from "../../firmware/encounter";
import { diagnosisIds, DerivedIds, gaenTxPower, idPrefix } from "./diagnosis-ids";
import { CWA_FIRST_RULE, exposureWindows, RiskRule, ScoredRecord, scoreWindow, utcDay } from "./risk-rule";
import { DiagnosisKey, EncounterIndex, Exposure, GatewayStore, INDEX_TIME_STEP_SECONDS, ResidentToCall, StoredDiagnosisKey, unixNow } from "./store";

/** Clock skew allowed between a tag and the ID's sender: 2 slots (20 minutes) either side of the ID's time. */
export const CLOCK_SKEW_SECONDS = 20 * 60;
/** The tag's scan period credited to every record (GAEN scans at least every 5 minutes). */
export const DEFAULT_SCAN_PERIOD_MINUTES = 5;
/**
 * Bluezone adverts carry no TX power, so attenuation needs an assumed one: the calibrated power tags
 * send at by default (firmware config.ts, what their GAEN AEM reports): −8 dBm, about 10 dB above what
 * Bluezone phones send. A commune that calibrates its phones can set another.
 */
export const DEFAULT_BLUEZONE_TX_POWER_DBM = DEFAULT_CONFIG.txPower + DEFAULT_CONFIG.txCalibrationDb;
/** idPrefix as a local binding: compiled to CommonJS, every use of an import is a getter call, and this runs per ID. */
const prefixAt = idPrefix;
/** A table's filter has this many bits per encounter (about 1 in 16 misses passes it). */
const FILTER_BITS_PER_ROW = 16;
/** A table of no encounters, for days without any. */
const EMPTY_TABLE = prefixTable(new Uint32Array(0), new Float64Array(0));
/** Keys between progress reports. */
const PROGRESS_EVERY = 1000;

/** How a matching run works. */
export interface MatchOptions {
  rule?: RiskRule;
  /** Minutes credited to each record beyond its duration: the tags' scan period. */
  scanPeriodMinutes?: number;
  bluezoneTxPowerDbm?: number;
  /** Match only the keys of this import (default: every stored key). */
  importId?: number;
  actor: string;
  at?: number;
  /** Called as keys are done. */
  onProgress?: (done: number, total: number) => void;
}

/** What a matching run found. */
export interface MatchReport {
  keys: number;
  ids: number;
  /** Encounter records matched to a key's ID within its time window. */
  matchedRecords: number;
  /** Exposures (tag, key, day) that passed the rule. */
  exposures: Exposure[];
  /** Tags over the alert threshold (their alert is set for the next sync). */
  alertedTags: string[];
  residentsToCall: ResidentToCall[];
}

/** An encounter that shares prefix and (to the minute) time window with a derived ID. */
interface Candidate {
  key: StoredDiagnosisKey;
  /** The full ID, to decrypt a GAEN AEM. */
  id: Uint8Array;
  prefix: number;
  /** The encounter's first sighting as the index gives it: to the minute, rounded down. */
  minute: number;
  /** Where the encounter's record time must lie: [from, until). */
  from: number;
  until: number;
}

/**
 * Encounters of one time range in prefix order, with a lookup table: rows whose prefix has top bits b
 * lie in [starts[b], starts[b + 1]); and a bit filter of the top `filterBits` bits that turns most
 * misses away with one cached read.
 */
interface PrefixTable {
  prefixes: Uint32Array;
  minutes: Float64Array;
  shift: number;
  starts: Int32Array;
  filterShift: number;
  filter: Uint32Array;
}

/** The lookup table of encounters given in prefix order. */
function prefixTable(prefixes: Uint32Array, minutes: Float64Array): PrefixTable {
  const count = prefixes.length;
  const bits = Math.min(24, Math.max(4, Math.ceil(Math.log2(count + 1))));
  const shift = 32 - bits;
  const starts = new Int32Array(2 ** bits + 1);
  for (let b = 0, row = 0; b < starts.length; b++) {
    while (row < count && prefixes[row] >>> shift < b) row++;
    starts[b] = row;
  }
  const filterBits = Math.min(32, Math.max(5, Math.ceil(Math.log2((count + 1) * FILTER_BITS_PER_ROW))));
  const filterShift = 32 - filterBits;
  const filter = new Uint32Array(2 ** (filterBits - 5));
  for (const prefix of prefixes) {
    const bit = prefix >>> filterShift;
    filter[bit >>> 5] |= 1 << (bit & 31);
  }
  return { prefixes, minutes, shift, starts, filterShift, filter };
}

/** The end of the time in which a key's IDs were on air. */
function keyAirEnd(key: DiagnosisKey): number {
  return key.profile === "gaen" ? key.endTime : key.endTime + DAY_SECONDS / key.idsPerDay;
}

/** Where a record time must lie to match the ID on air [start, end): its quarter hour overlaps the ID's time ± skew. */
function recordWindow(start: number, end: number): { from: number; until: number } {
  return { from: start - CLOCK_SKEW_SECONDS - QUARTER_SECONDS, until: end + CLOCK_SKEW_SECONDS };
}

/**
 * The day tables of one matching run: for IDs of a given length that start on UTC day d, the encounters
 * whose record time can match them (first seen in the day's window). Built for every day of the index in
 * one sweep when IDs of that length first come up; a row near midnight goes into both days' tables.
 */
class DayTables {
  /** By ID seconds, then by day. */
  private readonly byLength = new Map<number, Map<number, PrefixTable>>();
  constructor(private readonly index: EncounterIndex) {}

  /** The table for IDs of `idSeconds` that start on UTC day `day`. */
  of(day: number, idSeconds: number): PrefixTable {
    let days = this.byLength.get(idSeconds);
    if (!days) this.byLength.set(idSeconds, (days = this.sweep(idSeconds)));
    return days.get(day) ?? EMPTY_TABLE;
  }

  private sweep(idSeconds: number): Map<number, PrefixTable> {
    const { prefixes, firstSeen } = this.index;
    const tables = new Map<number, PrefixTable>();
    if (prefixes.length === 0) return tables;
    let earliest = Infinity;
    let latest = -Infinity;
    for (const minute of firstSeen) {
      earliest = Math.min(earliest, minute);
      latest = Math.max(latest, minute);
    }
    // Each day's window of record times, to the minute: (after[d], until[d]] for day first + d.
    const first = utcDay(earliest) - 1;
    const days = utcDay(latest) + 2 - first;
    const after = new Float64Array(days);
    const until = new Float64Array(days);
    for (let d = 0; d < days; d++) {
      const window = recordWindow((first + d) * DAY_SECONDS, (first + d + 1) * DAY_SECONDS + idSeconds);
      after[d] = window.from - INDEX_TIME_STEP_SECONDS;
      until[d] = window.until;
    }
    // A day's window reaches into later days by the ID length and the skew, into the day before by less than a day.
    const back = Math.ceil((idSeconds + CLOCK_SKEW_SECONDS) / DAY_SECONDS);
    /** Calls `visit` with each day (as d) whose window holds row `row`: its own day's, or a neighbour's. */
    const forEachDay = (row: number, visit: (d: number) => void) => {
      const minute = firstSeen[row];
      const own = utcDay(minute) - first;
      for (let d = Math.max(0, own - back); d <= own + 1; d++) if (minute > after[d] && minute <= until[d]) visit(d);
    };
    // Two sweeps, counting then filling, keep each day's rows in the index's prefix order.
    const counts = new Int32Array(days);
    for (let row = 0; row < prefixes.length; row++) forEachDay(row, (d) => counts[d]++);
    const dayPrefixes = Array.from(counts, (n) => new Uint32Array(n));
    const dayMinutes = Array.from(counts, (n) => new Float64Array(n));
    const filled = new Int32Array(days);
    for (let row = 0; row < prefixes.length; row++) {
      forEachDay(row, (d) => {
        dayPrefixes[d][filled[d]] = prefixes[row];
        dayMinutes[d][filled[d]++] = firstSeen[row];
      });
    }
    for (let d = 0; d < days; d++) if (counts[d] > 0) tables.set(first + d, prefixTable(dayPrefixes[d], dayMinutes[d]));
    return tables;
  }
}

/**
 * Adds to `out` the encounters that share an ID's prefix and were first seen while it was on air, ±
 * the clock skew. A record keeps its first sighting as the quarter hour it fell in, so a record time
 * matches when that quarter hour overlaps the ID's time ± skew.
 */
function findCandidates(tables: DayTables, key: StoredDiagnosisKey, ids: DerivedIds, out: Candidate[]): void {
  let day = utcDay(ids.startTime);
  let table = tables.of(day, ids.idSeconds);
  let dayEnd = (day + 1) * DAY_SECONDS;
  for (let i = 0; i < ids.count; i++) {
    const start = ids.startTime + i * ids.idSeconds;
    if (start >= dayEnd) {
      table = tables.of((day = utcDay(start)), ids.idSeconds);
      dayEnd = (day + 1) * DAY_SECONDS;
    }
    const offset = i * ids.idBytes;
    const prefix = prefixAt(ids.bytes, offset);
    const bit = prefix >>> table.filterShift;
    if ((table.filter[bit >>> 5] & (1 << (bit & 31))) === 0) continue;
    const bucket = prefix >>> table.shift;
    for (let row = table.starts[bucket]; row < table.starts[bucket + 1]; row++) {
      if (table.prefixes[row] !== prefix) continue;
      const { from, until } = recordWindow(start, start + ids.idSeconds);
      const minute = table.minutes[row];
      if (minute + INDEX_TIME_STEP_SECONDS > from && minute < until) {
        out.push({ key, id: ids.bytes.slice(offset, offset + ids.idBytes), prefix, minute, from, until });
      }
    }
  }
}

/**
 * Matches stored diagnosis keys against stored encounters, stores the exposures that pass the rule, sets
 * the alert of tags over its threshold, and returns what it found with the residents to call.
 */
export function matchExposures(store: GatewayStore, options: MatchOptions): MatchReport {
  const rule = options.rule ?? CWA_FIRST_RULE;
  const scanPeriod = options.scanPeriodMinutes ?? DEFAULT_SCAN_PERIOD_MINUTES;
  const bluezoneTx = options.bluezoneTxPowerDbm ?? DEFAULT_BLUEZONE_TX_POWER_DBM;
  const keys = store.diagnosisKeys(options.importId);
  const report: MatchReport = { keys: keys.length, ids: 0, matchedRecords: 0, exposures: [], alertedTags: [], residentsToCall: [] };

  const candidates: Candidate[] = [];
  if (keys.length > 0) {
    let from = Infinity;
    let until = -Infinity;
    for (const key of keys) {
      const window = recordWindow(key.startTime, keyAirEnd(key));
      from = Math.min(from, window.from);
      until = Math.max(until, window.until);
    }
    const tables = new DayTables(store.encounterIndex(from, until));
    keys.sort((a, b) => a.startTime - b.startTime); // a day's table stays in cache while its keys are done
    keys.forEach((key, done) => {
      const ids = diagnosisIds(key);
      report.ids += ids.count;
      findCandidates(tables, key, ids, candidates);
      if (options.onProgress && (done + 1) % PROGRESS_EVERY === 0) options.onProgress(done + 1, keys.length);
    });
    if (options.onProgress) options.onProgress(keys.length, keys.length);
  }

  // Read the candidates back in full (several tags may have heard one ID) and group them by tag and key.
  const groups = new Map<string, { tag: number; key: number; records: ScoredRecord[] }>();
  const seen = new Set<string>();
  for (const c of candidates) {
    for (const e of store.encountersAt(c.prefix, c.minute, c.minute + INDEX_TIME_STEP_SECONDS - 1)) {
      if (e.firstSeen <= c.from || e.firstSeen >= c.until) continue;
      const name = `${e.tag}/${c.key.id}`;
      if (seen.has(`${name}/${e.id}`)) continue;
      seen.add(`${name}/${e.id}`);
      const txPower = c.key.profile === "gaen" ? gaenTxPower(c.key.key, c.id, e.aem) : bluezoneTx;
      let group = groups.get(name);
      if (!group) groups.set(name, (group = { tag: e.tag, key: c.key.id, records: [] }));
      group.records.push({ time: e.firstSeen, minutes: e.durationMin + scanPeriod, attenuation: txPower - e.rssiMean });
      report.matchedRecords++;
    }
  }

  for (const g of groups.values()) report.exposures.push(...exposuresOf(rule, g.tag, g.key, g.records));
  report.alertedTags = store.recordMatches(report.exposures, rule.alertWeightedMinutes, options.actor, options.at ?? unixNow());
  report.residentsToCall = store.residentsToCall();
  return report;
}

/** The exposures, one per UTC day, that one key's records on one tag add up to under `rule`. */
export function exposuresOf(rule: RiskRule, tag: number, diagnosisKey: number, records: ScoredRecord[]): Exposure[] {
  const byDay = new Map<number, Exposure>();
  for (const window of exposureWindows(rule, records)) {
    const score = scoreWindow(rule, window);
    if (!score.kept || score.weightedMinutes === 0) continue;
    const day = utcDay(score.start);
    let e = byDay.get(day);
    if (!e) {
      e = { tag, diagnosisKey, day, weightedMinutes: 0, minutes: 0, minAttenuation: Infinity, firstTime: Infinity, lastTime: -Infinity };
      byDay.set(day, e);
    }
    e.weightedMinutes += score.weightedMinutes;
    e.minutes += score.minutes;
    for (const r of window) {
      e.minAttenuation = Math.min(e.minAttenuation, r.attenuation);
      e.firstTime = Math.min(e.firstTime, r.time);
      e.lastTime = Math.max(e.lastTime, r.time + r.minutes * 60);
    }
  }
  return [...byDay.values()];
}
