import { expect } from "chai";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../sim/cli";

/** Runs the simulator's CLI in this process; returns its exit code and what it wrote to stderr. */
async function sim(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = "";
  const write = process.stderr.write;
  const error = console.error;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  console.error = (...parts: unknown[]) => {
    stderr += parts.join(" ") + "\n";
  };
  try {
    return { code: await main(args), stderr };
  } finally {
    process.stderr.write = write;
    console.error = error;
  }
}

/** The files below `dir`, with their contents. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files[join(entry.parentPath, entry.name)] = readFileSync(join(entry.parentPath, entry.name), "utf8");
  }
  return files;
}

describe("the simulator's command line (sim/cli.ts)", function () {
  this.timeout(60_000);
  let work = "";
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), "zonetag-sim-cli-"));
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  it("refuses bad options, naming the option and what it got, and writes nothing", async () => {
    const out = join(work, "out");
    const cases: [string[], RegExp][] = [
      [["--days", "0"], /--days must be between 1 and \d+ \(got 0\)/],
      [["--tags", "many"], /--tags must be a whole number \(got "many"\)/],
      [["--residents", "1"], /--residents must be between 2 and \d+/],
      [["--scenario", "nowhere"], /nowhere/],
      [["--seed", " "], /--seed must not be empty/],
      [["--bundle", join(work, "missing.bootcde")], /missing\.bootcde not found/],
      [["--frobnicate"], /unknown option '--frobnicate'/],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await sim([...args, "--out", out, "--no-progress"]);
      expect(code, args.join(" ")).to.be.above(0);
      expect(stderr, args.join(" ")).to.match(message);
      expect(existsSync(out), args.join(" ")).to.equal(false);
    }
  });

  it("refuses a firmware bundle that does not boot, saying why, before it touches the output folder", async () => {
    const truncated = join(work, "truncated.bootcde");
    writeFileSync(truncated, readFileSync("dist/tag.bootcde").subarray(0, 3000));
    const out = join(work, "out");
    const { code, stderr } = await sim(["--bundle", truncated, "--residents", "10", "--tags", "2", "--days", "1", "--out", out, "--no-progress"]);
    expect(code).to.equal(2);
    expect(stderr).to.match(/truncated\.bootcde does not boot: .*SyntaxError/);
    expect(existsSync(out)).to.equal(false);
  });

  it("refuses a bundle larger than the tag's Storage, saying so", async () => {
    const large = join(work, "large.js");
    writeFileSync(large, `var padding = "${"x".repeat(60_000)}";\n`);
    const { code, stderr } = await sim(["--bundle", large, "--out", join(work, "out"), "--no-progress"]);
    expect(code).to.equal(2);
    expect(stderr).to.match(/large\.js does not boot: the tag's Storage cannot hold its \d+ bytes \(Unable to find or create file\)/);
    expect(existsSync(join(work, "out"))).to.equal(false);
  });

  it("stops with a clear error when the bundle boots but is not zonetag's firmware", async () => {
    const other = join(work, "blinky.js");
    writeFileSync(other, "setInterval(function () { LED1.toggle(); }, 1000);\n");
    const failure = await sim(["--bundle", other, "--residents", "10", "--tags", "2", "--days", "1", "--out", join(work, "out"), "--no-progress"]).then(
      () => null,
      (error: Error) => error
    );
    expect(failure?.message).to.match(/the gateway could not provision T\d+ \(does the bundle run zonetag's firmware\?\): .*no such characteristic/);
  });

  it("keeps a folder that holds something other than a simulator's outputs", async () => {
    const out = join(work, "gateway-data");
    mkdirSync(join(out, "gateway"), { recursive: true });
    writeFileSync(join(out, "gateway", "zonetag.db"), "a commune's real gateway store");
    writeFileSync(join(out, "notes.txt"), "staff notes");
    const before = snapshot(out);
    const { code, stderr } = await sim(["--residents", "10", "--tags", "2", "--days", "1", "--out", out, "--no-progress"]);
    expect(code).to.equal(2);
    expect(stderr).to.match(/gateway-data is not empty and holds no simulator outputs/);
    expect(snapshot(out)).to.deep.equal(before);
  });
});
