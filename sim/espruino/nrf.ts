/**
 * The `NRF` object and the tag's Bluetooth radio, after libs/bluetooth/jswrap_bluetooth.c and
 * targets/nrf5x/bluetooth.c of Espruino 2v2x on nRF52832 (SDK 12, S132):
 *
 * Advertising. `setAdvertising(data, options)`: an object builds a packet (flags, service data, UUID lists,
 * Espruino's manufacturer ID 0x0590 unless `manufacturer: false`, then the name); a flat array or typed array
 * is one raw packet; an array of packets or objects is used in turn, one per advertising event. Options
 * `interval` (ms, 20–10240, default 375), `connectable`, `scannable`, `whenConnected` persist until changed.
 * `undefined` data advertises the default packet (flags, 0x0590, "Puck.js xxxx"). A packet over 31 bytes throws
 * "ERR 0x9 (INVALID_LENGTH)". Advertising stops while a central is connected unless `whenConnected`.
 *
 * Scanning. `setScan(cb, {filters, interval, window, active})` starts a scan (interval/window in ms, default
 * 100/100, i.e. continuous); calling it again while scanning only replaces the callback and filters — the
 * radio keeps its old interval/window (jsble_set_scanning returns early). `setScan()` stops it.
 * `findDevices(cb, ms | {timeout, filters})` scans with a collector that merges packets per address, then
 * stops all scanning and calls back with the list.
 *
 * Stack restarts. `setAddress`, and `setServices` when the UART or the services change, restart the
 * SoftDevice (deferred until disconnection if a central is connected). A restart keeps advertising (same
 * data and options) and the scan callback, but the scan comes back with the default 100/100 ms parameters,
 * passive, and a later `setScan(cb, opts)` cannot change them without `setScan()` first; TX power returns to
 * 0 dBm (SDK 12 applies `setTxPower` directly to the SoftDevice). A random static address whose top two bits
 * are not 11 is refused by the SoftDevice at restart ("sd_ble_gap_addr_set failed: 0x3202") and the default
 * address stays. `getAddress()` returns the factory address; `getAddress(true)` the one set.
 *
 * Connections. A central (the gateway) can connect only while the tag advertises connectable. While
 * connected the console moves to Bluetooth if the Nordic UART service is on and the console is not forced;
 * then bytes written to the UART RX characteristic are REPL input and console output is notified on TX.
 *
 * On-air timing, for the radio model: advertising event n of a configuration that started at time s is at
 * s + n·(interval + 5 ms) + d_n, d_n a deterministic pseudo-random 0–10 ms (the link layer's advDelay), and
 * lasts ADV_EVENT_MS. Scans listen during [s + k·interval, s + k·interval + window).
 */
import { bytesToString, isBinary, isPlainObject, toBytes } from "./bytes";
import { buildAdvertisingData, MAX_ADVERT_BYTES, type ParsedAdvertisingData, parseAdvertisingData, parseUuid, type UuidText } from "./advertising";
import type { Battery } from "./battery";
import type { BoardProfile } from "./boards";
import { EventListeners } from "./events";
import { ADV_DELAY_MEAN_MS, advertisingMicroAmps, CONNECTION_UA, IDLE_UA, SCAN_UA, SLEEP_UA, type PowerMeter } from "./power";
import { hash32, Random, type Seed, seedValue } from "./random";
import { type Realm, realmArrayBuffer } from "./realm";
import type { Scheduler } from "./scheduler";
import type { Timers } from "./timers";

/** How long one advertising event keeps the radio on air (three channels, 31-byte packets). */
export const ADV_EVENT_MS = 1.5;
/** Nordic UART service and its characteristics. */
export const NUS_SERVICE = "6e400001-b5a3-f393-e0a9-e50e24dcca9e";
export const NUS_RX = "6e400002-b5a3-f393-e0a9-e50e24dcca9e";
export const NUS_TX = "6e400003-b5a3-f393-e0a9-e50e24dcca9e";
/** Smallest ATT MTU (23 bytes: 20 of payload). */
export const DEFAULT_MTU = 23;
/** HCI reasons reported to `NRF.on('disconnect')`. */
export const REMOTE_USER_TERMINATED = 0x13;
export const LOCAL_HOST_TERMINATED = 0x16;

const DEFAULT_INTERVAL_MS = 375;
const MIN_INTERVAL_UNITS = 0x20;
const MAX_INTERVAL_UNITS = 0x4000;
const UNIT_MS = 0.625;
const DEFAULT_SCAN_UNITS = 160;
const TX_POWERS = [-40, -20, -16, -12, -8, -4, 0, 3, 4];
const ADDRESS = /^([0-9a-f]{2}(?::[0-9a-f]{2}){5})(?: (public|random|private-resolvable|private-nonresolvable))?$/i;

