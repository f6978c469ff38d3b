import { expect } from "chai";
import { loadScenario, Scenario } from "../../sim/scenario";
import { Random } from "../../sim/random";
import {
  AdvertEvent,
  AirDevice,
  AirState,
  audible,
  bodyBlocks,
  normalTail,
  pathLossDb,
  poisson,
  Radio,
  RADIO_PARAMETERS,
  radioValues,
  reach,
  Reception,
  receiveAggregate,
  ReceiverLinks,
  receiveEvents,
  WindowHeard,
} from "../../sim/radio";
import { World, Tracks, buildWorld } from "../../sim/world";

const values = radioValues();

/** A world of the commune's places with hand-placed residents: one segment each, the whole day. */
function handWorld(spots: { place: number; x: number; y: number; heading: number }[]): World {
  const base = buildWorld({ ...(loadScenario("commune") as Scenario), days: 1, residents: 20 }, new Random("radio-test"));
  const n = spots.length;
  const tracks: Tracks = {
    count: n,
    resident: Int32Array.from(spots.map((_, i) => i)),
    place: Int32Array.from(spots.map((s) => s.place)),
    start: Float64Array.from(spots.map(() => base.start)),
    end: Float64Array.from(spots.map(() => base.end)),
    x: Float64Array.from(spots.map((s) => s.x)),
    y: Float64Array.from(spots.map((s) => s.y)),
    heading: Float64Array.from(spots.map((s) => s.heading)),
    first: Int32Array.from([...spots.map((_, i) => i), n]),
  };
  return { ...base, residents: base.residents.slice(0, n), tracks };
}

/** A device advertising one packet every 250 ms at `txPowerDbm`. */
function beacon(id: number, resident: number, radio: Radio, txPowerDbm = 0): AirDevice {
  const packet = Uint8Array.of(id);
  const air: AirState = { txPowerDbm, eventsPerSecond: 1000 / 255, packets: [packet], address: `c0:00:00:00:00:0${id} random` };
  return {
    id,
    kind: "tag",
    resident,
    txGainDb: values.tagAntennaGain,
    rssiOffsetDb: values.tagAntennaGain,
    airState: () => air,
    links: new ReceiverLinks(),
    advertsBetween(from, until) {
      const out: AdvertEvent[] = [];
      for (let t = Math.ceil(from / 255) * 255; t < until; t += 255) out.push({ time: t, packet, txPowerDbm, address: air.address });
      return out;
    },
  };
}

