/**
 * A power cut in the middle of a log write, through the compiled firmware: every record written before it
 * survives unchanged, the torn one is skipped (never rewritten), and once power and the clock are back the
 * tag logs on after it.
 */
import { expect } from "chai";
import { bytesToHex } from "../../firmware/bytes";
import { RECORD_BYTES, RECORD_COMPLETE, RECORD_TORN, recordState } from "../../firmware/encounter";
import { HEADER_BYTES } from "../../sim/espruino/storage";
import { Random } from "../../sim/espruino/random";
import type { ReceivedAdvert } from "../../sim/espruino/nrf";
import { bootTag, cutPowerDuringWrite, expectNoErrors, firmwareBundle, Firmware, LOG_BLOCKS, logBlocks, loggedEncounters, newWorld, otherDevice, OtherDevice, runScans, setClock } from "./harness";

/** 2024-03-18T10:00:00Z. */
const START_S = 19800 * 86400 + 10 * 3600;
const MINUTE_MS = 60_000;
/** Bytes of the interrupted record that reach flash: the first 3 of its ID prefix. */
const RECORD_BYTES_THAT_LAND = 3;

describe("firmware: power cut during a log write", function () {
  let firmware: Firmware;
  before(async () => {
    firmware = await firmwareBundle();
  });

  const cases = [
    { what: "a record appended to a block", minutesBefore: 60, newBlock: false, bytesThatLand: RECORD_BYTES_THAT_LAND },
    { what: "the first record of a new block (its file header landed)", minutesBefore: 0, newBlock: true, bytesThatLand: HEADER_BYTES + RECORD_BYTES_THAT_LAND },
  ];
  for (const { what, minutesBefore, newBlock, bytesThatLand } of cases) {
    it(`keeps every earlier record, skips the torn one, rewrites nothing, and logs on: cut in ${what}`, () => {
      const world = newWorld(START_S);
      const tag = bootTag(world, firmware, { time: START_S });
      // A new phone passes in each scan: one encounter each, logged once it has been gone for two scan periods.
      const random = new Random("power cut");
      const passing: OtherDevice[] = [];
      const onePerScan = (): ReceivedAdvert[] => {
        if (tag.state !== "running") return [];
        const phone = otherDevice(random, passing.length % 2 ? "bluezone" : "gaen");
        passing.push(phone);
        return [{ address: phone.address, rssi: -65, data: phone.data }];
      };
      runScans(tag, world.now() + minutesBefore * MINUTE_MS, onePerScan);
      const earlier = loggedEncounters(tag);
      const blocksBefore = logBlocks(tag);
      const written = earlier.length * RECORD_BYTES;

      // A new block file is written whole at offset 0 (header, then its first record); later records at their offsets.
      cutPowerDuringWrite(tag, (file, offset) => LOG_BLOCKS.test(file) && (offset === 0) === newBlock, bytesThatLand);
      runScans(tag, world.now() + 60 * MINUTE_MS, onePerScan);
      expect(tag.state, "the cut turned the tag off").to.equal("off");
      const [[name, bytes]] = [...logBlocks(tag)];
      if (written) expect(bytes!.subarray(0, written), "earlier records unchanged").to.deep.equal(blocksBefore.get(name!)!.subarray(0, written));
      expect(recordState(bytes!, written), "the interrupted record").to.equal(RECORD_TORN);

      // Power back: the clock is lost with it, so the tag waits (no scans, no log) until staff set the clock.
      world.runUntil(world.now() + 10 * MINUTE_MS);
      tag.powerCycle({ clockLost: true });
      runScans(tag, world.now() + 10 * MINUTE_MS, onePerScan);
      expect(loggedEncounters(tag), "nothing logged without a clock").to.deep.equal(earlier);
      setClock(tag, world.now() / 1000);
      runScans(tag, world.now() + 60 * MINUTE_MS, onePerScan);

      const log = loggedEncounters(tag);
      expect(log.slice(0, earlier.length), "earlier records read back unchanged").to.deep.equal(earlier);
      expect(log.length, "logging resumed").to.be.greaterThan(earlier.length + 5);
      const now = logBlocks(tag).get(name!)!;
      expect(now.subarray(0, written + RECORD_BYTES), "earlier and torn bytes as they were").to.deep.equal(bytes!.subarray(0, written + RECORD_BYTES));
      expect(recordState(now, written + RECORD_BYTES), "the next record follows the torn one").to.equal(RECORD_COMPLETE);
      const heard = new Set(passing.map((p) => p.prefix));
      for (const e of log) expect(heard.has(bytesToHex(e.id)), `logged ${bytesToHex(e.id)}`).to.equal(true);
      expect(tag.storage.rewriteViolations, "bytes written twice").to.equal(0);
      expect(tag.resets.map((r) => r.reason)).to.deep.equal(["power-on", "reboot", "power-on", "reboot"]);
      expectNoErrors(tag);
    });
  }
});
