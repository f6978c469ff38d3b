/**
 * The tag's clock, through the compiled firmware: with no valid time (never set, or lost with the battery)
 * it sends no IDs, keeps its radio asleep, logs nothing and blinks red; a soft reboot keeps time, keys and
 * log; a jump forward makes the keys of the new day and keeps the log.
 */
import { expect } from "chai";
import { bytesToHex } from "../../firmware/bytes";
import { tekOfDay } from "../../firmware/exposure-keys";
import { deriveRpik, enIntervalNumber, rollingProximityIdentifier } from "../../firmware/gaen";
import { parseAdvert } from "../../firmware/advert";
import { Random } from "../../sim/espruino/random";
import type { ReceivedAdvert } from "../../sim/espruino/nrf";
import { SLEEP_UA } from "../../sim/espruino/power";
import type { HostTag } from "../../sim/espruino/tag";
import { nodeAes128, nodeSha256 } from "../../tools/gateway/host-crypto";
import {
  bootTag,
  expectNoErrors,
  firmwareBundle,
  HEARTBEAT_MS,
  KEYS_FILE,
  LOG_BLOCKS,
  loggedEncounters,
  newWorld,
  onAir,
  otherDevice,
  packetAt,
  recordLights,
  runScans,
  savedKeys,
  Firmware,
} from "./harness";

const DAY_S = 86400;
/** 2024-03-18, a UTC day number. */
const DAY = 19800;
/** 10:00 that day. */
const START_S = DAY * DAY_S + 10 * 3600;
const MINUTE_MS = 60_000;

/** A new phone passing in each scan (the tag hears it only if it scans); `passed` lists their ID prefixes. */
function passingPhones(seed: string): { heard: () => ReceivedAdvert[]; passed: Set<string> } {
  const random = new Random(seed);
  const passed = new Set<string>();
  const heard = () => {
    const phone = otherDevice(random, "gaen");
    passed.add(phone.prefix);
    return [{ address: phone.address, rssi: -62, data: phone.data }];
  };
  return { heard, passed };
}

/** The distinct packets the tag sends in the 2 s from `atMs` (its GAEN and Bluezone packets). */
function packetsAt(tag: HostTag, atMs: number): string[] {
  return [...new Set(onAir(tag, atMs, atMs + 2000).map((e) => bytesToHex(e.packet)))].sort();
}

/** Five minutes of a tag without a valid clock: nothing on air, radio asleep, no scans, red once a minute. */
function expectWaitingForClock(tag: HostTag): void {
  const from = tag.scheduler.now();
  const lights = recordLights(tag, from + 5 * MINUTE_MS + 1000);
  expect(tag.radio.advertisingEvents(from, from + 5 * MINUTE_MS), "adverts").to.deep.equal([]);
  expect(tag.power.level("base"), "radio asleep (µA)").to.equal(SLEEP_UA);
  expect(lights.map((p) => p.output), "red (LED1) once a minute").to.deep.equal(["LED1", "LED1", "LED1", "LED1", "LED1"]);
  expect(runScans(tag, from + 15 * MINUTE_MS, passingPhones("unheard").heard), "adverts heard").to.equal(0);
  expect(tag.radio.scanState().scanning).to.equal(false);
}

