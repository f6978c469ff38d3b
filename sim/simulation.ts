/**
 * One run of the commune: the world's residents move, tags run the real firmware bundle in the host Espruino
 * runtime, phones run their app models, and the radio carries adverts between whoever is in range, all on one
 * virtual clock (world time = Unix milliseconds).
 *
 * The simulator supplies only the environment (as Cooja or Renode do): a tag's behaviour is whatever its
 * bundle does with the Espruino globals; the simulator watches its radio (what it advertises, when it
 * scans) and hands it the packets that reach it.
 *
 * - Tags: after each of a tag's events the engine looks at its scan state; when a scan starts, deliveries
 *   are computed a slice at a time (radio.receiveWindow over the senders near it) and each packet is handed
 *   over at its own time. A packet whose sender changed what it sends before that time is dropped.
 * - Phones: host code with known scan windows, so each scan is computed once it is over, from the senders'
 *   adverts of that window (the tags' from the runtime's advertising history).
 * - Who is near: residents in places from which the receiver's place can be heard (radio.placesNear).
 *
 * One thread: every tag may hear every other within milliseconds, and what a tag sends, and when it scans,
 * is known only by running its firmware up to that moment. Tags split across workers would have to agree
 * on the air at every advertising or scan change of any tag (thousands of barriers a simulated hour), and
 * a delivery computed ahead of such a barrier could differ from one computed after it, so results would
 * depend on the worker count. The run stays on one thread and keeps `--seed` exact.
 */
import { EncounterLog } from "../firmware/encounter-log";
import { parseAdvert } from "../firmware/advert";
import { encounterRowOf } from "../tools/gateway/sync-store";
import type { EncounterRow } from "../tools/gateway/store";
import { Scheduler, type ScheduledEvent } from "./espruino/scheduler";
import { HostTag } from "./espruino/tag";
import type { PowerReport } from "./espruino/power";
import { Phone, PHONE_CALIBRATIONS } from "./phones";
import { AdvertEvent, AirDevice, AirState, Radio, RadioValues, radioValues, reach, Reach, Reception, ReceiverLinks, receiveAggregate, receiveEvents, ScanWindow, WindowHeard } from "./radio";
import { Random } from "./random";
import { Scenario } from "./scenario";
import { closeContacts, closeTime, Infection, PairDay, spreadEpidemic } from "./truth";
import { AWAY, buildWorld, DAY_S, Occupancy, Resident, World } from "./world";

/** Deliveries to a scanning tag are computed this far ahead at a time (ms): one scan channel's dwell. */
const TAG_SLICE_MS = 100;
/** Progress is reported (and the run may yield) once per simulated hour. */
const CHUNK_MS = 3600_000;
/** Records read from a tag's log per call at the end of the run. */
const LOG_READ_CHUNK = 512;

/** What a tag factory gets: the clock to run on, whose tag it is, and a seed of its own. */
export interface TagSpec {
  scheduler: Scheduler;
  resident: Resident;
  seed: string;
  /** World time (ms) the tag is handed out. */
  at: number;
}

/** Makes a running tag (the real firmware in the host runtime) for a resident. */
export type TagFactory = (spec: TagSpec) => HostTag;

/**
 * Tags running `bundle` (dist/tag.js) on a Puck.js, handed out at the commune hall: inserted battery, clock
 * set by staff, restarted so that the firmware boots with a valid time. The gateway's provisioning (identity,
 * tag key, set time over the sync link) takes this place once it drives HostTag links.
 */
export function bundleTagFactory(bundle: string): TagFactory {
  return (spec) => {
    const tag = new HostTag({ scheduler: spec.scheduler, seed: spec.seed, name: `tag-r${spec.resident.index}` });
    tag.flash(bundle);
    tag.boot();
    tag.clock.setTime(spec.at / 1000);
    tag.reboot();
    return tag;
  };
}

/**
 * The shared clock as one tag sees it: its actions run on the shared queue, and after each one the engine
 * looks at the tag's radio (a scan may have started). Only the scheduling calls are forwarded; the facade's
 * own queue stays empty.
 */
