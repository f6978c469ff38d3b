/**
 * Driving the compiled firmware (dist/tag.min.js, the form uploaded to a tag) in the host Espruino runtime:
 * boot a tag from given state files and clock, read what it sends, hand it what it hears, watch its lights
 * and read its encounter log back. World time is Unix time in ms, so a tag whose clock was set at boot reads
 * world time / 1000 (no drift) and a test can name instants by the Unix time the firmware sees.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { bluezoneAdvert } from "../../firmware/bluezone";
import { bytesToHex } from "../../firmware/bytes";
import { DEFAULT_CONFIG, TagConfig } from "../../firmware/config";
import { Encounter, decodeRecord } from "../../firmware/encounter";
import { EncounterLog } from "../../firmware/encounter-log";
import { ExposureKeys } from "../../firmware/exposure-keys";
import { gaenAdvert } from "../../firmware/gaen";
import { buildFirmware } from "../../tools/build/build";
import type { BoardName } from "../../sim/espruino/boards";
import type { AdvertisingEvent, ReceivedAdvert } from "../../sim/espruino/nrf";
import { Random } from "../../sim/espruino/random";
import { Scheduler } from "../../sim/espruino/scheduler";
import { HostTag } from "../../sim/espruino/tag";

/** Storage files the firmware boots from. */
export const STATE_FILE = "zt.state";
export const KEYS_FILE = "zt.keys";
/** Block files of the encounter log. */
export const LOG_BLOCKS = /^zl[0-9a-z]+_/;
/** The firmware's once-a-minute heartbeat (light and watchdog kick). */
export const HEARTBEAT_MS = 60_000;

/** The bytes a tag stores as `.bootcde` (minified, pretokenised), as `npm run build` (and `npm test`, first) writes them. */
const BUNDLE_PATH = path.resolve(__dirname, "../../dist/tag.bootcde");

/** The firmware as uploaded to a tag. */
export type Firmware = Uint8Array;

/** The uploaded firmware; built here when dist/ has none. */
export async function firmwareBundle(): Promise<Firmware> {
  if (!fs.existsSync(BUNDLE_PATH)) {
    const build = await buildFirmware();
    if (!build.compiled) throw new Error("firmware does not compile:\n" + build.errors.join("\n"));
  }
  return new Uint8Array(fs.readFileSync(BUNDLE_PATH));
}

/** A world clock that starts at Unix time `unixSeconds`. */
export function newWorld(unixSeconds: number): Scheduler {
  const scheduler = new Scheduler();
  scheduler.runUntil(unixSeconds * 1000);
  return scheduler;
}

/** What a tag starts with. State files are written only when given (otherwise the firmware's defaults). */
export interface TagSetup {
  board?: BoardName;
  seed?: string;
  /** Unix s its clock reads at boot; omitted: the RTC is unset (1970), as after a battery change. */
  time?: number;
  /** Settings for `zt.state`, merged over DEFAULT_CONFIG (the firmware reads the file as a whole). */
  config?: Partial<TagConfig>;
  alert?: boolean;
  /** `zt.keys`. */
  keys?: ExposureKeys;
  /** How long the radio keeps past advertising configurations (default 15 min). */
  radioHistoryMs?: number;
}

/** A tag flashed with the firmware and booted with `setup`, on `scheduler`. */
export function bootTag(scheduler: Scheduler, firmware: Firmware, setup: TagSetup = {}): HostTag {
  const tag = new HostTag({ scheduler, board: setup.board ?? "PUCKJS", seed: setup.seed ?? "tag", radioHistoryMs: setup.radioHistoryMs });
  tag.flash(firmware);
  if (setup.config || setup.alert) {
    tag.storage.writeJSON(STATE_FILE, { config: { ...DEFAULT_CONFIG, ...setup.config }, clock: null, alert: setup.alert ?? false });
  }
  if (setup.keys) tag.storage.writeJSON(KEYS_FILE, setup.keys);
  tag.boot();
  if (setup.time !== undefined) setClock(tag, setup.time);
  return tag;
}

/**
 * Sets the tag's RTC to `unixSeconds` and restarts the firmware on it, as staff do when they hand a tag out
 * (the firmware reads its clock at boot).
 */
export function setClock(tag: HostTag, unixSeconds: number): void {
  tag.clock.setTime(unixSeconds);
  tag.reboot();
}