/** What the radio needs from its tag. */
export interface NrfHost {
  readonly scheduler: Scheduler;
  readonly power: PowerMeter;
  readonly board: BoardProfile;
  readonly battery: Battery;
  readonly timers: Timers;
  /** Realm of the running program. */
  readonly realm: Realm;
  /** Where the console is (moved by connections, set by E.setConsole). */
  readonly console: ConsoleRouting;
  /** The radio has power. */
  isPowered(): boolean;
  /** The program runs events (powered and not hung). */
  isResponsive(): boolean;
  /** Runs a JavaScript callback as an event (skipped while the tag is hung or off). */
  dispatch(callback: Function, args: readonly unknown[]): void;
  print(line: string): void;
  /** Evaluates one line of REPL input; returns the console output it produced. */
  evaluateRepl(line: string): string;
}

/** The console device and whether it is pinned there. */
export interface ConsoleRouting {
  device: string | null;
  forced: boolean;
}

/** One advertising event on air. */
export interface AdvertisingEvent {
  /** World time (ms) it starts. */
  readonly time: number;
  /** The packet (shared: do not modify). */
  readonly packet: Uint8Array;
  /** "aa:bb:cc:dd:ee:ff random" */
  readonly address: string;
  readonly connectable: boolean;
  readonly scannable: boolean;
  /** Conducted TX power, dBm. */
  readonly txPowerDbm: number;
}

/** The receiver's duty cycle now. */
export interface ScanState {
  readonly scanning: boolean;
  readonly intervalMs: number;
  readonly windowMs: number;
  readonly active: boolean;
  /** World time this scan configuration started (null when not scanning). */
  readonly since: number | null;
  /** window / interval while scanning, else 0. */
  readonly dutyCycle: number;
}

/** A packet another device sent, as the radio model delivers it. */
export interface ReceivedAdvert {
  /** "aa:bb:cc:dd:ee:ff random" (as in AdvertisingEvent.address). */
  readonly address: string;
  readonly rssi: number;
  /** The packet; not modified afterwards (the runtime parses each packet once). */
  readonly data: Uint8Array;
}

/** Outcome of a central's connection attempt. */
export type ConnectResult = { ok: true; link: CentralLink } | { ok: false; reason: "off" | "busy" | "not connectable" };

/** Outcome of a GATT write from the central. */
export type GattWrite = { ok: true } | { ok: false; error: "disconnected" | "no such characteristic" | "write not permitted" | "invalid attribute length" };

/** The gateway's side of a connection to this tag. */
export interface CentralLink {
  /** Negotiated ATT MTU. */
  readonly mtu: number;
  readonly connected: boolean;
  /** Writes a characteristic (UUIDs as "abcd" or 128-bit text). */
  write(service: string, characteristic: string, value: Uint8Array): GattWrite;
  /** Reads a readable characteristic, or undefined. */
  read(service: string, characteristic: string): Uint8Array | undefined;
  /** Receives notifications (values cut to MTU − 3 bytes). */
  onNotification(listener: (service: UuidText, characteristic: UuidText, value: Uint8Array) => void): void;
  /** Receives the disconnection (reason code). */
  onDisconnect(listener: (reason: number) => void): void;
  /** The central ends the connection. */
  disconnect(): void;
}

interface Characteristic {
  value: Uint8Array;
  readonly maxLen: number;
  readonly readable: boolean;
  readonly writable: boolean;
  readonly notify: boolean;
  readonly onWrite: Function | null;
}

type Services = Map<UuidText, Map<UuidText, Characteristic>>;

interface AdvertisingSegment {
  readonly id: number;
  readonly start: number;
  end: number;
  readonly periodMs: number;
  readonly packets: readonly Uint8Array[];
  readonly address: string;
  readonly connectable: boolean;
  readonly scannable: boolean;
  readonly txPower: number;
  readonly intervalMs: number;
}

interface ScanSegment {
  readonly start: number;
  end: number;
  readonly intervalMs: number;
  readonly windowMs: number;
  readonly active: boolean;
}

type ScanReceiver = { kind: "js"; callback: Function } | { kind: "collect" };

interface ScanRequest {
  receiver: ScanReceiver;
  /** The filters as given (kept for memory accounting). */
  filters: readonly Record<string, unknown>[] | null;
  /** The filters compiled once: does a packet from an address pass? */
  matches: DeviceMatcher | null;
}

/** A compiled scan filter list. */
type DeviceMatcher = (parsed: ParsedAdvertisingData, address: string) => boolean;

/** The tag's Bluetooth radio and its JavaScript `NRF` object. */
export class NrfRadio {
  /** Advertising configurations kept for on-air queries (older ones are dropped). */
  historyMs: number;
  /** Options last given to setSecurity (not enforced). */
  securityOptions: unknown = undefined;
  /** Told whenever what the radio has on air changes (the simulator follows the air with it). */
  onAirChange: (() => void) | null = null;