class ObservedScheduler extends Scheduler {
  constructor(
    private readonly shared: Scheduler,
    private readonly afterAction: () => void
  ) {
    super();
  }
  override now(): number {
    return this.shared.now();
  }
  override at(time: number, action: () => void): ScheduledEvent {
    return this.shared.at(time, () => {
      action();
      this.afterAction();
    });
  }
  override after(delayMs: number, action: () => void): ScheduledEvent {
    return this.at(this.shared.now() + delayMs, action);
  }
  override cancel(event: ScheduledEvent): void {
    this.shared.cancel(event);
  }
  override runUntil(time: number): void {
    this.shared.runUntil(time);
  }
  override nextTime(): number | null {
    return this.shared.nextTime();
  }
}

/** A tag on the air: the runtime's radio seen as an AirDevice. */
export class TagDevice implements AirDevice {
  readonly kind = "tag" as const;
  readonly links = new ReceiverLinks();
  readonly txGainDb: number;
  readonly rssiOffsetDb: number;
  host!: HostTag;
  /** Start (world ms) of the scan deliveries were last planned for, and who it can hear. */
  scanSince: number | null = null;
  scanReach: Reach | null = null;
  /** Packets delivered to the firmware, and those it took (passed its scan filters). */
  delivered = 0;
  accepted = 0;

  constructor(
    readonly id: number,
    readonly resident: number,
    values: RadioValues
  ) {
    this.txGainDb = values.tagAntennaGain;
    this.rssiOffsetDb = values.tagAntennaGain;
  }

  advertsBetween(from: number, until: number): readonly AdvertEvent[] {
    return this.host.radio.advertisingEvents(from, until).map((e) => ({ time: e.time, packet: e.bytes, txPowerDbm: e.txPower, address: e.address }));
  }

  /** The advertising configuration in force now (the runtime's), as an average over the window. */
  airState(): AirState | null {
    const state = this.host.radio.advertisingState();
    if (state !== this.airOf) {
      this.airOf = state;
      this.air = state && { txPowerDbm: state.txPower, eventsPerSecond: 1000 / state.periodMs, packets: state.packets, address: state.address };
    }
    return this.air;
  }
  private airOf: object | null = null;
  private air: AirState | null = null;
}

/** Every air device, tag or phone. */
export type Device = TagDevice | Phone;

/** A packet a receiver kept, attributed to its sender by the simulator (the air knows who sent what). */
export interface Heard {
  /** World ms. */
  time: number;
  sender: number;
  /** First 4 bytes of the ID, big-endian, as logs index them. */
  prefix: number;
  /** TX power the sender reported (GAEN metadata); null for Bluezone packets, which carry none. */
  txPower: number | null;
}

/** What a run produced, for metrics and the report. */
export interface SimulationOutcome {
  scenario: Scenario;
  seed: string;
  world: World;
  radio: Radio;
  pairDays: PairDay[];
  contacts: PairDay[];
  infections: Infection[];
  tags: TagDevice[];
  phones: Phone[];
  /** Devices by id. */
  devices: Device[];
  /** Per ID prefix, the senders seen using it (for attributing log records). */
  senders: Map<number, { sender: number; txPower: number | null; time: number }[]>;
  /** Each tag's log at the end, as stored rows (read from its flash as a sync would). */
  tagLogs: Map<number, EncounterRow[]>;
  power: Map<number, PowerReport>;
  /** Storage bytes in use per tag per day (world ms, bytes). */
  storage: Map<number, { time: number; usedBytes: number; totalBytes: number }[]>;
  wallSeconds: number;
  tagHours: number;
}

/** What a run needs. */
export interface SimulationOptions {
  scenario: Scenario;
  seed: string;
  tagFactory: TagFactory;
  radio?: RadioValues;
  /** Called once per simulated hour with the simulated and total milliseconds. */
  onProgress?: (doneMs: number, totalMs: number) => void;
}

/** The 4-byte prefix of an ID as a big-endian unsigned number. */
export function idPrefix(id: Uint8Array): number {
  return ((id[0]! << 24) | (id[1]! << 16) | (id[2]! << 8) | id[3]!) >>> 0;
}

