/**
 * The encounter log's capacity on a real tag, through the compiled firmware: the busiest residents meet
 * about 150 distinct IDs a day, and the tag must keep 21 days of them in at most 24 KB of Storage — the
 * Storage that also holds the uploaded firmware itself (.bootcde) and the tag's state files.
 */
import { expect } from "chai";
import { bytesToHex } from "../../firmware/bytes";
import { DEFAULT_LOG_BUDGET_BYTES, EncounterLog } from "../../firmware/encounter-log";
import { BOOT_CODE_FILE } from "../../sim/espruino/tag";
import { bootTag, busySchedule, expectNoErrors, firmwareBundle, Firmware, hearVisits, loggedEncounters, newWorld, runScans } from "./harness";

const DAY_S = 86400;
/** 2024-03-18, a UTC day number. */
const FIRST_DAY = 19800;
const DAYS = 21;
/** Distinct IDs a day for the busiest residents. */
const PER_DAY = 150;

describe("firmware: log capacity (21 days × 150 IDs a day)", function () {
  let firmware: Firmware;
  before(async () => {
    firmware = await firmwareBundle();
  });

  it("keeps every encounter of 21 busy days within the 24 KB log budget, next to the firmware in Storage", () => {
    const world = newWorld(FIRST_DAY * DAY_S);
    const tag = bootTag(world, firmware, { time: FIRST_DAY * DAY_S });
    const visits = busySchedule("busy", FIRST_DAY, DAYS, PER_DAY);
    // An hour into day 22, every encounter of the 21 days has closed.
    runScans(tag, ((FIRST_DAY + DAYS) * DAY_S + 3600) * 1000, hearVisits(visits));

    const logged = new Set(loggedEncounters(tag).map((e) => bytesToHex(e.id)));
    const lost = visits.filter((v) => !logged.has(v.device.prefix));
    const status = new EncounterLog(tag.storage).status();
    const context = `.bootcde ${tag.storage.read(BOOT_CODE_FILE)!.length} B; log ${status.bytes} B, ${status.records} records`;
    expect(lost.length, `encounters lost (${context})`).to.equal(0);
    expect(status.bytes, "log flash (headers included)").to.be.at.most(DEFAULT_LOG_BUDGET_BYTES);
    expect(tag.storage.rewriteViolations).to.equal(0);
    expectNoErrors(tag);
  });
});
