/**
 * One run of the commune: the world's residents move, tags run the real firmware bundle in the host Espruino
 * runtime, phones run their app models, and the radio carries adverts between whoever is in range, all on one
 * virtual clock (world time = Unix milliseconds).
 *
 * The simulator supplies only the environment (as Cooja or Renode do): a tag's behaviour is whatever its
 * bundle does with the Espruino globals; the simulator watches its radio (what it advertises, when it
 * scans) and hands it the packets that reach it.
 *
 * - Tags: after each of a tag's events the engine looks at its scan state; when a scan starts, who can be
 *   heard is worked out once (radio.reach), deliveries are computed a 100 ms slice at a time
 *   (radio.receiveEvents) and each packet is handed over at its own time. A packet whose sender changed
 *   what it sends before that time is dropped.
 * - Phones: host code with known scan windows, each scan computed in aggregate (radio.receiveAggregate) from
 *   what the senders had on air, in a worker thread an hour behind (phone-scans.ts).
 * - The gateway (sim/gateway.ts): provisioning at the start, the collection point on collection days, key
 *   publication for positive cases, the morning match, and a last sync of every tag at the end.
 * - Who is near: residents in places from which the receiver's place can be heard (radio.placesNear).
 *
 * One thread: every tag may hear every other within milliseconds, and what a tag sends, and when it scans,
 * is known only by running its firmware up to that moment. Tags split across workers would have to agree
 * on the air at every advertising or scan change of any tag (thousands of barriers a simulated hour), and
 * a delivery computed ahead of such a barrier could differ from one computed after it, so results would
 * depend on the worker count. Tags stay on one thread, which keeps `--seed` exact.
 * Phones are different: what they hear changes nothing else in the run, so their scans go to the second
 * core, fed with the tags' air changes an hour at a time; what they heard is recorded, and the phones'
 * daily checks of published keys run, once the worker has answered for that hour.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAdvert } from "../firmware/advert";
import { utcDayNumber } from "../firmware/bluezone";
import { parseSyncAdvert } from "../firmware/sync-token";
import { CWA_FIRST_RULE, RiskRule, ZONETAG_TAG_RULE } from "../tools/gateway/risk-rule";
import type { EncounterRow } from "../tools/gateway/store";
import { carriedDevices } from "./devices";
import { Scheduler, type ScheduledEvent } from "./espruino/scheduler";
import { HostTag } from "./espruino/tag";
import type { PowerReport } from "./espruino/power";
import { collectionHours, GATEWAY_SCAN_SLICE_MS, gatewayDesk, gatewayDirs, GatewayNotification, Publication, Pump, SimGateway, SyncRecord } from "./gateway";
import { AirChange, PhoneScanHeard, PhoneScanWorker } from "./phone-scans";
import { Phone } from "./phones";
import { AdvertEvent, AirDevice, AirState, audible, Radio, RadioValues, radioValues, reach, Reach, Reception, ReceiverLinks, receiveEvents, ScanWindow } from "./radio";
import { Random } from "./random";
import { Scenario } from "./scenario";
import { Surroundings } from "./surroundings";
import { closeContacts, closeTime, Infection, PairDay, spreadEpidemic } from "./truth";
import { buildWorld, DAY_S, Resident, World } from "./world";

/** Deliveries to a scanning tag are computed this far ahead at a time (ms): one scan channel's dwell. */
const TAG_SLICE_MS = 100;
/** Progress is reported once per simulated hour. */
const CHUNK_MS = 3600_000;
/**
 * While the hall is open the clock runs this far at a time between looks at the gateway: a sync that
 * started meanwhile (its tag already connected) then goes on with its first fragment at most this late.
 */
const OPEN_HALL_STEP_MS = 100;
/** The gateway imports published keys and matches every morning at this local time (minutes). */
const MORNING_MATCH_MINUTES = 7 * 60;
/** Phones check published keys once a day, at a time of their own between these local times (minutes). */
const PHONE_CHECK_MINUTES: [number, number] = [8 * 60, 20 * 60];
/** A case's keys cover the days before publication: 14 days (GAEN keeps TEKs 14 days). */
const PUBLISHED_DAYS = 14;

