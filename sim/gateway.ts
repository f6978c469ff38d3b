/**
 * The commune's gateway in the simulation: the real gateway (tools/gateway: store, provisioning, sync
 * engine, collection point, publishing, matching) on a laptop at the commune hall, whose Bluetooth adapter
 * is a radio of the simulated air, reached by tags over the host runtime's GATT link.
 *
 * - Provisioning: at the start each tag is handed out at the desk: the resident is registered, staff press
 *   the tag's button (it opens an unprovisioned window) and the gateway provisions it and sets its clock.
 * - Collection days: while the hall is open the adapter sends the commune's beacon; tags that hear it open
 *   a sync window; the adapter hears the window's advert and the collection point syncs the tag.
 * - A positive resident with a tag: staff sync the tag at the desk reading its keys (the resident presses
 *   the button: consent) and publish them (GAEN export and Bluezone F0 list).
 * - Every morning the gateway imports the keys published since (its own and the national server's, where
 *   phone users' apps upload) and matches them against the tags' encounters: the residents it lists to
 *   call are notified; their tags show the alert from their next sync.
 *
 * A GATT link carries fragments in connection events (BlueZ's default interval), so a sync takes the
 * virtual time its fragments need. The gateway code is asynchronous: while it works, the engine steps the
 * virtual clock one event at a time and lets its promises run in between (`Pump`).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { beaconAdvert, beaconMac, KIND_WINDOW, parseSyncAdvert, SLOT_SECONDS, syncSlot } from "../firmware/sync-token";
import { CollectionPoint } from "../tools/gateway/collection-point";
import { nodeSha256 } from "../tools/gateway/host-crypto";
import { readKeyFile } from "../tools/gateway/key-files";
import { matchExposures } from "../tools/gateway/matching";
import { publishResidentKeys } from "../tools/gateway/publish";
import type { RiskRule } from "../tools/gateway/risk-rule";
import { connectSimTag } from "../tools/gateway/sim-transport";
import type { DiagnosisKey, KeyImport } from "../tools/gateway/store";
import { GatewayStore } from "../tools/gateway/store";
import { communeBeaconKey, provisionTag, SyncReport, syncTag } from "../tools/gateway/sync";
import type { SyncWindowScanner, SyncWindowSeen, TagLink } from "../tools/gateway/transport";
import type { Scheduler } from "./espruino/scheduler";
import type { HostTag } from "./espruino/tag";
import { AdvertEvent, AdvertisingRun, AirDevice, AirState, Radio, ReceiverLinks, runEvents } from "./radio";
import type { Scenario } from "./scenario";
import { centre, DAY_S, weekday, World } from "./world";

/** Connection interval the gateway asks for: BlueZ's default minimum, 24 × 1.25 ms (src/main.conf). */
export const CONNECTION_INTERVAL_MS = 30;
/** Fragments a connection event carries each way (a conservative figure for Linux adapters). */
export const FRAGMENTS_PER_EVENT = 4;
/** ATT MTU the gateway offers; the tag's stack caps it (53 on Espruino nRF52). */
export const GATEWAY_MTU = 247;
/** The beacon goes out this often while the hall is open. */
const BEACON_INTERVAL_MS = 200;
/** The adapter's scan is computed a second at a time while the hall is open (windows stay open a minute). */
export const GATEWAY_SCAN_SLICE_MS = 1000;
/** Time staff take to press a tag's button and wait for its window, ms. */
const PRESS_MS = 300;

/**
 * A TagLink whose fragments travel in connection events on the virtual clock: up to FRAGMENTS_PER_EVENT
 * each way per event, a fragment handed over during an event leaving at the next one.
 */
class TimedLink implements TagLink {
  readonly mtu: number;
  /** Fragments handed over and not yet carried, both ways. */
  inFlight = 0;
  private nextEvent: [number, number] = [0, 0];
  private used: [number, number] = [0, 0];
  private listeners: ((fragment: Uint8Array) => void)[] = [];
  private closeListeners: (() => void)[] = [];

