/**
 * What a run measured, against its ground truth.
 *
 * Detection: a receiver detected a sender on a UTC day when exposure scoring says so — the gateway's own
 * scorer (tools/gateway/matching.ts exposuresOf with a tools/gateway/risk-rule.ts rule) over the records the
 * receiver kept of that sender: a tag's encounter log (as a sync would upload it) or a phone app's scans.
 * The simulator attributes each record to its sender (the air knows who sent which ID); the scoring is
 * the gateway's. Recall and precision are over ordered (receiver, sender) pairs of residents per day, for
 * each direction: tag↔tag, tag→phone (a phone detects a tag), phone→tag (a tag detects a phone).
 */
import { DEFAULT_BLUEZONE_TX_POWER_DBM, DEFAULT_SCAN_PERIOD_MINUTES, exposuresOf } from "../tools/gateway/matching";
import { CWA_FIRST_RULE, RiskRule, ScoredRecord, ZONETAG_TAG_RULE } from "../tools/gateway/risk-rule";
import type { PowerReport } from "./espruino/power";
import type { AirDevice } from "./radio";
import { SimulationOutcome } from "./simulation";
import { DAY_S } from "./world";

/**
 * The rules detections are scored with, side by side on the same records: zonetag's rule for tags (what the
 * simulated gateway alerts with) and Corona-Warn-App's first rule (the gateway's default, and the phones').
 */
export const SCORING_RULES: readonly { id: string; rule: RiskRule }[] = [
  { id: "zonetag", rule: ZONETAG_TAG_RULE },
  { id: "cwa", rule: CWA_FIRST_RULE },
];

/** Who detects whom. */
export type Direction = "tagTag" | "tagToPhone" | "phoneToTag";
/** Every direction, in report order. */
export const DIRECTIONS: readonly Direction[] = ["tagTag", "tagToPhone", "phoneToTag"];
/** How each direction is written in tables. */
export const DIRECTION_LABELS: Record<Direction, string> = { tagTag: "tag ↔ tag", tagToPhone: "tag → phone", phoneToTag: "phone → tag" };

/** One record a receiver kept of a sender, ready for scoring. */
export interface AttributedRecord {
  receiver: number;
  sender: number;
  record: ScoredRecord;
}

/** A detection: receiver device saw sender device on a UTC day with at least the rule's alert minutes. */
export interface Detection {
  receiver: number;
  sender: number;
  day: number;
  weightedMinutes: number;
}

/** Recall and precision of one direction under one rule. */
export interface DetectionScore {
  direction: Direction;
  rule: string;
  /** Close contacts (ordered resident pairs per day) where both carry the devices of the direction. */
  contacts: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  /** null when there is nothing to divide by. */
  recall: number | null;
  precision: number | null;
}

/** The sender of a logged ID prefix heard around `time` (Unix s): the one that used it closest in time. */
function senderOf(outcome: SimulationOutcome, prefix: number, time: number): { sender: number; txPower: number | null } | null {
  const list = outcome.senders.get(prefix);
  if (!list) return null;
  let best = list[0]!;
  for (const s of list) if (Math.abs(s.time / 1000 - time) < Math.abs(best.time / 1000 - time)) best = s;
  return best;
}

/**
 * Every record the receivers kept, attributed: tag log rows (attenuation = reported TX power − mean RSSI,
 * minutes = duration + the tags' scan period, as the gateway scores them) and phone scans (attenuation
 * with the phone's RSSI correction, as GAEN computes it; minutes = the time since the app's last scan).
 */
