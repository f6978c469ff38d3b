/**
 * A busy tag that nobody syncs, through the compiled firmware: four weeks at 150 distinct IDs a day. When
 * its flash is full it drops the weakest encounters of the oldest days, erases what is past the retention,
 * keeps the newest days whole, and keeps running.
 */
import { expect } from "chai";
import { bytesToHex } from "../../firmware/bytes";
import { DEFAULT_LOG_BUDGET_BYTES, EncounterLog, LOG_RETENTION_DAYS } from "../../firmware/encounter-log";
import { bootTag, busySchedule, expectNoErrors, firmwareBundle, Firmware, hearVisits, loggedEncounters, newWorld, onAir, runScans, Visit } from "./harness";

const DAY_S = 86400;
/** 2024-03-18, a UTC day number. */
const FIRST_DAY = 19800;
/** Three weeks, then a further week without a sync. */
const DAYS = 28;
const PER_DAY = 150;
/** A block file spans up to 32 hours: its records go together once its newest is past the retention. */
const BLOCK_SPAN_S = 32 * 3600;

function mean(values: number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

describe("firmware: busy schedule without a sync", function () {
  let firmware: Firmware;
  before(async () => {
    firmware = await firmwareBundle();
  });

  it("runs four weeks at 150 IDs a day: full flash drops the weakest of the oldest, the newest week stays whole", () => {
    const world = newWorld(FIRST_DAY * DAY_S);
    const tag = bootTag(world, firmware, { time: FIRST_DAY * DAY_S });
    const visits = busySchedule("busy", FIRST_DAY, DAYS, PER_DAY);
    const endS = (FIRST_DAY + DAYS) * DAY_S + 3600;
    runScans(tag, endS * 1000, hearVisits(visits));

    expect(tag.state).to.equal("running");
    expect(onAir(tag, world.now() - 10_000, world.now()), "on air").to.not.be.empty;
    const log = loggedEncounters(tag);
    const kept = new Set(log.map((e) => bytesToHex(e.id)));
    const days: Visit[][] = [];
    for (let d = 0; d < DAYS; d++) days.push(visits.slice(d * PER_DAY, (d + 1) * PER_DAY));
    const keptOf = (day: Visit[]) => day.filter((v) => kept.has(v.device.prefix));

    // Each day is gone, partly kept, or whole, in that order: losses come from the oldest days.
    const shape = days.map((day) => (keptOf(day).length === 0 ? "gone" : keptOf(day).length < day.length ? "partial" : "whole"));
    expect(shape.join(" "), "days gone / partial / whole").to.match(/^(gone )*(partial )*(whole ?)+$/);
    expect(shape.slice(-7), "the newest week").to.deep.equal(Array(7).fill("whole"));
    // Within the partly kept days the longer encounters were kept.
    const partial = days.filter((_, d) => shape[d] === "partial");
    const keptScans = mean(partial.flatMap((day) => keptOf(day).map((v) => v.scans)));
    const droppedScans = mean(partial.flatMap((day) => day.filter((v) => !kept.has(v.device.prefix)).map((v) => v.scans)));
    expect(keptScans, "scans heard per kept / dropped encounter").to.be.greaterThan(droppedScans);
    for (const e of log) expect(e.first, "within the retention").to.be.at.least(endS - LOG_RETENTION_DAYS * DAY_S - BLOCK_SPAN_S);

    expect(new EncounterLog(tag.storage).status().bytes, "log flash").to.be.at.most(DEFAULT_LOG_BUDGET_BYTES);
    expect(tag.storage.rewriteViolations).to.equal(0);
    expectNoErrors(tag);
  });
});