  private readonly seed: number;
  private readonly factoryAddress: string;
  private readonly listeners = new EventListeners();
  // RAM state (reset at every boot)
  private packets: Uint8Array[] | null = null;
  private intervalMs = DEFAULT_INTERVAL_MS;
  private connectable = true;
  private scannable = true;
  private whenConnected = false;
  private sleeping = false;
  private storedAddress: string | null = null;
  private scanRequest: ScanRequest | null = null;
  private collected: Record<string, unknown>[] = [];
  private uartWanted = true;
  private servicesData: unknown = undefined;
  private servicesWereSet = false;
  private needsRestart = false;
  // SoftDevice state (reset at every stack start)
  private address: string;
  private txPower = 0;
  private nusInited = true;
  private services: Services = new Map();
  private connection: Link | null = null;
  private scanRadio: ScanSegment | null = null;
  private advertising: AdvertisingSegment | null = null;
  private history: AdvertisingSegment[] = [];
  private scanHistory: ScanSegment[] = [];
  private segmentIds = 0;

  constructor(private readonly host: NrfHost, seed: Seed, historyMs: number) {
    this.seed = seedValue(seed);
    this.historyMs = historyMs;
    const random = new Random(seed, 7);
    const bytes = Array.from({ length: 6 }, () => random.uint32() & 0xff);
    bytes[0] = bytes[0]! | 0xc0;
    this.factoryAddress = bytes.map((b) => b.toString(16).padStart(2, "0")).join(":");
    this.address = this.factoryAddress + " random";
  }

  // ---------------------------------------------------------------- lifecycle (called by the tag)

  /** A hardware reset: RAM state back to defaults, the stack starts again. */
  reset(): void {
    this.closeLink();
    this.listeners.clear();
    this.packets = null;
    this.intervalMs = DEFAULT_INTERVAL_MS;
    this.connectable = true;
    this.scannable = true;
    this.whenConnected = false;
    this.sleeping = false;
    this.storedAddress = null;
    this.scanRequest = null;
    this.collected = [];
    this.uartWanted = true;
    this.servicesData = undefined;
    this.servicesWereSet = false;
    this.needsRestart = false;
    this.startStack(false);
  }

  /** Power is gone: nothing on air. */
  powerOff(): void {
    this.closeLink();
    this.setScanRadio(null);
    this.update();
  }

  /** Forgets the connection without events (power or RAM gone). */
  private closeLink(): void {
    const link = this.connection;
    this.connection = null;
    link?.closed(LOCAL_HOST_TERMINATED);
  }

  // ---------------------------------------------------------------- the JavaScript NRF object

  /** Builds the `NRF` object for the running program. */
  module(): object {
    const nrf = new this.host.realm.Object() as Record<string, unknown>;
    nrf.setAdvertising = (data: unknown, options?: unknown) => this.setAdvertising(data, options);
    nrf.getAdvertisingData = (data: unknown, options?: unknown) => {
      const raw = Array.isArray(data) || isBinary(data);
      return realmArrayBuffer(this.host.realm, raw ? toBytes(data) : this.objectPacket(data, options, false));
    };
    nrf.setScan = (callback?: unknown, options?: unknown) => this.setScan(typeof callback === "function" ? { kind: "js", callback } : null, options);
    nrf.findDevices = (callback: unknown, options?: unknown) => this.findDevices(callback, options);
    nrf.setAddress = (address: unknown) => this.setAddress(address);
    nrf.getAddress = (current?: unknown) => (current && this.storedAddress ? this.storedAddress.split(" ")[0]! : this.factoryAddress);
    nrf.setTxPower = (power: unknown) => this.setTxPower(power);
    nrf.sleep = () => this.sleep();
    nrf.wake = () => this.wake();
    nrf.setServices = (data: unknown, options?: unknown) => this.setServices(data, options);
    nrf.updateServices = (data: unknown) => this.updateServices(data);
    nrf.setSecurity = (options: unknown) => {
      this.securityOptions = options;
    };
    nrf.disconnect = () => {
      if (this.connection) this.dropConnection(LOCAL_HOST_TERMINATED);
    };
    nrf.getBattery = () => Math.round(this.host.battery.volts() * 1000) / 1000;
    this.listeners.install(nrf);
    return nrf;
  }

  private error(message: string, type: "Error" | "TypeError" = "Error"): Error {
    return new this.host.realm[type](message);
  }

  private setAdvertising(data: unknown, options: unknown): void {
    if (options !== undefined && (typeof options !== "object" || options === null)) throw this.error(`Expecting Object or undefined, got ${typeof options}`, "TypeError");
    const o = (options ?? {}) as Record<string, unknown>;
    if (o.interval !== undefined) {
      const units = Math.trunc((Math.trunc(Number(o.interval)) * 1000) / 625);
      this.intervalMs = Math.min(MAX_INTERVAL_UNITS, Math.max(MIN_INTERVAL_UNITS, units)) * UNIT_MS;
    }
    if (o.connectable !== undefined) this.connectable = Boolean(o.connectable);
    if (o.scannable !== undefined) this.scannable = Boolean(o.scannable);
    if (o.whenConnected !== undefined) this.whenConnected = Boolean(o.whenConnected);
    let packets: Uint8Array[] | null;
    if (data === undefined) {
      packets = null;
    } else if (Array.isArray(data)) {
      const nested = data.some((item) => item === undefined || (typeof item === "object" && item !== null));
      packets = nested ? data.map((item) => (item === undefined || isPlainObject(item) ? this.objectPacket(item, options, true) : toBytes(item))) : [toBytes(data)];
    } else if (isBinary(data)) {
      packets = [toBytes(data)];
    } else if (isPlainObject(data)) {
      packets = [this.objectPacket(data, options, true)];
    } else {
      throw this.error(`Expecting Array or Object, got ${typeof data}`, "TypeError");
    }
    if (packets && packets.some((packet) => packet.length > MAX_ADVERT_BYTES)) throw this.error("ERR 0x9 (INVALID_LENGTH)");
    this.packets = packets;
    this.update(true);
  }

