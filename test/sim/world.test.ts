import { expect } from "chai";
import { loadScenario, Scenario } from "../../sim/scenario";
import { Random } from "../../sim/random";
import { AWAY, buildWorld, DAY_S, lunarDay, Occupancy, utcMidnight, wallsBetweenPlaces, weekday, World } from "../../sim/world";

const commune = loadScenario("commune") as Scenario;
const world = buildWorld(commune, new Random("world-test"));

/** Local minutes after midnight of a Unix time. */
function localMinutes(t: number): number {
  return (((t + commune.utcOffsetHours * 3600) % DAY_S) + DAY_S) % DAY_S / 60;
}

/** Seconds each resident spends in each kind of place (away counted apart). */
function timeByKind(w: World): Map<number, Record<string, number>> {
  const out = new Map<number, Record<string, number>>();
  const t = w.tracks;
  for (let s = 0; s < t.count; s++) {
    const r = t.resident[s]!;
    const kind = t.place[s] === AWAY ? "away" : t.place[s] === w.residents[r]!.household ? "home" : w.places[t.place[s]!]!.kind;
    const entry = out.get(r) ?? {};
    entry[kind] = (entry[kind] ?? 0) + t.end[s]! - t.start[s]!;
    out.set(r, entry);
  }
  return out;
}