/** Runs a scenario: builds the world and its devices, runs the clock to the end, gathers what happened. */
export async function simulate(options: SimulationOptions): Promise<SimulationOutcome> {
  const { scenario, seed } = options;
  const wallStart = process.hrtime.bigint();
  const root = new Random(seed);
  const world = buildWorld(scenario, root.fork("world"));
  const values = options.radio ?? radioValues();
  const radio = new Radio(world, root, values);
  const pairDays = closeTime({ tracks: world.tracks, residents: world.residents.length, places: world.places.length });
  const contacts = closeContacts(pairDays);
  const infections = spreadEpidemic(scenario, pairDays, world.residents.length, world.start, world.end, root.fork("epidemic"));

  const scheduler = new Scheduler();
  const startMs = world.start * 1000;
  const endMs = world.end * 1000;
  scheduler.runUntil(startMs);
  const occupancy = new Occupancy(world);
  const airRandom = root.fork("air");
  const devices: Device[] = [];
  const byResident: Device[][] = world.residents.map(() => []);
  const tags: TagDevice[] = [];
  const phones: Phone[] = [];
  const senders = new Map<number, { sender: number; txPower: number | null; time: number }[]>();
  const storage = new Map<number, { time: number; usedBytes: number; totalBytes: number }[]>();

  /** Remembers which sender used an ID (once per packet: a packet object belongs to one sender). */
  const noted = new WeakSet<Uint8Array>();
  const noteSender = (packet: Uint8Array, from: number, txPowerDbm: number, time: number) => {
    if (noted.has(packet)) return;
    noted.add(packet);
    const parsed = parseAdvert(packet);
    if (!parsed) return;
    const prefix = idPrefix(parsed.id);
    let list = senders.get(prefix);
    if (!list) senders.set(prefix, (list = []));
    if (!list.some((s) => s.sender === from)) list.push({ sender: from, txPower: parsed.profile === "gaen" ? txPowerDbm : null, time });
  };

  /** Devices that may be heard by a resident now: those carried by residents in places within range. */
  const near: Device[] = []; // reused: receivers read it at once and keep nothing of it
  const sendersNear = (resident: number): Device[] => {
    occupancy.advanceTo(scheduler.now() / 1000);
    near.length = 0;
    const place = world.tracks.place[occupancy.segment[resident]!]!;
    if (place === AWAY) return near;
    for (const p of radio.placesNear(place)) for (const r of occupancy.occupants[p.place]!) for (const d of byResident[r]!) near.push(d);
    return near;
  };

  /** Where a resident stands now (sendersNear has moved the occupancy to now). */
  const segmentNow = (r: number) => occupancy.segment[r]!;

  // Tag scans: who can be heard is worked out when a scan starts; deliveries a slice at a time while it runs.
  const planTagSlice = (tag: TagDevice, from: number) => {
    const state = tag.host.radio.scanState();
    if (!state.scanning || state.since !== tag.scanSince || !tag.scanReach) return;
    const scan: ScanWindow = { from: state.since ?? from, until: Infinity };
    const window: ScanWindow = { from, until: from + TAG_SLICE_MS };
    receiveEvents(radio, tag, tag.scanReach, scan, window, airRandom, (reception) => {
      scheduler.at(reception.time, () => deliverToTag(tag, reception));
    });
    scheduler.at(window.until, () => planTagSlice(tag, window.until));
  };
  const deliverToTag = (tag: TagDevice, reception: Reception) => {
    const sender = devices[reception.from]!;
    // A tag sender may have rotated since the slice was planned: only what is on air now arrives.
    // (Asked over [time, time + 1 ms): at Unix-millisecond magnitudes a smaller step vanishes in rounding.)
    if (sender instanceof TagDevice && !sender.host.radio.advertisingEvents(reception.time, reception.time + 1).some((e) => e.bytes === reception.packet)) return;
    tag.delivered++;
    if (tag.host.radio.deliverAdvert({ address: reception.address, rssi: reception.rssi, data: reception.packet })) {
      tag.accepted++;
      noteSender(reception.packet, reception.from, reception.txPowerDbm, reception.time);
    }
    watchTag(tag);
  };
  const watchTag = (tag: TagDevice) => {
    const state = tag.host.radio.scanState();
    if (!state.scanning || state.since === tag.scanSince) return;
    const now = scheduler.now();
    tag.scanSince = state.since;
    tag.scanReach = reach(radio, tag, { from: now, until: now + TAG_SLICE_MS }, sendersNear(tag.resident), segmentNow);
    planTagSlice(tag, now);
  };

  const deviceRandom = root.fork("devices");
  for (const resident of world.residents) {
    if (resident.devices.tag) {
      const tag = new TagDevice(devices.length, resident.index, values);
      devices.push(tag);
      tag.host = options.tagFactory({ scheduler: new ObservedScheduler(scheduler, () => watchTag(tag)), resident, seed: `${seed}/tag${resident.index}`, at: startMs });
      tags.push(tag);
      byResident[resident.index]!.push(tag);
      watchTag(tag);
    }
    if (resident.devices.phone) {
      const calibration = deviceRandom.pick(PHONE_CALIBRATIONS);
      const phone = new Phone(devices.length, resident.index, resident.devices.phone, calibration, radio, root.fork(`phone${resident.index}`), startMs, endMs);
      devices.push(phone);
      phones.push(phone);
      byResident[resident.index]!.push(phone);
    }
  }

  // Phone scans: each computed when it is over, then the phone's next one is planned.
  const planPhoneScan = (phone: Phone, after: number) => {
    const next = phone.scans(after, endMs)[0];
    if (!next) return;
    scheduler.at(next.until, () => {
      const heard: WindowHeard[] = [];
      // Phones keep only what tags send (phone-to-phone detection is not what this simulator measures);
      // other phones' adverts still collide.
      const keep = (sender: AirDevice, packet: Uint8Array) => sender instanceof TagDevice && phone.accept(packet);
      receiveAggregate(radio, phone, reach(radio, phone, next, sendersNear(phone.resident), segmentNow), next, airRandom, keep, (h) => heard.push(h));
      for (const h of heard) noteSender(h.packet, h.from, h.txPowerDbm, next.from);
      phone.record(next, heard);
      planPhoneScan(phone, next.from + 1);
    });
  };
  for (const phone of phones) planPhoneScan(phone, startMs);

  // Storage use, sampled once a day at UTC midnight.
  for (let day = 1; day <= scenario.days; day++) {
    scheduler.at(startMs + day * DAY_S * 1000, () => {
      for (const tag of tags) {
        const stats = tag.host.storage.getStats();
        let list = storage.get(tag.id);
        if (!list) storage.set(tag.id, (list = []));
        list.push({ time: scheduler.now(), usedBytes: stats.fileBytes + stats.trashBytes, totalBytes: stats.totalBytes });
      }
    });
  }

  for (let t = startMs; t < endMs; ) {
    t = Math.min(endMs, t + CHUNK_MS);
    scheduler.runUntil(t);
    options.onProgress?.(t - startMs, endMs - startMs);
    await Promise.resolve();
  }

  const power = new Map<number, PowerReport>();
  const tagLogs = new Map<number, EncounterRow[]>();
  for (const tag of tags) {
    power.set(tag.id, tag.host.power.report());
    tagLogs.set(tag.id, readTagLog(tag.host));
  }
  const wallSeconds = Number(process.hrtime.bigint() - wallStart) / 1e9;
  return {
    scenario,
    seed,
    world,
    radio,
    pairDays,
    contacts,
    infections,
    tags,
    phones,
    devices,
    senders,
    tagLogs,
    power,
    storage,
    wallSeconds,
    tagHours: (tags.length * (endMs - startMs)) / 3600_000,
  };
}

/**
 * A tag's encounter log as the gateway would store it after a full sync: every complete record read from
 * its flash with the firmware's own log code, turned into rows by the gateway's own conversion. Done after
 * the run's last event, so opening the log (which may finish an interrupted thinning) changes nothing that
 * matters.
 */
export function readTagLog(host: HostTag): EncounterRow[] {
  const log = new EncounterLog(host.storage);
  const rows: EncounterRow[] = [];
  for (let cursor = 0; ; ) {
    const records = log.readFrom(cursor, LOG_READ_CHUNK);
    if (records.length === 0) return rows;
    for (const r of records) {
      const row = encounterRowOf({ origin: r.origin, record: r.record });
      if (row) rows.push(row);
      cursor = r.cursor + 1;
    }
  }
}
