/**
 * The hardware watchdog, through the compiled firmware: a tag whose program hangs is reset within the
 * watchdog time and comes back broadcasting, scanning and blinking, from what it kept in Storage.
 */
import { expect } from "chai";
import { bootTag, expectNoErrors, firmwareBundle, Firmware, HEARTBEAT_MS, KEYS_FILE, newWorld, onAir, recordLights, runScans } from "./harness";

/** 2024-03-18T10:00:00Z. */
const START_S = 19800 * 86400 + 10 * 3600;
/** The firmware's watchdog timeout (main.ts). */
const WATCHDOG_MS = 200_000;
const MINUTE_MS = 60_000;

describe("firmware: watchdog", function () {
  let firmware: Firmware;
  before(async () => {
    firmware = await firmwareBundle();
  });

  it("resets a hung tag within the watchdog time; it comes back broadcasting, scanning and blinking", () => {
    const world = newWorld(START_S);
    const tag = bootTag(world, firmware, { time: START_S });
    world.runUntil(world.now() + 7.5 * MINUTE_MS);
    const keys = tag.storage.read(KEYS_FILE);

    const hungAt = world.now();
    tag.hang();
    world.runUntil(hungAt + WATCHDOG_MS);
    expect(tag.state).to.equal("running");
    const reset = tag.resets[tag.resets.length - 1]!;
    expect(reset.reason).to.equal("watchdog");
    expect(reset.time - hungAt, "time to reset").to.be.within(0, WATCHDOG_MS);

    // Back on air with IDs from the same keys, scanning every few minutes, blinking green.
    expect(onAir(tag, reset.time, reset.time + 5000), "adverts after the reset").to.not.be.empty;
    expect(tag.storage.read(KEYS_FILE), "keys").to.equal(keys);
    const lights = recordLights(tag, reset.time + HEARTBEAT_MS + 1000);
    expect(lights.map((p) => p.output)).to.deep.equal(["LED2"]);
    let scans = 0;
    runScans(tag, reset.time + 10 * MINUTE_MS, () => {
      scans++;
      return [];
    });
    expect(scans, "scans in 10 minutes").to.be.at.least(2);
    // It kicks the watchdog again: no further reset.
    world.runUntil(world.now() + 60 * MINUTE_MS);
    expect(tag.resets.map((r) => r.reason)).to.deep.equal(["power-on", "reboot", "watchdog"]);
    expectNoErrors(tag);
  });
});