  private objectPacket(data: unknown, options: unknown, forSetAdvertising: boolean): Uint8Array {
    const built = buildAdvertisingData(data as Record<string, unknown> | undefined, options as Record<string, unknown> | undefined, this.deviceName(), forSetAdvertising);
    if (!built.ok) throw this.error(built.error);
    return built.bytes;
  }

  /** "Puck.js 1a2b": the board prefix and the last two bytes of the address in use. */
  private deviceName(): string {
    const hex = this.address.split(" ")[0]!.replace(/:/g, "");
    return `${this.host.board.namePrefix} ${hex.slice(8, 12)}`;
  }

  private setScan(receiver: ScanReceiver | null, options: unknown): void {
    let filters: Record<string, unknown>[] | null = null;
    if (typeof options === "object" && options !== null) {
      const given = (options as { filters?: unknown }).filters;
      if (given !== undefined && !Array.isArray(given)) throw this.error(`requestDevice expecting an array of filters, got ${typeof given}`, "TypeError");
      filters = (given as Record<string, unknown>[] | undefined) ?? null;
    } else if (options !== undefined && options !== null) {
      throw this.error(`Expecting Object, got ${typeof options}`, "TypeError");
    }
    if (!receiver) {
      this.scanRequest = null;
      this.setScanRadio(null);
      return;
    }
    this.scanRequest = { receiver, filters, matches: filters ? compileFilters(filters) : null };
    if (!this.scanRadio) this.setScanRadio(scanParameters(options)); // already scanning: options are ignored
  }

  private findDevices(callback: unknown, options: unknown): void {
    if (typeof callback !== "function") throw this.error(`Expecting function for first argument, got ${typeof callback}`);
    let timeout = 2000;
    let scanOptions: unknown = undefined;
    if (typeof options === "number") timeout = options;
    else if (typeof options === "object" && options !== null) {
      scanOptions = options;
      const t = (options as { timeout?: unknown }).timeout;
      if (t !== undefined) timeout = Number(t);
    } else if (options !== undefined) throw this.error(`Expecting Number or object, got ${typeof options}`);
    if (Number.isNaN(timeout) || timeout < 10) throw this.error("Invalid timeout");
    this.collected = [];
    this.setScan({ kind: "collect" }, scanOptions);
    this.host.timers.add(
      {
        kind: "native",
        watch: false,
        run: () => {
          this.setScan(null, undefined);
          const devices = new this.host.realm.Array() as unknown[];
          devices.push(...this.collected);
          this.collected = [];
          this.host.dispatch(callback, [devices]);
        },
      },
      timeout,
      false,
    );
  }

  private setAddress(address: unknown): void {
    const match = typeof address === "string" ? ADDRESS.exec(address) : null;
    if (!match) throw this.error("Expecting mac address of the form aa:bb:cc:dd:ee:ff");
    this.storedAddress = `${match[1]!.toLowerCase()} ${match[2] ?? "public"}`;
    this.restart();
  }

  private setTxPower(power: unknown): void {
    const dbm = Math.trunc(Number(power));
    if (!TX_POWERS.includes(dbm)) throw this.error("ERR 0x7 (INVALID_PARAM)");
    this.txPower = dbm;
    this.update(true);
  }

  private sleep(): void {
    this.sleeping = true;
    if (this.connection) this.dropConnection(LOCAL_HOST_TERMINATED);
    this.update();
  }

  private wake(): void {
    this.sleeping = false;
    this.update();
  }

  private setServices(data: unknown, options: unknown): void {
    let uart = true;
    if (typeof options === "object" && options !== null && (options as { uart?: unknown }).uart !== undefined) uart = Boolean((options as { uart?: unknown }).uart);
    if (uart !== this.nusInited) this.needsRestart = true;
    this.uartWanted = uart;
    this.servicesData = data;
    if (this.servicesWereSet || this.needsRestart) this.restart();
    else this.applyServices();
  }

