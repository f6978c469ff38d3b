/**
 * Phones as the simulator models them: plain host code (they are not our firmware) that advertises and
 * scans on the duty cycles of the two apps the commune uses, with IDs from the tag's own derivations
 * (firmware/gaen.ts, firmware/bluezone.ts), and keeps what it hears the way the app does.
 *
 * - GAEN (Google/Apple Exposure Notification, Bluetooth spec v1.2): non-connectable adverts every
 *   200–270 ms; the RPI and address change together every 10–20 minutes (and at the UTC day's TEK change);
 *   a scan of about 4 s every 5 minutes; per scan, each RPI heard with its RSSIs (a ScanInstance).
 * - Bluezone (BluezoneGlobal/react-native-bluetooth-scan v3): adverts for 15 s then 15 s off; scans 40 s on
 *   and 260 s off; IDs from the 15-minute slots of the daily key chain.
 * Each phone is a model from Google's calibration list (rssi_correction, tx_power), so phones differ in how
 * loud they are and how they read RSSI, as real ones do.
 */
import { bluezoneAdvert, bluezoneChainAt, bluezoneChainSeek, bluezoneId, bluezoneIdIndex, BLUEZONE_ID_SECONDS, BLUEZONE_IDS_PER_DAY, DAY_SECONDS, utcDayNumber } from "../firmware/bluezone";
import { parseAdvert } from "../firmware/advert";
import { aemCrypt, bluetoothMetadata, deriveAemk, deriveRpik, enIntervalNumber, EN_INTERVAL_SECONDS, gaenAdvert, rollingProximityIdentifier, TEK_ROLLING_PERIOD } from "../firmware/gaen";
import { diagnosisIds, gaenTxPower } from "../tools/gateway/diagnosis-ids";
import { nodeAes128, nodeSha256 } from "../tools/gateway/host-crypto";
import { CLOCK_SKEW_SECONDS, DEFAULT_BLUEZONE_TX_POWER_DBM, exposuresOf } from "../tools/gateway/matching";
import type { RiskRule, ScoredRecord } from "../tools/gateway/risk-rule";
import type { DiagnosisKey } from "../tools/gateway/store";
import { AdvertEvent, AdvertisingRun, AirDevice, AirState, Radio, ReceiverLinks, runEvents, ScanWindow, WindowHeard } from "./radio";
import { hashUniform, Random } from "./random";

/** A phone model's GAEN calibration: what it adds to RSSI readings, and its calibrated TX power (dBm). */
export interface PhoneCalibration {
  model: string;
  rssiCorrection: number;
  txPower: number;
}

/**
 * Models common in Vietnam (Samsung, Oppo, Xiaomi, Nokia, ...) from Google's GAEN calibration list
 * en-calibration-2020-12-14.csv (developers.google.com/android/exposure-notifications/
 * ble-attenuation-computation, as transcribed in microG GmsCore DeviceInfo.kt).
 */
export const PHONE_CALIBRATIONS: readonly PhoneCalibration[] = [
  { model: "Samsung SM-A105F (A10)", rssiCorrection: 3, txPower: -23 },
  { model: "Samsung SM-A107F (A10s)", rssiCorrection: 5, txPower: -30 },
  { model: "Samsung SM-A205F (A20)", rssiCorrection: 3, txPower: -26 },
  { model: "Samsung SM-A305F (A30)", rssiCorrection: 4, txPower: -23 },
  { model: "Samsung SM-A505F (A50)", rssiCorrection: 0, txPower: -20 },
  { model: "Samsung SM-A515F (A51)", rssiCorrection: 2, txPower: -28 },
  { model: "Samsung SM-J260G (J2 Core)", rssiCorrection: 7, txPower: -27 },
  { model: "Samsung SM-J415G (J4+)", rssiCorrection: 4, txPower: -28 },
  { model: "Samsung SM-J730F (J7 Pro)", rssiCorrection: 6, txPower: -33 },
  { model: "Samsung SM-G960F (S9)", rssiCorrection: 8, txPower: -28 },
  { model: "Samsung SM-N960F (Note 9)", rssiCorrection: 7, txPower: -28 },
  { model: "Oppo CPH1803 (A3s)", rssiCorrection: -1, txPower: -17 },
  { model: "Oppo CPH1909", rssiCorrection: 3, txPower: -24 },
  { model: "Oppo CPH1920", rssiCorrection: -2, txPower: -24 },
  { model: "Oppo CPH2009", rssiCorrection: 4, txPower: -26 },
  { model: "Redmi 8A", rssiCorrection: 5, txPower: -30 },
  { model: "Redmi Note 7", rssiCorrection: 5, txPower: -29 },
  { model: "Redmi Note 8", rssiCorrection: 4, txPower: -19 },
  { model: "Nokia 2.3", rssiCorrection: -3, txPower: -21 },
  { model: "Nokia 3.1", rssiCorrection: 6, txPower: -23 },
  { model: "Google Pixel 3a", rssiCorrection: 2, txPower: -29 },
  { model: "Huawei MHA-L29", rssiCorrection: 2, txPower: -27 },
  { model: "itel A32F", rssiCorrection: 3, txPower: -26 },
  { model: "Infinix X650", rssiCorrection: 1, txPower: -26 },
];

