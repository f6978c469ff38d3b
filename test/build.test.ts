import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildFailures, buildFirmware, UPLOAD_BUDGET_BYTES, type FirmwareBuild } from "../tools/build/build";
import { checkEspruinoSubset } from "../tools/build/subset";
import { ALLOWED_SAMPLES, FORBIDDEN_SAMPLES } from "./fixtures/subset/samples";

const ROOT = path.resolve(__dirname, "..");

describe("Espruino subset checker", () => {
  for (const sample of FORBIDDEN_SAMPLES) {
    it(`rejects ${sample.construct}: ${JSON.stringify(sample.source)}`, () => {
      const violations = checkEspruinoSubset(sample.source, "sample.js");
      const found = violations.find((v) => v.construct === sample.construct);
      expect(found, JSON.stringify(violations)).to.not.equal(undefined);
      expect(found!.file).to.equal("sample.js");
      expect(found!.line).to.equal(sample.line);
      expect(found!.column).to.be.greaterThan(0);
      expect(found!.message).to.be.a("string").and.not.equal("");
    });
  }

  for (const sample of ALLOWED_SAMPLES) {
    it(`accepts ${sample.name}`, () => {
      expect(checkEspruinoSubset(sample.source, "sample.js")).to.deep.equal([]);
    });
  }

  it("points at the construct's column and names it in the message", () => {
    const [violation] = checkEspruinoSubset("var n = 1;\nvar seen = new Map();", "tag.js");
    expect(violation).to.include({ file: "tag.js", line: 2, column: 16, construct: "Map" });
    expect(violation.message).to.match(/^Map does not exist on Espruino/);
  });

  it("names the function and its declaration line on a hoisting violation", () => {
    const [violation] = checkEspruinoSubset("start();\n\nfunction start() {}", "tag.js");
    expect(violation.message).to.contain("start is used before its declaration on line 3");
  });
});

