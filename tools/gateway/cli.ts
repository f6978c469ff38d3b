/**
 * The gateway command line (`npm run gateway -- <command>`): a thin layer over the library that parses
 * arguments, shows progress on long work and prints results for staff. Mistakes in what was typed or in a
 * file given end with a one-line message and a non-zero exit code, never a stack trace.
 */
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { SingleBar } from "cli-progress";
import { readFileSync } from "node:fs";
import { userInfo } from "node:os";
import { DAY_SECONDS } from "../../firmware/bluezone";
import { readKeyFile } from "./key-files";
import { matchExposures } from "./matching";
import { DEFAULT_KEY_ID, DEFAULT_KEY_VERSION, DEFAULT_REGION, publishResidentKeys } from "./publish";
import { parseRiskRule, RiskRule } from "./risk-rule";
import { loadVerificationKey } from "./signing-keys";
import { defaultDataDir, GatewayStore, ResidentToCall, TagStatus } from "./store";

/** Exit codes: a command that could not do its work, and a command line that does not parse. */
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

/** A failure the person at the keyboard can fix (bad input, missing data): printed without a stack. */
export class UserError extends Error {}

/** Options every command takes. */
interface GlobalOptions {
  data: string;
  actor: string;
}

/** Who is at the keyboard, for the audit log: the login name, unless --actor says otherwise. */
function defaultActor(): string {
  try {
    return userInfo().username;
  } catch {
    return "gateway";
  }
}

function wholeNumber(what: string): (value: string) => number {
  return (value) => {
    if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError(`${what} must be a whole number.`);
    return Number(value);
  };
}

/** Local date and time to the minute, as staff read it. */
function localTime(unixSeconds: number | null): string {
  if (unixSeconds === null) return "-";
  const d = new Date(unixSeconds * 1000);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}

/** The date of a UTC day number. */
function utcDate(day: number): string {
  return new Date(day * DAY_SECONDS * 1000).toISOString().slice(0, 10);
}

