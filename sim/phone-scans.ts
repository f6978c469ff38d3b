/**
 * What the phones hear. Phones change nothing else in a run (the tags, the gateway and the epidemic never
 * learn what a phone heard), so their scans are computed apart, in a worker thread on the second core: it
 * rebuilds the world from the scenario and seed, follows the tags' air from the changes the main thread
 * sends an hour at a time, and answers with each scan's receptions, which the main thread records an hour
 * behind. Their randomness is a stream of their own, so a run is the same whichever core computes them.
 */
import { Worker } from "node:worker_threads";
import { extname, join } from "node:path";
import { carriedDevices } from "./devices";
import { collectionHours, gatewayDesk, GatewayRadio } from "./gateway";
import { BLUEZONE_PHONE, GAEN_PHONE, Phone } from "./phones";
import { AdvertEvent, AirDevice, AirState, Radio, RadioValues, reach, ReceiverLinks, receiveAggregate, ScanWindow, WindowHeard } from "./radio";
import { Random } from "./random";
import { Scenario } from "./scenario";
import { Surroundings } from "./surroundings";
import { buildWorld } from "./world";

/** The longest phone scan (ms): scans that end in an hour are looked for from this far before it. */
const LONGEST_SCAN_MS = Math.max(GAEN_PHONE.scanSeconds, BLUEZONE_PHONE.scanOnSeconds) * 1000;

/** What the worker needs to rebuild the run's world: the scenario, seed and radio, and the commune's beacon key. */
export interface PhoneScanSetup {
  scenario: Scenario;
  seed: string;
  radio: RadioValues;
  beaconKey: Uint8Array;
}

/** A change of what a tag has on air: from `time` (world ms) on, `air` (null when silent). */
export interface AirChange {
  device: number;
  time: number;
  air: AirState | null;
}

/** One phone scan and what it heard of the tags. */
export interface PhoneScanHeard {
  /** The phone's device id. */
  phone: number;
  scan: ScanWindow;
  heard: WindowHeard[];
}

/** A tag as the phones' worker knows it: only what it has on air, as the main thread reported it. */
class TagOnAir implements AirDevice {
  readonly kind = "tag" as const;
  readonly links = new ReceiverLinks();
  readonly rssiOffsetDb: number;
  air: AirState | null = null;

  constructor(
    readonly id: number,
    readonly resident: number,
    readonly txGainDb: number
  ) {
    this.rssiOffsetDb = txGainDb;
  }

  airState(): AirState | null {
    return this.air;
  }

  advertsBetween(): readonly AdvertEvent[] {
    throw new Error("phone scans take tags' air in aggregate, never event by event");
  }
}

/** The phones' scans of a run, computed in time order as the tags' air becomes known. */
export class PhoneScans {
  private readonly radio: Radio;
  private readonly surroundings: Surroundings;
  private readonly devices: AirDevice[];
  private readonly phones: Phone[];
  private readonly gateway: GatewayRadio;
  private readonly hallHours: [number, number][];
  private readonly random: Random;
  private readonly pending: AirChange[] = [];
  private done: number;

  constructor(setup: PhoneScanSetup) {
    const root = new Random(setup.seed);
    const world = buildWorld(setup.scenario, root.fork("world"));
    this.radio = new Radio(world, root, setup.radio);
    const desk = gatewayDesk(world, this.radio);
    this.gateway = new GatewayRadio(0, desk.spot, this.radio, setup.beaconKey);
    const carried = carriedDevices(world, this.radio, root, this.gateway, (id, resident) => new TagOnAir(id, resident.index, setup.radio.tagAntennaGain));
    this.devices = carried.devices;
    this.phones = carried.phones;
    this.surroundings = new Surroundings(world, this.radio, carried.byResident);
    this.surroundings.addFixture(this.gateway, desk.place, desk.spot);
    this.hallHours = collectionHours(setup.scenario, world);
    this.random = root.fork("phone air");
    this.done = world.start * 1000;
  }

