import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { applyOverrides, bundledScenarios, isScenarioErrors, loadScenario, parseScenario, Scenario, SCENARIO_DIR, toJson } from "../../sim/scenario";

/** The commune scenario file as parsed JSON, to break in tests. */
function communeJson(): any {
  return JSON.parse(readFileSync(join(SCENARIO_DIR, "commune.json"), "utf8"));
}

function errorsOf(json: unknown): string[] {
  const parsed = parseScenario(json, "s");
  return isScenarioErrors(parsed) ? parsed.errors : [];
}

describe("scenarios (sim/scenario.ts)", () => {
  it("bundles a valid commune and market scenario", () => {
    expect(bundledScenarios()).to.include.members(["commune", "market"]);
    for (const name of bundledScenarios()) {
      const s = loadScenario(name);
      expect(isScenarioErrors(s), JSON.stringify(s)).to.equal(false);
    }
    const commune = loadScenario("commune") as Scenario;
    expect(commune.residents).to.equal(300);
    expect(commune.days).to.equal(14);
    expect(commune.adoption.gaen + commune.adoption.bluezone).to.be.within(0.06, 0.6);
    expect(commune.routine.market.opens).to.equal(5 * 60 + 30); // "05:30" in minutes
  });

  it("names the field, the allowed values and what it got", () => {
    const json = communeJson();
    json.days = 0;
    json.adoption.gaen = "lots";
    json.routine.market.opens = "5:30";
    json.places.market.environment = "indoors";
    expect(errorsOf(json)).to.deep.equal([
      "s.days must be an integer in 1..60 (got 0)",
      "s.places.market.environment must be one of residential, office, commercial, open-air (got \"indoors\")",
      "s.adoption.gaen must be a number in 0..1 (got \"lots\")",
      "s.routine.market.opens must be a time \"HH:MM\" from 00:00 to 23:59 (got \"5:30\")",
    ]);
  });

  it("reports missing and unknown fields (typos)", () => {
    const json = communeJson();
    delete json.residents;
    json.epidemic.seeds = 3;
    const errors = errorsOf(json);
    expect(errors).to.include("s.residents must be an integer in 2..5000 (got nothing)");
    expect(errors.some((e) => e.startsWith("s.epidemic.seeds is not a known field"))).to.equal(true);
  });

  it("checks rules across fields", () => {
    const shares = communeJson();
    shares.ageShares.child = 0.5;
    expect(errorsOf(shares)).to.deep.equal(["s.ageShares must add up to 1"]);

    const adoption = communeJson();
    adoption.adoption.bluezone = 0.55;
    expect(errorsOf(adoption)[0]).to.match(/adoption.gaen \+ adoption.bluezone = 0.65, more than the 0.553 of residents who own a smartphone/);

    const sizes = communeJson();
    sizes.households.sizeWeights = [1, 2, 3];
    expect(errorsOf(sizes)).to.deep.equal(["s.households.sizeWeights must be a list of 6 items (got [1,2,3])"]);

    const window = communeJson();
    window.routine.pagoda.from = "10:00";
    expect(errorsOf(window)).to.deep.equal(["s.routine.pagoda must have from ≤ to (starts are drawn in between, the same day)"]);
  });

  it("refuses unknown names and broken files clearly", () => {
    const missing = loadScenario("atlantis");
    expect(isScenarioErrors(missing) && missing.errors[0]).to.match(/unknown scenario "atlantis": bundled scenarios are commune, market/);
  });

  it("applies command-line overrides and checks them under their option names", () => {
    const commune = loadScenario("commune") as Scenario;
    const shorter = applyOverrides(commune, { days: 3, tags: 20 }) as Scenario;
    expect([shorter.days, shorter.adoption.tagCount]).to.deep.equal([3, 20]);
    const bad = applyOverrides(commune, { days: 61, residents: 10, tags: 11 });
    expect(isScenarioErrors(bad) && bad.errors).to.deep.equal(["--days must be an integer in 1..60 (got 61)", "--tags must be an integer in 0..10 (got 11)"]);
  });

  it("writes a scenario back in its file form", () => {
    const commune = loadScenario("commune") as Scenario;
    expect(parseScenario(toJson(commune))).to.deep.equal(commune);
    expect(toJson(commune)).to.deep.equal(communeJson());
  });
});