/** GAEN app duty cycles (Exposure Notification Bluetooth spec v1.2; Google: "scans about every 5 minutes"). */
export const GAEN_PHONE = {
  /** Advertising interval range, ms (spec: 200–270 ms). */
  advertIntervalMs: [200, 270] as const,
  /** RPI and address rotation, minutes (spec: about every 15 minutes, randomised 10–20). */
  rotationMinutes: [10, 20] as const,
  /** Scan length and period, s. */
  scanSeconds: 4,
  scanPeriodSeconds: 300,
};

/**
 * Bluezone app duty cycles and radio settings (react-native-bluetooth-scan v3, ServiceTraceCovid: the on/off
 * durations come from the server's scan config; startBroadCastBle advertises in ADVERTISE_MODE_LOW_POWER and
 * sets no TX power level, so Android's default, ADVERTISE_TX_POWER_MEDIUM, applies; scans are LOW_LATENCY).
 */
export const BLUEZONE_PHONE = {
  advertOnSeconds: 15,
  advertOffSeconds: 15,
  /** Android ADVERTISE_MODE_LOW_POWER: one advert a second. */
  advertIntervalMs: 1000,
  /**
   * How much louder than the GAEN calibration's TX power (which is for GAEN's own, low, level) Bluezone
   * sends: Android's MEDIUM (−7 dBm) over LOW (−15 dBm), AdvertisingSetParameters TX_POWER_* levels. An
   * assumption that GAEN advertises at LOW, as microG does.
   */
  txAboveGaenDb: 8,
  scanOnSeconds: 40,
  scanOffSeconds: 260,
};

/** Which app a phone runs. */
export type PhoneApp = "gaen" | "bluezone";

/**
 * What a phone kept of one scan: per ID heard, its sightings. GAEN keeps this as a ScanInstance per RPI;
 * Bluezone logs each sighting, which comes to the same for scoring.
 */
export interface PhoneSighting {
  /** Scan start, world ms. */
  scan: number;
  /** ID as heard (RPI 16 bytes or Bluezone ID 12 bytes). */
  id: Uint8Array;
  /** GAEN AEM (4 bytes), or null. */
  aem: Uint8Array | null;
  count: number;
  rssiMean: number;
  rssiMax: number;
}

/** Rows a sighting log starts with; it doubles when full. */
const LOG_INITIAL_ROWS = 1024;

/**
 * A phone's sightings in columns, each distinct ID stored once: a phone hears thousands of tag adverts a
 * day, and objects per sighting would take gigabytes over a run.
 */
export class SightingLog {
  length = 0;
  /** The distinct IDs heard and their AEMs (null for Bluezone), in the order first heard. */
  readonly ids: Uint8Array[] = [];
  readonly aems: (Uint8Array | null)[] = [];
  /** Rows of each ID, by ID index. */
  readonly rowsOfId: number[][] = [];
  private scan = new Float64Array(LOG_INITIAL_ROWS);
  private idIndex = new Int32Array(LOG_INITIAL_ROWS);
  private count = new Uint16Array(LOG_INITIAL_ROWS);
  private mean = new Int8Array(LOG_INITIAL_ROWS);
  private max = new Int8Array(LOG_INITIAL_ROWS);
  /** ID index of each packet object seen (-1: not an ID advert), and of each ID by hex. */
  private readonly ofPacket = new WeakMap<Uint8Array, number>();
  private readonly ofHex = new Map<string, number>();

