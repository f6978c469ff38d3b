/**
 * Figures of the simulator running the real bundle: average current per tag, close-contact detection and
 * simulation speed in the default scenario (the whole of it, as npm start runs it: about a minute), and days
 * of log the busiest 5 % of residents fill in the market scenario (2 of its 21 days; the label says so).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_LOG_BUDGET_BYTES, logDaysRetained } from "../firmware/encounter-log";
import { buildResult } from "../sim/report";
import { applyOverrides, DEFAULT_SEED, isScenarioErrors, loadScenario, Scenario } from "../sim/scenario";
import { bundleTagFactory, simulate } from "../sim/simulation";
import { Figure } from "./figure";

/** Days of the market scenario the bench runs (the scenario has 21); the commune runs whole, as npm start does. */
const MARKET_DAYS = 2;
const SEED = "bench";

/** A bundled scenario, shortened to `days` unless null. */
function scenario(name: string, days: number | null): Scenario {
  const loaded = loadScenario(name);
  if (isScenarioErrors(loaded)) throw new Error(`scenario ${name}: ${JSON.stringify(loaded)}`);
  if (days === null) return loaded;
  const shortened = applyOverrides(loaded, { days });
  if (isScenarioErrors(shortened)) throw new Error(`scenario ${name}: ${JSON.stringify(shortened)}`);
  return shortened;
}

/** The 95th percentile of `values`. */
function p95(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(0.95 * sorted.length))];
}

export async function simulationFigures(): Promise<Figure[]> {
  const bundle = new Uint8Array(readFileSync("dist/tag.bootcde"));
  // The default scenario exactly as `npm start` runs it: its figures are the report's.
  const defaultScenario = scenario("commune", null);
  const commune = await simulate({ scenario: defaultScenario, seed: DEFAULT_SEED, tagFactory: bundleTagFactory(bundle) });
  const run = `default commune, ${defaultScenario.days} d`;
  const result = buildResult(commune);
  const breakdown = Object.entries(result.power.breakdownMeanMicroAmps)
    .filter(([, microAmps]) => microAmps >= 0.05)
    .map(([component, microAmps]) => `${component} ${microAmps.toFixed(1)}`)
    .join(", ");
  const score = (direction: string, rule: string, what: "recall" | "precision") =>
    result.detection.find((d) => d.direction === direction && d.rule === rule)?.[what] ?? null;
  const figures: Figure[] = [];
  const meanMicroAmps = result.power.summary.mean;
  if (meanMicroAmps !== null) {
    figures.push({ id: "avg_current_uA", label: `average current per tag, ${run} (${breakdown})`, value: meanMicroAmps, unit: "µA", budget: 50, better: "lower" });
  }
  const detectionRows: [string, string, "recall" | "precision", number | null, "lower" | "higher"][] = [
    ["recall_tag_tag", "zonetag", "recall", 0.95, "higher"],
    ["precision_tag_tag", "zonetag", "precision", null, "higher"],
    ["recall_cwa_tag_tag", "cwa", "recall", null, "higher"],
    ["precision_cwa_tag_tag", "cwa", "precision", null, "higher"],
  ];
  for (const [id, rule, what, budget, better] of detectionRows) {
    const value = score("tagTag", rule, what);
    if (value !== null && value !== undefined) figures.push({ id, label: `tag↔tag close-contact ${what}, ${rule} rule, ${run}`, value, unit: "", budget, better });
  }
  figures.push({ id: "sim_tag_hours_per_s", label: "simulated tag-hours per wall second, real bundle", value: commune.tagHours / commune.wallSeconds, unit: "tag-h/s", budget: 1000, better: "higher" });

  const market = buildResult(await simulate({ scenario: scenario("market", MARKET_DAYS), seed: SEED, tagFactory: bundleTagFactory(bundle) }));
  const busiest = p95(market.storage.perTag.map((t) => t.recordsPerDay));
  figures.push({
    id: "log_days_24kb",
    label: `days of log in 24 KB for the busiest 5 % (${busiest.toFixed(0)} encounters/day, market ${MARKET_DAYS} d)`,
    value: logDaysRetained(busiest, DEFAULT_LOG_BUDGET_BYTES),
    unit: "days",
    budget: 21,
    better: "higher",
  });
  return figures;
}

/** The large run DESIGN asks for: 1 000 tags (every resident of a 1 000-resident commune) over 14 days. */
export const LARGE_RUN = { residents: 1000, tags: 1000, days: 14 };

/**
 * Peak memory and speed of the large run, in a process of its own (its peak RSS is then the run's alone),
 * through the same command a developer types (`npm run sim`, which gives Node the heap such a run needs).
 */
export async function largeRunFigures(): Promise<Figure[]> {
  const out = mkdtempSync(join(tmpdir(), "zonetag-bench-large-"));
  try {
    const args = ["run", "-s", "sim", "--", "--residents", String(LARGE_RUN.residents), "--tags", String(LARGE_RUN.tags), "--days", String(LARGE_RUN.days), "--seed", SEED, "--out", out];
    const run = spawnSync("npm", args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 26 });
    if (run.status !== 0) throw new Error(`the large run failed (exit ${run.status}): ${run.stdout.slice(-2000)}`);
    const { performance } = JSON.parse(readFileSync(join(out, "result.json"), "utf8")) as { performance: { wallSeconds: number; tagHoursPerSecond: number; peakRssMb: number } };
    const what = `${LARGE_RUN.tags} tags × ${LARGE_RUN.days} days, commune of ${LARGE_RUN.residents}`;
    return [
      { id: "sim_peak_rss_mb", label: `peak memory of the run (${what}; completed in ${(performance.wallSeconds / 60).toFixed(0)} min)`, value: performance.peakRssMb, unit: "MB", budget: null, better: "lower" },
      { id: "sim_tag_hours_per_s_large", label: `simulated tag-hours per wall second, ${what}`, value: performance.tagHoursPerSecond, unit: "tag-h/s", budget: 1000, better: "higher" },
    ];
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