describe("firmware build", () => {
  const tempDirs: string[] = [];
  after(() => tempDirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

  /** A throwaway firmware project (the real firmware's compiler options and typings) with `main.ts`. */
  function fixtureProject(main: string): { project: string; distDir: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zonetag-build-"));
    tempDirs.push(dir);
    fs.writeFileSync(path.join(dir, "main.ts"), main);
    const tsconfig = {
      extends: path.join(ROOT, "firmware/tsconfig.json"),
      compilerOptions: { outDir: "./build", rootDir: ".", typeRoots: [path.join(ROOT, "node_modules/@types")] },
      include: ["*.ts", path.join(ROOT, "firmware/types/*.d.ts")],
    };
    fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify(tsconfig));
    return { project: path.join(dir, "tsconfig.json"), distDir: path.join(dir, "dist") };
  }

  function expectCompiled(build: FirmwareBuild): Extract<FirmwareBuild, { compiled: true }> {
    expect(build.compiled, JSON.stringify(build)).to.equal(true);
    return build as Extract<FirmwareBuild, { compiled: true }>;
  }

  it("builds the real firmware into dist/tag.js and dist/tag.min.js, both within the subset", async () => {
    const build = expectCompiled(await buildFirmware());
    expect(build.bundlePath).to.equal(path.join(ROOT, "dist/tag.js"));
    expect(build.minifiedPath).to.equal(path.join(ROOT, "dist/tag.min.js"));
    const bundle = fs.readFileSync(build.bundlePath, "utf8");
    const minified = fs.readFileSync(build.minifiedPath, "utf8");
    expect(checkEspruinoSubset(bundle, "dist/tag.js")).to.deep.equal([]);
    expect(checkEspruinoSubset(minified, "dist/tag.min.js")).to.deep.equal([]);
    expect(build.violations).to.deep.equal([]);
    expect(bundle).to.not.match(/use strict/);
    expect(build.bundleBytes).to.equal(Buffer.byteLength(bundle));
    expect(build.minifiedBytes).to.equal(Buffer.byteLength(minified));
    expect(build.minifiedBytes).to.be.greaterThan(0).and.at.most(build.bundleBytes);
    expect(build.uploadBytes).to.equal(fs.statSync(build.uploadPath).size);
    expect(build.uploadBytes).to.be.greaterThan(0).and.below(build.minifiedBytes);
    expect(buildFailures(build)).to.deep.equal([]);
  });

  it("prints the upload size against the budget from npm run build", () => {
    const run = spawnSync(path.join(ROOT, "node_modules/.bin/tsx"), ["tools/build/cli.ts"], { cwd: ROOT, encoding: "utf8" });
    expect(run.status, run.stderr).to.equal(0);
    const size = fs.statSync(path.join(ROOT, "dist/tag.bootcde")).size;
    expect(run.stdout).to.contain(`dist/tag.bootcde: ${size} of ${UPLOAD_BUDGET_BYTES} bytes`);
  });

  it("fails with file:line:column on a type error", async () => {
    const { project, distDir } = fixtureProject('var ready = true;\nvar count: number = "three";\nprint(ready, count);\n');
    const build = await buildFirmware({ project, distDir });
    expect(build.compiled).to.equal(false);
    expect(buildFailures(build)).to.have.length(1);
    expect(buildFailures(build)[0]).to.match(/main\.ts:2:5: error TS2322: Type 'string' is not assignable to type 'number'/);
    expect(fs.existsSync(distDir)).to.equal(false);
  });

  it("fails when the output relies on function hoisting, naming the bundle line", async () => {
    const { project, distDir } = fixtureProject('start();\nfunction start(): void { print("started"); }\n');
    const build = expectCompiled(await buildFirmware({ project, distDir }));
    const failures = buildFailures(build);
    expect(failures.some((f) => /dist\/tag\.js:\d+:\d+: start is used before its declaration/.test(f)), failures.join("\n")).to.equal(true);
  });

  it("fails when the upload form is over budget", async () => {
    const filler = "0123456789abcdef".repeat(UPLOAD_BUDGET_BYTES / 16 + 1);
    const { project, distDir } = fixtureProject(`print("${filler}");\n`);
    const build = expectCompiled(await buildFirmware({ project, distDir }));
    expect(build.uploadBytes).to.be.greaterThan(UPLOAD_BUDGET_BYTES);
    expect(buildFailures(build)).to.deep.equal([
      `${build.uploadPath} is ${build.uploadBytes} bytes, over the ${UPLOAD_BUDGET_BYTES}-byte upload budget ` +
        `by ${build.uploadBytes - UPLOAD_BUDGET_BYTES}`,
    ]);
  });

  it("defines DEBUG_BUILD: false in release, true in debug, with side-by-side outputs", async () => {
    const { project, distDir } = fixtureProject('if (DEBUG_BUILD) {\n  print("console kept");\n}\nLED1.write(true);\n');
    const release = expectCompiled(await buildFirmware({ project, distDir }));
    const debug = expectCompiled(await buildFirmware({ project, distDir, debug: true }));
    expect(path.basename(release.minifiedPath)).to.equal("tag.min.js");
    expect(path.basename(debug.bundlePath)).to.equal("tag.debug.js");
    expect(path.basename(debug.minifiedPath)).to.equal("tag.debug.min.js");
    expect(path.basename(debug.uploadPath)).to.equal("tag.debug.bootcde");
    expect(fs.readdirSync(distDir).sort()).to.deep.equal(["tag.bootcde", "tag.debug.bootcde", "tag.debug.js", "tag.debug.min.js", "tag.js", "tag.min.js"]);
    expect(fs.readFileSync(release.bundlePath, "utf8")).to.contain("var DEBUG_BUILD = false;");
    expect(fs.readFileSync(debug.bundlePath, "utf8")).to.contain("var DEBUG_BUILD = true;");
    // The minifier drops the flag and, in release, the code it guards.
    expect(fs.readFileSync(release.minifiedPath, "utf8")).to.not.contain("console kept").and.not.contain("DEBUG_BUILD");
    expect(fs.readFileSync(debug.minifiedPath, "utf8")).to.contain("console kept").and.not.contain("DEBUG_BUILD");
  });
});