/** What a tag factory gets: the clock to run on, whose tag it is, and a seed of its own. */
export interface TagSpec {
  scheduler: Scheduler;
  resident: Resident;
  seed: string;
}

/** Makes a tag (the real firmware in the host runtime) for a resident, powered on and not yet provisioned. */
export type TagFactory = (spec: TagSpec) => HostTag;

/** A Puck.js running `bundle` (the uploaded .bootcde bytes, or JavaScript source), battery in, booted. */
function bootedTag(bundle: string | Uint8Array, scheduler: Scheduler, seed: string, name: string): HostTag {
  const tag = new HostTag({ scheduler, seed, name });
  tag.flash(bundle);
  tag.boot();
  return tag;
}

/** Tags running `bundle`, not yet provisioned: the gateway provisions them. */
export function bundleTagFactory(bundle: string | Uint8Array): TagFactory {
  return (spec) => bootedTag(bundle, spec.scheduler, spec.seed, `tag-r${spec.resident.index}`);
}

/** Why `bundle` cannot run a simulation (Storage cannot hold it, or the error it stops with at boot), or null. */
export function bundleBootError(bundle: string | Uint8Array): string | null {
  let tag: HostTag;
  try {
    tag = bootedTag(bundle, new Scheduler(), "boot check", "boot check");
  } catch (error) {
    return `the tag's Storage cannot hold its ${bundle.length} bytes (${(error as Error).message})`;
  }
  return tag.errors.length > 0 ? tag.errors[0]!.text : null;
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
    return this.host.radio.advertisingEvents(from, until);
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

/** A resident told of an exposure, and by which case's keys. */
export interface Notification {
  resident: number;
  case: number;
  /** World ms. */
  at: number;
  how: GatewayNotification["how"] | "phone app";
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
  /** Devices by id: the gateway's adapter, tags and phones. */
  devices: AirDevice[];
  /** Per ID prefix, the senders seen using it (for attributing log records). */
  senders: Map<number, { sender: number; txPower: number | null; time: number }[]>;
  /** Each tag's encounters as the gateway holds them after a last sync of every tag at the end. */
  tagLogs: Map<number, EncounterRow[]>;
  power: Map<number, PowerReport>;
  /** Storage bytes in use per tag per day (world ms, bytes). */
  storage: Map<number, { time: number; usedBytes: number; totalBytes: number }[]>;
  syncs: SyncRecord[];
  publications: Publication[];
  notifications: Notification[];
  wallSeconds: number;
  tagHours: number;
}

/** What a run needs. */
export interface SimulationOptions {
  scenario: Scenario;
  seed: string;
  tagFactory: TagFactory;
  /** The rule the gateway scores tags' logs with (default: zonetag's rule for tags, as the project configures it). */
  rule?: RiskRule;
  /** The rule the phone apps alert with (default: Corona-Warn-App's first rule). */
  phoneRule?: RiskRule;
  radio?: RadioValues;
  /** Folder for the gateway's data and published keys (default: a temporary one, removed at the end). */
  workDir?: string;
  /** Called once per simulated hour with the simulated and total milliseconds. */
  onProgress?: (doneMs: number, totalMs: number) => void;
}

/** The 4-byte prefix of an ID as a big-endian unsigned number. */
export function idPrefix(id: Uint8Array): number {
  return ((id[0]! << 24) | (id[1]! << 16) | (id[2]! << 8) | id[3]!) >>> 0;
}

/** Something asynchronous the run does at a world time (ms): publish keys, the morning match. */
interface Task {
  at: number;
  run: () => Promise<void>;
}

/** Runs a scenario: builds the world and its devices, runs the clock to the end, gathers what happened. */
export async function simulate(options: SimulationOptions): Promise<SimulationOutcome> {
  const { scenario, seed } = options;
  const rule = options.rule ?? ZONETAG_TAG_RULE;
  const phoneRule = options.phoneRule ?? CWA_FIRST_RULE;
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
  const airRandom = root.fork("air");
  const senders = new Map<number, { sender: number; txPower: number | null; time: number }[]>();
  const storage = new Map<number, { time: number; usedBytes: number; totalBytes: number }[]>();
  const notifications: Notification[] = [];
  const temporary = options.workDir === undefined;
  const workDir = options.workDir ?? mkdtempSync(join(tmpdir(), "zonetag-sim-"));

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

  const pump = new Pump(scheduler);
  const desk = gatewayDesk(world, radio);
  const gateway = new SimGateway({ ...gatewayDirs(workDir), rule, scheduler, radio, pump, deviceId: 0, spot: desk.spot });

  // Devices: the gateway's adapter, then each resident's tag (the firmware, booted; the gateway provisions
  // it below) and phone. Every change of a tag's air is noted for the phones' worker, and its IDs as its own.
  let airChanges: AirChange[] = [];
  const { devices, byResident, tags, phones } = carriedDevices(world, radio, root, gateway.device, (id, resident) => {
    const tag = new TagDevice(id, resident.index, values);
    tag.host = options.tagFactory({ scheduler: new ObservedScheduler(scheduler, () => watchTag(tag)), resident, seed: `${seed}/tag${resident.index}` });
    const noteAir = () => {
      const air = tag.airState();
      airChanges.push({ device: id, time: scheduler.now(), air });
      if (air) for (const packet of air.packets) noteSender(packet, id, air.txPowerDbm, scheduler.now());
    };
    tag.host.radio.onAirChange = noteAir;
    noteAir();
    return tag;
  });
  const surroundings = new Surroundings(world, radio, byResident);
  surroundings.addFixture(gateway.device, desk.place, desk.spot);
  const phoneOf = new Map(phones.map((p) => [p.id, p]));

  // Tag scans: who can be heard is worked out when a scan starts; deliveries a slice at a time while it runs.
  const planTagSlice = (tag: TagDevice, from: number) => {
    const since = tag.host.radio.scanningSince();
    if (since === null || since !== tag.scanSince || !tag.scanReach) return;
    const scan: ScanWindow = { from: since, until: Infinity };
    const window: ScanWindow = { from, until: from + TAG_SLICE_MS };
    receiveEvents(radio, tag, tag.scanReach, scan, window, airRandom, (reception) => {
      scheduler.at(reception.time, () => deliverToTag(tag, reception));
    });
    scheduler.at(window.until, () => planTagSlice(tag, window.until));
  };
  const deliverToTag = (tag: TagDevice, reception: Reception) => {
    const sender = devices[reception.from];
    // A tag sender may have changed what it sends since the slice was planned: only what is on air arrives.
    if (sender instanceof TagDevice && !sender.host.radio.sendsAt(reception.time, reception.packet)) return;
    tag.delivered++;
    if (tag.host.radio.deliverAdvert({ address: reception.address, rssi: reception.rssi, data: reception.packet })) {
      tag.accepted++;
      noteSender(reception.packet, reception.from, reception.txPowerDbm, reception.time);
    }
    watchTag(tag);
  };
  const watchTag = (tag: TagDevice) => {
    const since = tag.host.radio.scanningSince();
    if (since === null || since === tag.scanSince) return;
    const now = scheduler.now();
    tag.scanSince = since;
    tag.scanReach = reach(radio, tag, { from: now, until: now + TAG_SLICE_MS }, surroundings.audibleAt(tag, now));
    planTagSlice(tag, now);
  };

  // The gateway's scan while the hall is open: tags with a sync window on air, a second at a time.
  const windowAdverts = new WeakMap<readonly Uint8Array[], boolean>();
  const opensWindow = (d: AirDevice): d is TagDevice => {
    if (!(d instanceof TagDevice)) return false;
    const air = d.airState();
    if (!air) return false;
    let has = windowAdverts.get(air.packets);
    if (has === undefined) windowAdverts.set(air.packets, (has = air.packets.some((p) => parseSyncAdvert(p) !== null)));
    return has;
  };
  const gatewayScan = (from: number) => {
    if (!gateway.isOpen) return;
    const window: ScanWindow = { from, until: from + GATEWAY_SCAN_SLICE_MS };
    const windows = surroundings.devicesNear(desk.place, from).filter(opensWindow);
    const heard = new Set<number>();
    if (windows.length > 0) {
      receiveEvents(radio, gateway.device, reach(radio, gateway.device, window, audible(radio, gateway.device, windows, surroundings.spotOf)), window, window, airRandom, (r) => {
        if (heard.has(r.from)) return;
        heard.add(r.from);
        scheduler.at(r.time, () => gateway.heard(devices[r.from] as TagDevice, r.address, r.packet, r.rssi));
      });
    }
    scheduler.at(window.until, () => gatewayScan(window.until));
  };

  // Every day: Storage use at UTC midnight; the phones' check of published keys at their own hour, run
  // once the phone scans' worker has answered up to it.
  const offsetMs = scenario.utcOffsetHours * 3600_000;
  const checkRandom = root.fork("phone checks");
  const phoneChecks: { at: number; phone: Phone }[] = [];
  for (let day = 0; day <= scenario.days; day++) {
    const midnight = startMs + day * DAY_S * 1000;
    if (day > 0) {
      scheduler.at(midnight, () => {
        for (const tag of tags) {
          const stats = tag.host.storage.getStats();
          let list = storage.get(tag.id);
          if (!list) storage.set(tag.id, (list = []));
          list.push({ time: scheduler.now(), usedBytes: stats.fileBytes + stats.trashBytes, totalBytes: stats.totalBytes });
        }
      });
    }
    for (const phone of phones) {
      const at = midnight - offsetMs + checkRandom.uniform(PHONE_CHECK_MINUTES[0], PHONE_CHECK_MINUTES[1]) * 60_000;
      if (at >= startMs && at < endMs) phoneChecks.push({ at, phone });
    }
  }
  phoneChecks.sort((a, b) => a.at - b.at); // stable: same-time checks keep their order
  let nextCheck = 0;
  const checkPhones = (until: number) => {
    for (; nextCheck < phoneChecks.length && phoneChecks[nextCheck]!.at < until; nextCheck++) {
      const { at, phone } = phoneChecks[nextCheck]!;
      for (const p of gateway.publications) {
        if (p.at > at || notifications.some((n) => n.resident === phone.resident && n.case === p.case)) continue;
        if (phone.exposedBy(p.keys, phoneRule).length > 0) notifications.push({ resident: phone.resident, case: p.case, at, how: "phone app" });
      }
    }
  };
  /** Records an hour of phone scans, each phone's daily check running between the scans before and after it. */
  const recordPhoneScans = (scans: readonly PhoneScanHeard[], until: number) => {
    for (const { phone, scan, heard } of scans) {
      checkPhones(scan.until);
      phoneOf.get(phone)!.record(scan, heard);
    }
    checkPhones(until);
  };

  // Asynchronous work at set times: key publication of diagnosed cases, the gateway's morning match.
  const tasks: Task[] = [];
  const tagOf = new Map(tags.map((t) => [t.resident, t]));
  for (const infection of infections) {
    if (infection.publishedAt === null) continue;
    const resident = world.residents[infection.resident]!;
    tasks.push({
      at: infection.publishedAt * 1000,
      run: async () => {
        const tag = tagOf.get(resident.index);
        if (tag) await gateway.publishTagWearer(tagIdOf(tag), resident.index);
        const phone = phones.find((p) => p.resident === resident.index);
        if (phone) {
          const today = utcDayNumber(scheduler.now() / 1000);
          gateway.publishPhoneUser(resident.index, phone.diagnosisKeys(today - PUBLISHED_DAYS + 1, today));
        }
      },
    });
  }
  for (let day = 0; day <= scenario.days; day++) {
    const at = startMs + day * DAY_S * 1000 - offsetMs + MORNING_MATCH_MINUTES * 60_000;
    if (at >= startMs && at < endMs) tasks.push({ at, run: () => gateway.importAndMatch() });
  }
  const hallHours = collectionHours(scenario, world);
  for (const [open, close] of hallHours) {
    scheduler.at(open, () => {
      gateway.open();
      gatewayScan(open);
    });
    scheduler.at(close, () => gateway.close());
  }
  tasks.sort((a, b) => a.at - b.at);

  /** Runs the clock to `until`: in one go, in short steps while the hall is open, event by event while the gateway works. */
  const advance = async (until: number) => {
    while (scheduler.now() < until) {
      if (pump.busy > 0) {
        await pump.step(until, () => {});
        continue;
      }
      const open = hallHours.find(([a, b]) => b > scheduler.now() && a <= until);
      if (!open || open[0] > scheduler.now()) scheduler.runUntil(open ? Math.min(until, open[0]) : until);
      else scheduler.runUntil(Math.min(until, open[1], scheduler.now() + OPEN_HALL_STEP_MS));
    }
  };

  // Hand out the tags: each provisioned at the desk, one after another.
  for (const tag of tags) {
    try {
      await gateway.provision(tagIdOf(tag), tag, tag.resident);
    } catch (error) {
      const bootError = tag.host.errors[0]?.text;
      throw new Error(`the gateway could not provision ${tagIdOf(tag)} (does the bundle run zonetag's firmware?${bootError ? ` it stopped with ${bootError}` : ""}): ${(error as Error).message}`);
    }
  }
  for (const tag of tags) watchTag(tag);

  // The clock runs an hour at a time; the phones' worker follows an hour behind.
  const phoneScans = new PhoneScanWorker({ scenario, seed, radio: values, beaconKey: gateway.device.beaconKey });
  try {
    let phoneHour: { until: number; scans: Promise<PhoneScanHeard[]> } | null = null;
    let nextTask = 0;
    for (let t = scheduler.now(); t < endMs; ) {
      t = Math.min(endMs, (Math.floor((t - startMs) / CHUNK_MS) + 1) * CHUNK_MS + startMs);
      while (nextTask < tasks.length && tasks[nextTask]!.at <= t) {
        const task = tasks[nextTask++]!;
        await advance(Math.max(scheduler.now(), task.at));
        await task.run();
      }
      await advance(t);
      if (phoneHour) recordPhoneScans(await phoneHour.scans, phoneHour.until);
      phoneHour = { until: t, scans: phoneScans.advance(t, airChanges) };
      airChanges = [];
      options.onProgress?.(t - startMs, endMs - startMs);
      // The run is all synchronous work between awaits of settled promises: let timers (a progress line) run.
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (phoneHour) recordPhoneScans(await phoneHour.scans, phoneHour.until);
  } finally {
    await phoneScans.stop();
  }

  // The end: power up to now, then every tag synced at the desk so that the gateway holds every log.
  const power = new Map<number, PowerReport>();
  for (const tag of tags) power.set(tag.id, tag.host.power.report());
  const tagLogs = new Map<number, EncounterRow[]>();
  for (const tag of tags) {
    await gateway.deskSync(tagIdOf(tag));
    tagLogs.set(tag.id, gateway.store.encountersOfTag(tagIdOf(tag)));
  }
  for (const n of gateway.notifications) {
    for (const c of gateway.casesOf(n.tagId)) notifications.push({ resident: n.resident, case: c, at: n.at, how: n.how });
  }
  const syncs = gateway.syncs.slice();
  const publications = gateway.publications.slice();
  await gateway.shutdown();
  if (temporary) rmSync(workDir, { recursive: true, force: true });
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
    syncs,
    publications,
    notifications: notifications.sort((a, b) => a.at - b.at || a.resident - b.resident || a.case - b.case),
    wallSeconds,
    tagHours: (tags.length * (endMs - startMs)) / 3600_000,
  };
}

/** The ID the gateway registers a tag under. */
export function tagIdOf(tag: TagDevice): string {
  return `T${String(tag.resident).padStart(4, "0")}`;
}
