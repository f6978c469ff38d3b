/**
 * Budgets of the compiled firmware in the host runtime's models (deterministic, so asserted): average
 * current of a Puck.js with another tag nearby, and the JsVars the program holds in steady state.
 */
import { expect } from "chai";
import { bootTag, expectNoErrors, firmwareBundle, Firmware, newWorld, runPair } from "./harness";

/** 2024-03-18T08:00:00Z. */
const START_S = 19800 * 86400 + 8 * 3600;
const HOUR_MS = 3600_000;
/** DESIGN.md: average current ≤ 50 µA. */
const CURRENT_BUDGET_UA = 50;
/** DESIGN.md: steady-state use ≤ 50 % of a Puck.js's 2630 JsVars. */
const JSVAR_BUDGET = 0.5 * 2630;

describe("firmware: power and memory budgets", function () {
  let firmware: Firmware;
  before(async () => {
    firmware = await firmwareBundle();
  });

  it(`draws at most ${CURRENT_BUDGET_UA} µA on average over 6 hours with another tag nearby, and holds at most ${JSVAR_BUDGET} JsVars (Puck.js)`, () => {
    const world = newWorld(START_S);
    const tag = bootTag(world, firmware, { seed: "worn", time: START_S });
    world.runUntil(START_S * 1000 + 90_000);
    const other = bootTag(world, firmware, { seed: "nearby", time: START_S + 90 });
    const usage: number[] = [];
    for (let hour = 1; hour <= 6; hour++) {
      runPair(tag, other, -65, START_S * 1000 + hour * HOUR_MS);
      usage.push(tag.memory().usage);
    }
    const report = tag.power.report();
    const parts = Object.entries(report.breakdown).map(([part, uA]) => `${part} ${uA.toFixed(2)}`);
    console.log(`      average ${report.averageMicroAmps.toFixed(1)} µA over ${report.elapsedSeconds / 3600} h: ${parts.join(", ")} µA; JsVars ${usage.join(", ")}`);
    expect(report.elapsedSeconds).to.equal(6 * 3600);
    expect(report.averageMicroAmps, "average µA").to.be.at.most(CURRENT_BUDGET_UA);
    expect(report.breakdown.scanning, "the tag scanned").to.be.greaterThan(0);
    expect(Math.max(...usage), "JsVars in use").to.be.at.most(JSVAR_BUDGET);
    expect(tag.memory().total).to.equal(2630);
    expectNoErrors(tag, other);
  });
});
