import { expect } from "chai";
import { readFileSync } from "node:fs";
import { applyOverrides, loadScenario, Scenario } from "../../sim/scenario";
import { bundleTagFactory, simulate } from "../../sim/simulation";
import { buildResult } from "../../sim/report";
import { DIRECTIONS } from "../../sim/metrics";

/** The firmware as uploaded (npm test builds it first). */
const bundle = new Uint8Array(readFileSync("dist/tag.bootcde"));
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

  it("syncs tags at the collection point and at the end, with the real gateway", () => {
    const result = JSON.parse(first);
    expect(result.syncs.byKind.provisioning).to.equal(8);
    expect(result.syncs.byKind.desk).to.equal(8);
    expect(result.syncs.failed).to.equal(0);
    // 2026-03-02 is a Monday, a collection day: some tags came to the hall and were synced there.
    expect(result.syncs.byKind.collection).to.be.above(0);
    expect(result.syncs.collectionDurationS.mean).to.be.within(0.1, 30);
  });

  it("publishes a positive tag wearer's keys with consent and notifies contacts the next morning", async () => {
    // Everyone infected at once and diagnosed within hours: keys go out on day 0, matching runs on day 1.
    const epidemic = { ...small.epidemic, initialInfections: 40, diagnosedShare: 1, diagnosisDays: [0.1, 0.2] as [number, number], publicationDelayDays: 0.1 };
    const outcome = await simulate({ scenario: { ...small, days: 2, epidemic }, seed: "outbreak", tagFactory: bundleTagFactory(bundle) });
    const result = buildResult(outcome);
    const keyReads = outcome.syncs.filter((x) => x.kind === "keys");
    expect(keyReads.length).to.be.above(0);
    expect(keyReads.every((x) => x.outcome === "ok")).to.equal(true);
    expect(outcome.publications.some((p) => p.files !== null && p.keys.some((k) => k.profile === "gaen") && p.keys.some((k) => k.profile === "bluezone"))).to.equal(true);
    expect(result.notifications.notifications.length).to.be.above(0);
    for (const n of result.notifications.notifications) expect(n.delayHours).to.be.above(0);
    expect(result.notifications.notifications.some((n) => n.how === "listed to call")).to.equal(true);
  });
});
