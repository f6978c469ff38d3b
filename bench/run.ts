/**
 * `npm run bench`: measures every figure DESIGN.md budgets, prints them beside their budgets and writes
 * bench-results.json. A figure that cannot be measured yet is left out, never faked.
 * `npm run bench -- --large` adds the 1 000-tag, 14-day simulation (peak memory; about two hours).
 */
import { writeFileSync } from "node:fs";
import { Command } from "commander";
import { Figure, withinBudget } from "./figure";
import { firmwareFigures } from "./firmware";
import { matchingFigures } from "./matching";
import { LARGE_RUN, largeRunFigures, simulationFigures } from "./simulation";
import { syncFigures } from "./sync";

/** Each measurement group; later groups (sync, matching, simulator) add themselves here. */
const groups: { name: string; measure: () => Promise<Figure[]> }[] = [
  { name: "firmware", measure: firmwareFigures },
  { name: "sync", measure: syncFigures },
  { name: "matching", measure: matchingFigures },
  { name: "simulation", measure: simulationFigures },
];

function formatValue(f: Figure): string {
  return Number.isInteger(f.value) ? String(f.value) : f.value.toPrecision(4);
}

function printTable(figures: Figure[]): void {
  const rows = figures.map((f) => [
    f.id,
    f.label,
    `${formatValue(f)} ${f.unit}`,
    f.budget === null ? "report" : `${f.better === "lower" ? "≤" : "≥"} ${f.budget} ${f.unit}`,
    withinBudget(f) ? "ok" : "OVER BUDGET",
  ]);
  const header = ["id", "figure", "value", "budget", "status"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ");
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) console.log(line(r));
}

async function main(): Promise<void> {
  const program = new Command()
    .name("npm run bench --")
    .option("--large", `also run ${LARGE_RUN.tags} tags × ${LARGE_RUN.days} days for peak memory (about two hours)`)
    .parse();
  const large = program.opts<{ large?: boolean }>().large === true;
  const figures: Figure[] = [];
  for (const g of groups) figures.push(...(await g.measure()));
  if (large) figures.push(...(await largeRunFigures()));
  printTable(figures);
  writeFileSync("bench-results.json", JSON.stringify(figures, null, 2) + "\n");
  const over = figures.filter((f) => !withinBudget(f));
  console.log(`\n${figures.length} figures written to bench-results.json; ${over.length} over budget.`);
  if (!large) console.log(`sim_peak_rss_mb (${LARGE_RUN.tags} tags × ${LARGE_RUN.days} days, about two hours) is measured by npm run bench -- --large.`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
