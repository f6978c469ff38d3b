import { expect } from "chai";
import { bluetoothMetadata, gaenAdvert } from "../../firmware/gaen";
import { bluezoneAdvert } from "../../firmware/bluezone";
import { carriedDevices } from "../../sim/devices";
import { AirChange, PhoneScanHeard, PhoneScans, PhoneScanSetup, PhoneScanWorker } from "../../sim/phone-scans";
import { AirDevice, AirState, Radio, radioValues } from "../../sim/radio";
import { Random } from "../../sim/random";
import { applyOverrides, loadScenario, Scenario } from "../../sim/scenario";
import { buildWorld } from "../../sim/world";

const scenario = applyOverrides(loadScenario("commune") as Scenario, { days: 1, residents: 60, tags: 20 }) as Scenario;
const setup: PhoneScanSetup = { scenario, seed: "phone scans", radio: radioValues(), beaconKey: new Uint8Array(32).fill(7) };
const HOUR_MS = 3600_000;

/** The run's tag ids and start, numbered as the simulation numbers them. */
function tagIdsAndStart(): { tagIds: number[]; startMs: number } {
  const root = new Random(setup.seed);
  const world = buildWorld(scenario, root.fork("world"));
  const { tags } = carriedDevices(world, new Radio(world, root, setup.radio), root, { id: 0 } as AirDevice, (id) => ({ id }) as AirDevice);
  return { tagIds: tags.map((t) => t.id), startMs: world.start * 1000 };
}

/** Each tag on air from `at` with a GAEN and a Bluezone packet of its own, as a tag sends them at −8 dBm. */
function tagsOnAir(tagIds: number[], at: number): AirChange[] {
  return tagIds.map((device): AirChange => {
    const rpi = new Uint8Array(16).fill(device);
    const air: AirState = {
      txPowerDbm: -8,
      eventsPerSecond: 1000 / 280,
      packets: [gaenAdvert(rpi, bluetoothMetadata(-8)), bluezoneAdvert(new Uint8Array(12).fill(device))],
      address: `c0:00:00:00:00:${device.toString(16).padStart(2, "0")} random`,
    };
    return { device, time: at, air };
  });
}

/** Phone id → the tag ids it heard. */
function heardBy(scans: readonly PhoneScanHeard[]): Map<number, Set<number>> {
  const out = new Map<number, Set<number>>();
  for (const s of scans) for (const h of s.heard) (out.get(s.phone) ?? out.set(s.phone, new Set()).get(s.phone)!).add(h.from);
  return out;
}

describe("phone scans (sim/phone-scans.ts)", () => {
  it("hear the tags only while they are on air, each scan once, in order of its end", () => {
    const { tagIds, startMs } = tagIdsAndStart();
    const scans = new PhoneScans(setup);
    const silent = scans.advance(startMs + 10 * HOUR_MS, []);
    expect(silent.length).to.be.greaterThan(0);
    expect(silent.every((s) => s.heard.length === 0)).to.equal(true);

    const first = scans.advance(startMs + 11 * HOUR_MS, tagsOnAir(tagIds, startMs + 10 * HOUR_MS));
    const second = scans.advance(startMs + 12 * HOUR_MS, tagIds.map((device) => ({ device, time: startMs + 11 * HOUR_MS + 1, air: null })));
    const all = [...silent, ...first, ...second];
    const ends = all.map((s) => s.scan.until);
    expect(ends).to.deep.equal([...ends].sort((a, b) => a - b));
    expect(new Set(all.map((s) => `${s.phone}@${s.scan.from}`)).size).to.equal(all.length);
    expect(first.some((s) => s.heard.length > 0)).to.equal(true);
    expect(first.flatMap((s) => s.heard).every((h) => tagIds.includes(h.from))).to.equal(true);
    // Only the scans of the hour's first millisecond can still hear them.
    expect(second.filter((s) => s.heard.length > 0).every((s) => s.scan.until <= startMs + 11 * HOUR_MS + 1)).to.equal(true);
  });

  it("give the same receptions in the worker thread as on this one", async () => {
    const { tagIds, startMs } = tagIdsAndStart();
    const here = new PhoneScans(setup);
    const worker = new PhoneScanWorker(setup);
    try {
      for (let hour = 1; hour <= 14; hour++) {
        const changes = hour === 8 ? tagsOnAir(tagIds, startMs + 7 * HOUR_MS + 1234) : [];
        const there = await worker.advance(startMs + hour * HOUR_MS, changes);
        expect(there).to.deep.equal(here.advance(startMs + hour * HOUR_MS, changes));
        if (hour === 12) expect(heardBy(there).size).to.be.greaterThan(0);
      }
    } finally {
      await worker.stop();
    }
  });

  it("reject with the worker's error, then every later hour too, and stop cleanly", async () => {
    const { startMs } = tagIdsAndStart();
    const worker = new PhoneScanWorker(setup);
    try {
      const gatewayOnAir = { device: 0, time: startMs, air: null };
      const failed = await worker.advance(startMs + HOUR_MS, [gatewayOnAir]).then(() => null, (error: Error) => error);
      expect(failed?.message).to.equal("an air change for device 0, which is not a tag");
      const later = await worker.advance(startMs + 2 * HOUR_MS, []).then(() => null, (error: Error) => error);
      expect(later).to.equal(failed);
    } finally {
      await worker.stop();
    }
  });
});
