import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { EncounterLog } from "../../firmware/encounter-log";
import { BOARDS } from "../../sim/espruino/boards";
import { FlashStorage } from "../../sim/espruino/storage";
import { TagImage, loadTagImage, restoreTagImage, tagImagePath } from "../../tools/gateway/sim-tag-images";
import { EncounterRow, GatewayStore } from "../../tools/gateway/store";
import { encounterRowOf } from "../../tools/gateway/sync-store";
import { removeDir, tempDir } from "./helpers";

const ROOT = resolve(__dirname, "..", "..");
const CLI = join(ROOT, "tools", "gateway", "cli.ts");

/** Preloaded into the CLI's process: resolving noble fails as on a machine where it was never installed. */
const WITHOUT_NOBLE = `
const Module = require("module");
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === "@abandonware/noble" || request.startsWith("@abandonware/noble/")) {
    const error = new Error("Cannot find module '" + request + "'");
    error.code = "MODULE_NOT_FOUND";
    throw error;
  }
  return resolveFilename.call(this, request, ...rest);
};
`;

/** Runs the gateway CLI as `npm run gateway` would (through tsx), in a child process; `preload` runs first. */
function gateway(dataDir: string, args: string[], preload: string[] = []): { code: number; out: string; err: string } {
  const requires = ["tsx/cjs", ...preload].flatMap((module) => ["--require", module]);
  const run = spawnSync(process.execPath, [...requires, CLI, "--data", dataDir, "--actor", "test-dev", ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, ZONETAG_DEBUG: "" },
  });
  return { code: run.status ?? -1, out: run.stdout, err: run.stderr };
}

/** A stack trace line, which a user must never see. */
const STACK_LINE = /^\s+at .+\(.+:\d+:\d+\)$/m;

/** An encounter row as one comparable string. */
function rowText(row: EncounterRow): string {
  return [row.firstSeen, row.prefix, row.aem, row.durationMin, row.sightings, row.rssiMax, row.rssiMean].join("/");
}

/** A kept virtual tag's encounter log: its rows as the gateway would store them, and its cursors. */
function tagLog(dataDir: string, tagId: string) {
  const image = loadTagImage(dataDir, tagId) as TagImage;
  expect(image, `image of ${tagId}`).to.have.property("files");
  const storage = new FlashStorage({ bytes: BOARDS.PUCKJS.storageBytes, pageBytes: BOARDS.PUCKJS.storagePageBytes });
  restoreTagImage(storage, image);
  const log = new EncounterLog(storage);
  return { rows: log.readFrom(0, Infinity).map((r) => rowText(encounterRowOf(r)!)).sort(), status: log.status() };
}

/** The rows the gateway stores for a tag, sorted. */
function storedRows(store: GatewayStore, tagId: string): string[] {
  return store
    .encountersOfTag(tagId)
    .map(rowText)
    .sort();
}

/** Records stored by each sync of the tag, oldest first (provisioning's sync included). */
function syncRecords(store: GatewayStore, tagId: string): number[] {
  return store
    .syncs(tagId)
    .map((s) => s.records)
    .reverse();
}