describe("firmware: clock", function () {
  let firmware: Firmware;
  before(async () => {
    firmware = await firmwareBundle();
  });

  it("with its RTC unset (1970) sends nothing, sleeps the radio, blinks red and keeps no log", () => {
    const world = newWorld(START_S);
    const tag = bootTag(world, firmware);
    expect(tag.evaluate("getTime()")).to.be.below(3600);
    expectWaitingForClock(tag);
    expect(tag.storage.list(LOG_BLOCKS), "log blocks").to.deep.equal([]);
    expect(tag.storage.read(KEYS_FILE), "keys made without a date").to.equal(undefined);
    expectNoErrors(tag);
  });

  it("after a battery change (clock lost) does the same, keeping the log it had", () => {
    const world = newWorld(START_S);
    const tag = bootTag(world, firmware, { time: START_S });
    runScans(tag, world.now() + 60 * MINUTE_MS, passingPhones("before").heard);
    const logged = loggedEncounters(tag);
    expect(logged.length).to.be.greaterThan(5);

    tag.powerCycle({ clockLost: true });
    expectWaitingForClock(tag);
    expect(loggedEncounters(tag)).to.deep.equal(logged);
    expectNoErrors(tag);
  });

  it("keeps its clock, keys and log across a soft reboot: the same IDs on air within the interval", () => {
    const world = newWorld(START_S);
    const tag = bootTag(world, firmware, { time: START_S });
    runScans(tag, world.now() + 61 * MINUTE_MS, passingPhones("before").heard);
    const keys = tag.storage.read(KEYS_FILE);
    const logged = loggedEncounters(tag);
    const before = packetsAt(tag, world.now());
    expect(before).to.have.length(2);

    tag.reboot();
    // Espruino keeps the time of its last clock read across a soft reset: the heartbeat reads it every minute.
    expect(tag.evaluate("getTime()") as number, "clock").to.be.within(world.now() / 1000 - HEARTBEAT_MS / 1000, world.now() / 1000);
    expect(packetsAt(tag, world.now()), "same IDs as before the reboot").to.deep.equal(before);
    expect(tag.storage.read(KEYS_FILE), "keys").to.equal(keys);
    runScans(tag, world.now() + 60 * MINUTE_MS, passingPhones("after").heard);
    const log = loggedEncounters(tag);
    expect(log.slice(0, logged.length), "earlier log").to.deep.equal(logged);
    expect(log.length, "logging goes on").to.be.greaterThan(logged.length + 5);
    expect(tag.storage.rewriteViolations).to.equal(0);
    expectNoErrors(tag);
  });

  it("after a clock jump forward by 3 days makes new keys for the new day and drops none of the log", () => {
    const world = newWorld(START_S);
    const tag = bootTag(world, firmware, { time: START_S });
    runScans(tag, world.now() + 60 * MINUTE_MS, passingPhones("before").heard);
    const tek = tekOfDay(savedKeys(tag), DAY);
    const logged = loggedEncounters(tag);
    expect(logged.length).to.be.greaterThan(5);

    // The next rotation (10:15 world time) comes due on the tag's timers and reads the new time.
    const jump = 3 * DAY_S;
    tag.clock.setTime(world.now() / 1000 + jump);
    const rotation = START_S * 1000 + 75 * MINUTE_MS;
    const packet = packetAt(tag, rotation + 1000);
    const tagTime = rotation / 1000 + jump;
    const keys = savedKeys(tag);
    expect(keys.teks.map((t) => t[0]), "TEK days").to.deep.equal([DAY, DAY + 3]);
    expect(tekOfDay(keys, DAY), "today's TEK kept").to.deep.equal(tek);
    const newTek = tekOfDay(keys, DAY + 3)!;
    const rpi = rollingProximityIdentifier(nodeAes128, deriveRpik(nodeSha256, newTek), enIntervalNumber(tagTime));
    expect(bytesToHex(parseAdvert(packet.packet)!.id), "RPI of the new day's TEK").to.equal(bytesToHex(rpi));

    const after = passingPhones("after");
    runScans(tag, world.now() + 60 * MINUTE_MS, after.heard);
    const log = loggedEncounters(tag);
    expect(log.slice(0, logged.length), "earlier log").to.deep.equal(logged);
    const later = log.filter((e) => after.passed.has(bytesToHex(e.id)));
    expect(later.length, "logging goes on").to.be.greaterThan(5);
    for (const e of later) expect(e.first, "first seen on the new date").to.be.at.least(START_S + jump);
    expect(onAir(tag, world.now() - 10_000, world.now()), "still on air").to.not.be.empty;
    expectNoErrors(tag);
  });
});
