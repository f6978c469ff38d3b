import { expect } from "chai";
import { DEFAULT_CONFIG, applyConfig } from "../firmware/config";

describe("tag config (firmware/config.ts)", () => {
  it("applies a valid patch and leaves the current config untouched", () => {
    const next = applyConfig(DEFAULT_CONFIG, { scanPeriodS: 120, bluezone: false });
    expect(next).to.deep.equal({ ...DEFAULT_CONFIG, scanPeriodS: 120, bluezone: false });
    expect(DEFAULT_CONFIG.scanPeriodS).to.equal(240);
  });

  it("refuses unknown settings, wrong types, NaN and values out of range", () => {
    expect(applyConfig(DEFAULT_CONFIG, { nonsense: 1 })).to.equal(null);
    expect(applyConfig(DEFAULT_CONFIG, { gaen: 1 })).to.equal(null);
    expect(applyConfig(DEFAULT_CONFIG, { scanPeriodS: "240" })).to.equal(null);
    expect(applyConfig(DEFAULT_CONFIG, { scanPeriodS: NaN })).to.equal(null);
    expect(applyConfig(DEFAULT_CONFIG, { advertIntervalMs: 199 })).to.equal(null);
    expect(applyConfig(DEFAULT_CONFIG, { advertIntervalMs: 271 })).to.equal(null);
    expect(applyConfig(DEFAULT_CONFIG, { advertIntervalMs: 270 })).to.not.equal(null);
  });

  it("never turns both profiles off", () => {
    expect(applyConfig(DEFAULT_CONFIG, { gaen: false, bluezone: false })).to.equal(null);
    expect(applyConfig({ ...DEFAULT_CONFIG, bluezone: false }, { gaen: false })).to.equal(null);
  });
});
