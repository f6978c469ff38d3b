/**
 * Google's Exposure Notification v1.2 test vectors, through the compiled firmware: the tag is given the
 * vectors' TEK for its UTC day and the packets it puts on air over that day are compared byte for byte.
 */
import { expect } from "chai";
import { bytesToHex } from "../../firmware/bytes";
import gaenVectors from "../vectors/gaen-v1.2.json";
import type { BoardName } from "../../sim/espruino/boards";
import { bootTag, expectNoErrors, firmwareBundle, Firmware, newWorld, packetAt } from "./harness";

/** ENIntervalNumbers are 10-minute intervals; the vectors' TEK covers 144 of them (one UTC day). */
const INTERVAL_MS = 600_000;
/** The vectors' metadata carries 8 dBm: 0 dBm set on the radio plus 8 dB of calibration. */
const VECTOR_CONFIG = { gaen: true, bluezone: false, txPower: 0, txCalibrationDb: 8 };
/** Flags · complete 16-bit UUID list 0xFD6F · service data 0xFD6F header (Bluetooth spec v1.2). */
const GAEN_HEADER = "02011a" + "03036ffd" + "17166ffd";

describe("firmware: GAEN v1.2 test vectors on air", function () {
  let firmware: Firmware;
  before(async () => {
    firmware = await firmwareBundle();
  });

  const boards: [BoardName, string][] = [
    ["PUCKJS", "native AES"],
    ["MDBT42Q", "JS AES fallback"],
  ];
  for (const [board, aes] of boards) {
    it(`sends every RPI and AEM of the 144 intervals of the vectors' TEK (${board}, ${aes})`, () => {
      const start = gaenVectors.keyGenerationUnixSeconds;
      expect(start).to.equal(gaenVectors.enIntervalNumber * 600);
      const day = start / 86400;
      const world = newWorld(start);
      const tag = bootTag(world, firmware, {
        board,
        time: start,
        config: VECTOR_CONFIG,
        keys: { teks: [[day, gaenVectors.tek]], bzDay: day, bzKey: "" },
      });
      expect(tag.evaluate('!!require("crypto").AES'), "native AES").to.equal(board === "PUCKJS");

      gaenVectors.intervals.forEach((vector, i) => {
        // One second into the interval: the rotation at its start has happened.
        const event = packetAt(tag, start * 1000 + i * INTERVAL_MS + 1000);
        expect(bytesToHex(event.packet), `ENIN ${vector.enIntervalNumber}`).to.equal(GAEN_HEADER + vector.rpi + vector.aem);
        expect(event.connectable || event.scannable).to.equal(false);
      });
      expect(gaenVectors.intervals).to.have.length(144);
      expectNoErrors(tag);
    });
  }
});