  constructor(
    private readonly inner: TagLink,
    private readonly scheduler: Scheduler
  ) {
    this.mtu = inner.mtu;
    const start = scheduler.now();
    this.nextEvent = [start + CONNECTION_INTERVAL_MS, start + CONNECTION_INTERVAL_MS];
    inner.onReceive((fragment) => void this.carry(1, () => this.listeners.forEach((l) => l(fragment))));
    // The tag's disconnection reaches the gateway after the notifications it sent before it.
    inner.onClose(() => void this.carry(1, () => this.closeListeners.forEach((l) => l())));
  }

  /**
   * Plans `deliver` at the next connection event with room in direction `way` (0: to the tag, 1: back); the
   * promise settles as `deliver` does (a write the tag refuses rejects it).
   */
  private carry(way: 0 | 1, deliver: () => void | Promise<void>): Promise<void> {
    const now = this.scheduler.now();
    while (this.nextEvent[way] <= now) {
      this.nextEvent[way] += CONNECTION_INTERVAL_MS;
      this.used[way] = 0;
    }
    if (this.used[way] >= FRAGMENTS_PER_EVENT) {
      this.nextEvent[way] += CONNECTION_INTERVAL_MS;
      this.used[way] = 0;
    }
    this.used[way]++;
    this.inFlight++;
    return new Promise((resolve) => {
      this.scheduler.at(this.nextEvent[way], () => {
        this.inFlight--;
        resolve(deliver());
      });
    });
  }

  send(fragment: Uint8Array): Promise<void> {
    return this.carry(0, () => this.inner.send(fragment));
  }

  onReceive(listener: (fragment: Uint8Array) => void): void {
    this.listeners.push(listener);
  }