export function attributedRecords(outcome: SimulationOutcome): AttributedRecord[] {
  const out: AttributedRecord[] = [];
  for (const tag of outcome.tags) {
    for (const row of outcome.tagLogs.get(tag.id) ?? []) {
      const s = senderOf(outcome, row.prefix, row.firstSeen);
      if (!s) continue;
      const tx = s.txPower ?? DEFAULT_BLUEZONE_TX_POWER_DBM;
      out.push({ receiver: tag.id, sender: s.sender, record: { time: row.firstSeen, minutes: row.durationMin + DEFAULT_SCAN_PERIOD_MINUTES, attenuation: tx - row.rssiMean } });
    }
  }
  for (const phone of outcome.phones) {
    for (let row = 0; row < phone.log.length; row++) {
      const sighting = phone.log.at(row);
      const time = sighting.scan / 1000;
      const prefix = ((sighting.id[0]! << 24) | (sighting.id[1]! << 16) | (sighting.id[2]! << 8) | sighting.id[3]!) >>> 0;
      const s = senderOf(outcome, prefix, time);
      if (!s) continue;
      out.push({ receiver: phone.id, sender: s.sender, record: phone.scoredRecord(sighting, s.txPower ?? DEFAULT_BLUEZONE_TX_POWER_DBM) });
    }
  }
  return out;
}

