import { expect } from "chai";
import { readFileSync } from "node:fs";
import { applyOverrides, loadScenario, Scenario } from "../../sim/scenario";
import { bundleTagFactory, simulate } from "../../sim/simulation";
import { buildResult } from "../../sim/report";
import { DIRECTIONS } from "../../sim/metrics";

/** The uploaded firmware (npm test builds it first). */
const bundle = readFileSync("dist/tag.min.js", "utf8");
/** A small commune for a day: 40 residents, 8 tags. */
const small = applyOverrides(loadScenario("commune") as Scenario, { days: 1, residents: 40, tags: 8 }) as Scenario;

async function resultJson(seed: string): Promise<string> {
  const outcome = await simulate({ scenario: small, seed, tagFactory: bundleTagFactory(bundle) });
  return JSON.stringify(buildResult(outcome));
}

describe("a whole run (sim/simulation.ts, sim/report.ts)", function () {
  this.timeout(120_000);
  let first = "";

  it("runs the real bundle on the tags and measures detection, power and storage", async () => {
    first = await resultJson("run-test");
    const result = JSON.parse(first);
    expect(result.population.tags).to.equal(8);
    expect(result.detection.map((d: { direction: string }) => d.direction)).to.include.members([...DIRECTIONS]);
    expect(result.deliveries.acceptedByTags).to.be.above(0);
    expect(result.power.summary.mean).to.be.within(3, 1000); // µA: the runtime's meter, neither off nor stuck on
    expect(result.storage.perTag.length).to.equal(8);
    expect(result.radio.length).to.be.above(10);
  });

  it("gives the same result.json for the same seed", async () => {
    expect(await resultJson("run-test")).to.equal(first);
  });

  it("gives a different one for another seed", async () => {
    expect(await resultJson("another seed")).to.not.equal(first);
  });
});