  onClose(listener: () => void): void {
    this.closeListeners.push(listener);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** What the gateway does with a tag it provisioned: the tag, and whose it is. */
export interface GatewayTag {
  tagId: string;
  device: AirDevice & { host: HostTag };
  resident: number;
  storeResident: number;
}

/** One sync, as the report shows it. */
export interface SyncRecord {
  tagId: string;
  resident: number;
  /** World ms it began and its virtual length, s. */
  at: number;
  durationS: number;
  outcome: string;
  received: number;
  stored: number;
  alert: string | null;
  /** Provisioning at the desk, a collection point's sync, a desk sync (the last one), a desk sync reading keys. */
  kind: "provisioning" | "collection" | "desk" | "keys";
}

/** A key set that reached the key servers: whose, when, which keys. */
export interface Publication {
  case: number;
  /** World ms. */
  at: number;
  keys: DiagnosisKey[];
  /** Files written (tags' keys) or null (a phone app's upload). */
  files: string[] | null;
}

/** When the gateway listed a tag wearer to call, or set their tag's alert. */
export interface GatewayNotification {
  resident: number;
  tagId: string;
  /** World ms. */
  at: number;
  how: "listed to call" | "alert on tag";
}

/** Runs the virtual clock while asynchronous gateway work is under way. */
export class Pump {
  /** Gateway operations under way. */
  busy = 0;
  private readonly links = new Set<TimedLink>();

  constructor(private readonly scheduler: Scheduler) {}

  /** A timed link over `inner`, watched so that the pump knows when fragments are on their way. */
  link(inner: TagLink): TimedLink {
    const link = new TimedLink(inner, this.scheduler);
    this.links.add(link);
    link.onClose(() => this.links.delete(link));
    return link;
  }

  /** Whether fragments are travelling: then the clock must move for the work to go on. */
  private carrying(): boolean {
    for (const l of this.links) if (l.inFlight > 0) return true;
    return false;
  }

  /**
   * One step while gateway work is under way: the next event on the clock if fragments travel (or `idle`
   * says the clock may move), then the gateway's promises. When nothing travels the gateway waits for
   * something outside the clock (its own timers): `idle` is told so it can act (press a button).
   */
  async step(until: number, idle: () => void): Promise<void> {
    const next = this.scheduler.nextTime();
    if (this.carrying() && next !== null && next <= until) this.scheduler.runUntil(next);
    else idle();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Steps until `promise` settles; `idle` as in step. */
  async drive<T>(promise: Promise<T>, idle: () => void = () => {}): Promise<T> {
    let settled = false;
    this.busy++;
    promise.then(
      () => (settled = true),
      () => (settled = true)
    );
    try {
      while (!settled) await this.step(Infinity, idle);
    } finally {
      this.busy--;
    }
    return promise;
  }
}

/** The gateway's Bluetooth adapter at the commune hall: sends the beacon while the hall is open. */
export class GatewayRadio implements AirDevice {
  readonly kind = "gateway" as const;
  readonly resident = -1;
  readonly txGainDb = 0;
  readonly rssiOffsetDb = 0;
  readonly links = new ReceiverLinks();
  readonly address = "c0:ff:ee:00:00:01 random";
  /** Open (beacon on) since this world ms, or null. */
  openSince: number | null = null;
  private readonly packets = new Map<number, Uint8Array>();

  constructor(
    readonly id: number,
    readonly spot: number,
    private readonly radio: Radio,
    /** The commune's beacon key (the phone scans' worker rebuilds the adapter with it). */
    readonly beaconKey: Uint8Array
  ) {}

  private beacon(slot: number): Uint8Array {
    let packet = this.packets.get(slot);
    if (!packet) this.packets.set(slot, (packet = beaconAdvert(beaconMac(nodeSha256, this.beaconKey, slot))));
    return packet;
  }

  private run(from: number): AdvertisingRun | null {
    if (this.openSince === null) return null;
    const slot = syncSlot(from / 1000);
    return { from: Math.max(this.openSince, slot * SLOT_SECONDS * 1000), until: (slot + 1) * SLOT_SECONDS * 1000, packets: [this.beacon(slot)], intervalMs: BEACON_INTERVAL_MS, txPowerDbm: 0, address: this.address };
  }

  airState(from: number): AirState | null {
    const run = this.run(from);
    return run && { txPowerDbm: 0, eventsPerSecond: 1000 / (BEACON_INTERVAL_MS + this.radio.values.advDelayMax / 2), packets: run.packets, address: this.address };
  }

  advertsBetween(from: number, until: number): readonly AdvertEvent[] {
    const out: AdvertEvent[] = [];
    for (let t = from; t < until; ) {
      const run = this.run(t);
      if (!run) break;
      runEvents(this.radio, this.id, run, t, until, out);
      t = run.until;
    }
    return out;
  }
}

/** How the gateway works in a run. */
export interface SimGatewayOptions {
  /** Data folder of its store (a fresh one). */
  dataDir: string;
  /** Where published key files go. */
  keysDir: string;
  rule: RiskRule;
  scheduler: Scheduler;
  radio: Radio;
  pump: Pump;
  /** Device id to give the adapter, and its spot on the hall's desk. */
  deviceId: number;
  spot: number;
}

/** The commune's gateway: store, adapter, collection point, desk. */
export class SimGateway {
  readonly store: GatewayStore;
  readonly device: GatewayRadio;
  readonly tags = new Map<string, GatewayTag>();
  readonly syncs: SyncRecord[] = [];
  readonly publications: Publication[] = [];
  readonly notifications: GatewayNotification[] = [];
  private readonly point: CollectionPoint;
  private onWindow: ((window: SyncWindowSeen) => void) | null = null;
  private readonly imported = new Set<Publication>();
  private readonly keyCase = new Map<number, number>();
  private readonly started = new Map<string, number>();

  constructor(private readonly options: SimGatewayOptions) {
    mkdirSync(options.dataDir, { recursive: true });
    mkdirSync(options.keysDir, { recursive: true });
    // Nothing cuts the simulated gateway's power, so its commits need not wait for the disk.
    this.store = GatewayStore.open(options.dataDir, { durable: false });
    this.device = new GatewayRadio(options.deviceId, options.spot, options.radio, communeBeaconKey(this.store));
    const scanner: SyncWindowScanner = {
      start: async (onWindow) => {
        this.onWindow = onWindow;
      },
      stop: async () => {
        this.onWindow = null;
      },
    };
    this.point = new CollectionPoint(this.store, scanner, {
      now: () => this.now(),
      actor: "collection point",
      onReport: (report) => this.finished(report, "collection"),
      onError: (tagId, error) => this.failed(tagId, error),
    });
    void this.point.start();
  }

  private now(): number {
    return this.options.scheduler.now() / 1000;
  }

  /** Registers the resident and provisions their tag at the desk (staff press its button). */
  async provision(tagId: string, device: GatewayTag["device"], resident: number): Promise<void> {
    const at = Math.floor(this.now());
    const storeResident = this.store.addResident({ name: `resident ${resident}`, household: `household of resident ${resident}` }, "desk", at);
    this.tags.set(tagId, { tagId, device, resident, storeResident });
    device.host.pressButton();
    this.options.scheduler.runUntil(this.options.scheduler.now() + PRESS_MS);
    const link = this.options.pump.link(connectSimTag(device.host, GATEWAY_MTU));
    this.started.set(tagId, this.options.scheduler.now());
    const report = await this.options.pump.drive(provisionTag(this.store, link, { tagId, board: device.host.board.name, residentId: storeResident }, { now: () => this.now(), actor: "desk" }));
    this.finished(report, "provisioning");
  }

  /** Opens the collection point: the beacon goes out and windows are looked for. */
  open(): void {
    this.device.openSince = this.options.scheduler.now();
  }

  /** Closes it. */
  close(): void {
    this.device.openSince = null;
  }

  /** Whether the hall is open. */
  get isOpen(): boolean {
    return this.device.openSince !== null;
  }

  /**
   * The adapter heard an advert of `device` (the engine hands over what reaches the hall while it is
   * open): a sync window goes to the collection point, which resolves its token and syncs the tag.
   */
  heard(device: GatewayTag["device"], address: string, packet: Uint8Array, rssi: number): void {
    const advert = parseSyncAdvert(packet);
    if (!advert || advert.kind !== KIND_WINDOW || !this.onWindow) return;
    this.onWindow({
      token: advert.code.slice(),
      address,
      rssi,
      connect: async () => {
        // Counted until the collection point reports the sync (or its failure, a failed connect included).
        this.options.pump.busy++;
        const tag = [...this.tags.values()].find((t) => t.device === device);
        if (tag) this.started.set(tag.tagId, this.options.scheduler.now());
        return this.options.pump.link(connectSimTag(device.host, GATEWAY_MTU));
      },
    });
  }

  private finished(report: SyncReport, kind: SyncRecord["kind"]): void {
    if (kind === "collection") this.options.pump.busy--;
    const tag = this.tags.get(report.tagId);
    const at = this.started.get(report.tagId) ?? this.options.scheduler.now();
    this.syncs.push({
      tagId: report.tagId,
      resident: tag ? tag.resident : -1,
      at,
      durationS: (this.options.scheduler.now() - at) / 1000,
      outcome: report.outcome,
      received: report.received,
      stored: report.stored,
      alert: report.alert,
      kind,
    });
    if (tag && report.alert === "exposed" && !this.notifications.some((n) => n.tagId === report.tagId && n.how === "alert on tag")) {
      this.notifications.push({ resident: tag.resident, tagId: report.tagId, at: this.options.scheduler.now(), how: "alert on tag" });
    }
  }

  private failed(tagId: string, error: unknown): void {
    this.options.pump.busy--;
    const tag = this.tags.get(tagId);
    const at = this.started.get(tagId) ?? this.options.scheduler.now();
    this.syncs.push({ tagId, resident: tag ? tag.resident : -1, at, durationS: (this.options.scheduler.now() - at) / 1000, outcome: `failed: ${error instanceof Error ? error.message : String(error)}`, received: 0, stored: 0, alert: null, kind: "collection" });
  }

  /**
   * Staff sync a tag at the desk: they press its button (it opens a window) and connect. With `readKeys`
   * the gateway then asks for the resident's consent, and the resident presses the button once more.
   */
  async deskSync(tagId: string, readKeys = false): Promise<SyncReport> {
    const tag = this.tags.get(tagId)!;
    const scheduler = this.options.scheduler;
    tag.device.host.pressButton();
    scheduler.runUntil(scheduler.now() + PRESS_MS);
    const link = this.options.pump.link(connectSimTag(tag.device.host, GATEWAY_MTU));
    this.started.set(tagId, scheduler.now());
    let pressed = false;
    const report = await this.options.pump.drive(syncTag(this.store, tagId, link, { now: () => this.now(), actor: "desk", readKeys, startNewKeys: readKeys }), () => {
      // Nothing travels: the gateway waits for consent. The resident presses the button, once.
      if (!readKeys || pressed) return;
      pressed = true;
      tag.device.host.pressButton();
      scheduler.runUntil(scheduler.now() + PRESS_MS);
    });
    this.finished(report, readKeys ? "keys" : "desk");
    return report;
  }

  /** A positive tag wearer: their keys read at the desk (with consent) and published. */
  async publishTagWearer(tagId: string, caseResident: number): Promise<void> {
    await this.deskSync(tagId, true);
    const tag = this.tags.get(tagId)!;
    const at = Math.floor(this.now());
    const published = await this.options.pump.drive(publishResidentKeys(this.store, { residentId: tag.storeResident, outDir: this.options.keysDir, actor: "desk", at }));
    if ("error" in published) throw new Error(`publishing the keys of ${tagId}: ${published.error}`);
    const files = [published.gaenFile, published.bluezoneFile];
    const keys: DiagnosisKey[] = [];
    for (const file of files) {
      const read = await readKeyFile(file, null);
      if ("error" in read) throw new Error(read.error);
      keys.push(...read.keys);
    }
    this.publications.push({ case: caseResident, at: this.options.scheduler.now(), keys, files });
  }

  /** A phone user's app uploads their keys to the national key server. */
  publishPhoneUser(caseResident: number, keys: DiagnosisKey[]): void {
    this.publications.push({ case: caseResident, at: this.options.scheduler.now(), keys, files: null });
  }

  /** The morning routine: import keys published since, match, note who is newly listed to call. */
  async importAndMatch(): Promise<void> {
    const at = Math.floor(this.now());
    for (const p of this.publications) {
      if (this.imported.has(p)) continue;
      this.imported.add(p);
      const file: KeyImport = { source: p.files ? p.files.join(", ") : `national key server, case ${p.case}`, format: p.keys[0]?.profile === "bluezone" ? "bluezone-f0" : "gaen-export", signature: "none", region: null, keys: p.keys };
      const result = this.store.importDiagnosisKeys(file, "morning import", at);
      for (const k of this.store.diagnosisKeys(result.importId)) this.keyCase.set(k.id, p.case);
    }
    matchExposures(this.store, { rule: this.options.rule, actor: "morning match", at });
    for (const call of this.store.residentsToCall()) {
      const tag = this.tags.get(call.tagId);
      if (tag && !this.notifications.some((n) => n.tagId === call.tagId && n.how === "listed to call")) {
        this.notifications.push({ resident: tag.resident, tagId: call.tagId, at: this.options.scheduler.now(), how: "listed to call" });
      }
    }
  }

  /** The cases whose keys a tag's exposures matched. */
  casesOf(tagId: string): number[] {
    const cases = new Set<number>();
    for (const e of this.store.openExposures(tagId)) {
      const c = this.keyCase.get(e.diagnosisKey);
      if (c !== undefined) cases.add(c);
    }
    return [...cases].sort((a, b) => a - b);
  }

  /** Stops the collection point and closes the store. */
  async shutdown(): Promise<void> {
    await this.point.stop();
    this.store.close();
  }
}

/** The adapter's place and spot: it stands on the commune hall's desk (its middle). */
export function gatewayDesk(world: World, radio: Radio): { place: number; spot: number } {
  const hall = world.places.find((p) => p.kind === "communeHall")!;
  const desk = centre(hall);
  return { place: hall.index, spot: radio.addFixture(hall.index, desk.x, desk.y) };
}

/** Collection days' opening hours within the run, world ms: from the first arrivals until the last could leave. */
export function collectionHours(scenario: Scenario, world: World): [number, number][] {
  const [startMs, endMs] = [world.start * 1000, world.end * 1000];
  const offsetMs = scenario.utcOffsetHours * 3600_000;
  const hours: [number, number][] = [];
  const r = scenario.routine.communeHall;
  for (let day = -1; day <= scenario.days; day++) {
    const localMidnight = startMs + day * DAY_S * 1000 - offsetMs;
    if (!r.collectionDays.includes(weekday(localMidnight / 1000, scenario.utcOffsetHours))) continue;
    const open = localMidnight + r.from * 60_000;
    const close = localMidnight + (r.to + r.minutes[1]) * 60_000;
    if (close > startMs && open < endMs) hours.push([Math.max(open, startMs), Math.min(close, endMs)]);
  }
  return hours;
}

/** Where a run keeps its gateway data and published keys. */
export function gatewayDirs(root: string): { dataDir: string; keysDir: string } {
  return { dataDir: join(root, "gateway"), keysDir: join(root, "published-keys") };
}
