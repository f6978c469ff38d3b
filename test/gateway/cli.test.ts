import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { bluezoneF0Entry } from "../../firmware/bluezone";
import { writeF0List } from "../../tools/gateway/bluezone-f0";
import { GatewayStore } from "../../tools/gateway/store";
import { bluezoneRow, removeDir, tempDir, testBytes, TEST_DAY, TEST_DAY_START } from "./helpers";

const ROOT = resolve(__dirname, "..", "..");
const CLI = join(ROOT, "tools", "gateway", "cli.ts");

/** Runs the gateway CLI as `npm run gateway` would (through tsx), in a child process. */
function gateway(dataDir: string, ...args: string[]): { code: number; out: string; err: string } {
  const run = spawnSync(process.execPath, ["--require", "tsx/cjs", CLI, "--data", dataDir, "--actor", "test-staff", ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, ZONETAG_DEBUG: "" },
  });
  return { code: run.status ?? -1, out: run.stdout, err: run.stderr };
}

/** A stack trace line, which a user must never see. */
const STACK_LINE = /^\s+at .+\(.+:\d+:\d+\)$/m;

describe("gateway CLI (tools/gateway/cli.ts)", function () {
  this.timeout(120000);
  let dir: string;
  before(() => {
    dir = tempDir("cli");
  });
  after(() => removeDir(dir));

  it("explains bad command lines on one line with exit code 2", () => {
    const data = join(dir, "usage");
    for (const [args, message] of [
      [["register", "--name", "Lý Văn Tâm"], /required option '--household <household>' not specified/],
      [["match", "--scan-period", "five"], /--scan-period must be a whole number/],
      [["frobnicate"], /unknown command 'frobnicate'/],
      [["export-keys", "--out", "x"], /required option '--resident/],
      [["import-keys"], /missing required argument 'files'/],
    ] as [string[], RegExp][]) {
      const run = gateway(data, ...args);
      expect(run.code, args.join(" ")).to.equal(2);
      expect(run.err).to.match(message);
      expect(run.err).not.to.match(STACK_LINE);
    }
  });

  it("shows help for the program and each command", () => {
    const top = gateway(join(dir, "help"), "--help");
    expect(top.code).to.equal(0);
    for (const command of ["register", "import-keys", "match", "export-keys", "status"]) expect(top.out).to.include(command);
    const match = gateway(join(dir, "help"), "match", "--help");
    expect(match.code).to.equal(0);
    expect(match.out).to.include("--scan-period <minutes>");
  });

  it("refuses bad key files and missing data with a message and exit code 1, no stack", () => {
    const data = join(dir, "files");
    writeFileSync(join(dir, "garbage.bin"), "PK\x03\x04 not really a zip");
    writeFileSync(join(dir, "bad.json"), '{"data":[{"daily_key":"00","time_start":0,"max":96,"time_end":10}]}');
    writeFileSync(join(dir, "key.pem"), "not a key");
    for (const [args, message] of [
      [["import-keys", join(dir, "missing.zip")], /cannot read .*missing\.zip: ENOENT/],
      [["import-keys", join(dir, "garbage.bin")], /garbage\.bin: not a zip file/],
      [["import-keys", join(dir, "bad.json")], /bad\.json: Bluezone F0 list: entry 1: daily_key must be 64 hex digits/],
      [["import-keys", "--public-key", join(dir, "key.pem"), join(dir, "bad.json")], /key\.pem is not a public key in PEM form/],
      [["match", "--rule", join(dir, "bad.json")], /rule .*bad\.json: filterBelowDb must be a number/],
      [["match", "--rule", "constructor"], /rule constructor is neither cwa nor zonetag nor a readable file: ENOENT/],
      [["register", "--name", "Lý Văn Tâm", "--household", "Thôn 8", "--tag", "NOPE"], /tag NOPE is not provisioned yet/],
      [["export-keys", "--resident", "Nobody", "--out", join(dir, "out")], /no resident named "Nobody"/],
      [["called", "--tag", "NOPE"], /unknown tag NOPE/],
    ] as [string[], RegExp][]) {
      const run = gateway(data, ...args);
      expect(run.code, args.join(" ")).to.equal(1);
      expect(run.err).to.match(message);
      expect(run.err).not.to.match(STACK_LINE);
    }
    // A refused registration left no resident behind.
    const store = GatewayStore.open(data);
    expect(store.residentsNamed("Lý Văn Tâm")).to.deep.equal([]);
    store.close();
  });

  it("registers, imports, matches and shows who to call", () => {
    const data = join(dir, "flow");
    const store = GatewayStore.open(data);
    store.registerTag({ tagId: "T0042", board: "puck", tagKey: testBytes("t42", 32), residentId: null, provisionedAt: TEST_DAY_START }, "test");
    const dailyKey = testBytes("cli daily key", 32);
    const sync = store.beginSync("T0042", TEST_DAY_START + 12 * 3600);
    store.storeEncounterBatch(sync, { records: [bluezoneRow(dailyKey, TEST_DAY, { at: TEST_DAY_START + 9 * 3600, seconds: 1800, rssiMean: -44 })], cursor: 7, bytes: 7 });
    store.finishSync(sync, "ok", TEST_DAY_START + 12 * 3600 + 20);
    store.recordTagInfo("T0042", { at: TEST_DAY_START + 12 * 3600, firmware: "0.1.0", batteryPercent: 76, clockDriftS: 3.2, storageFill: 0.42 });
    store.close();
    const list = join(dir, "f0.json");
    writeFileSync(list, writeF0List([bluezoneF0Entry(dailyKey, TEST_DAY, TEST_DAY_START + 86399)]));

    const register = gateway(data, "register", "--name", "Lý Văn Tâm", "--household", "Thôn 8", "--contact-name", "Lý Thị Hằng", "--contact-phone", "0977 555 444", "--tag", "T0042");
    expect(register.code).to.equal(0);
    expect(register.out).to.match(/resident 1 registered with tag T0042/);

    const imported = gateway(data, "import-keys", list);
    expect(imported.code).to.equal(0);
    expect(imported.out).to.match(/f0\.json: import 1, bluezone-f0, signature none: 1 new keys, 0 already stored/);

    const match = gateway(data, "match");
    expect(match.code).to.equal(0);
    expect(match.out).to.match(/1 encounter records matched, 1 exposures over the rule/);
    expect(match.out).to.match(/tags alerted: T0042/);
    expect(match.out).to.match(/Lý Văn Tâm\s+Thôn 8\s+-\s+Lý Thị Hằng 0977 555 444\s+T0042\s+\d{4}-\d\d-\d\d: 35 min/);
    const byName = gateway(data, "match", "--rule", "zonetag");
    expect(byName.code, byName.err).to.equal(0);
    expect(byName.out).to.match(/1 encounter records matched, 1 exposures over the rule/);

    const status = gateway(data, "status");
    expect(status.code).to.equal(0);
    expect(status.out).to.match(/T0042\s+Lý Văn Tâm\s+76 %\s+\d{4}-\d\d-\d\d \d\d:\d\d ok\s+3\.2 s\s+42 %\s+exposed \(tag: none, set at next sync\)/);
    expect(status.out).to.include("residents to call:");

    expect(gateway(data, "called", "--tag", "T0042").code).to.equal(0);
    expect(gateway(data, "status").out).to.include("nobody to call");
  });
});