/** Runs the world to `toMs` and returns the tag's advertising events that started in [fromMs, toMs). */
export function onAir(tag: HostTag, fromMs: number, toMs: number): AdvertisingEvent[] {
  tag.scheduler.runUntil(toMs);
  return tag.radio.advertisingEvents(fromMs, toMs);
}

/** The packet of the first advertising event in [atMs, atMs + 1 s), running the world there. */
export function packetAt(tag: HostTag, atMs: number): AdvertisingEvent {
  const events = onAir(tag, atMs, atMs + 1000);
  expect(events, `on air at ${new Date(atMs).toISOString()}`).to.not.be.empty;
  return events[0]!;
}

/** One advert handed from a tag's radio to another's. */
export interface Delivery {
  receiver: HostTag;
  event: AdvertisingEvent;
  /** The receiving program got it (it was scanning and the packet passed its filters). */
  taken: boolean;
}

/**
 * Two tags within range of each other: runs the world to `untilMs`; while either scans, every advertising
 * event of the other reaches it at that event's time with `rssi`. Between two scheduled actions nothing can
 * change what a tag sends, so the sender's planned events up to the next action are the ones on air.
 */
export function runPair(a: HostTag, b: HostTag, rssi: number, untilMs: number): Delivery[] {
  const scheduler = a.scheduler;
  const deliveries: Delivery[] = [];
  while (scheduler.now() < untilMs) {
    const next = Math.min(scheduler.nextTime() ?? untilMs, untilMs);
    const due: { receiver: HostTag; event: AdvertisingEvent }[] = [];
    for (const [receiver, sender] of [[a, b], [b, a]] as const) {
      if (!receiver.radio.scanState().scanning) continue;
      for (const event of sender.radio.advertisingEvents(scheduler.now(), next)) due.push({ receiver, event });
    }
    due.sort((x, y) => x.event.time - y.event.time);
    for (const { receiver, event } of due) {
      scheduler.runUntil(event.time);
      const taken = receiver.radio.deliverAdvert({ address: event.address, rssi, data: event.packet });
      deliveries.push({ receiver, event, taken });
    }
    scheduler.runUntil(next);
  }
  return deliveries;
}

/**
 * Runs the world to `untilMs`; at the start of each of the tag's scans, `heard(timeMs)` names the adverts
 * of other devices that reach it during that scan, and they are delivered then. Returns how many the
 * program took.
 */
export function runScans(tag: HostTag, untilMs: number, heard: (timeMs: number) => ReceivedAdvert[]): number {
  const scheduler = tag.scheduler;
  let taken = 0;
  let wasScanning = tag.radio.scanState().scanning;
  while (scheduler.now() < untilMs) {
    scheduler.runUntil(Math.min(scheduler.nextTime() ?? untilMs, untilMs));
    const scanning = tag.radio.scanState().scanning;
    // A rotation during a scan restarts the radio (a new scan configuration): still the same scan.
    if (scanning && !wasScanning) for (const advert of heard(scheduler.now())) if (tag.radio.deliverAdvert(advert)) taken++;
    wasScanning = scanning;
  }
  return taken;
}

/** A phone or tag other than the one under test, as one of its adverts. */
export interface OtherDevice {
  address: string;
  /** The advert, built with the firmware's own packet builders. */
  data: Uint8Array;
  /** The first 4 bytes of its rotating ID, hex: what a log record keeps. */
  prefix: string;
}

/** A device with a random static address and a random GAEN (RPI + AEM) or Bluezone ID. */
export function otherDevice(random: Random, profile: "gaen" | "bluezone"): OtherDevice {
  const bytes = (count: number) => Uint8Array.from({ length: count }, () => random.uint32() & 0xff);
  const address = bytes(6);
  address[0]! |= 0xc0;
  const id = bytes(profile === "gaen" ? 16 : 12);
  return {
    address: Array.from(address, (b) => b.toString(16).padStart(2, "0")).join(":") + " random",
    data: profile === "gaen" ? gaenAdvert(id, bytes(4)) : bluezoneAdvert(id),
    prefix: bytesToHex(id.subarray(0, 4)),
  };
}

/** One device that comes by during a busy schedule. */
export interface Visit {
  device: OtherDevice;
  /** World time (ms) it comes within range. */
  arrivalMs: number;
  /** Scans of the tag that hear it, from its arrival on. */
  scans: number;
  rssi: number;
}

