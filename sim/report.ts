/**
 * The outputs of a run: `result.json` (everything measured, the same for the same seed), a console summary
 * table, and a self-contained HTML report with plots and the radio parameters with their sources. How fast
 * the run went is kept apart (`performance.json`), since wall time differs between identical runs.
 */
import { writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { PowerComponent } from "./espruino/power";
import { POWER_COMPONENTS } from "./espruino/power";
import { escapeXml, groupedBars, histogram, lines } from "./charts";
import {
  notificationSummary,
  NotificationSummary,
  syncSummary,
  SyncSummary,
  attributedRecords,
  DetectionScore,
  detections,
  DIRECTION_LABELS,
  DIRECTIONS,
  scoreDetections,
  SCORING_RULES,
  summarize,
  Summary,
  tagPower,
  TagPower,
  tagStorage,
  TagStorage,
  truthSummary,
  TruthSummary,
} from "./metrics";
import type { RiskRule } from "../tools/gateway/risk-rule";
import { pathLossDb, RADIO_PARAMETERS, RadioParameterName } from "./radio";
import { CONNECTION_INTERVAL_MS } from "./gateway";
import { SimulationOutcome } from "./simulation";

/** Everything a run measured; deterministic for a scenario and seed. */
export interface SimulationResult {
  scenario: { name: string; startDate: string; days: number; residents: number; seed: string };
  population: TruthSummary;
  detection: DetectionScore[];
  power: { summary: Summary; breakdownMeanMicroAmps: Record<PowerComponent, number>; perTag: TagPower[] };
  storage: { recordsPerDay: Summary; storageFill: Summary; perTag: TagStorage[] };
  syncs: SyncSummary & { perSync: { tagId: string; kind: string; at: number; durationS: number; received: number; outcome: string }[] };
  notifications: NotificationSummary;
  deliveries: { toTags: number; acceptedByTags: number; phoneScanRecords: number };
  radio: { name: RadioParameterName; value: number; unit: string; label: string; source: string }[];
}

/** How fast a run went (not part of result.json). */
export interface Performance {
  wallSeconds: number;
  tagHours: number;
  tagHoursPerSecond: number;
  peakRssMb: number;
}

/** The result of a finished run. */
export function buildResult(outcome: SimulationOutcome): SimulationResult {
  const s = outcome.scenario;
  const records = attributedRecords(outcome);
  const detection = SCORING_RULES.flatMap(({ id, rule }) => scoreDetections(outcome, detections(records, rule), id));
  const power = tagPower(outcome);
  const breakdownMeanMicroAmps = {} as Record<PowerComponent, number>;
  for (const c of POWER_COMPONENTS) breakdownMeanMicroAmps[c] = power.length ? power.reduce((a, p) => a + p.breakdown[c], 0) / power.length : 0;
  const storage = tagStorage(outcome);
  return {
    scenario: { name: s.name, startDate: s.startDate, days: s.days, residents: s.residents, seed: outcome.seed },
    population: truthSummary(outcome),
    detection,
    power: { summary: summarize(power.map((p) => p.averageMicroAmps)), breakdownMeanMicroAmps, perTag: power },
    storage: { recordsPerDay: summarize(storage.map((t) => t.recordsPerDay)), storageFill: summarize(storage.map((t) => t.storageFill)), perTag: storage },
    syncs: { ...syncSummary(outcome), perSync: outcome.syncs.map((x) => ({ tagId: x.tagId, kind: x.kind, at: x.at, durationS: x.durationS, received: x.received, outcome: x.outcome })) },
    notifications: notificationSummary(outcome),
    deliveries: {
      toTags: outcome.tags.reduce((a, t) => a + t.delivered, 0),
      acceptedByTags: outcome.tags.reduce((a, t) => a + t.accepted, 0),
      phoneScanRecords: outcome.phones.reduce((a, p) => a + p.log.length, 0),
    },
    radio: (Object.keys(RADIO_PARAMETERS) as RadioParameterName[]).map((name) => ({ name, ...RADIO_PARAMETERS[name] })),
  };
}

/** "1 day", "14 days". */
function days(n: number): string {
  return `${n} day${n === 1 ? "" : "s"}`;
}

/** A number for tables: `digits` significant digits, or "—". */
function fmt(v: number | null | undefined, digits = 3): string {
  return v === null || v === undefined || !Number.isFinite(v) ? "—" : String(Number(v.toPrecision(digits)));
}

/** A plain-text table with aligned columns. */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/** A rule in one line: its weights by attenuation, its window filter and its alert threshold. */
function ruleSummary(rule: RiskRule): string {
  let from = 0;
  const weights = rule.weights.map((w) => {
    const bucket = `${from}–${w.below} dB ×${w.weight}`;
    from = w.below;
    return bucket;
  });
  return `${weights.join(", ")}; windows of ${rule.windowMinutes} min with under ${rule.minWindowMinutes} min below ${rule.filterBelowDb} dB dropped; alert from ${rule.alertWeightedMinutes} weighted minutes a day`;
}

/** The console summary: population, detection per direction and rule, power, storage, speed. */
export function consoleSummary(result: SimulationResult, performance: Performance): string {
  const p = result.population;
  const out: string[] = [];
  out.push(`${result.scenario.name}: ${p.residents} residents over ${days(result.scenario.days)} from ${result.scenario.startDate} (seed ${result.scenario.seed})`);
  out.push(`carrying: ${p.tags} tags, ${p.gaenPhones} GAEN phones, ${p.bluezonePhones} Bluezone phones, ${p.nothing} nothing`);
  out.push(`ground truth: ${p.closeContacts} close contacts (${fmt(p.closeContactsPerDay)} a day); ${p.infections} infections, ${p.diagnosed} diagnosed, ${p.published} with keys published`);
  out.push("");
  out.push(
    textTable(
      ["direction", "rule", "contacts", "detected", "false pos.", "recall", "precision"],
      result.detection.map((d) => [DIRECTION_LABELS[d.direction], d.rule, String(d.contacts), String(d.truePositives), String(d.falsePositives), fmt(d.recall), fmt(d.precision)])
    )
  );
  out.push("");
  const ps = result.power.summary;
  const ss = result.storage;
  out.push(
    textTable(
      ["figure", "mean", "median", "p95", "max"],
      [
        ["average current per tag (µA)", fmt(ps.mean), fmt(ps.median), fmt(ps.p95), fmt(ps.max)],
        ["encounter records per tag per day", fmt(ss.recordsPerDay.mean), fmt(ss.recordsPerDay.median), fmt(ss.recordsPerDay.p95), fmt(ss.recordsPerDay.max)],
        ["Storage fill per tag", fmt(ss.storageFill.mean), fmt(ss.storageFill.median), fmt(ss.storageFill.p95), fmt(ss.storageFill.max)],
      ]
    )
  );
  const sy = result.syncs;
  const no = result.notifications;
  out.push("");
  out.push(
    textTable(
      ["figure", "mean", "median", "p95", "max"],
      [
        [`sync at a collection point (s), ${sy.collectionDurationS.count} syncs`, fmt(sy.collectionDurationS.mean), fmt(sy.collectionDurationS.median), fmt(sy.collectionDurationS.p95), fmt(sy.collectionDurationS.max)],
        [`sync of a whole log at the end (s), ${sy.finalDurationS.count} syncs`, fmt(sy.finalDurationS.mean), fmt(sy.finalDurationS.median), fmt(sy.finalDurationS.p95), fmt(sy.finalDurationS.max)],
        [`diagnosis to notification (h), ${no.delayHours.count} notified`, fmt(no.delayHours.mean), fmt(no.delayHours.median), fmt(no.delayHours.p95), fmt(no.delayHours.max)],
      ]
    )
  );
  out.push(`${sy.tagsSyncedAtCollection} of ${p.tags} tags synced at a collection point; ${sy.failed} syncs failed.`);
  out.push(`${no.published} cases published keys; ${no.notifiedContacts} of their ${no.reachableContacts} close contacts a tag is part of were notified (coverage ${fmt(no.coverage)}).`);
  out.push("");
  out.push(`${fmt(performance.tagHours, 6)} tag-hours in ${fmt(performance.wallSeconds)} s: ${fmt(performance.tagHoursPerSecond)} tag-hours/s; peak RSS ${fmt(performance.peakRssMb)} MB`);
  return out.join("\n");
}

/** Mean RSSI against distance for the report's radio plot: the model's mean, no walls, by bodies in the way. */
function rssiCurves(): { name: string; points: [number, number][] }[] {
  const values = Object.fromEntries(Object.entries(RADIO_PARAMETERS).map(([k, v]) => [k, v.value])) as Record<RadioParameterName, number>;
  const tagEirp = 0 + values.tagAntennaGain;
  const curves: { name: string; points: [number, number][] }[] = [];
  for (const bodies of [0, 1, 2]) {
    const points: [number, number][] = [];
    for (let d = 0.5; d <= 10; d += 0.25) points.push([d, tagEirp + values.tagAntennaGain - pathLossDb(values, d, values.pathLossResidential) - bodies * values.bodyLoss]);
    curves.push({ name: `tag → tag, ${bodies} bod${bodies === 1 ? "y" : "ies"}`, points });
  }
  return curves;
}

/** The HTML report: summary tables, plots, radio parameters with sources. */
export function htmlReport(result: SimulationResult, performance: Performance): string {
  const p = result.population;
  const rules = SCORING_RULES.map((r) => r.id);
  const byRule = (metric: "recall" | "precision") =>
    rules.map((rule) => ({ name: `${metric}, ${rule} rule`, values: DIRECTIONS.map((d) => result.detection.find((x) => x.direction === d && x.rule === rule)?.[metric] ?? null) }));
  const detectionRows = result.detection
    .map((d) => `<tr><td>${DIRECTION_LABELS[d.direction]}</td><td>${d.rule}</td><td>${d.contacts}</td><td>${d.truePositives}</td><td>${d.falsePositives}</td><td>${d.falseNegatives}</td><td>${fmt(d.recall)}</td><td>${fmt(d.precision)}</td></tr>`)
    .join("");
  const breakdown = POWER_COMPONENTS.map((c) => `<tr><td>${c}</td><td>${fmt(result.power.breakdownMeanMicroAmps[c])}</td></tr>`).join("");
  const radioRows = result.radio
    .map((r) => `<tr><td><code>${r.name}</code></td><td>${escapeXml(r.label)}</td><td>${fmt(r.value, 4)} ${escapeXml(r.unit)}</td><td>${escapeXml(r.source)}</td></tr>`)
    .join("");
  const ps = result.power.summary;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>zonetag simulation: ${escapeXml(result.scenario.name)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:1180px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3}.grid{display:flex;flex-wrap:wrap;gap:1em}.grid figure{margin:0}figcaption{font-size:.9em;color:#555}
code{font-size:.9em}
</style></head><body>
<h1>zonetag simulation: ${escapeXml(result.scenario.name)}</h1>
<p>${p.residents} residents over ${days(result.scenario.days)} from ${escapeXml(result.scenario.startDate)}, seed <code>${escapeXml(result.scenario.seed)}</code>.
Carrying: ${p.tags} tags, ${p.gaenPhones} GAEN phones, ${p.bluezonePhones} Bluezone phones; ${p.nothing} residents carry nothing.
Ground truth: ${p.closeContacts} close contacts (≤ 2 m, ≥ 15 minutes in a UTC day; ${fmt(p.closeContactsPerDay)} a day), ${p.infections} infections, ${p.diagnosed} diagnosed, ${p.published} with keys published.</p>
<p>Run: ${fmt(performance.tagHours, 6)} tag-hours in ${fmt(performance.wallSeconds)} s (${fmt(performance.tagHoursPerSecond)} tag-hours/s), peak RSS ${fmt(performance.peakRssMb)} MB.</p>

<h2>Close-contact detection</h2>
<p>A pair of residents is detected on a day when the receiver's records of the sender, scored by the gateway's exposure scoring, reach the rule's alert threshold.
Tag records are the tags' encounter logs as a sync uploads them; phone records are the apps' scans.</p>
<ul>${SCORING_RULES.map(({ id, rule }) => `<li><b>${escapeXml(id)}</b> (${escapeXml(rule.name)}): ${escapeXml(ruleSummary(rule))}</li>`).join("")}</ul>
<table><tr><th>direction</th><th>rule</th><th>close contacts</th><th>detected</th><th>false positives</th><th>missed</th><th>recall</th><th>precision</th></tr>${detectionRows}</table>
<div class="grid">
<figure>${groupedBars("Recall", DIRECTIONS.map((d) => DIRECTION_LABELS[d]), byRule("recall"), "recall", 1)}<figcaption>Recall per direction and rule</figcaption></figure>
<figure>${groupedBars("Precision", DIRECTIONS.map((d) => DIRECTION_LABELS[d]), byRule("precision"), "precision", 1)}<figcaption>Precision per direction and rule</figcaption></figure>
</div>

<h2>Tags: power and storage</h2>
<p>Average current per tag (from the host runtime's power accounting): mean ${fmt(ps.mean)} µA, median ${fmt(ps.median)}, p95 ${fmt(ps.p95)}, max ${fmt(ps.max)}.</p>
<table><tr><th>component</th><th>mean µA</th></tr>${breakdown}</table>
<div class="grid">
<figure>${histogram("Average current per tag", result.power.perTag.map((t) => t.averageMicroAmps), "µA")}<figcaption>Average current per tag</figcaption></figure>
<figure>${histogram("Battery life on a CR2032", result.power.perTag.map((t) => t.monthsCr2032), "months")}<figcaption>Months on a CR2032 (230 mAh) at each tag's average</figcaption></figure>
<figure>${histogram("Encounter records per day", result.storage.perTag.map((t) => t.recordsPerDay), "records per day")}<figcaption>Encounter records a tag logs per day</figcaption></figure>
<figure>${histogram("Storage fill", result.storage.perTag.map((t) => t.storageFill), "fraction of Storage in use at the end")}<figcaption>Storage in use per tag at the end of the run</figcaption></figure>
</div>

<h2>Syncs</h2>
<p>${result.syncs.tagsSyncedAtCollection} of ${p.tags} tags were synced at a collection point during the run (${result.syncs.byKind.collection ?? 0} syncs; the hall opens on collection days).
At the end every tag is synced once more at the desk, so that the gateway holds every log. ${result.syncs.failed} syncs failed.</p>
<div class="grid">
<figure>${histogram("Sync duration at a collection point", result.syncs.perSync.filter((x) => x.kind === "collection" && x.outcome === "ok").map((x) => x.durationS), "seconds")}<figcaption>Virtual duration of each collection-point sync (connection events of ${CONNECTION_INTERVAL_MS} ms)</figcaption></figure>
<figure>${histogram("Whole-log sync at the end", result.syncs.perSync.filter((x) => x.kind === "desk" && x.outcome === "ok").map((x) => x.durationS), "seconds")}<figcaption>The last sync of each tag, at the desk</figcaption></figure>
</div>

<h2>Diagnosis to notification</h2>
<p>${result.notifications.published} cases published their keys (tags: read at the desk with consent and published by the gateway; phones: uploaded by the app).
The gateway imports and matches every morning; phones check once a day. ${result.notifications.notifiedContacts} of the ${result.notifications.reachableContacts} close contacts of those cases that a tag is part of (the contact wears one, or the case does and the contact runs an app) were notified.</p>
<table><tr><th>case</th><th>resident</th><th>how</th><th>hours after diagnosis</th><th>close contact in truth</th></tr>${result.notifications.notifications
    .map((n) => `<tr><td>${n.case}</td><td>${n.resident}</td><td>${escapeXml(n.how)}</td><td>${fmt(n.delayHours)}</td><td>${n.closeContact ? "yes" : "no"}</td></tr>`)
    .join("")}</table>
<div class="grid"><figure>${histogram("Diagnosis to notification", result.notifications.notifications.map((n) => n.delayHours), "hours")}<figcaption>Hours from a case's diagnosis to each notification</figcaption></figure></div>

<h2>Radio model</h2>
<div class="grid"><figure>${lines("Mean RSSI against distance", rssiCurves(), "distance (m)", "mean RSSI (dBm)")}<figcaption>Model mean (before shadowing and fading), residential, no wall</figcaption></figure></div>
<table><tr><th>parameter</th><th>meaning</th><th>value</th><th>source</th></tr>${radioRows}</table>
</body></html>
`;
}

/** Writes result.json, performance.json and report.html into `dir`; returns their paths. */
export function writeOutputs(dir: string, result: SimulationResult, performance: Performance): { result: string; performance: string; report: string } {
  mkdirSync(dir, { recursive: true });
  const paths = { result: join(dir, "result.json"), performance: join(dir, "performance.json"), report: join(dir, "report.html") };
  writeFileSync(paths.result, JSON.stringify(result, null, 2) + "\n");
  writeFileSync(paths.performance, JSON.stringify(performance, null, 2) + "\n");
  writeFileSync(paths.report, htmlReport(result, performance));
  return paths;
}