  /** The index of the ID `packet` carries (registered on first sight), or -1 when it carries none. */
  idIndexOf(packet: Uint8Array): number {
    let index = this.ofPacket.get(packet);
    if (index === undefined) {
      const parsed = parseAdvert(packet);
      if (!parsed) index = -1;
      else {
        const hex = Buffer.from(parsed.id).toString("hex");
        index = this.ofHex.get(hex);
        if (index === undefined) {
          index = this.ids.length;
          this.ofHex.set(hex, index);
          this.ids.push(parsed.id.slice());
          this.aems.push(parsed.aem ? parsed.aem.slice() : null);
          this.rowsOfId.push([]);
        }
      }
      this.ofPacket.set(packet, index);
    }
    return index;
  }

  /** The index of an ID given by its bytes, or -1 if never heard. */
  idIndexOfBytes(id: Uint8Array): number {
    return this.ofHex.get(Buffer.from(id).toString("hex")) ?? -1;
  }

  /** Adds a row. */
  push(scan: number, idIndex: number, count: number, rssiMean: number, rssiMax: number): void {
    if (this.length === this.scan.length) this.grow();
    const row = this.length++;
    this.scan[row] = scan;
    this.idIndex[row] = idIndex;
    this.count[row] = Math.min(count, 0xffff);
    this.mean[row] = rssiMean;
    this.max[row] = rssiMax;
    this.rowsOfId[idIndex]!.push(row);
  }

  /** Row `row` as a sighting. */
  at(row: number): PhoneSighting {
    const id = this.idIndex[row]!;
    return { scan: this.scan[row]!, id: this.ids[id]!, aem: this.aems[id]!, count: this.count[row]!, rssiMean: this.mean[row]!, rssiMax: this.max[row]! };
  }

  private grow(): void {
    const size = this.scan.length * 2;
    const copy = <T extends Float64Array | Int32Array | Uint16Array | Int8Array>(a: T, make: new (n: number) => T): T => {
      const b = new make(size);
      b.set(a as never);
      return b;
    };
    this.scan = copy(this.scan, Float64Array);
    this.idIndex = copy(this.idIndex, Int32Array);
    this.count = copy(this.count, Uint16Array);
    this.mean = copy(this.mean, Int8Array);
    this.max = copy(this.max, Int8Array);
  }
}

/** One phone: advertiser (AirDevice) and scanner with its log and its keys. */
export class Phone implements AirDevice {
  readonly kind = "phone" as const;
  /** A phone's calibrated TX power is its effective radiated power: no separate antenna gain. */
  readonly txGainDb = 0;
  /** The phone reads RSSI low by its correction (GAEN adds the correction back). */
  readonly rssiOffsetDb: number;
  /** Effective radiated power of its adverts, dBm: the calibrated TX power, and Bluezone's higher level. */
  readonly txPowerDbm: number;
  /** Scan periods, s (the time each scan stands for in exposure scoring). */
  readonly scanPeriodSeconds: number;
  readonly log = new SightingLog();
  readonly links = new ReceiverLinks();
  private readonly random: Random;
  private readonly intervalMs: number;
  /** GAEN: rotation times (world ms), from before the run's start to after its end. */
  private readonly rotations: number[] = [];
  private readonly gaenRuns = new Map<number, AdvertisingRun>();
  private readonly teks = new Map<number, Uint8Array>();
  private readonly dayKeys = new Map<number, { rpik: Uint8Array; aemk: Uint8Array }>();
  /** Bluezone: base key and its day, the chain's cached position, IDs by slot. */
  private readonly baseKey: Uint8Array;
  private readonly baseDay: number;
  private readonly bluezonePackets = new Map<number, Uint8Array>();
  private chain: ReturnType<typeof bluezoneChainAt> | null = null;
  /** Phase of the duty cycles, ms. */
  private readonly phase: number;
  private readonly addressSeed: number;
  private readonly addresses = new Map<number, string>();

