/**
 * The gateway command line (`npm run gateway -- <command>`): a thin layer over the library that parses
 * arguments, shows progress on long work and prints results for staff. Mistakes in what was typed or in a
 * file given end with a one-line message and a non-zero exit code, never a stack trace.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { SingleBar } from "cli-progress";
import { readFileSync } from "node:fs";
import { userInfo } from "node:os";
import { DAY_SECONDS } from "../../firmware/bluezone";
import { MAX_TAG_ID_CHARS } from "../../firmware/sync-provision";
import { BleScanner } from "./ble-transport";
import { CollectionPoint } from "./collection-point";
import { Recipient, handOutTag, waitForNewTag } from "./desk";
import { readKeyFile } from "./key-files";
import { matchExposures } from "./matching";
import { DEFAULT_KEY_ID, DEFAULT_KEY_VERSION, DEFAULT_REGION, publishResidentKeys } from "./publish";
import { NAMED_RULES, parseRiskRule, RiskRule } from "./risk-rule";
import { loadVerificationKey } from "./signing-keys";
import { defaultDataDir, GatewayStore, ResidentToCall, TagStatus } from "./store";
import { SyncReport } from "./sync";

/** Exit codes: a command that could not do its work, and a command line that does not parse. */
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

/** The optional package that drives Bluetooth on Linux (ble-transport.ts loads it). */
const NOBLE_PACKAGE = "@abandonware/noble";
/** What to do once on a machine before the gateway can use its Bluetooth adapter. */
const BLUETOOTH_SETUP =
  `run \`npm install ${NOBLE_PACKAGE}\` (it builds a native module), then let Node use the adapter: ` +
  "`sudo setcap cap_net_raw+eip $(eval readlink -f $(which node))` (or run the gateway as root)";
/** Longest a `sync --ble` collection point runs by --minutes: a day. */
const MAX_COLLECTION_MINUTES = 24 * 60;
/** Limits of `sync --sim`: tags in one process, and three weeks together (the tags' log retention). */
const MAX_SIM_TAGS = 100;
const MAX_SIM_HOURS = 504;
/** Virtual tags of `sync --sim` when none are kept yet and --tags is not given. */
const DEFAULT_SIM_TAGS = 5;
/** Default board of a tag provisioned over Bluetooth, and how long `provision` waits for its window. */
const DEFAULT_BOARD = "PUCKJS";
const DEFAULT_PROVISION_WAIT_S = 120;

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

/** A whole number from 1 to `max`. */
function countOf(what: string, max: number): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) throw new InvalidArgumentError(`${what} must be a whole number from 1 to ${max}.`);
    return Number(value);
  };
}

/** A number above 0 and at most `max` (fractions allowed). */
function positiveNumber(what: string, max: number): (value: string) => number {
  return (value) => {
    if (!/^\d*\.?\d+$/.test(value) || Number(value) <= 0 || Number(value) > max) throw new InvalidArgumentError(`${what} must be a number above 0 and at most ${max}.`);
    return Number(value);
  };
}

/** A tag ID as provisioning writes it (firmware/sync-provision.ts): 1–16 printable ASCII characters. */
function tagIdOf(value: string): string {
  if (!new RegExp(`^[\\x21-\\x7e]{1,${MAX_TAG_ID_CHARS}}$`).test(value)) {
    throw new InvalidArgumentError(`a tag ID is 1 to ${MAX_TAG_ID_CHARS} printable ASCII characters without spaces.`);
  }
  return value;
}