/** Rows as aligned columns under a header. */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** A progress bar on stderr when a person watches it (a terminal), else nothing. */
function progressBar(label: string): { update(done: number, total: number): void; stop(): void } {
  if (!process.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new SingleBar({ format: `${label} [{bar}] {value}/{total}`, stream: process.stderr, hideCursor: true });
  let started = false;
  return {
    update(done, total) {
      if (!started) bar.start(total, 0);
      started = true;
      bar.update(done);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/** Runs `work` on the store of the data folder the command line names, closing it afterwards. */
async function withStore<T>(program: Command, work: (store: GatewayStore, options: GlobalOptions) => T | Promise<T>): Promise<T> {
  const options = program.opts<GlobalOptions>();
  const store = GatewayStore.open(options.data);
  try {
    return await work(store, options);
  } finally {
    store.close();
  }
}

/** The resident a `--resident` value names: an id, or a name that only one resident has. */
function residentIdOf(store: GatewayStore, value: string): number {
  if (/^\d+$/.test(value)) {
    if (!store.resident(Number(value))) throw new UserError(`no resident with id ${value}`);
    return Number(value);
  }
  const named = store.residentsNamed(value);
  if (named.length === 0) throw new UserError(`no resident named "${value}"`);
  if (named.length > 1) throw new UserError(`${named.length} residents are named "${value}" (ids ${named.map((r) => r.id).join(", ")}); give the id`);
  return named[0].id;
}

function tagRows(tags: TagStatus[]): string[][] {
  return tags.map((t) => [
    t.tagId,
    t.residentName ?? "-",
    t.info ? `${t.info.batteryPercent} %` : "-",
    t.lastSync ? `${localTime(t.lastSync.startedAt)} ${t.lastSync.outcome ?? "running"}` : "never",
    t.info ? `${t.info.clockDriftS.toFixed(1)} s` : "-",
    t.info ? `${Math.round(t.info.storageFill * 100)} %` : "-",
    t.alert === t.alertOnTag ? t.alert : `${t.alert} (tag: ${t.alertOnTag}, set at next sync)`,
  ]);
}

function callRows(calls: ResidentToCall[]): string[][] {
  return calls.map((c) => [
    c.name ?? `(tag ${c.tagId} has no resident)`,
    c.household ?? "-",
    c.phone ?? "-",
    c.contactName ? `${c.contactName} ${c.contactPhone ?? ""}`.trim() : "-",
    c.tagId,
    c.days.map((d) => `${utcDate(d.day)}: ${d.weightedMinutes.toFixed(0)} min`).join(", "),
  ]);
}

const CALL_HEADER = ["resident", "household", "phone", "contact person", "tag", "exposure (weighted minutes)"];

/** The command line parser with every command. */
export function buildProgram(): Command {
  const program = new Command("gateway")
    .description("zonetag commune gateway: registry, encounter store, exposure matching, key publishing")
    .option("--data <dir>", "data folder (database, master key, signing key)", defaultDataDir())
    .option("--actor <name>", "who is working, for the audit log", defaultActor())
    .showHelpAfterError("(add --help for usage)")
    .exitOverride();

  program
    .command("register")
    .description("register a resident with a contact person, and give them a tag if it is already provisioned")
    .requiredOption("--name <name>", "the resident's name")
    .requiredOption("--household <household>", "household and village")
    .option("--phone <phone>", "the resident's phone")
    .option("--contact-name <name>", "who to call when the resident cannot take the call")
    .option("--contact-phone <phone>", "the contact person's phone")
    .option("--tag <tagId>", "a provisioned tag the resident now wears")
    .action((o) =>
      withStore(program, (store, g) => {
        if (o.tag && store.tagRowId(o.tag) === null) throw new UserError(`tag ${o.tag} is not provisioned yet: provision it, then register again with --tag`);
        store.transaction(() => {
          const id = store.addResident({ name: o.name, household: o.household, phone: o.phone, contactName: o.contactName, contactPhone: o.contactPhone }, g.actor);
          if (o.tag) store.assignTag(o.tag, id, g.actor);
          console.log(`resident ${id} registered${o.tag ? ` with tag ${o.tag}` : ""}`);
        });
      }),
    );

  program
    .command("import-keys")
    .description("import diagnosis keys: GAEN export zips and Bluezone F0 lists (told apart by content)")
    .argument("<files...>", "key files")
    .option("--public-key <pem>", "key server public key exports must verify with (default: key-server.pub.pem in the data folder, if present)")
    .action((files: string[], o) =>
      withStore(program, async (store, g) => {
        const publicKey = loadVerificationKey(store.dir, o.publicKey);
        const parsed = [];
        const bar = progressBar("reading key files");
        for (const [i, file] of files.entries()) {
          const read = await readKeyFile(file, publicKey);
          if ("error" in read) {
            bar.stop();
            throw new UserError(read.error);
          }
          parsed.push(read);
          bar.update(i + 1, files.length);
        }
        bar.stop();
        for (const file of parsed) {
          const result = store.importDiagnosisKeys(file, g.actor);
          console.log(`${file.source}: import ${result.importId}, ${file.format}, signature ${file.signature}: ${result.added} new keys, ${result.duplicates} already stored`);
        }
        console.log('run "match" to look for exposures');
      }),
    );

  program
    .command("match")
    .description("match stored diagnosis keys against the tags' encounters; set alerts and list residents to call")
    .option("--import <id>", "only the keys of this import", wholeNumber("--import"))
    .option("--rule <file>", "risk rule as JSON (default: Corona-Warn-App's first rule)")
    .option("--scan-period <minutes>", "the tags' scan period, credited to every sighting", wholeNumber("--scan-period"))
    .option("--bluezone-tx-power <dBm>", "TX power assumed for Bluezone senders", wholeNumber("--bluezone-tx-power"))
    .action((o) =>
      withStore(program, (store, g) => {
        let rule: RiskRule | undefined;
        if (o.rule) {
          let json: unknown;
          try {
            json = JSON.parse(readFileSync(o.rule, "utf8"));
          } catch (err) {
            throw new UserError(`cannot read rule ${o.rule}: ${(err as Error).message}`);
          }
          const parsed = parseRiskRule(json);
          if ("error" in parsed) throw new UserError(`rule ${o.rule}: ${parsed.error}`);
          rule = parsed.rule;
        }
        const bar = progressBar("matching keys");
        const report = matchExposures(store, {
          rule,
          importId: o.import,
          scanPeriodMinutes: o.scanPeriod,
          bluezoneTxPowerDbm: o.bluezoneTxPower,
          actor: g.actor,
          onProgress: (done, total) => bar.update(done, total),
        });
        bar.stop();
        console.log(`${report.keys} keys, ${report.ids} IDs: ${report.matchedRecords} encounter records matched, ${report.exposures.length} exposures over the rule`);
        console.log(`tags alerted: ${report.alertedTags.length > 0 ? report.alertedTags.join(", ") : "none"}`);
        if (report.residentsToCall.length > 0) console.log(`\nresidents to call:\n${table(CALL_HEADER, callRows(report.residentsToCall))}`);
      }),
    );

  program
    .command("export-keys")
    .description("publish a positive resident's keys (read from their tag with consent) as a signed GAEN export and a Bluezone F0 list")
    .requiredOption("--resident <id or name>", "the positive resident")
    .requiredOption("--out <dir>", "folder for the files")
    .option("--region <region>", "region in the export", DEFAULT_REGION)
    .option("--key-id <id>", "verification key id in the signature info", DEFAULT_KEY_ID)
    .option("--key-version <version>", "verification key version in the signature info", DEFAULT_KEY_VERSION)
    .action((o) =>
      withStore(program, async (store, g) => {
        const residentId = residentIdOf(store, o.resident);
        const result = await publishResidentKeys(store, { residentId, outDir: o.out, actor: g.actor, region: o.region, keyId: o.keyId, keyVersion: o.keyVersion });
        if ("error" in result) throw new UserError(result.error);
        console.log(`published ${result.teks} TEKs and ${result.bluezoneEntries} Bluezone chains of tags ${result.tags.join(", ")}:`);
        console.log(`  ${result.gaenFile}\n  ${result.bluezoneFile}`);
        console.log("the tags start new keys at their next sync");
      }),
    );

  program
    .command("called")
    .description("record that the resident wearing a tag was called about their exposure")
    .requiredOption("--tag <tagId>", "the resident's tag")
    .action((o) =>
      withStore(program, (store, g) => {
        if (store.tagRowId(o.tag) === null) throw new UserError(`unknown tag ${o.tag}`);
        store.markNotified(o.tag, g.actor);
        console.log(`recorded: resident of tag ${o.tag} was called`);
      }),
    );

  program
    .command("status")
    .description("tags with battery, last sync, clock drift, storage fill and alert; residents to call")
    .action(() =>
      withStore(program, (store) => {
        const tags = store.tags();
        console.log(tags.length === 0 ? "no tags registered" : table(["tag", "resident", "battery", "last sync", "drift", "fill", "alert"], tagRows(tags)));
        const calls = store.residentsToCall();
        console.log(calls.length === 0 ? "\nnobody to call" : `\nresidents to call:\n${table(CALL_HEADER, callRows(calls))}`);
      }),
    );

  return program;
}

/** Runs the command line `argv` (as process.argv); resolves to the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed the message (or the help) already.
      return err.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (err instanceof UserError) {
      console.error(`error: ${err.message}`);
      return EXIT_FAILED;
    }
    // Library refusals (unknown tag, newer database, ...) are worded for people too; a stack on request.
    console.error(`error: ${(err as Error).message}`);
    if (process.env.ZONETAG_DEBUG) console.error((err as Error).stack);
    return EXIT_FAILED;
  }
}

if (require.main === module) {
  runCli(process.argv).then((code) => {
    process.exitCode = code;
  });
}