describe("gateway CLI: sync and provision (tools/gateway/cli.ts)", function () {
  this.timeout(180000);
  let dir: string;
  before(() => {
    dir = tempDir("cli-sync");
    writeFileSync(join(dir, "without-noble.cjs"), WITHOUT_NOBLE);
  });
  after(() => removeDir(dir));

  it("explains bad sync and provision command lines on one line with exit code 2, no stack", () => {
    const data = join(dir, "usage");
    for (const [args, message] of [
      [["sync"], /sync needs --ble \(the Bluetooth adapter\) or --sim \(virtual tags\)/],
      [["sync", "--sim", "--ble"], /option '--ble' cannot be used with option '--sim'/],
      [["sync", "--ble", "--tags", "3"], /option '--tags <n>' cannot be used with option '--ble'/],
      [["sync", "--ble", "--hours", "2"], /option '--hours <hours>' cannot be used with option '--ble'/],
      [["sync", "--sim", "--minutes", "5"], /option '--minutes <minutes>' cannot be used with option '--sim'/],
      [["sync", "--sim", "--tags", "0"], /--tags must be a whole number from 1 to 100/],
      [["sync", "--sim", "--tags", "three"], /--tags must be a whole number from 1 to 100/],
      [["sync", "--sim", "--hours", "-1"], /--hours must be a number above 0 and at most 504/],
      [["sync", "--ble", "--minutes", "soon"], /--minutes must be a number above 0/],
      [["provision", "--resident", "Lý Văn Tâm"], /required option '--tag <tagId>' not specified/],
      [["provision", "--tag", "T1"], /required option '--resident <id or name>' not specified/],
      [["provision", "--tag", "TAG-WITH-A-LONG-NAME", "--resident", "X"], /a tag ID is 1 to 16 printable ASCII characters/],
      [["provision", "--tag", "T 1", "--resident", "X"], /a tag ID is 1 to 16 printable ASCII characters/],
      [["provision", "--tag", "T1", "--resident", "X", "--phone", "0912 345 678"], /give --household too/],
      [["provision", "--tag", "T1", "--resident", "X", "--wait", "0"], /--wait must be a whole number from 1 to 3600/],
    ] as [string[], RegExp][]) {
      const run = gateway(data, args);
      expect(run.code, args.join(" ")).to.equal(2);
      expect(run.err, args.join(" ")).to.match(message);
      expect(run.err).not.to.match(STACK_LINE);
    }
    expect(existsSync(join(data, "sim-tags")), "no virtual tags made").to.equal(false);
  });

  it("shows help for sync and provision", () => {
    const top = gateway(join(dir, "help"), ["--help"]);
    expect(top.code).to.equal(0);
    expect(top.out).to.include("sync").and.to.include("provision");
    const sync = gateway(join(dir, "help"), ["sync", "--help"]);
    expect(sync.code).to.equal(0);
    for (const option of ["--ble", "--minutes <minutes>", "--sim", "--tags <n>", "--hours <hours>", "--seed <seed>", "--resident <id or name>"]) expect(sync.out).to.include(option);
    const provision = gateway(join(dir, "help"), ["provision", "--help"]);
    expect(provision.code).to.equal(0);
    for (const option of ["--tag <tagId>", "--resident <id or name>", "--household", "--contact-name", "--contact-phone", "--board", "--wait"]) expect(provision.out).to.include(option);
  });

  it("refuses Bluetooth without noble on one line that says how to install it, exit code 1, nothing registered", () => {
    const data = join(dir, "no-noble");
    const noNoble = [join(dir, "without-noble.cjs")];
    for (const args of [
      ["sync", "--ble"],
      ["sync", "--ble", "--minutes", "1"],
      ["provision", "--tag", "T0042", "--resident", "Lý Văn Tâm", "--household", "Thôn 8", "--contact-name", "Lý Thị Hoa", "--contact-phone", "0912 345 678"],
    ]) {
      const run = gateway(data, args, noNoble);
      expect(run.code, args.join(" ")).to.equal(1);
      const lines = run.err.trim().split("\n");
      expect(lines, args.join(" ")).to.have.length(1);
      expect(lines[0]).to.match(/^error: Bluetooth needs the optional package @abandonware\/noble, which is not installed: run `npm install @abandonware\/noble`/);
      expect(lines[0]).to.match(/sudo setcap cap_net_raw\+eip/);
      expect(run.err).not.to.match(STACK_LINE);
    }
    const store = GatewayStore.open(data);
    try {
      expect(store.tags()).to.deep.equal([]);
      expect(store.residentsNamed("Lý Văn Tâm")).to.deep.equal([]);
    } finally {
      store.close();
    }
  });

  it("refuses a --resident nobody is registered as, before any tag is made", () => {
    const data = join(dir, "unknown-resident");
    const run = gateway(data, ["sync", "--sim", "--tags", "2", "--resident", "Nobody"]);
    expect(run.code).to.equal(1);
    expect(run.err.trim()).to.equal('error: no resident named "Nobody"');
    expect(existsSync(join(data, "sim-tags"))).to.equal(false);
  });

  it("syncs virtual tags running the firmware; a second run continues them and stores only what they logged since", () => {
    const data = join(dir, "sim");
    const first = gateway(data, ["sync", "--sim", "--tags", "3", "--hours", "1", "--seed", "cli-test"]);
    expect(first.code, first.err).to.equal(0);
    expect(first.err).to.equal("");
    for (const n of [1, 2, 3]) {
      expect(first.out).to.match(new RegExp(`^provisioned sim-${n} for resident ${n}: sim-${n} \\(Resident ${n}\\): ok, 0 new records, clock set, battery \\d+ %, no alert$`, "m"));
      expect(first.out).to.match(new RegExp(`^sim-${n} \\(Resident ${n}\\): ok, [1-9]\\d* new records, drift [+-]\\d+\\.\\d\\d s, battery \\d+ %, no alert$`, "m"));
    }
    expect(first.out).to.match(/^3 virtual tags \(3 provisioned now\), 1\.0 virtual hours from /m);
    expect(first.out).to.match(/^synced 3 of 3: (\d+) records received, \1 new, 0 already stored$/m);

    let store = GatewayStore.open(data);
    const afterFirst = new Map<string, string[]>();
    try {
      expect(store.tags().map((t) => [t.tagId, t.residentName])).to.deep.equal([
        ["sim-1", "Resident 1"],
        ["sim-2", "Resident 2"],
        ["sim-3", "Resident 3"],
      ]);
      for (const tagId of ["sim-1", "sim-2", "sim-3"]) {
        const log = tagLog(data, tagId);
        expect(log.rows.length, tagId).to.be.greaterThan(0);
        expect(storedRows(store, tagId), tagId).to.deep.equal(log.rows);
        expect(log.status.acknowledged, `${tagId} acknowledged all`).to.equal(log.status.nextCursor);
        afterFirst.set(tagId, log.rows);
      }
      store.addResident({ name: "Bà Lan", household: "Thôn 3" }, "test");
    } finally {
      store.close();
    }

    // The same tags again, and one more for a registered resident.
    const second = gateway(data, ["sync", "--sim", "--tags", "4", "--hours", "1", "--seed", "cli-test", "--resident", "Bà Lan"]);
    expect(second.code, second.err).to.equal(0);
    expect(second.err, "no firmware errors on restored tags").to.equal("");
    expect(second.out).to.match(/^provisioned sim-4 for resident 4: sim-4 \(Bà Lan\): ok, 0 new records, clock set/m);
    expect(second.out).not.to.match(/^provisioned sim-[123]/m);
    expect(second.out).to.match(/^4 virtual tags \(1 provisioned now\)/m);
    expect(second.out).to.match(/^synced 4 of 4: (\d+) records received, \1 new, 0 already stored$/m);

    store = GatewayStore.open(data);
    try {
      let total = 0;
      for (const tagId of ["sim-1", "sim-2", "sim-3", "sim-4"]) {
        const log = tagLog(data, tagId);
        const stored = storedRows(store, tagId);
        // Every record on the tag is stored once, none twice, none that the tag does not have.
        expect(stored, tagId).to.deep.equal(log.rows);
        expect(log.status.acknowledged, `${tagId} acknowledged all`).to.equal(log.status.nextCursor);
        const earlier = afterFirst.get(tagId) ?? [];
        expect(earlier.every((row) => stored.includes(row)), `${tagId} keeps the first run's records`).to.equal(true);
        // What each sync stored adds up to what is stored; the second run's sync stored only new records.
        const perSync = syncRecords(store, tagId);
        expect(perSync.reduce((a, b) => a + b, 0), tagId).to.equal(stored.length);
        expect(perSync[perSync.length - 1], `${tagId} second run`).to.equal(stored.length - earlier.length);
        expect(stored.length - earlier.length, `${tagId} logged more`).to.be.greaterThan(0);
        total += stored.length;
      }
      expect(store.encounterCount()).to.equal(total);
      const syncAudits = store.auditLog(1000).filter((e) => e.action === "sync");
      expect(syncAudits).to.have.length(3 + 3 + 1 + 4); // provisioning and end-of-run syncs
      for (const entry of syncAudits) expect(entry.detail).to.match(/: ok; \d+ new records, 0 already stored$/);
      expect(store.tag("sim-4")!.residentName).to.equal("Bà Lan");
    } finally {
      store.close();
    }
  });

  it("refuses to go on with a registered virtual tag whose Storage was not kept", () => {
    const data = join(dir, "lost");
    expect(gateway(data, ["sync", "--sim", "--tags", "1", "--hours", "0.1"]).code).to.equal(0);
    rmSync(tagImagePath(data, "sim-1"));
    const run = gateway(data, ["sync", "--sim", "--tags", "1", "--hours", "0.1"]);
    expect(run.code).to.equal(1);
    expect(run.err.trim()).to.match(/^error: tag sim-1 is registered in .* but its virtual tag was not kept \(.*sim-1\.json is missing\): use another data folder$/);
  });
});