  private updateServices(data: unknown): void {
    if (this.needsRestart) throw this.error("Can't update services until BLE restart");
    if (typeof data !== "object" || data === null) return;
    for (const [serviceKey, chars] of Object.entries(data as Record<string, unknown>)) {
      const serviceUuid = parseUuid(serviceKey);
      const service = serviceUuid ? this.services.get(serviceUuid) : undefined;
      if (!service) throw this.error(`Unable to find service with UUID ${serviceKey}`);
      for (const [charKey, update] of Object.entries((chars ?? {}) as Record<string, unknown>)) {
        const charUuid = parseUuid(charKey);
        const characteristic = charUuid ? service.get(charUuid) : undefined;
        if (!characteristic || !charUuid) throw this.error(`Unable to find characteristic with UUID ${charKey}`);
        const fields = (update ?? {}) as { value?: unknown; notify?: unknown };
        if (fields.value !== undefined) {
          const value = toBytes(fields.value);
          if (value.length > characteristic.maxLen) throw this.error("ERR 0xc (DATA_SIZE)");
          characteristic.value = value;
        }
        if (fields.notify && characteristic.notify && this.connection) this.connection.notify(serviceUuid!, charUuid, characteristic.value);
      }
    }
  }

  // ---------------------------------------------------------------- stack

  /** Restarts the SoftDevice now, or after the connection ends. */
  private restart(): void {
    if (this.connection) {
      this.needsRestart = true;
      return;
    }
    this.startStack(true);
  }

  /** jsble_init + jswrap_ble_reconfigure_softdevice. */
  private startStack(keepScanCallback: boolean): void {
    this.needsRestart = false;
    this.txPower = 0;
    this.address = this.factoryAddress + " random";
    if (this.storedAddress) {
      const [hex, type] = this.storedAddress.split(" ");
      const randomStatic = type !== "random" || (parseInt(hex!.slice(0, 2), 16) & 0xc0) === 0xc0;
      if (randomStatic) this.address = this.storedAddress;
      else this.host.print("sd_ble_gap_addr_set failed: 0x3202");
    }
    this.nusInited = this.uartWanted;
    this.applyServices();
    this.setScanRadio(keepScanCallback && this.scanRequest ? scanParameters(undefined) : null);
    this.update(true);
  }

  private applyServices(): void {
    this.services = parseServices(this.servicesData);
    this.servicesWereSet = this.servicesData !== undefined;
  }

  private setScanRadio(parameters: { intervalMs: number; windowMs: number; active: boolean } | null): void {
    const now = this.host.scheduler.now();
    if (this.scanRadio) this.scanRadio.end = now;
    this.scanRadio = parameters && this.host.isPowered() ? { start: now, end: Infinity, ...parameters } : null;
    if (this.scanRadio) this.scanHistory.push(this.scanRadio);
    this.prune(now);
    this.updatePower();
  }

  /** Brings the advertising segment and the power draw in line with the state. */
  private update(forceNewSegment = false): void {
    const now = this.host.scheduler.now();
    const advertise = this.host.isPowered() && !this.sleeping && (!this.connection || this.whenConnected);
    const connectable = this.connectable && !this.connection;
    const current = this.advertising;
    const same = current && !forceNewSegment && current.connectable === connectable && current.address === this.address;
    if (current && (!advertise || !same)) {
      current.end = now;
      this.advertising = null;
    }
    if (advertise && !this.advertising) {
      this.advertising = {
        id: this.segmentIds++,
        start: now,
        end: Infinity,
        periodMs: this.intervalMs + ADV_DELAY_MEAN_MS,
        packets: this.packets ?? [this.objectPacket(undefined, undefined, true)],
        address: this.address,
        connectable,
        scannable: this.scannable,
        txPower: this.txPower,
        intervalMs: this.intervalMs,
      };
      this.history.push(this.advertising);
    }
    if (this.advertising !== current) this.onAirChange?.();
    this.prune(now);
    this.updatePower();
  }

  private updatePower(): void {
    const power = this.host.power;
    const on = this.host.isPowered();
    power.setLevel("base", on ? (this.sleeping ? SLEEP_UA : IDLE_UA) : 0);
    const adv = this.advertising;
    power.setLevel("advertising", adv ? advertisingMicroAmps(adv.intervalMs, adv.connectable || adv.scannable) : 0);
    const scan = this.scanRadio;
    power.setLevel("scanning", scan ? (SCAN_UA * scan.windowMs) / scan.intervalMs : 0);
    power.setLevel("connection", this.connection ? CONNECTION_UA : 0);
  }

  private prune(now: number): void {
    const horizon = now - this.historyMs;
    if (this.history.length > 1 && this.history[0]!.end < horizon) this.history = this.history.filter((s) => s.end >= horizon);
    if (this.scanHistory.length > 1 && this.scanHistory[0]!.end < horizon) this.scanHistory = this.scanHistory.filter((s) => s.end >= horizon);
  }

  // ---------------------------------------------------------------- host-side queries for the radio world

  /** Advertising events starting in [from, to), from the configurations still in history. */
  advertisingEvents(from: number, to: number): AdvertisingEvent[] {
    const events: AdvertisingEvent[] = [];
    for (const segment of this.history) {
      if (segment.end <= from || segment.start >= to) continue;
      const last = Math.min(to, segment.end);
      let n = Math.max(0, Math.floor((from - segment.start - 10) / segment.periodMs));
      for (;; n++) {
        const time = this.eventTime(segment, n);
        if (time >= last) break;
        if (time >= from) events.push(eventOf(segment, n, time));
      }
    }
    return events;
  }

