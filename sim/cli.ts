/**
 * `npm run sim -- --scenario commune --tags N --days D --seed S --out DIR`: runs a scenario with the real
 * firmware bundle, shows progress, prints the summary table and writes result.json, performance.json and
 * report.html into the output folder, with the run's gateway data (gateway/, open it with the gateway's
 * CLI) and the key files it published (published-keys/).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { SingleBar, Presets } from "cli-progress";
import { applyOverrides, bundledScenarios, DEFAULT_SEED, isScenarioErrors, loadScenario, MAX_DAYS, MAX_RESIDENTS } from "./scenario";
import { gatewayDirs } from "./gateway";
import { bundleBootError, bundleTagFactory, simulate } from "./simulation";
import { buildResult, consoleSummary, Performance, writeOutputs } from "./report";

/** The firmware as uploaded to tags: the pretokenised bytes EspruinoTools stores as .bootcde (npm run build). */
const DEFAULT_BUNDLE = "dist/tag.bootcde";
/** The file that makes a folder the simulator's: a rerun replaces what is in it. Other folders are left alone. */
const OUTPUT_MARK = ".zonetag-simulation";

/** A parser for an integer option within [min, max]. */
function integer(name: string, min: number, max: number): (value: string) => number {
  return (value) => {
    if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError(`${name} must be a whole number (got "${value}")`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`${name} must be between ${min} and ${max} (got ${n})`);
    return n;
  };
}

/** Command-line options after parsing. */
interface CliOptions {
  scenario: string;
  tags?: number;
  days?: number;
  residents?: number;
  seed: string;
  out?: string;
  bundle: string;
  progress: boolean;
}

/** Parses arguments, runs the simulation, writes the outputs; returns the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command()
    .name("npm run sim --")
    .description("Run the zonetag commune simulator: the real firmware bundle on virtual tags, phones, radio and ground truth.")
    .option("-s, --scenario <name|file.json>", `scenario: ${bundledScenarios().join(", ")}, or a path to a scenario file`, "commune")
    .option("-t, --tags <count>", "hand out exactly this many tags (residents without a phone app first, elderly first)", integer("--tags", 0, MAX_RESIDENTS))
    .option("-d, --days <count>", "days to simulate", integer("--days", 1, MAX_DAYS))
    .option("-r, --residents <count>", "residents of the commune", integer("--residents", 2, MAX_RESIDENTS))
    .option("--seed <text>", "seed: the same seed gives the same result.json", DEFAULT_SEED)
    .option("-o, --out <dir>", "output folder (default out/<scenario>-<seed>)")
    .option("--bundle <file>", "firmware the tags run: the uploaded .bootcde, or a .js bundle that fits the tag's Storage (dist/tag.min.js)", DEFAULT_BUNDLE)
    .option("--no-progress", "no progress bar")
    .showHelpAfterError()
    .exitOverride();
  try {
    program.parse(argv as string[], { from: "user" });
  } catch (error) {
    return (error as { exitCode?: number }).exitCode ?? 1;
  }
  const options = program.opts<CliOptions>();
  if (options.seed.trim() === "") return fail("--seed must not be empty");
  const loaded = loadScenario(options.scenario);
  if (isScenarioErrors(loaded)) return fail(loaded.errors.join("\n  "));
  const scenario = applyOverrides(loaded, { days: options.days, residents: options.residents, tags: options.tags });
  if (isScenarioErrors(scenario)) return fail(scenario.errors.join("\n"));
  if (!existsSync(options.bundle)) return fail(`firmware bundle ${options.bundle} not found: run "npm run build" first, or give --bundle`);
  // A .bootcde is bytes (pretokenised); a .js file is source text.
  const bundle = options.bundle.endsWith(".js") ? readFileSync(options.bundle, "utf8") : new Uint8Array(readFileSync(options.bundle));
  const bootError = bundleBootError(bundle);
  if (bootError !== null) return fail(`firmware bundle ${options.bundle} does not boot: ${bootError}`);
  const out = resolve(options.out ?? `out/${scenario.name}-${options.seed.replace(/[^A-Za-z0-9._-]/g, "_")}`);
  const outProblem = outputFolderProblem(out);
  if (outProblem !== null) return fail(outProblem);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, OUTPUT_MARK), "The outputs of a zonetag simulation (npm run sim): the next run into this folder replaces them.\n");
  // The run's gateway keeps its data and the keys it published in the output folder, fresh each run.
  for (const dir of Object.values(gatewayDirs(out))) rmSync(dir, { recursive: true, force: true });

  // Not on a terminal (a log, CI, the bench's large run) the bar becomes a line a minute.
  const bar = new SingleBar(
    { format: "simulating |{bar}| {percentage}% | day {day}/{days} | ETA {eta_formatted}", hideCursor: true, noTTYOutput: true, notTTYSchedule: 60_000 },
    Presets.shades_classic,
  );
  const showProgress = options.progress;
  if (showProgress) bar.start(1, 0, { day: 0, days: scenario.days });
  const outcome = await simulate({
    scenario,
    seed: options.seed,
    tagFactory: bundleTagFactory(bundle),
    workDir: out,
    onProgress: (done, total) => {
      if (showProgress) bar.update(done / total, { day: Math.floor((done / total) * scenario.days), days: scenario.days });
    },
  });
  if (showProgress) bar.stop();
  const result = buildResult(outcome);
  const performance: Performance = {
    wallSeconds: outcome.wallSeconds,
    tagHours: outcome.tagHours,
    tagHoursPerSecond: outcome.tagHours / outcome.wallSeconds,
    // The process's peak resident set (maxRSS, in KiB), whenever it was reached.
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
  console.log(consoleSummary(result, performance));
  const paths = writeOutputs(out, result, performance);
  console.log(`\nwrote ${paths.result}\n      ${paths.report}`);
  return 0;
}

/** Why the run must not write into `dir` (it holds something other than an earlier run's outputs), or null. */
function outputFolderProblem(dir: string): string | null {
  if (!existsSync(dir)) return null;
  if (!statSync(dir).isDirectory()) return `--out ${dir} is a file, not a folder`;
  const entries = readdirSync(dir);
  // An earlier run's: marked when it started, or (written before the mark) with its result.json.
  if (entries.length === 0 || entries.includes(OUTPUT_MARK) || entries.includes("result.json")) return null;
  return `--out ${dir} is not empty and holds no simulator outputs (no ${OUTPUT_MARK}): the run would replace its gateway/ and published-keys/; give an empty or new folder`;
}

function fail(message: string): number {
  console.error(`error: ${message}`);
  return 2;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      console.error(error instanceof Error ? error.stack ?? error.message : error);
      process.exit(1);
    }
  );
}
