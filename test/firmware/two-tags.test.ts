/**
 * Two tags worn 1 m apart for an hour, running the compiled firmware: each hears the other during its scans
 * and logs the encounters in flash, as the gateway will read them.
 */
import { expect } from "chai";
import { parseAdvert } from "../../firmware/advert";
import { bytesToHex } from "../../firmware/bytes";
import { bootTag, Delivery, expectNoErrors, firmwareBundle, Firmware, loggedEncounters, newWorld, runPair } from "./harness";
import type { HostTag } from "../../sim/espruino/tag";

/** 2024-03-18T09:00:00Z. */
const START_S = 19800 * 86400 + 9 * 3600;
/** Two wrists 1 m apart: −8 dBm sent (the default), about 40 dB of free-space loss at 1 m, 12 dB of body loss. */
const RSSI_1M = -60;
const HOUR_MS = 3600_000;
/** Rotation period with both profiles (the address, and so the encounter, changes with it). */
const ROTATION_S = 900;

/** The 4-byte ID prefixes of the packets `receiver` took from the other tag, with the AEM bits a record keeps. */
function idsTaken(deliveries: Delivery[], receiver: HostTag): Map<string, number> {
  const ids = new Map<string, number>();
  for (const d of deliveries) {
    if (d.receiver !== receiver || !d.taken) continue;
    const received = parseAdvert(d.event.packet)!;
    ids.set(bytesToHex(received.id.subarray(0, 4)), received.aem ? received.aem[1]! & 0x3f : 0);
  }
  return ids;
}

describe("firmware: two tags 1 m apart", function () {
  let firmware: Firmware;
  before(async () => {
    firmware = await firmwareBundle();
  });

  it("each logs the other's encounters: IDs it sent, times within the hour, about one per rotation", () => {
    const world = newWorld(START_S);
    const a = bootTag(world, firmware, { seed: "a", time: START_S });
    world.runUntil(START_S * 1000 + 37_000); // not in step: b is handed out 37 s later
    const b = bootTag(world, firmware, { seed: "b", time: world.now() / 1000 });
    const deliveries = runPair(a, b, RSSI_1M, START_S * 1000 + HOUR_MS);
    // Apart: the last encounters close once the other has been silent for two scan periods.
    world.runUntil(START_S * 1000 + HOUR_MS + 20 * 60_000);

    for (const [tag, other] of [[a, b], [b, a]] as const) {
      const heard = idsTaken(deliveries, tag);
      expect(heard.size, `${tag.name} heard ${other.name}'s IDs`).to.be.greaterThan(4);
      const log = loggedEncounters(tag);
      // About one encounter per rotation period of the other tag (4 in the hour, 5 with partial periods).
      expect(log.length, `${tag.name} encounters`).to.be.within(4, 6);
      for (const e of log) {
        const prefix = bytesToHex(e.id);
        expect(heard.has(prefix), `${tag.name} logged ${prefix}, which ${other.name} sent`).to.equal(true);
        expect(e.aem, "AEM bits (GAEN) or 0 (Bluezone)").to.equal(heard.get(prefix));
        // First seen: stored to the quarter hour, so within the hour from the quarter it started in.
        expect(e.first, "first seen").to.be.within(START_S, START_S + 3600);
        expect(e.seconds, "duration").to.be.within(0, ROTATION_S);
        expect(e.rssiMean, "mean RSSI").to.be.within(RSSI_1M - 2, RSSI_1M + 2);
        expect(e.rssiMax, "strongest").to.be.at.least(e.rssiMean);
      }
      expect(new Set(log.map((e) => bytesToHex(e.id))).size, "one encounter per ID").to.equal(log.length);
      // Together, the encounters cover most of the hour (each is first to last sighting, scans every 4 min).
      const covered = log.reduce((sum, e) => sum + e.seconds, 0);
      expect(covered, "seconds covered").to.be.at.least(3600 - log.length * 2 * 240 - 600);
    }
    expectNoErrors(a, b);
  });
});