  /** The advertising event on air at world time `t` (from its start, for ADV_EVENT_MS), or null. */
  advertisingAt(t: number): AdvertisingEvent | null {
    // Asked up to a whole event past t and filtered, rather than up to t plus a tiny step, which vanishes in
    // rounding at Unix-millisecond magnitudes.
    const started = this.advertisingEvents(t - ADV_EVENT_MS, t + ADV_EVENT_MS).filter((e) => e.time <= t);
    const last = started[started.length - 1];
    return last && t < last.time + ADV_EVENT_MS ? last : null;
  }

  /** Whether the configuration on air at world time `t` sends `packet` (the very object it was given). */
  sendsAt(t: number, packet: Uint8Array): boolean {
    for (let i = this.history.length - 1; i >= 0; i--) {
      const segment = this.history[i]!;
      if (t >= segment.start && t < segment.end) return segment.packets.includes(packet);
    }
    return false;
  }

  /** The current advertising configuration (interval, packets, ...), or null when not advertising. */
  advertisingState(): Omit<AdvertisingSegment, "end" | "id"> | null {
    return this.advertising;
  }

  /** Start (world ms) of the scan under way, or null when not scanning: asked after every event of a tag. */
  scanningSince(): number | null {
    return this.scanRadio ? this.scanRadio.start : null;
  }

  /** The receiver's configuration now. */
  scanState(): ScanState {
    const scan = this.scanRadio;
    if (!scan) return { scanning: false, intervalMs: 0, windowMs: 0, active: false, since: null, dutyCycle: 0 };
    return { scanning: true, intervalMs: scan.intervalMs, windowMs: scan.windowMs, active: scan.active, since: scan.start, dutyCycle: scan.windowMs / scan.intervalMs };
  }

  /** Whether the receiver listens at world time `t` (inside a scan window). */
  listeningAt(t: number): boolean {
    for (let i = this.scanHistory.length - 1; i >= 0; i--) {
      const scan = this.scanHistory[i]!;
      if (t >= scan.start && t < scan.end) return (t - scan.start) % scan.intervalMs < scan.windowMs;
    }
    return false;
  }

  /**
   * Hands the tag a received advertising packet at the current time. It reaches the program only if the tag is
   * listening now and the packet passes the scan filters; returns whether it did.
   */
  deliverAdvert(advert: ReceivedAdvert): boolean {
    const request = this.scanRequest;
    if (!request || !this.host.isResponsive() || !this.listeningAt(this.host.scheduler.now())) return false;
    let parsed = parsedPackets.get(advert.data);
    if (!parsed) parsedPackets.set(advert.data, (parsed = parseAdvertisingData(advert.data)));
    if (request.matches && !request.matches(parsed, advert.address)) return false;
    const device = this.deviceObject(advert, parsed);
    if (request.receiver.kind === "collect") {
      this.collect(device);
      return true;
    }
    this.host.dispatch(request.receiver.callback, [device]);
    return true;
  }

  private deviceObject(advert: ReceivedAdvert, parsed: ParsedAdvertisingData): Record<string, unknown> {
    const realm = this.host.realm;
    const device = new realm.Object() as Record<string, unknown>;
    device.id = advert.address;
    device.rssi = advert.rssi;
    device.data = realmArrayBuffer(realm, advert.data);
    if (parsed.shortName !== undefined) device.shortName = parsed.shortName;
    if (parsed.name !== undefined) device.name = parsed.name;
    if (parsed.manufacturer !== undefined) {
      device.manufacturer = parsed.manufacturer;
      device.manufacturerData = realmArrayBuffer(realm, parsed.manufacturerData!);
    }
    if (parsed.services.length) {
      const services = new realm.Array() as unknown[];
      services.push(...parsed.services);
      device.services = services;
    }
    if (parsed.serviceData.length) {
      const serviceData = new realm.Object() as Record<string, unknown>;
      for (const [uuid, value] of parsed.serviceData) serviceData[uuid] = realmArrayBuffer(realm, value);
      device.serviceData = serviceData;
    }
    return device;
  }

  /** findDevices' collector: one entry per address; services and service data accumulate. */
  private collect(device: Record<string, unknown>): void {
    const found = this.collected.find((d) => d.id === device.id);
    if (!found) {
      this.collected.push(device);
      return;
    }
    for (const key of Object.keys(device)) {
      if (key === "services" && Array.isArray(found.services)) (found.services as unknown[]).push(...(device.services as unknown[]));
      else if (key === "serviceData" && found.serviceData) Object.assign(found.serviceData as object, device.serviceData);
      else found[key] = device[key];
    }
  }

  /** A central (the gateway) connects; accepted only while advertising connectable. */
  connect(options: { mtu?: number; address?: string } = {}): ConnectResult {
    if (!this.host.isPowered()) return { ok: false, reason: "off" };
    if (this.connection) return { ok: false, reason: "busy" };
    if (!this.advertising || !this.advertising.connectable) return { ok: false, reason: "not connectable" };
    const mtu = Math.max(DEFAULT_MTU, Math.min(options.mtu ?? DEFAULT_MTU, this.host.board.maxMtu));
    const link = new Link(this, mtu);
    this.connection = link;
    const routing = this.host.console;
    if (!routing.forced && this.nusInited) routing.device = "Bluetooth";
    this.update();
    const address = options.address ?? "c0:ff:ee:00:00:01 public";
    for (const listener of this.listeners.of("connect")) this.host.dispatch(listener, [address]);
    return { ok: true, link };
  }