/** The detections under `rule`: per (receiver, sender), the gateway's exposures by day that reach the alert. */
export function detections(records: readonly AttributedRecord[], rule: RiskRule): Detection[] {
  const groups = new Map<string, AttributedRecord[]>();
  for (const r of records) {
    const key = `${r.receiver}/${r.sender}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(r);
  }
  const out: Detection[] = [];
  for (const group of groups.values()) {
    const { receiver, sender } = group[0]!;
    for (const e of exposuresOf(rule, receiver, sender, group.map((g) => g.record))) {
      if (e.weightedMinutes >= rule.alertWeightedMinutes) out.push({ receiver, sender, day: e.day, weightedMinutes: e.weightedMinutes });
    }
  }
  return out;
}

/** The direction of a (receiver, sender) pair of devices. */
export function directionOf(receiver: AirDevice, sender: AirDevice): Direction | null {
  if (receiver.kind === "tag" && sender.kind === "tag") return "tagTag";
  if (receiver.kind === "phone" && sender.kind === "tag") return "tagToPhone";
  if (receiver.kind === "tag" && sender.kind === "phone") return "phoneToTag";
  return null;
}

/** Recall and precision per direction: detections (device pairs) lifted to resident pairs, against close contacts. */
export function scoreDetections(outcome: SimulationOutcome, found: readonly Detection[], rule: string): DetectionScore[] {
  const residents = outcome.world.residents;
  const carries = (resident: number, kind: "tag" | "phone") => (kind === "tag" ? residents[resident]!.devices.tag : residents[resident]!.devices.phone !== null);
  const kinds: Record<Direction, ["tag" | "phone", "tag" | "phone"]> = { tagTag: ["tag", "tag"], tagToPhone: ["phone", "tag"], phoneToTag: ["tag", "phone"] };
  return DIRECTIONS.map((direction) => {
    const [rKind, sKind] = kinds[direction];
    const truth = new Set<string>();
    for (const c of outcome.contacts) {
      for (const [r, s] of [
        [c.a, c.b],
        [c.b, c.a],
      ] as const) {
        if (carries(r, rKind) && carries(s, sKind)) truth.add(`${r}/${s}/${c.day}`);
      }
    }
    const detected = new Set<string>();
    for (const d of found) {
      const receiver = outcome.devices[d.receiver]!;
      const sender = outcome.devices[d.sender]!;
      if (directionOf(receiver, sender) === direction) detected.add(`${receiver.resident}/${sender.resident}/${d.day}`);
    }
    let truePositives = 0;
    for (const key of detected) if (truth.has(key)) truePositives++;
    const falsePositives = detected.size - truePositives;
    const falseNegatives = truth.size - truePositives;
    return {
      direction,
      rule,
      contacts: truth.size,
      truePositives,
      falsePositives,
      falseNegatives,
      recall: truth.size > 0 ? truePositives / truth.size : null,
      precision: detected.size > 0 ? truePositives / detected.size : null,
    };
  });
}

/** Count, mean and quantiles of a list of numbers. */
export interface Summary {
  count: number;
  mean: number | null;
  median: number | null;
  p95: number | null;
  min: number | null;
  max: number | null;
}

/** Summary of `values` (nulls when empty). */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) return { count: 0, mean: null, median: null, p95: null, min: null, max: null };
  const sorted = values.slice().sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { count: values.length, mean: values.reduce((a, b) => a + b, 0) / values.length, median: at(0.5), p95: at(0.95), min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

/** Hours in an average month, for battery life. */
const HOURS_PER_MONTH = (365.25 * 24) / 12;
/** The design's reference batteries, mAh: a CR2032 coin cell and a 1000 mAh cell. */
export const REFERENCE_BATTERIES_MAH = { cr2032: 230, cell1000: 1000 };

/** One tag's power figures. */
export interface TagPower {
  tag: number;
  resident: number;
  averageMicroAmps: number;
  breakdown: PowerReport["breakdown"];
  /** Months on a CR2032 and on a 1000 mAh cell at this average. */
  monthsCr2032: number;
  months1000mAh: number;
}

/** Power per tag from the runtime's meters. */
export function tagPower(outcome: SimulationOutcome): TagPower[] {
  return outcome.tags.map((tag) => {
    const report = outcome.power.get(tag.id)!;
    const months = (mAh: number) => (mAh * 1000) / report.averageMicroAmps / HOURS_PER_MONTH;
    return {
      tag: tag.id,
      resident: tag.resident,
      averageMicroAmps: report.averageMicroAmps,
      breakdown: report.breakdown,
      monthsCr2032: months(REFERENCE_BATTERIES_MAH.cr2032),
      months1000mAh: months(REFERENCE_BATTERIES_MAH.cell1000),
    };
  });
}

/** One tag's log and Storage at the end. */
export interface TagStorage {
  tag: number;
  /** Encounter records in its log. */
  records: number;
  /** Records per day of the run. */
  recordsPerDay: number;
  /** Storage in use (files and not yet compacted trash) over its size, at the last daily sample. */
  storageFill: number;
}

/** Log and Storage use per tag. */
export function tagStorage(outcome: SimulationOutcome): TagStorage[] {
  return outcome.tags.map((tag) => {
    const records = (outcome.tagLogs.get(tag.id) ?? []).length;
    const samples = outcome.storage.get(tag.id) ?? [];
    const last = samples[samples.length - 1];
    return { tag: tag.id, records, recordsPerDay: records / outcome.scenario.days, storageFill: last ? last.usedBytes / last.totalBytes : 0 };
  });
}

/** Truth figures of a run. */
export interface TruthSummary {
  residents: number;
  tags: number;
  gaenPhones: number;
  bluezonePhones: number;
  nothing: number;
  closeContacts: number;
  closeContactsPerDay: number;
  infections: number;
  diagnosed: number;
  published: number;
}

/** Who carries what, and how many close contacts and cases the run had. */
export function truthSummary(outcome: SimulationOutcome): TruthSummary {
  const r = outcome.world.residents;
  const days = (outcome.world.end - outcome.world.start) / DAY_S;
  return {
    residents: r.length,
    tags: r.filter((x) => x.devices.tag).length,
    gaenPhones: r.filter((x) => x.devices.phone === "gaen").length,
    bluezonePhones: r.filter((x) => x.devices.phone === "bluezone").length,
    nothing: r.filter((x) => !x.devices.tag && x.devices.phone === null).length,
    closeContacts: outcome.contacts.length,
    closeContactsPerDay: outcome.contacts.length / days,
    infections: outcome.infections.length,
    diagnosed: outcome.infections.filter((i) => i.diagnosedAt !== null).length,
    published: outcome.infections.filter((i) => i.publishedAt !== null).length,
  };
}

/** Syncs of a run: how many of each kind, how they ended, how long the collection points' took. */
export interface SyncSummary {
  byKind: Record<string, number>;
  failed: number;
  /** Virtual seconds of each sync at a collection point, and of the desk syncs at the end (whole logs). */
  collectionDurationS: Summary;
  finalDurationS: Summary;
  /** Records uploaded per collection sync. */
  collectionRecords: Summary;
  /** Tags synced at a collection point at least once during the run. */
  tagsSyncedAtCollection: number;
}

/** The syncs' figures. */
export function syncSummary(outcome: SimulationOutcome): SyncSummary {
  const byKind: Record<string, number> = {};
  for (const s of outcome.syncs) byKind[s.kind] = (byKind[s.kind] ?? 0) + 1;
  const collection = outcome.syncs.filter((s) => s.kind === "collection" && s.outcome === "ok");
  return {
    byKind,
    failed: outcome.syncs.filter((s) => s.outcome !== "ok").length,
    collectionDurationS: summarize(collection.map((s) => s.durationS)),
    finalDurationS: summarize(outcome.syncs.filter((s) => s.kind === "desk" && s.outcome === "ok").map((s) => s.durationS)),
    collectionRecords: summarize(collection.map((s) => s.received)),
    tagsSyncedAtCollection: new Set(collection.map((s) => s.tagId)).size,
  };
}

/** A notification, with its delay and whether ground truth backs it. */
export interface NotificationRow {
  case: number;
  resident: number;
  how: string;
  /** Hours from the case's diagnosis. */
  delayHours: number;
  /** The two had a close contact in the 14 days before the case's keys were published. */
  closeContact: boolean;
}

/** Diagnosis to notification, and how many of the cases' close contacts were told. */
export interface NotificationSummary {
  /** Cases whose keys were published during the run. */
  published: number;
  notifications: NotificationRow[];
  delayHours: Summary;
  /**
   * Close contacts of published cases (14 days before publication) that a tag is part of: the contact
   * wears one, or the case does and the contact runs an app. (Phone-to-phone is the apps' own business,
   * which the simulator does not model.)
   */
  reachableContacts: number;
  /** Of those, notified by any route. */
  notifiedContacts: number;
  coverage: number | null;
}

/** Notifications against the published cases' close contacts. */
export function notificationSummary(outcome: SimulationOutcome): NotificationSummary {
  const residents = outcome.world.residents;
  const reachable = (c: number, r: number) => residents[r]!.devices.tag || (residents[c]!.devices.tag && residents[r]!.devices.phone !== null);
  const contactsOf = new Map<number, Set<number>>();
  for (const p of outcome.publications) {
    const infection = outcome.infections.find((i) => i.resident === p.case);
    const until = p.at / 1000;
    const set = contactsOf.get(p.case) ?? new Set<number>();
    for (const c of outcome.contacts) {
      if (c.first < until - 14 * DAY_S || c.first >= until) continue;
      if (c.a === p.case) set.add(c.b);
      if (c.b === p.case) set.add(c.a);
    }
    if (infection) contactsOf.set(p.case, set);
  }
  const rows: NotificationRow[] = outcome.notifications.map((n) => {
    const diagnosed = outcome.infections.find((i) => i.resident === n.case)?.diagnosedAt ?? n.at / 1000;
    return { case: n.case, resident: n.resident, how: n.how, delayHours: (n.at / 1000 - diagnosed) / 3600, closeContact: contactsOf.get(n.case)?.has(n.resident) ?? false };
  });
  let reachableContacts = 0;
  let notifiedContacts = 0;
  for (const [c, contacts] of contactsOf) {
    for (const r of contacts) {
      if (!reachable(c, r)) continue;
      reachableContacts++;
      if (rows.some((n) => n.case === c && n.resident === r)) notifiedContacts++;
    }
  }
  // The first notification of each (case, resident) counts for the delay.
  const first = new Map<string, NotificationRow>();
  for (const n of rows) if (!first.has(`${n.case}/${n.resident}`)) first.set(`${n.case}/${n.resident}`, n);
  return {
    published: new Set(outcome.publications.map((p) => p.case)).size,
    notifications: rows,
    delayHours: summarize([...first.values()].map((n) => n.delayHours)),
    reachableContacts,
    notifiedContacts,
    coverage: reachableContacts > 0 ? notifiedContacts / reachableContacts : null,
  };
}
