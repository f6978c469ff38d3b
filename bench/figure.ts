/** One measured benchmark figure, as written to bench-results.json (DESIGN.md, "Benchmarks"). */
export interface Figure {
  id: string;
  label: string;
  value: number;
  unit: string;
  /** The DESIGN.md budget; null where the design asks only for a report. */
  budget: number | null;
  better: "lower" | "higher";
}

/** Whether a figure meets its budget (a report-only figure always does). */
export function withinBudget(f: Figure): boolean {
  if (f.budget === null) return true;
  return f.better === "lower" ? f.value <= f.budget : f.value >= f.budget;
}