describe("world (sim/world.ts)", () => {
  it("gives every resident a contiguous track over the whole run", () => {
    const t = world.tracks;
    for (let r = 0; r < world.residents.length; r++) {
      const first = t.first[r]!;
      const last = t.first[r + 1]! - 1;
      expect(t.start[first]).to.equal(world.start);
      expect(t.end[last]).to.equal(world.end);
      for (let s = first; s < last; s++) expect(t.end[s]).to.equal(t.start[s + 1]);
    }
  });

  it("makes households of 1 to 6 with at least one grown-up, in row houses that share walls", () => {
    const sizes = new Map<number, number>();
    for (const r of world.residents) sizes.set(r.household, (sizes.get(r.household) ?? 0) + 1);
    expect(Math.min(...sizes.values())).to.be.at.least(1);
    expect(Math.max(...sizes.values())).to.be.at.most(6);
    for (const h of sizes.keys()) expect(world.residents.some((r) => r.household === h && r.age !== "child")).to.equal(true);
    const walls = wallsBetweenPlaces(world);
    const house = (row: number, door: number) => world.places.find((p) => p.kind === "household" && p.row === row && p.door === door)!.index;
    expect(walls(house(0, 0), house(0, 1))).to.equal(1); // one shared side wall
    expect(walls(house(0, 0), house(0, 3))).to.equal(3);
    expect(walls(house(0, 2), house(1, 2))).to.equal(2); // back wall of one row, front wall of the next
  });

  it("hands tags mostly to elderly residents without a phone app, and apps at the scenario's rates", () => {
    const tags = world.residents.filter((r) => r.devices.tag);
    expect(tags.every((r) => r.devices.phone === null)).to.equal(true);
    expect(tags.filter((r) => r.age === "elderly").length / tags.length).to.be.above(0.4);
    const gaen = world.residents.filter((r) => r.devices.phone === "gaen").length / world.residents.length;
    const bluezone = world.residents.filter((r) => r.devices.phone === "bluezone").length / world.residents.length;
    expect(gaen).to.be.within(0.04, 0.18);
    expect(bluezone).to.be.within(0.2, 0.4);
  });

  it("keeps the elderly closer to home than working adults, and everyone home at night", () => {
    const byKind = timeByKind(world);
    const homeShare = (age: string) => {
      const shares = world.residents.filter((r) => r.age === age).map((r) => (byKind.get(r.index)!.home ?? 0) / (world.end - world.start));
      return shares.reduce((a, b) => a + b, 0) / shares.length;
    };
    expect(homeShare("elderly")).to.be.above(homeShare("adult") + 0.1);
    const t = world.tracks;
    for (let s = 0; s < t.count; s++) {
      const midnight = Math.floor((t.start[s]! + commune.utcOffsetHours * 3600) / DAY_S) * DAY_S - commune.utcOffsetHours * 3600 + DAY_S;
      // A segment covering 02:00 local time is at home.
      const twoAm = midnight - DAY_S + 2 * 3600;
      if (t.start[s]! <= twoAm && t.end[s]! > twoAm) expect(t.place[s]).to.equal(world.residents[t.resident[s]!]!.household);
    }
  });

  it("opens the market in the morning and the commune hall on collection days only", () => {
    const t = world.tracks;
    const market = world.places.find((p) => p.kind === "market")!.index;
    const hall = world.places.find((p) => p.kind === "communeHall")!.index;
    let hallVisits = 0;
    for (let s = 0; s < t.count; s++) {
      if (t.place[s] === market) {
        expect(localMinutes(t.start[s]!)).to.be.at.least(commune.routine.market.opens);
        expect(localMinutes(t.end[s]! - 1)).to.be.below(commune.routine.market.closes);
      }
      if (t.place[s] === hall) {
        hallVisits++;
        const localMidnight = t.start[s]! - localMinutes(t.start[s]!) * 60;
        expect(commune.routine.communeHall.collectionDays).to.include(weekday(localMidnight, commune.utcOffsetHours));
      }
    }
    expect(hallVisits).to.be.above(0);
  });

  it("fills the pagoda on the lunar 1st and 15th", () => {
    // 2026-02-17 is Tết, the 1st of the first lunar month; 2026-03-03 is the 15th.
    const offset = commune.utcOffsetHours;
    const local = (date: string) => utcMidnight(date) - offset * 3600;
    expect(lunarDay(local("2026-02-17"), offset)).to.equal(1);
    expect(lunarDay(local("2026-03-03"), offset)).to.equal(15);
    const pagoda = world.places.find((p) => p.kind === "pagoda")!.index;
    const visitorsOn = (date: string) => {
      const from = local(date);
      const seen = new Set<number>();
      for (let s = 0; s < world.tracks.count; s++) {
        if (world.tracks.place[s] === pagoda && world.tracks.start[s]! >= from && world.tracks.start[s]! < from + DAY_S) seen.add(world.tracks.resident[s]!);
      }
      return seen.size;
    };
    expect(visitorsOn("2026-03-03")).to.be.above(3 * visitorsOn("2026-03-05"));
  });

  it("stands people at spots inside their place and moves them now and then", () => {
    const t = world.tracks;
    for (let s = 0; s < t.count; s++) {
      if (t.place[s] === AWAY) continue;
      const p = world.places[t.place[s]!]!;
      expect(t.x[s]).to.be.within(p.x, p.x + p.spec.widthM);
      expect(t.y[s]).to.be.within(p.y, p.y + p.spec.depthM);
    }
    const segmentsPerDay = t.count / world.residents.length / commune.days;
    expect(segmentsPerDay).to.be.within(5, 100);
  });

  it("is the same for the same seed and different for another", () => {
    const again = buildWorld(commune, new Random("world-test"));
    expect(Array.from(again.tracks.x)).to.deep.equal(Array.from(world.tracks.x));
    expect(again.residents).to.deep.equal(world.residents);
    const other = buildWorld(commune, new Random("another"));
    expect(Array.from(other.tracks.x.slice(0, 100))).to.not.deep.equal(Array.from(world.tracks.x.slice(0, 100)));
  });

  it("tells who is in each place as time goes on", () => {
    const occupancy = new Occupancy(world);
    const market = world.places.find((p) => p.kind === "market")!.index;
    let seenAtMarket = 0;
    for (let t = world.start; t < world.start + DAY_S; t += 600) {
      occupancy.advanceTo(t);
      for (const r of occupancy.occupants[market]!) {
        const s = occupancy.segment[r]!;
        expect(world.tracks.place[s]).to.equal(market);
        expect(world.tracks.start[s]).to.be.at.most(t);
        expect(world.tracks.end[s]).to.be.above(t);
      }
      seenAtMarket = Math.max(seenAtMarket, occupancy.occupants[market]!.length);
    }
    expect(seenAtMarket).to.be.above(5);
    expect(() => occupancy.advanceTo(world.start)).to.throw(/cannot go back/);
  });
});