  constructor(
    readonly id: number,
    readonly resident: number,
    readonly app: PhoneApp,
    readonly calibration: PhoneCalibration,
    private readonly radio: Radio,
    random: Random,
    readonly start: number,
    readonly end: number
  ) {
    this.random = random;
    this.rssiOffsetDb = -calibration.rssiCorrection;
    this.txPowerDbm = calibration.txPower + (app === "bluezone" ? BLUEZONE_PHONE.txAboveGaenDb : 0);
    if (app === "gaen") {
      this.intervalMs = Math.round(random.uniform(GAEN_PHONE.advertIntervalMs[0], GAEN_PHONE.advertIntervalMs[1]));
      this.scanPeriodSeconds = GAEN_PHONE.scanPeriodSeconds;
      this.phase = random.uniform(0, GAEN_PHONE.scanPeriodSeconds * 1000);
      this.planRotations();
    } else {
      this.intervalMs = BLUEZONE_PHONE.advertIntervalMs;
      this.scanPeriodSeconds = BLUEZONE_PHONE.scanOnSeconds + BLUEZONE_PHONE.scanOffSeconds;
      this.phase = random.uniform(0, this.scanPeriodSeconds * 1000);
    }
    this.addressSeed = random.fork("address").seed32();
    this.baseDay = utcDayNumber(start / 1000);
    this.baseKey = randomBytes(random.fork("bluezone"), 32);
  }

  /** Rotation times: every 10–20 minutes, plus every UTC midnight (a new TEK). */
  private planRotations(): void {
    const r = this.random.fork("rotation");
    const [lo, hi] = GAEN_PHONE.rotationMinutes;
    let t = this.start - r.uniform(0, hi) * 60000;
    while (t < this.end + hi * 60000) {
      this.rotations.push(t);
      let next = t + r.uniform(lo, hi) * 60000;
      const midnight = (Math.floor(t / 1000 / DAY_SECONDS) + 1) * DAY_SECONDS * 1000;
      if (next > midnight) next = midnight;
      t = next;
    }
  }

  /** The TEK of a UTC day (16 random bytes, made on first use). */
  tekOfDay(day: number): Uint8Array {
    let tek = this.teks.get(day);
    if (!tek) this.teks.set(day, (tek = randomBytes(this.random.fork(`tek${day}`), 16)));
    return tek;
  }

  /** The RPI and AEM keys of a UTC day's TEK (derived once: a phone rotates some hundred times a day). */
  private keysOfDay(day: number): { rpik: Uint8Array; aemk: Uint8Array } {
    let keys = this.dayKeys.get(day);
    if (!keys) {
      const tek = this.tekOfDay(day);
      this.dayKeys.set(day, (keys = { rpik: deriveRpik(nodeSha256, tek), aemk: deriveAemk(nodeSha256, tek) }));
    }
    return keys;
  }

  /** The Bluezone daily key of a UTC day (the chain from the base key made on the run's first day). */
  dailyKey(day: number): Uint8Array {
    let key = this.baseKey;
    for (let d = this.baseDay; d < day; d++) key = nodeSha256(key);
    return key;
  }

  /** Whether the phone's app keeps this packet (its own profile only). */
  accept(packet: Uint8Array): boolean {
    const parsed = parseAdvert(packet);
    return parsed !== null && parsed.profile === this.app;
  }

  /**
   * What the phone has on air around [from, until): its packet then and its event rate. Bluezone's rate is
   * averaged over its 15 s on / 15 s off cycle (the exact on-phases matter only event by event, which
   * advertsBetween gives); the state is kept per rotation or ID slot, since every scanner nearby asks.
   */
  airState(from: number): AirState | null {
    const rate = 1000 / (this.intervalMs + this.radio.values.advDelayMax / 2);
    if (this.app === "gaen") {
      let i = this.lastRotation;
      if (!(this.rotations[i]! <= from && from < this.rotations[i + 1]!)) i = this.lastRotation = Math.max(0, upperBound(this.rotations, from) - 1);
      if (this.airIndex !== i) {
        const run = this.gaenRun(i);
        this.airIndex = i;
        this.air = { txPowerDbm: run.txPowerDbm, eventsPerSecond: rate, packets: run.packets, address: run.address };
      }
      return this.air;
    }
    const slot = Math.floor(from / 1000 / BLUEZONE_ID_SECONDS);
    if (this.airIndex !== slot) {
      const duty = BLUEZONE_PHONE.advertOnSeconds / (BLUEZONE_PHONE.advertOnSeconds + BLUEZONE_PHONE.advertOffSeconds);
      this.airIndex = slot;
      this.air = { txPowerDbm: this.txPowerDbm, eventsPerSecond: rate * duty, packets: [this.bluezonePacket(from)], address: this.address(slot) };
    }
    return this.air;
  }
  private lastRotation = 0;
  private airIndex = -1;
  private air: AirState | null = null;