/** Appends a repeated option's values. */
function collect(value: string, previous: string[] = []): string[] {
  return previous.concat([value]);
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
      started = false;
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
    !t.info ? "-" : t.info.clockDriftS === null ? "was unset" : `${t.info.clockDriftS.toFixed(1)} s`,
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

/** What a sync did to the tag's alert: the alert it showed (INFO) and the one it shows now. */
function alertChange(wasExposed: boolean, now: string): string {
  if (wasExposed === (now === "exposed")) return wasExposed ? "alert on" : "no alert";
  return now === "exposed" ? "alert set" : "alert cleared";
}

/** One line for staff about one sync: tag, resident, outcome, records, clock drift, battery, alert. */
function syncLine(store: GatewayStore, report: SyncReport): string {
  const resident = store.tag(report.tagId)?.residentName ?? "no resident";
  const parts = [`${report.tagId} (${resident}): ${report.outcome}`, `${report.stored} new records${report.duplicates > 0 ? ` (${report.duplicates} already stored)` : ""}`];
  // A tag whose clock was never set (new, or after a battery change) has no drift to speak of.
  if (report.clock) parts.push(report.info?.clock ? `drift ${report.clock.offsetS >= 0 ? "+" : ""}${report.clock.offsetS.toFixed(2)} s` : "clock set");
  if (report.info) parts.push(`battery ${report.info.batteryPercent} %`);
  if (report.info && report.alert) parts.push(alertChange(report.info.alert, report.alert));
  return parts.join(", ");
}

/** The Linux Bluetooth adapter's scanner; a missing noble, adapter or permission is the staff's to fix. */
async function bluetoothScanner(): Promise<BleScanner> {
  try {
    require.resolve(NOBLE_PACKAGE);
  } catch {
    throw new UserError(`Bluetooth needs the optional package ${NOBLE_PACKAGE}, which is not installed: ${BLUETOOTH_SETUP}.`);
  }
  try {
    return await BleScanner.open();
  } catch (err) {
    throw new UserError((err as Error).message);
  }
}

/** Resolves at Ctrl-C, or after `minutes` if given, whichever comes first. */
function untilStopped(minutes: number | undefined): Promise<void> {
  return new Promise((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stop = () => {
      clearTimeout(timer);
      process.off("SIGINT", stop);
      resolve();
    };
    process.once("SIGINT", stop);
    if (minutes !== undefined) timer = setTimeout(stop, minutes * 60_000);
  });
}

/** The collection point on the Bluetooth adapter, syncing the tags whose windows it sees until stopped. */
async function syncOverBluetooth(store: GatewayStore, actor: string, minutes: number | undefined): Promise<void> {
  const scanner = await bluetoothScanner();
  const tally = { ok: 0, failed: 0, stored: 0 };
  const point = new CollectionPoint(store, scanner, {
    actor,
    onReport: (report) => {
      console.log(`${localTime(Date.now() / 1000)} ${syncLine(store, report)}`);
      if (report.outcome === "ok") tally.ok++;
      else tally.failed++;
      tally.stored += report.stored;
    },
    onError: (tagId, error) => {
      console.log(`${localTime(Date.now() / 1000)} ${tagId}: could not sync: ${error instanceof Error ? error.message : String(error)}`);
      tally.failed++;
    },
  });
  await point.start();
  console.log(`collection point open: syncing the commune's tags as they open sync windows, ${minutes === undefined ? "until Ctrl-C" : `for ${minutes} minutes (Ctrl-C stops sooner)`}`);
  await untilStopped(minutes);
  await point.stop();
  console.log(`collection point closed: ${tally.ok} tags synced, ${tally.failed} syncs failed or cut short, ${tally.stored} new records`);
}

/** Options of `sync`. */
interface SyncCommandOptions {
  ble?: boolean;
  minutes?: number;
  sim?: boolean;
  tags?: number;
  hours: number;
  seed: string;
  resident?: string[];
}

/** The developer's collection point: virtual tags in process (sim-collection-point.ts). */
async function syncVirtualTags(store: GatewayStore, actor: string, o: SyncCommandOptions): Promise<void> {
  const residents = (o.resident ?? []).map((r) => residentIdOf(store, r));
  // The simulator is loaded only here (require: tsx's CommonJS hook does not serve import()): the other commands start faster.
  const { compiledFirmware, runSimCollection } = require("./sim-collection-point") as typeof import("./sim-collection-point");
  const { keptTagIds } = require("./sim-tag-images") as typeof import("./sim-tag-images");
  const loaded = await compiledFirmware();
  if ("error" in loaded) throw new UserError(loaded.error);
  if (loaded.built) console.log("built the firmware (dist/tag.bootcde was missing)");
  const bar = progressBar("virtual minutes together");
  const result = await runSimCollection(store, {
    tags: o.tags ?? (keptTagIds(store.dir).length || DEFAULT_SIM_TAGS),
    hours: o.hours,
    seed: o.seed,
    residents,
    firmware: loaded.firmware,
    actor,
    onProvisioned: (report, residentId) => console.log(`provisioned ${report.tagId} for resident ${residentId}: ${syncLine(store, report)}`),
    onProgress: (done, total) => bar.update(done, total),
    onReport: (report) => {
      bar.stop();
      console.log(syncLine(store, report));
    },
    onError: (tagId, error) => {
      bar.stop();
      console.log(`${tagId}: could not sync: ${error.message}`);
    },
  });
  bar.stop();
  if ("error" in result) throw new UserError(result.error);
  const hours = (result.endMs - result.startMs) / 3_600_000;
  console.log(
    `\n${result.tags} virtual tags (${result.provisioned} provisioned now), ${hours.toFixed(1)} virtual hours from ${localTime(result.startMs / 1000)}, ${result.advertsTaken} adverts heard`,
  );
  console.log(`synced ${result.synced} of ${result.tags}: ${result.received} records received, ${result.stored} new, ${result.duplicates} already stored`);
  console.log(`virtual tags kept in ${store.dir}/sim-tags for the next run`);
  for (const line of result.uncaught) console.error(`warning: firmware error on ${line}`);
  if (result.failed > 0) throw new UserError(`${result.failed} of ${result.tags} tags did not sync`);
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
    .option("--rule <name|file>", `risk rule: ${[...NAMED_RULES.keys()].join(" or ")} (zonetag's, calibrated for tags), or a JSON file (default: cwa, Corona-Warn-App's first rule)`)
    .option("--scan-period <minutes>", "the tags' scan period, credited to every sighting", wholeNumber("--scan-period"))
    .option("--bluezone-tx-power <dBm>", "TX power assumed for Bluezone senders", wholeNumber("--bluezone-tx-power"))
    .action((o) =>
      withStore(program, (store, g) => {
        let rule: RiskRule | undefined = o.rule ? NAMED_RULES.get(o.rule) : undefined;
        if (o.rule && !rule) {
          let json: unknown;
          try {
            json = JSON.parse(readFileSync(o.rule, "utf8"));
          } catch (err) {
            throw new UserError(`rule ${o.rule} is neither ${[...NAMED_RULES.keys()].join(" nor ")} nor a readable file: ${(err as Error).message}`);
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
    .command("sync")
    .description("sync tags at a collection point: the commune's tags over Bluetooth (--ble), or virtual tags in process (--sim, for developers)")
    .addOption(new Option("--ble", `use this computer's Bluetooth adapter (Linux; needs ${NOBLE_PACKAGE})`).conflicts("sim"))
    .addOption(new Option("--minutes <minutes>", "with --ble: stop after this many minutes (default: at Ctrl-C)").argParser(positiveNumber("--minutes", MAX_COLLECTION_MINUTES)).conflicts("sim"))
    .option("--sim", "virtual tags running the compiled firmware, kept in the data folder between runs")
    .addOption(new Option("--tags <n>", `with --sim: virtual tags sim-1 to sim-n (default: those kept from the last run, else ${DEFAULT_SIM_TAGS})`).argParser(countOf("--tags", MAX_SIM_TAGS)).conflicts("ble"))
    .addOption(new Option("--hours <hours>", "with --sim: virtual hours the tags spend near each other before the syncs").default(1).argParser(positiveNumber("--hours", MAX_SIM_HOURS)).conflicts("ble"))
    .addOption(new Option("--seed <seed>", "with --sim: makes the tags' radios, crystals and signal strengths repeatable").default("zonetag").conflicts("ble"))
    .addOption(new Option("--resident <id or name>", 'with --sim: a registered resident for the next new tag (repeatable); other new tags get placeholder residents "Resident <n>"').argParser(collect).conflicts("ble"))
    .action((o: SyncCommandOptions, command: Command) => {
      if (!o.ble && !o.sim) command.error("error: sync needs --ble (the Bluetooth adapter) or --sim (virtual tags)");
      return withStore(program, (store, g) => (o.ble ? syncOverBluetooth(store, g.actor, o.minutes) : syncVirtualTags(store, g.actor, o)));
    });

  program
    .command("provision")
    .description("provision a new tag over Bluetooth and give it to a resident: staff press the tag's button when asked")
    .requiredOption("--tag <tagId>", `the ID to give the tag (1 to ${MAX_TAG_ID_CHARS} characters, as on its label)`, tagIdOf)
    .requiredOption("--resident <id or name>", "who gets the tag: a registered resident, or with --household a new one of that name")
    .option("--household <household>", "household and village of a new resident")
    .option("--phone <phone>", "a new resident's phone")
    .option("--contact-name <name>", "a new resident's contact person")
    .option("--contact-phone <phone>", "the contact person's phone")
    .option("--board <board>", "the tag's board as Espruino names it", DEFAULT_BOARD)
    .option("--wait <seconds>", "how long to wait for the tag's window", countOf("--wait", 3600), DEFAULT_PROVISION_WAIT_S)
    .action((o, command: Command) => {
      if (!o.household && (o.phone || o.contactName || o.contactPhone)) {
        command.error("error: --phone, --contact-name and --contact-phone describe a new resident: give --household too");
      }
      return withStore(program, async (store, g) => {
        if (store.tagRowId(o.tag) !== null) throw new UserError(`tag ${o.tag} is already provisioned`);
        const recipient: Recipient = o.household
          ? { newResident: { name: o.resident, household: o.household, phone: o.phone, contactName: o.contactName, contactPhone: o.contactPhone } }
          : { residentId: residentIdOf(store, o.resident) };
        const scanner = await bluetoothScanner();
        console.log(`Press the button of the new tag now, next to this computer's Bluetooth adapter: it opens its provisioning window for a minute. Waiting up to ${o.wait} s...`);
        const window = await waitForNewTag(scanner, o.wait * 1000);
        if (!window) throw new UserError(`no new tag opened its window within ${o.wait} s: press its button and try again`);
        console.log(`found a new tag at ${window.address} (${window.rssi} dBm): writing its identity as ${o.tag}`);
        const handed = await handOutTag(store, await window.connect(), o.tag, o.board, recipient, { actor: g.actor });
        console.log(`tag ${o.tag} provisioned for resident ${handed.residentId}: ${syncLine(store, handed.report)}`);
      });
    });

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
