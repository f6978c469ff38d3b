/**
 * Scoring of matched encounters with GAEN-style weighted minutes (Exposure Notifications v2 exposure
 * windows, as Corona-Warn-App configured them). Each matched record stands for the time its sightings
 * cover: its duration plus one scan period of the tag, as GAEN's ScanInstance.secondsSinceLastScan credits
 * each scan with the gap before it. Records of one key on one tag form exposure windows of at most 30
 * minutes; a window with too few minutes close enough is dropped; the rest add weighted minutes per UTC
 * day, and a day that reaches the alert threshold sets the tag's alert.
 */
import { DAY_SECONDS } from "../../firmware/bluezone";

/** Attenuations (dB) below `below` and not below the previous bucket's count with `weight`. */
export interface AttenuationWeight {
  below: number;
  weight: number;
}

/** A scoring rule. */
export interface RiskRule {
  name: string;
  /** Buckets by rising `below`; an attenuation at or above the last one is ignored. */
  weights: AttenuationWeight[];
  /** A window is dropped when its minutes at attenuation below `filterBelowDb`... */
  filterBelowDb: number;
  /** ...are fewer than this. */
  minWindowMinutes: number;
  /** Longest exposure window, minutes (GAEN: 30). */
  windowMinutes: number;
  /** Weighted minutes in one UTC day that set the alert. */
  alertWeightedMinutes: number;
}

/**
 * Corona-Warn-App's first exposure-window rule (cwa-server, services/distribution/src/main/resources/
 * master-config/v2/risk-calculation-parameters.yaml, first version): weights 1.0 for [0, 55) dB and
 * 0.5 for [55, 63) dB; [63, 73) dB has no weight entry there, i.e. 0; windows with under 10 minutes in
 * [0, 73) dB dropped; "high risk" from 15 normalized minutes a day. CWA also multiplies by a transmission
 * risk value from the key's report type and symptom onset; tags' keys carry none, so it is left out.
 */
export const CWA_FIRST_RULE: RiskRule = {
  name: "Corona-Warn-App, first exposure-window rule",
  weights: [
    { below: 55, weight: 1 },
    { below: 63, weight: 0.5 },
    { below: 73, weight: 0 },
  ],
  filterBelowDb: 73,
  minWindowMinutes: 10,
  windowMinutes: 30,
  alertWeightedMinutes: 15,
};

/**
 * zonetag's rule for tags' logs: Corona-Warn-App's shape with buckets 5 dB further out, since a wrist tag
 * loses what a phone in the hand does not. Two tags 2 m apart see 48 dB of path loss (ITU-R P.1238,
 * residential), 6 dB of antenna loss and 0–20 dB of bodies, i.e. 54–74 dB before shadowing, where CWA
 * weights only below 63 dB. The alert comes at 12 weighted minutes, not 15: scans 4 minutes apart, durations
 * in 2-minute steps and records cut at every 15-minute ID change score a 15-minute contact as 12–14.
 * Calibrated in the simulator (default commune 14 days and 3 days, market 1 day; tags at their defaults):
 * tag↔tag close-contact recall 0.97–0.99 against CWA's 0.79–0.92, at a precision of 0.10–0.22 against
 * 0.33–0.49 (long stays 2–4 m apart are what it adds). Phone apps keep their own rule.
 */
export const ZONETAG_TAG_RULE: RiskRule = {
  ...CWA_FIRST_RULE,
  name: "zonetag rule for tags",
  weights: [
    { below: 68, weight: 1 },
    { below: 78, weight: 0.5 },
  ],
  filterBelowDb: 78,
  alertWeightedMinutes: 12,
};

/** Rules known by name (the gateway's `match --rule`). */
export const NAMED_RULES: ReadonlyMap<string, RiskRule> = new Map([
  ["cwa", CWA_FIRST_RULE],
  ["zonetag", ZONETAG_TAG_RULE],
]);

/** A matched encounter record as scoring sees it. */
export interface ScoredRecord {
  /** Unix seconds of the first sighting's slot. */
  time: number;
  /** Duration plus one scan period, minutes. */
  minutes: number;
  /** dB: TX power minus mean RSSI. */
  attenuation: number;
}

/** What one exposure window contributes. */
export interface WindowScore {
  start: number;
  weightedMinutes: number;
  /** Minutes below the filter attenuation. */
  minutes: number;
  /** Whether the window passed the filter. */
  kept: boolean;
}

/** The weight of an attenuation under `rule`: 0 where no bucket takes it. */
export function attenuationWeight(rule: RiskRule, attenuation: number): number {
  for (const bucket of rule.weights) if (attenuation < bucket.below) return bucket.weight;
  return 0;
}

/** The exposure windows of one key's records on one tag: from a record, everything that starts within `windowMinutes`. */
export function exposureWindows(rule: RiskRule, records: ScoredRecord[]): ScoredRecord[][] {
  const sorted = records.slice().sort((a, b) => a.time - b.time);
  const windows: ScoredRecord[][] = [];
  for (const r of sorted) {
    const current = windows.length > 0 ? windows[windows.length - 1] : null;
    if (current && r.time < current[0].time + rule.windowMinutes * 60) current.push(r);
    else windows.push([r]);
  }
  return windows;
}

/** The score of one exposure window. */
export function scoreWindow(rule: RiskRule, window: ScoredRecord[]): WindowScore {
  let weightedMinutes = 0;
  let minutes = 0;
  for (const r of window) {
    weightedMinutes += r.minutes * attenuationWeight(rule, r.attenuation);
    if (r.attenuation < rule.filterBelowDb) minutes += r.minutes;
  }
  const kept = minutes >= rule.minWindowMinutes;
  return { start: window[0].time, weightedMinutes: kept ? weightedMinutes : 0, minutes, kept };
}

/** The UTC day number of a Unix time. */
export function utcDay(unixSeconds: number): number {
  return Math.floor(unixSeconds / DAY_SECONDS);
}

/** A rule read from JSON (e.g. a `--rule` file), or why it is not one. */
export function parseRiskRule(json: unknown): { rule: RiskRule } | { error: string } {
  if (typeof json !== "object" || json === null) return { error: "a rule is a JSON object" };
  const o = json as Record<string, unknown>;
  const numbers = ["filterBelowDb", "minWindowMinutes", "windowMinutes", "alertWeightedMinutes"] as const;
  for (const name of numbers) {
    if (typeof o[name] !== "number" || !Number.isFinite(o[name]) || (o[name] as number) < 0) return { error: `${name} must be a number ≥ 0` };
  }
  if ((o.windowMinutes as number) <= 0) return { error: "windowMinutes must be above 0" };
  if (!Array.isArray(o.weights) || o.weights.length === 0) return { error: "weights must be a non-empty list of {below, weight}" };
  const weights: AttenuationWeight[] = [];
  for (const w of o.weights as unknown[]) {
    const b = w as Record<string, unknown>;
    if (typeof w !== "object" || w === null || typeof b.below !== "number" || typeof b.weight !== "number" || !(b.weight >= 0)) {
      return { error: "each weight is {below: dB, weight: ≥ 0}" };
    }
    if (weights.length > 0 && b.below <= weights[weights.length - 1].below) return { error: "weights must have rising 'below' values" };
    weights.push({ below: b.below, weight: b.weight });
  }
  return {
    rule: {
      name: typeof o.name === "string" ? o.name : "custom rule",
      weights,
      filterBelowDb: o.filterBelowDb as number,
      minWindowMinutes: o.minWindowMinutes as number,
      windowMinutes: o.windowMinutes as number,
      alertWeightedMinutes: o.alertWeightedMinutes as number,
    },
  };
}