  /** Advertising events starting in [from, until) (world ms). */
  advertsBetween(from: number, until: number): readonly AdvertEvent[] {
    const events: AdvertEvent[] = [];
    const runs = this.app === "gaen" ? this.gaenAdvertising(from, until) : this.bluezoneAdvertising(from, until);
    for (const run of runs) runEvents(this.radio, this.id, run, from, until, events);
    return events;
  }

  private gaenAdvertising(from: number, until: number): AdvertisingRun[] {
    const out: AdvertisingRun[] = [];
    let i = upperBound(this.rotations, from) - 1;
    for (i = Math.max(0, i); i < this.rotations.length - 1 && this.rotations[i]! < until; i++) out.push(this.gaenRun(i));
    return out;
  }

  private gaenRun(i: number): AdvertisingRun {
    let run = this.gaenRuns.get(i);
    if (!run) {
      const at = this.rotations[i]!;
      const seconds = Math.max(0, at) / 1000;
      const day = utcDayNumber(seconds);
      const { rpik, aemk } = this.keysOfDay(day);
      const rpi = rollingProximityIdentifier(nodeAes128, rpik, enIntervalNumber(seconds));
      const aem = aemCrypt(nodeAes128, aemk, rpi, bluetoothMetadata(this.calibration.txPower));
      run = { from: at, until: this.rotations[i + 1]!, packets: [gaenAdvert(rpi, aem)], intervalMs: this.intervalMs, txPowerDbm: this.txPowerDbm, address: this.address(i) };
      this.gaenRuns.set(i, run);
    }
    return run;
  }

  /** The Bluezone packet of the 15-minute slot holding world time `t` (ms). */
  private bluezonePacket(t: number): Uint8Array {
    const slot = Math.floor(t / 1000 / BLUEZONE_ID_SECONDS);
    let packet = this.bluezonePackets.get(slot);
    if (!packet) {
      const seconds = t / 1000;
      const day = utcDayNumber(seconds);
      const index = bluezoneIdIndex(seconds);
      let chain = this.chain;
      // The cached chain only moves forward; a query behind it restarts from that day's key.
      if (!chain || chain.day > day || (chain.day === day && chain.index > index)) chain = bluezoneChainAt(nodeSha256, this.dailyKey(day), day);
      chain = bluezoneChainSeek(nodeSha256, chain, day, index)!;
      this.chain = chain;
      packet = bluezoneAdvert(bluezoneId(chain.subkey));
      this.bluezonePackets.set(slot, packet);
    }
    return packet;
  }

  private bluezoneAdvertising(from: number, until: number): AdvertisingRun[] {
    const on = BLUEZONE_PHONE.advertOnSeconds * 1000;
    const cycle = on + BLUEZONE_PHONE.advertOffSeconds * 1000;
    const slotMs = BLUEZONE_ID_SECONDS * 1000;
    const out: AdvertisingRun[] = [];
    for (let c = Math.floor((from - this.phase) / cycle); this.phase + c * cycle < until; c++) {
      let runFrom = this.phase + c * cycle;
      const runUntil = runFrom + on;
      if (runUntil <= from) continue;
      // An ID slot boundary inside the on-phase splits it: the new ID starts at the boundary.
      while (runFrom < runUntil) {
        const slotEnd = (Math.floor(runFrom / slotMs) + 1) * slotMs;
        const pieceUntil = Math.min(runUntil, slotEnd);
        if (pieceUntil > from) {
          const slot = Math.floor(runFrom / slotMs);
          out.push({ from: runFrom, until: pieceUntil, packets: [this.bluezonePacket(runFrom)], intervalMs: this.intervalMs, txPowerDbm: this.txPowerDbm, address: this.address(slot) });
        }
        runFrom = pieceUntil;
      }
    }
    return out;
  }

  /** The random static address of rotation (GAEN) or ID slot (Bluezone) `index`: it changes with the ID. */
  private address(index: number): string {
    let address = this.addresses.get(index);
    if (address === undefined) this.addresses.set(index, (address = this.newAddress(index)));
    return address;
  }

  private newAddress(index: number): string {
    const bytes: string[] = [];
    for (let i = 0; i < 6; i++) {
      let b = Math.floor(hashUniform(this.addressSeed, this.id, index, i) * 256);
      if (i === 0) b |= 0xc0; // random static: the two top bits set
      bytes.push(b.toString(16).padStart(2, "0"));
    }
    return bytes.join(":") + " random";
  }

