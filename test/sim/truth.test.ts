import { expect } from "chai";
import { loadScenario, Scenario } from "../../sim/scenario";
import { Random } from "../../sim/random";
import { CLOSE_CONTACT_SECONDS, closeContacts, closeTime, PairDay, spreadEpidemic, TruthInput } from "../../sim/truth";
import { AWAY, DAY_S, Tracks } from "../../sim/world";

/** 2026-03-02T00:00:00Z. */
const DAY0 = 20514 * DAY_S;

/** A hand-made trace: per resident, segments [place, from (s after DAY0), until, x, y]. */
function trace(residents: [number, number, number, number, number][][]): TruthInput {
  const rows = residents.flatMap((segments, r) => segments.map((s) => ({ r, s })));
  const first: number[] = [];
  let at = 0;
  for (const segments of residents) {
    first.push(at);
    at += segments.length;
  }
  first.push(at);
  const tracks: Tracks = {
    count: rows.length,
    resident: Int32Array.from(rows.map((x) => x.r)),
    place: Int32Array.from(rows.map((x) => x.s[0])),
    start: Float64Array.from(rows.map((x) => DAY0 + x.s[1])),
    end: Float64Array.from(rows.map((x) => DAY0 + x.s[2])),
    x: Float64Array.from(rows.map((x) => x.s[3])),
    y: Float64Array.from(rows.map((x) => x.s[4])),
    heading: new Float64Array(rows.length),
    first: Int32Array.from(first),
  };
  return { tracks, residents: residents.length, places: 3 };
}

const H = 3600;

describe("ground truth (sim/truth.ts)", () => {
  it("sums the time two people stand within 2 m of each other in one place, per pair and UTC day", () => {
    const input = trace([
      // 0: at the market 08:00–09:00, standing at (10, 10) then, from 08:30, at (20, 10)
      [[AWAY, 0, 8 * H, 0, 0], [1, 8 * H, 8.5 * H, 10, 10], [1, 8.5 * H, 9 * H, 20, 10], [AWAY, 9 * H, DAY_S, 0, 0]],
      // 1: at the market 08:10–08:40 at (11.5, 10): 1.5 m from 0 until 08:30, then 8.5 m
      [[AWAY, 0, 8 * H + 600, 0, 0], [1, 8 * H + 600, 8 * H + 2400, 11.5, 10], [AWAY, 8 * H + 2400, DAY_S, 0, 0]],
      // 2: at the market all morning at (12.5, 10): 2.5 m from 0, 1 m from 1
      [[AWAY, 0, 6 * H, 0, 0], [1, 6 * H, 12 * H, 12.5, 10], [AWAY, 12 * H, DAY_S, 0, 0]],
      // 3: in the house next door (place 2) 1 m from where 0 stood: never counts
      [[2, 0, DAY_S, 10, 11]],
    ]);
    const pairs = closeTime(input);
    const simple = pairs.map((p: PairDay) => [p.a, p.b, p.day, p.seconds, p.first - DAY0]);
    expect(simple).to.deep.equal([
      [0, 1, 20514, 1200, 8 * H + 600], // 08:10–08:30: 20 minutes
      [1, 2, 20514, 1800, 8 * H + 600], // 30 minutes
    ]);
    expect(closeContacts(pairs).map((p) => [p.a, p.b])).to.deep.equal([
      [0, 1],
      [1, 2],
    ]);
    expect(closeContacts(pairs, 25 * 60).map((p) => [p.a, p.b])).to.deep.equal([[1, 2]]);
  });

  it("adds up separate meetings in a day and splits a meeting at UTC midnight", () => {
    const input = trace([
      [[1, 0, 5 * 60, 0, 0], [AWAY, 5 * 60, 23.9 * H, 0, 0], [1, 23.9 * H, DAY_S + H, 0, 0]],
      [[1, 0, DAY_S + H, 1, 1]],
    ]);
    const pairs = closeTime(input);
    expect(pairs.map((p) => [p.day - 20514, Math.round(p.seconds)])).to.deep.equal([
      [0, 300 + 360], // 5 minutes in the morning, 6 before midnight: 11 in all, not a close contact
      [1, 3600],
    ]);
    expect(closeContacts(pairs).map((p) => p.day - 20514)).to.deep.equal([1]);
    expect(CLOSE_CONTACT_SECONDS).to.equal(900);
  });

  it("spreads an epidemic only along close time, from infectious residents", () => {
    const scenario = loadScenario("commune") as Scenario;
    const epidemic = { ...scenario.epidemic, initialInfections: 1, transmissionPerCloseMinute: 1, latentDays: 0, diagnosedShare: 1, diagnosisDays: [2, 2] as [number, number], publicationDelayDays: 1 };
    // The first case is infected some time on day 0; the meetings come after, on days 1 and 2.
    const pairs: PairDay[] = [
      { a: 0, b: 1, day: 20515, seconds: 600, first: DAY0 + DAY_S + 12 * H },
      { a: 1, b: 2, day: 20516, seconds: 600, first: DAY0 + 2 * DAY_S + 12 * H },
    ];
    const infections = spreadEpidemic({ ...scenario, epidemic }, pairs, 4, DAY0, DAY0 + 10 * DAY_S, new Random("e"));
    const first = infections[0]!.resident;
    expect(infections[0]!.source).to.equal(null);
    if (first === 0 || first === 1 || first === 2) expect(infections.length).to.be.at.least(2);
    if (first === 3) expect(infections.length).to.equal(1); // nobody met resident 3
    for (const i of infections) {
      if (i.source !== null) expect(pairs.some((p) => (p.a === i.source && p.b === i.resident) || (p.b === i.source && p.a === i.resident))).to.equal(true);
      expect(i.diagnosedAt! - i.at).to.equal(2 * DAY_S);
      expect(i.publishedAt! - i.diagnosedAt!).to.equal(DAY_S);
    }
  });
});
