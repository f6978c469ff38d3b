import { expect } from "chai";
import { exposuresOf } from "../../tools/gateway/matching";
import { attenuationWeight, CWA_FIRST_RULE, exposureWindows, parseRiskRule, ScoredRecord, scoreWindow } from "../../tools/gateway/risk-rule";
import { TEST_DAY, TEST_DAY_START } from "./helpers";

const rule = CWA_FIRST_RULE;

/** A record `minutes` long at `attenuation` dB, `offset` minutes into the test day. */
function rec(offset: number, minutes: number, attenuation: number): ScoredRecord {
  return { time: TEST_DAY_START + offset * 60, minutes, attenuation };
}

describe("risk rule (Corona-Warn-App's first exposure-window rule)", () => {
  it("weights attenuation 1 below 55 dB, 0.5 from 55 to below 63, 0 from 63, and ignores 73 dB and above", () => {
    const weights = [0, 54, 55, 62, 63, 72, 73, 90].map((a) => attenuationWeight(rule, a));
    expect(weights).to.deep.equal([1, 1, 0.5, 0.5, 0, 0, 0, 0]);
    expect(attenuationWeight(rule, -3)).to.equal(1); // stronger than the TX power: as near as it gets
  });

  it("drops a window with under 10 minutes below 73 dB and keeps one with exactly 10", () => {
    expect(scoreWindow(rule, [rec(0, 9.5, 50)])).to.deep.include({ kept: false, weightedMinutes: 0, minutes: 9.5 });
    expect(scoreWindow(rule, [rec(0, 10, 50)])).to.deep.include({ kept: true, weightedMinutes: 10, minutes: 10 });
    // Minutes at 73 dB or more neither count nor help a window pass.
    expect(scoreWindow(rule, [rec(0, 6, 50), rec(10, 20, 73)])).to.deep.include({ kept: false, minutes: 6 });
    // Minutes at 63..72 dB help a window pass but weigh nothing.
    expect(scoreWindow(rule, [rec(0, 6, 50), rec(10, 4, 70)])).to.deep.include({ kept: true, weightedMinutes: 6, minutes: 10 });
  });

  it("groups one key's records into windows of at most 30 minutes", () => {
    const windows = exposureWindows(rule, [rec(40, 7, 50), rec(0, 7, 50), rec(29, 7, 50), rec(30, 7, 50)]);
    expect(windows.map((w) => w.map((r) => (r.time - TEST_DAY_START) / 60))).to.deep.equal([[0, 29], [30, 40]]);
  });

  it("alerts at 15 weighted minutes a day and not at 14.5", () => {
    const day = (records: ScoredRecord[]) => exposuresOf(rule, 1, 1, records);
    // 14.5: 9 min at 50 dB + 11 min at 58 dB (5.5) in one window.
    const under = day([rec(0, 9, 50), rec(10, 11, 58)]);
    expect(under).to.have.length(1);
    expect(under[0].weightedMinutes).to.equal(14.5);
    expect(under[0].weightedMinutes >= rule.alertWeightedMinutes).to.equal(false);
    // 15: 10 min at 54 dB + 10 min at 55 dB.
    const at = day([rec(0, 10, 54), rec(10, 10, 55)]);
    expect(at[0]).to.include({ day: TEST_DAY, weightedMinutes: 15, minutes: 20, minAttenuation: 54 });
    expect(at[0].weightedMinutes >= rule.alertWeightedMinutes).to.equal(true);
  });

  it("adds a day's windows and keeps days apart", () => {
    const records = [rec(0, 10, 50), rec(120, 10, 50), rec(24 * 60 + 5, 12, 50), rec(24 * 60 + 60, 5, 50)];
    const exposures = exposuresOf(rule, 7, 3, records);
    expect(exposures.map((e) => [e.day - TEST_DAY, e.weightedMinutes])).to.deep.equal([
      [0, 20],
      [1, 12], // the lone 5-minute window of day 1 is dropped
    ]);
    expect(exposures[0]).to.include({ tag: 7, diagnosisKey: 3, firstTime: TEST_DAY_START, lastTime: TEST_DAY_START + 130 * 60 });
  });

  it("reads a rule from JSON and explains what is wrong with a bad one", () => {
    const parsed = parseRiskRule(JSON.parse(JSON.stringify(rule)));
    expect(parsed).to.deep.equal({ rule });
    expect(parseRiskRule({ ...rule, weights: [{ below: 60, weight: 1 }, { below: 55, weight: 0.5 }] })).to.deep.equal({ error: "weights must have rising 'below' values" });
    expect(parseRiskRule({ ...rule, alertWeightedMinutes: "15" })).to.deep.equal({ error: "alertWeightedMinutes must be a number ≥ 0" });
    expect(parseRiskRule([])).to.have.property("error");
  });
});