describe("radio model (sim/radio.ts)", () => {
  it("names a source for every parameter", () => {
    for (const [name, p] of Object.entries(RADIO_PARAMETERS)) {
      expect(p.source.length, name).to.be.above(10);
      expect(p.unit.length, name).to.be.above(0);
    }
  });

  it("loses more with distance, and the free-space loss at 1 m", () => {
    let previous = -Infinity;
    for (let d = 0.5; d <= 50; d += 0.5) {
      const loss = pathLossDb(values, d, values.pathLossResidential);
      expect(loss).to.be.above(previous);
      previous = loss;
    }
    // 20·log10(2440) − 28 ≈ 39.7 dB at 1 m: free space at 2.44 GHz (40.2 dB) within half a dB.
    expect(pathLossDb(values, 1, values.pathLossResidential)).to.be.closeTo(40.2, 0.6);
    expect(pathLossDb(values, 10, 28) - pathLossDb(values, 1, 28)).to.be.closeTo(28, 1e-9);
  });

  it("has the mean received power fall with distance and lose a wall's loss per wall", () => {
    // Resident 0 faces east, the others face west: everyone faces resident 0, so no body is in the way.
    const world = handWorld([
      { place: 0, x: 0.5, y: 6, heading: 0 },
      { place: 0, x: 1.5, y: 6, heading: Math.PI },
      { place: 0, x: 3.5, y: 6, heading: Math.PI },
      { place: 1, x: 5.5, y: 6, heading: Math.PI }, // next house: 5 m away, one shared wall
    ]);
    const radio = new Radio(world, new Random("r"), values);
    const near = radio.link(0, 1);
    const far = radio.link(0, 2);
    const through = radio.link(0, 3);
    expect([near.bodies, far.bodies, through.bodies]).to.deep.equal([0, 0, 0]);
    expect(radio.unshadowedDbm(0, near)).to.be.above(radio.unshadowedDbm(0, far));
    expect(through.walls).to.equal(1);
    const sameDistance = { ...through, walls: 0 };
    expect(radio.unshadowedDbm(0, sameDistance) - radio.unshadowedDbm(0, through)).to.equal(values.wallLoss);
  });

  it("counts the wearer's body when the other device is behind", () => {
    expect(bodyBlocks(0, 1, 0)).to.equal(false); // facing east, other to the east
    expect(bodyBlocks(0, -1, 0)).to.equal(true);
    expect(bodyBlocks(Math.PI / 2, 0, 2)).to.equal(false);
  });

  it("keeps a link's shadowing while nobody moves, the same both ways, within ±2σ", () => {
    const world = handWorld([
      { place: 0, x: 0.5, y: 6, heading: 0 },
      { place: 0, x: 2.5, y: 6, heading: Math.PI },
    ]);
    const radio = new Radio(world, new Random("r"), values);
    expect(radio.shadowDb(0, 1, 8)).to.equal(radio.shadowDb(1, 0, 8));
    expect(radio.pathGainDb(0, 1)).to.equal(radio.pathGainDb(1, 0));
    const links = new ReceiverLinks();
    expect(links.entry(radio, 1, 0).gainDb).to.equal(radio.pathGainDb(0, 1));
    for (let a = 0; a < 200; a++) expect(Math.abs(radio.shadowDb(a, a + 1, 8))).to.be.at.most(16);
  });

  it("delivers the same packets for the same seed, and more of them nearer", () => {
    const world = handWorld([
      { place: 0, x: 0.5, y: 6, heading: 0 },
      { place: 0, x: 1.5, y: 6, heading: Math.PI },
      { place: 5, x: 2, y: 2, heading: 0 },
    ]);
    const run = (seed: string, sender: number) => {
      const radio = new Radio(world, new Random("r"), values);
      const rx = beacon(9, 0, radio);
      const tx = beacon(1, sender, radio);
      const got: Reception[] = [];
      const window = { from: world.start * 1000, until: world.start * 1000 + 60_000 };
      receiveEvents(radio, rx, reach(radio, rx, window, audible(radio, rx, [tx], (d) => d.resident)), window, window, new Random(seed), (r) => got.push(r));
      return got;
    };
    const a = run("s", 1);
    expect(a.length).to.be.within(200, 236); // 60 s / 255 ms, most heard at 1 m
    expect(run("s", 1)).to.deep.equal(a);
    expect(run("t", 1).map((r) => r.rssi)).to.not.deep.equal(a.map((r) => r.rssi));
    expect(run("s", 2).length).to.be.below(a.length); // far away in another building
  });

  it("hears about as often per window in aggregate as event by event", () => {
    const world = handWorld([
      { place: 0, x: 0.5, y: 6, heading: 0 },
      { place: 0, x: 4.5, y: 11, heading: Math.PI },
    ]);
    const radio = new Radio(world, new Random("r"), values);
    const rx = { ...beacon(9, 0, radio), kind: "phone" as const };
    const tx = beacon(1, 1, radio);
    let events = 0;
    let aggregate = 0;
    for (let k = 0; k < 200; k++) {
      const window = { from: world.start * 1000 + k * 300_000, until: world.start * 1000 + k * 300_000 + 40_000 };
      const heard: WindowHeard[] = [];
      receiveEvents(radio, rx, reach(radio, rx, window, audible(radio, rx, [tx], (d) => d.resident)), window, window, new Random(`e${k}`), () => events++);
      receiveAggregate(radio, rx, reach(radio, rx, window, audible(radio, rx, [tx], (d) => d.resident)), window, new Random(`a${k}`), () => true, (h) => heard.push(h));
      for (const h of heard) aggregate += h.count;
    }
    expect(aggregate / events).to.be.within(0.9, 1.1);
  });

  it("draws Poisson counts and normal tails right", () => {
    const random = new Random("p");
    let sum = 0;
    for (let i = 0; i < 20000; i++) sum += poisson(random, 3.5);
    expect(sum / 20000).to.be.closeTo(3.5, 0.1);
    expect(normalTail(0)).to.be.closeTo(0.5, 1e-7);
    expect(normalTail(1.96)).to.be.closeTo(0.025, 1e-4);
    expect(normalTail(-1)).to.be.closeTo(0.8413, 1e-4);
  });
});
