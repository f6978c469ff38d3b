/**
 * The simulator's HTML report as a person sees it: the CLI writes it for a small commune, Debian's
 * Chromium (driven by Playwright) opens it, takes a screenshot, and every plot must have rendered.
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";

const ROOT = path.resolve(__dirname, "../..");
/** Debian's chromium package; .ci/run installs it. */
const CHROMIUM = "/usr/bin/chromium";

describe("the simulation report in a browser (sim/report.ts)", function () {
  this.timeout(300_000);
  let out = "";

  before(() => {
    out = mkdtempSync(path.join(tmpdir(), "zonetag-report-"));
    const run = spawnSync(
      path.join(ROOT, "node_modules/.bin/tsx"),
      ["sim/cli.ts", "--residents", "40", "--tags", "8", "--days", "1", "--seed", "report-test", "--out", out, "--no-progress"],
      { cwd: ROOT, encoding: "utf8" },
    );
    expect(run.status, run.stderr).to.equal(0);
  });

  after(() => rmSync(out, { recursive: true, force: true }));

  it("writes result.json and report.html", () => {
    expect(JSON.parse(readFileSync(path.join(out, "result.json"), "utf8"))).to.have.property("detection");
    expect(statSync(path.join(out, "report.html")).size).to.be.above(1000);
  });

  it("renders every plot in Chromium, with marks inside, and takes a screenshot", async () => {
    expect(existsSync(CHROMIUM), "Debian's chromium is installed (.ci/run installs it)").to.equal(true);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const pageErrors: string[] = [];
      page.on("pageerror", (error) => pageErrors.push(error.message));
      await page.goto("file://" + path.join(out, "report.html"));
      const plots = await page.$$eval("figure svg", (svgs) =>
        svgs.map((svg) => {
          const box = svg.getBoundingClientRect();
          const marks = svg.querySelectorAll("rect, path, polyline, circle, line").length;
          const empty = (svg.textContent ?? "").trim().endsWith("no data");
          return { title: svg.getAttribute("aria-label") ?? "", width: box.width, height: box.height, marks, empty };
        }),
      );
      expect(plots.length, "plots in the report").to.be.at.least(8);
      for (const plot of plots) {
        expect(plot.width, plot.title).to.be.above(100);
        expect(plot.height, plot.title).to.be.above(50);
        // A plot with nothing to show says so (a one-day run has no notifications yet); all others draw marks.
        if (!plot.empty) expect(plot.marks, plot.title).to.be.above(2);
      }
      expect(plots.filter((p) => !p.empty).length, "plots with data").to.be.at.least(6);
      expect(pageErrors).to.deep.equal([]);
      const screenshot = path.join(out, "report.png");
      await page.screenshot({ path: screenshot, fullPage: true });
      expect(statSync(screenshot).size).to.be.above(10_000);
    } finally {
      await browser.close();
    }
  });
});