/**
 * `perDay` visits a day for `days` days from UTC day `firstDay`, evenly spread over each day, each heard in
 * 1–3 scans at −45…−79 dBm (above the sighting floor); GAEN and Bluezone devices in turn.
 */
export function busySchedule(seed: string, firstDay: number, days: number, perDay: number): Visit[] {
  const random = new Random(seed);
  const visits: Visit[] = [];
  for (let d = 0; d < days; d++) {
    for (let k = 0; k < perDay; k++) {
      visits.push({
        device: otherDevice(random, k % 2 ? "bluezone" : "gaen"),
        arrivalMs: ((firstDay + d) * 86400 + ((k + 0.5) * 86400) / perDay) * 1000,
        scans: 1 + (random.uint32() % 3),
        rssi: -45 - (random.uint32() % 35),
      });
    }
  }
  return visits;
}

/** What a tag hears during a schedule (for runScans): each visitor's advert in its first `scans` scans. */
export function hearVisits(visits: Visit[]): (timeMs: number) => ReceivedAdvert[] {
  let next = 0;
  let present: { visit: Visit; scansLeft: number }[] = [];
  return (timeMs) => {
    for (; next < visits.length && visits[next]!.arrivalMs <= timeMs; next++) present.push({ visit: visits[next]!, scansLeft: visits[next]!.scans });
    const heard = present.map(({ visit }) => ({ address: visit.device.address, rssi: visit.rssi, data: visit.device.data }));
    present = present.filter((p) => --p.scansLeft > 0);
    return heard;
  };
}

/** A light (LED1…) or the vibration motor lit for `ms` from world time `start`. */
export interface Pulse {
  output: string;
  start: number;
  ms: number;
}

/** Runs the world to `untilMs`, sampling the tag's LEDs and motor every `stepMs`; returns their pulses. */
export function recordLights(tag: HostTag, untilMs: number, stepMs = 5): Pulse[] {
  const outputs: [string, () => boolean][] = tag.board.leds.map((_, i) => [`LED${i + 1}`, () => tag.led(i + 1)]);
  if (tag.board.motorPin !== null) outputs.push(["motor", () => tag.motorOn()]);
  const litSince = new Map<string, number>();
  const pulses: Pulse[] = [];
  for (let t = tag.scheduler.now(); t <= untilMs; t += stepMs) {
    tag.scheduler.runUntil(t);
    for (const [output, lit] of outputs) {
      const since = litSince.get(output);
      if (lit() && since === undefined) litSince.set(output, t);
      if (!lit() && since !== undefined) {
        pulses.push({ output, start: since, ms: t - since });
        litSince.delete(output);
      }
    }
  }
  return pulses;
}

/** The encounters in the tag's flash log, in cursor order, decoded as the gateway decodes them. */
export function loggedEncounters(tag: HostTag): Encounter[] {
  return new EncounterLog(tag.storage).readFrom(0, Infinity).map((r) => decodeRecord(r.record, 0, r.origin)!);
}

/**
 * Arms a power cut for the first `Storage.write(name, data, offset)` of the program that `matches`: only
 * the first `bytesThatLand` bytes of it reach flash (see FlashStorage.cutPowerDuringNextWrite).
 */
export function cutPowerDuringWrite(tag: HostTag, matches: (name: string, offset: number) => boolean, bytesThatLand: number): void {
  const storage = tag.storage;
  const write = storage.write;
  storage.write = (name, data, offset, size) => {
    if (matches(name, offset ?? 0)) {
      storage.write = write;
      storage.cutPowerDuringNextWrite(bytesThatLand);
    }
    return write.call(storage, name, data, offset, size);
  };
}

/** The tag's log block files with their bytes, by name. */
export function logBlocks(tag: HostTag): Map<string, Uint8Array> {
  return new Map(tag.storage.list(LOG_BLOCKS).map((name) => [name, new Uint8Array(tag.storage.readArrayBuffer(name)!)]));
}

/** `zt.keys` as the tag saved it. */
export function savedKeys(tag: HostTag): ExposureKeys {
  return tag.storage.readJSON(KEYS_FILE) as ExposureKeys;
}

/** Fails with the tag's uncaught errors, if any. */
export function expectNoErrors(...tags: HostTag[]): void {
  for (const tag of tags) expect(tag.errors.map((e) => e.text), `${tag.name} uncaught errors`).to.deep.equal([]);
}