  /** Sends console output to the central when the console is on Bluetooth. */
  consoleOutput(text: string): void {
    if (this.connection && this.nusInited && this.host.console.device === "Bluetooth") {
      this.connection.notify(NUS_SERVICE, NUS_TX, toBytes(text));
    }
  }

  /** Values the program holds through the radio (for memory accounting). */
  memoryRoots(): { values: unknown[]; fixedVars: number } {
    const values: unknown[] = [...this.listeners.all(), this.servicesData];
    let fixedVars = this.listeners.all().length;
    if (this.scanRequest) {
      if (this.scanRequest.receiver.kind === "js") values.push(this.scanRequest.receiver.callback);
      values.push(this.scanRequest.filters);
      fixedVars += 2;
    }
    values.push(...(this.packets ?? []));
    return { values, fixedVars };
  }

  // ---------------------------------------------------------------- link internals

  /** Called by a Link on a GATT write. */
  gattWrite(service: string, characteristic: string, value: Uint8Array, link: Link): GattWrite {
    if (this.connection !== link) return { ok: false, error: "disconnected" };
    const serviceUuid = parseUuid(service);
    const charUuid = parseUuid(characteristic);
    if (serviceUuid === NUS_SERVICE && charUuid === NUS_RX) {
      if (!this.nusInited) return { ok: false, error: "no such characteristic" };
      if (this.host.console.device === "Bluetooth") link.replInput(bytesToString(value));
      return { ok: true };
    }
    const target = serviceUuid && charUuid ? this.services.get(serviceUuid)?.get(charUuid) : undefined;
    if (!target) return { ok: false, error: "no such characteristic" };
    if (!target.writable) return { ok: false, error: "write not permitted" };
    if (value.length > target.maxLen) return { ok: false, error: "invalid attribute length" };
    target.value = value.slice();
    if (target.onWrite) {
      const event = new this.host.realm.Object() as Record<string, unknown>;
      event.data = realmArrayBuffer(this.host.realm, value);
      this.host.dispatch(target.onWrite, [event]);
    }
    return { ok: true };
  }

  /** Called by a Link on a GATT read. */
  gattRead(service: string, characteristic: string, link: Link): Uint8Array | undefined {
    if (this.connection !== link) return undefined;
    const serviceUuid = parseUuid(service);
    const charUuid = parseUuid(characteristic);
    const target = serviceUuid && charUuid ? this.services.get(serviceUuid)?.get(charUuid) : undefined;
    return target && target.readable ? target.value.slice() : undefined;
  }

  /** Evaluates a REPL line for a link (as an event of the tag). */
  repl(line: string): string {
    return this.host.evaluateRepl(line);
  }

  /** Ends the connection with an HCI reason; the program hears NRF.on('disconnect'). */
  dropConnection(reason: number): void {
    if (!this.connection) return;
    this.closeLink();
    const routing = this.host.console;
    if (routing.device === "Bluetooth" && !routing.forced) routing.device = "Serial1";
    if (this.needsRestart) this.startStack(true);
    else this.update();
    for (const listener of this.listeners.of("disconnect")) this.host.dispatch(listener, [reason]);
  }

  private eventTime(segment: AdvertisingSegment, n: number): number {
    return segment.start + n * segment.periodMs + (hash32(this.seed, segment.id, n) / 4294967296) * 2 * ADV_DELAY_MEAN_MS;
  }
}

/** A connection from the central's side. */
class Link implements CentralLink {
  private open = true;
  private input = "";
  private readonly notificationListeners: ((service: UuidText, characteristic: UuidText, value: Uint8Array) => void)[] = [];
  private readonly disconnectListeners: ((reason: number) => void)[] = [];

  constructor(private readonly radio: NrfRadio, readonly mtu: number) {}

  get connected(): boolean {
    return this.open;
  }

  write(service: string, characteristic: string, value: Uint8Array): GattWrite {
    if (!this.open) return { ok: false, error: "disconnected" };
    return this.radio.gattWrite(service, characteristic, value, this);
  }

  read(service: string, characteristic: string): Uint8Array | undefined {
    return this.open ? this.radio.gattRead(service, characteristic, this) : undefined;
  }

  onNotification(listener: (service: UuidText, characteristic: UuidText, value: Uint8Array) => void): void {
    this.notificationListeners.push(listener);
  }

  onDisconnect(listener: (reason: number) => void): void {
    this.disconnectListeners.push(listener);
  }

  disconnect(): void {
    if (this.open) this.radio.dropConnection(REMOTE_USER_TERMINATED);
  }

