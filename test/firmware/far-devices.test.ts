/**
 * The sighting floor on a real tag, through the compiled firmware: devices heard only below it (far away,
 * across the village) leave nothing in the log, devices heard at or above it are logged as before.
 */
import { expect } from "chai";
import { bytesToHex } from "../../firmware/bytes";
import { SIGHTING_FLOOR_DBM } from "../../firmware/encounter";
import { Random } from "../../sim/espruino/random";
import { bootTag, expectNoErrors, firmwareBundle, Firmware, hearVisits, loggedEncounters, newWorld, otherDevice, runScans, Visit } from "./harness";

/** 2024-03-18T08:00:00Z. */
const START_S = 19800 * 86400 + 8 * 3600;

describe("firmware: far-away devices", function () {
  let firmware: Firmware;
  before(async () => {
    firmware = await firmwareBundle();
  });

  it("logs devices heard at or above the sighting floor and none heard only below it", () => {
    const world = newWorld(START_S);
    const tag = bootTag(world, firmware, { time: START_S });
    const random = new Random("far devices");
    const visits: Visit[] = [];
    // Over two hours, in turn: a near device, one just at the floor, one just under it, one far away.
    const levels = [-60, SIGHTING_FLOOR_DBM, SIGHTING_FLOOR_DBM - 1, -95];
    for (let k = 0; k < 24; k++) {
      visits.push({
        device: otherDevice(random, k % 2 ? "bluezone" : "gaen"),
        arrivalMs: (START_S + k * 300) * 1000,
        scans: 2,
        rssi: levels[k % levels.length]!,
      });
    }
    runScans(tag, (START_S + 3 * 3600) * 1000, hearVisits(visits));

    const logged = new Set(loggedEncounters(tag).map((e) => bytesToHex(e.id)));
    const kept = visits.filter((v) => v.rssi >= SIGHTING_FLOOR_DBM);
    const dropped = visits.filter((v) => v.rssi < SIGHTING_FLOOR_DBM);
    expect(kept.filter((v) => !logged.has(v.device.prefix)), "near devices not logged").to.deep.equal([]);
    expect(dropped.filter((v) => logged.has(v.device.prefix)), "far devices logged").to.deep.equal([]);
    expect(logged.size).to.equal(kept.length);
    expectNoErrors(tag);
  });
});