  /**
   * The scans that end in [the last `until`, `until`), in order of their end (then of phone), each with what
   * it heard; `changes` are the tags' air changes since the last call, in time order.
   */
  advance(until: number, changes: readonly AirChange[]): PhoneScanHeard[] {
    for (const change of changes) this.pending.push(change); // an hour of provisioning is thousands: no spread
    const scans: { phone: Phone; scan: ScanWindow }[] = [];
    for (const phone of this.phones) {
      for (const scan of phone.scans(this.done - LONGEST_SCAN_MS, until)) if (scan.until >= this.done && scan.until < until) scans.push({ phone, scan });
    }
    scans.sort((a, b) => a.scan.until - b.scan.until || a.phone.id - b.phone.id);
    const out: PhoneScanHeard[] = [];
    let applied = 0;
    for (const { phone, scan } of scans) {
      for (; applied < this.pending.length && this.pending[applied]!.time <= scan.until; applied++) {
        const change = this.pending[applied]!;
        const tag = this.devices[change.device];
        if (!(tag instanceof TagOnAir)) throw new Error(`an air change for device ${change.device}, which is not a tag`);
        tag.air = change.air;
      }
      const open = this.hallHours.find(([a, b]) => a <= scan.until && scan.until < b);
      this.gateway.openSince = open ? open[0] : null;
      const heard: WindowHeard[] = [];
      // Phones keep only what tags send (phone-to-phone detection is not what this simulator measures);
      // other phones' adverts and the gateway's beacon still collide.
      const keep = (sender: AirDevice, packet: Uint8Array) => sender.kind === "tag" && phone.accept(packet);
      const around = reach(this.radio, phone, scan, this.surroundings.audibleAt(phone, scan.until));
      receiveAggregate(this.radio, phone, around, scan, this.random, keep, (h) => heard.push(h));
      out.push({ phone: phone.id, scan, heard });
    }
    this.pending.splice(0, applied);
    this.done = until;
    return out;
  }
}

/**
 * The phone scans running in a worker thread: `advance` posts an hour of the tags' air and resolves with
 * that hour's scans once the worker has computed them, while the main thread goes on.
 */
export class PhoneScanWorker {
  private readonly worker: Worker;
  private readonly waiting: { resolve: (scans: PhoneScanHeard[]) => void; reject: (error: Error) => void }[] = [];
  private failure: Error | null = null;

  constructor(setup: PhoneScanSetup) {
    // Under tsx (tests, npm start) the worker loads TypeScript the way its parent does.
    const entry = join(__dirname, `phone-worker${extname(__filename)}`);
    const code = extname(__filename) === ".ts" ? `require(${JSON.stringify(require.resolve("tsx/cjs"))}); require(${JSON.stringify(entry)});` : `require(${JSON.stringify(entry)});`;
    this.worker = new Worker(code, { eval: true, workerData: setup });
    this.worker.on("message", (scans: PhoneScanHeard[]) => this.waiting.shift()!.resolve(scans));
    this.worker.on("error", (error) => this.fail(error));
    this.worker.on("exit", (code) => this.fail(new Error(`the phone scans' worker stopped (exit ${code})`)));
  }

  advance(until: number, changes: readonly AirChange[]): Promise<PhoneScanHeard[]> {
    const answer = new Promise<PhoneScanHeard[]>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.waiting.push({ resolve, reject });
      this.worker.postMessage({ until, changes });
    });
    answer.catch(() => undefined); // awaited an hour later: a failure meanwhile is not an unhandled one
    return answer;
  }

  /** Stops the worker (pending hours are rejected). */
  async stop(): Promise<void> {
    this.fail(new Error("the phone scans' worker was stopped"));
    await this.worker.terminate();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const w of this.waiting.splice(0)) w.reject(this.failure);
  }
}
