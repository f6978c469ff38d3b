/**
 * The BLE address through the compiled firmware: a random static address that changes exactly when the IDs
 * change (every 15 minutes with both profiles) and never in between; and the scan, which the address change
 * restarts, keeps reporting across a rotation.
 */
import { expect } from "chai";
import { bytesToHex } from "../../firmware/bytes";
import type { AdvertisingEvent } from "../../sim/espruino/nrf";
import { Random } from "../../sim/espruino/random";
import { bootTag, expectNoErrors, firmwareBundle, Firmware, loggedEncounters, newWorld, onAir, otherDevice } from "./harness";

/** Rotation period with both profiles on (Bluezone's ID slot). */
const ROTATION_MS = 900_000;
/** 2024-03-18T10:00:00Z, a rotation instant. */
const ROTATION_0 = (19800 * 86400 + 10 * 3600) * 1000;
/** Scan timing given to the tag, so the test can place a scan across a rotation. */
const SCAN = { scanPeriodS: 240, scanWindowMs: 350 };

/** Consecutive runs of events sharing an address. */
function byAddress(events: AdvertisingEvent[]): AdvertisingEvent[][] {
  const runs: AdvertisingEvent[][] = [];
  for (const event of events) {
    const run = runs[runs.length - 1];
    if (run && run[0]!.address === event.address) run.push(event);
    else runs.push([event]);
  }
  return runs;
}

describe("firmware: address rotation", function () {
  let firmware: Firmware;
  before(async () => {
    firmware = await firmwareBundle();
  });

  it("changes the random static address exactly at each rotation, with the IDs, and never in between", () => {
    // Boot 4 minutes before a rotation and watch for four more.
    const bootMs = ROTATION_0 - 240_000;
    const world = newWorld(bootMs / 1000);
    const tag = bootTag(world, firmware, { time: bootMs / 1000, radioHistoryMs: 2 * 3600_000 });
    const endMs = ROTATION_0 + 4 * ROTATION_MS + 60_000;
    const runs = byAddress(onAir(tag, bootMs, endMs));

    expect(runs).to.have.length(6);
    runs.forEach((run, i) => {
      const [hex, type] = run[0]!.address.split(" ");
      expect(type).to.equal("random");
      expect(parseInt(hex!.slice(0, 2), 16) & 0xc0, `address ${hex}: two top bits set`).to.equal(0xc0);
      // Each address lives from one rotation to the next.
      const from = i === 0 ? bootMs : ROTATION_0 + (i - 1) * ROTATION_MS;
      expect(run[0]!.time - from, `run ${i} starts at its rotation`).to.be.within(0, 300);
      if (i < runs.length - 1) expect(ROTATION_0 + i * ROTATION_MS - run[run.length - 1]!.time, `run ${i} ends at the next`).to.be.within(0, 300);
      // One GAEN and one Bluezone packet per address.
      expect(new Set(run.map((e) => bytesToHex(e.packet))).size).to.equal(2);
    });
    expect(new Set(runs.map((run) => run[0]!.address)).size, "addresses all differ").to.equal(runs.length);
    const packets = runs.map((run) => new Set(run.map((e) => bytesToHex(e.packet))));
    for (let i = 1; i < packets.length; i++) for (const p of packets[i]!) expect(packets[i - 1]!.has(p), "an ID outlived its address").to.equal(false);
    expectNoErrors(tag);
  });

  it("applies its scan settings again after the address change: a scan running across a rotation keeps reporting", () => {
    // The second scan starts 100 ms before the rotation and lasts 350 ms.
    const bootMs = ROTATION_0 - SCAN.scanPeriodS * 1000 - 100;
    const world = newWorld(bootMs / 1000);
    const tag = bootTag(world, firmware, { time: bootMs / 1000, config: SCAN });
    world.runUntil(ROTATION_0 - 50);
    expect(tag.radio.scanState().scanning, "scanning before the rotation").to.equal(true);

    world.runUntil(ROTATION_0 + 100);
    const state = tag.radio.scanState();
    expect(state.scanning, "still scanning after the rotation").to.equal(true);
    expect(state.since, "the radio restarted at the rotation").to.equal(ROTATION_0);
    const around = tag.radio.advertisingEvents(ROTATION_0 - 2000, ROTATION_0 + 100);
    expect(around[0]!.address, "a new address").to.not.equal(around[around.length - 1]!.address);
    const phone = otherDevice(new Random("rotation scan"), "gaen");
    const stranger = { address: "c4:00:00:00:00:01 random", data: Uint8Array.of(2, 1, 6, 5, 0xff, 0x4c, 0x00, 0x02, 0x15) };
    expect(tag.radio.deliverAdvert({ ...phone, rssi: -58 }), "a GAEN advert reaches the program").to.equal(true);
    expect(tag.radio.deliverAdvert({ ...stranger, rssi: -58 }), "other adverts are still filtered out").to.equal(false);

    // The sighting becomes an encounter once the phone has been silent for a while.
    world.runUntil(ROTATION_0 + 30 * 60_000);
    const logged = loggedEncounters(tag).map((e) => ({ prefix: bytesToHex(e.id), rssi: e.rssiMean }));
    expect(logged).to.deep.equal([{ prefix: phone.prefix, rssi: -58 }]);
    expectNoErrors(tag);
  });
});