  /** The tag notifies a characteristic (split into MTU − 3 byte notifications for the UART, cut otherwise). */
  notify(service: UuidText, characteristic: UuidText, value: Uint8Array): void {
    const size = this.mtu - 3;
    const chunks = characteristic === NUS_TX ? Math.max(1, Math.ceil(value.length / size)) : 1;
    for (let i = 0; i < chunks; i++) {
      const chunk = value.slice(i * size, (i + 1) * size);
      for (const listener of this.notificationListeners) listener(service, characteristic, chunk);
    }
  }

  /** Bytes typed into the REPL: each complete line is evaluated. */
  replInput(text: string): void {
    this.input += text;
    let end: number;
    while ((end = this.input.search(/[\r\n]/)) >= 0) {
      const line = this.input.slice(0, end);
      this.input = this.input.slice(end + 1);
      if (line.trim() === "") continue;
      const output = this.radio.repl(line);
      if (this.open) this.notify(NUS_SERVICE, NUS_TX, toBytes(output));
    }
  }

  /** The connection is gone. */
  closed(reason: number): void {
    this.open = false;
    for (const listener of this.disconnectListeners) listener(reason);
  }
}

/** Packets as parsed, by packet: on air a packet is sent unchanged many times to many receivers. */
const parsedPackets = new WeakMap<Uint8Array, ParsedAdvertisingData>();

function eventOf(segment: AdvertisingSegment, n: number, time: number): AdvertisingEvent {
  return {
    time,
    packet: segment.packets[n % segment.packets.length]!,
    address: segment.address,
    connectable: segment.connectable,
    scannable: segment.scannable,
    txPowerDbm: segment.txPower,
  };
}

/** Scan interval/window/active from setScan options (jsble_set_scan_params). */
function scanParameters(options: unknown): { intervalMs: number; windowMs: number; active: boolean } {
  let interval = DEFAULT_SCAN_UNITS;
  let window = DEFAULT_SCAN_UNITS;
  let active = false;
  if (typeof options === "object" && options !== null) {
    const o = options as { interval?: unknown; window?: unknown; active?: unknown };
    active = Boolean(o.active);
    const w = Math.trunc((Math.trunc(Number(o.window) || 0) * 1000) / 625);
    if (w >= 4 && w <= 16384) window = w;
    const i = Math.trunc((Math.trunc(Number(o.interval) || 0) * 1000) / 625);
    if (i >= 4 && i <= 16384) interval = i;
    if (interval < window) interval = window;
  }
  return { intervalMs: interval * UNIT_MS, windowMs: window * UNIT_MS, active };
}

/** jswrap_ble_filter_device, compiled: a packet passes if any filter's every condition holds. */
function compileFilters(filters: readonly Record<string, unknown>[]): DeviceMatcher {
  const tests = filters.map((filter): DeviceMatcher => {
    if (typeof filter !== "object" || filter === null) return () => true;
    const services = Array.isArray(filter.services) ? filter.services.map((uuid) => parseUuid(uuid) ?? "") : [];
    const serviceData = typeof filter.serviceData === "object" && filter.serviceData !== null ? Object.keys(filter.serviceData).map((key) => parseUuid(key) ?? key) : [];
    const manufacturers = typeof filter.manufacturerData === "object" && filter.manufacturerData !== null ? Object.keys(filter.manufacturerData).map(Number) : [];
    const { name, namePrefix, id } = filter;
    return (parsed, address) =>
      services.every((uuid) => parsed.services.includes(uuid)) &&
      (name === undefined || name === parsed.name) &&
      (namePrefix === undefined || (parsed.name !== undefined && parsed.name.startsWith(String(namePrefix)))) &&
      (id === undefined || id === address) &&
      serviceData.every((uuid) => parsed.serviceData.some(([key]) => key === uuid)) &&
      manufacturers.every((company) => company === parsed.manufacturer);
  });
  return (parsed, address) => tests.some((test) => test(parsed, address));
}

/** The characteristic table from setServices' data. */
function parseServices(data: unknown): Services {
  const services: Services = new Map();
  if (typeof data !== "object" || data === null) return services;
  for (const [serviceKey, chars] of Object.entries(data as Record<string, unknown>)) {
    const serviceUuid = parseUuid(serviceKey);
    if (!serviceUuid || typeof chars !== "object" || chars === null) continue;
    const table = new Map<UuidText, Characteristic>();
    for (const [charKey, spec] of Object.entries(chars as Record<string, unknown>)) {
      const charUuid = parseUuid(charKey);
      if (!charUuid) continue;
      const s = (spec ?? {}) as { value?: unknown; maxLen?: unknown; readable?: unknown; writable?: unknown; notify?: unknown; indicate?: unknown; onWrite?: unknown };
      const value = s.value === undefined ? new Uint8Array(0) : toBytes(s.value);
      table.set(charUuid, {
        value,
        maxLen: s.maxLen !== undefined ? Number(s.maxLen) : Math.max(1, value.length),
        readable: Boolean(s.readable),
        writable: Boolean(s.writable),
        notify: Boolean(s.notify || s.indicate),
        onWrite: typeof s.onWrite === "function" ? s.onWrite : null,
      });
    }
    services.set(serviceUuid, table);
  }
  return services;
}