  /** The phone's scans starting in [from, until) (world ms). */
  scans(from: number, until: number): ScanWindow[] {
    const period = this.scanPeriodSeconds * 1000;
    const length = (this.app === "gaen" ? GAEN_PHONE.scanSeconds : BLUEZONE_PHONE.scanOnSeconds) * 1000;
    const out: ScanWindow[] = [];
    for (let k = Math.ceil((from - this.phase) / period); this.phase + k * period < until; k++) {
      const start = this.phase + k * period;
      if (start >= this.start && start + length <= this.end) out.push({ from: start, until: start + length });
    }
    return out;
  }

  /** Keeps what one scan heard: per ID, count, mean and strongest RSSI. */
  record(scan: ScanWindow, heard: readonly WindowHeard[]): void {
    for (const h of heard) {
      const id = this.log.idIndexOf(h.packet);
      if (id >= 0) this.log.push(scan.from, id, h.count, h.rssiMean, h.rssiMax);
    }
  }

  /**
   * A scan's sighting as exposure scoring takes it: the time since the app's previous scan, and the
   * attenuation GAEN computes, reported TX power − (RSSI + the phone's RSSI correction).
   */
  scoredRecord(sighting: PhoneSighting, txPowerDbm: number): ScoredRecord {
    return { time: sighting.scan / 1000, minutes: this.scanPeriodSeconds / 60, attenuation: txPowerDbm - (sighting.rssiMean + this.calibration.rssiCorrection) };
  }

  /**
   * The app's daily check against published keys of its own profile: each key's IDs (derived as the
   * gateway derives them) looked up in the log, within the ID's time ± the allowed clock skew, and scored
   * with `rule` by the gateway's scorer. Returns the indexes of the keys that reach the alert.
   */
  exposedBy(keys: readonly DiagnosisKey[], rule: RiskRule): number[] {
    const out: number[] = [];
    keys.forEach((key, k) => {
      if (key.profile !== this.app) return;
      const ids = diagnosisIds(key);
      const records: ScoredRecord[] = [];
      for (let i = 0; i < ids.count; i++) {
        const id = ids.bytes.subarray(i * ids.idBytes, (i + 1) * ids.idBytes);
        const index = this.log.idIndexOfBytes(id);
        if (index < 0) continue;
        const from = ids.startTime + i * ids.idSeconds - CLOCK_SKEW_SECONDS;
        const until = from + ids.idSeconds + 2 * CLOCK_SKEW_SECONDS;
        for (const row of this.log.rowsOfId[index]!) {
          const s = this.log.at(row);
          if (s.scan / 1000 < from || s.scan / 1000 >= until) continue;
          const tx = key.profile === "gaen" && s.aem ? gaenTxPower(key.key, id, s.aem[1]!) : DEFAULT_BLUEZONE_TX_POWER_DBM;
          records.push(this.scoredRecord(s, tx));
        }
      }
      if (exposuresOf(rule, this.id, k, records).some((e) => e.weightedMinutes >= rule.alertWeightedMinutes)) out.push(k);
    });
    return out;
  }

  /**
   * The phone's keys as a positive user's app uploads them: GAEN TEKs of `fromDay`..`toDay` (one per UTC
   * day, 144 intervals), or one Bluezone F0-style entry per day (daily key, 96 IDs).
   */
  diagnosisKeys(fromDay: number, toDay: number): DiagnosisKey[] {
    const out: DiagnosisKey[] = [];
    for (let day = fromDay; day <= toDay; day++) {
      if (this.app === "gaen") {
        const start = day * TEK_ROLLING_PERIOD * EN_INTERVAL_SECONDS;
        out.push({ profile: "gaen", key: this.tekOfDay(day), startTime: start, endTime: start + TEK_ROLLING_PERIOD * EN_INTERVAL_SECONDS, idsPerDay: TEK_ROLLING_PERIOD, reportType: 1 });
      } else {
        const start = day * DAY_SECONDS;
        out.push({ profile: "bluezone", key: this.dailyKey(day), startTime: start, endTime: start + DAY_SECONDS - BLUEZONE_ID_SECONDS, idsPerDay: BLUEZONE_IDS_PER_DAY, reportType: null });
      }
    }
    return out;
  }
}

/** `count` bytes from a stream. */
function randomBytes(random: Random, count: number): Uint8Array {
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) out[i] = random.uint32() & 0xff;
  return out;
}

/** Index of the first element greater than `x` in an ascending array. */
function upperBound(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
