/**
 * A tag and a link for sync tests and the sync benchmark, in process: the tag-side handler
 * (firmware/sync-commands.ts) over a real encounter log on the simulated Espruino flash, and a link that
 * carries fragments both ways in BLE connection events on a virtual clock:
 * - each connection event carries up to `packetsPerEvent` fragments in each direction;
 * - a fragment handed over during an event goes out at the next one at the earliest (the receiving host
 *   processes it after the event), so a request/response round trip costs at least two events;
 * - the link can be cut after any number of fragments, or by a hook that sees each gateway fragment.
 */
import { ClockRecord, clockSet } from "../../firmware/clock";
import { DEFAULT_CONFIG, TagConfig } from "../../firmware/config";
import { Encounter } from "../../firmware/encounter";
import { EncounterLog } from "../../firmware/encounter-log";
import { ExposureKeys, emptyKeys, keysForDay } from "../../firmware/exposure-keys";
import { utcDayNumber } from "../../firmware/bluezone";
import { TagServices, TagSync, newTagSync } from "../../firmware/sync-commands";
import { newReassembler, splitMessage } from "../../firmware/sync-frame";
import { InfoFields } from "../../firmware/sync-messages";
import { TagIdentity } from "../../firmware/sync-provision";
import { newSyncWindowState } from "../../firmware/sync-window";
import { nodeSha256 } from "../../tools/gateway/host-crypto";
import { TagLink } from "../../tools/gateway/transport";
import { FlashStorage } from "../../sim/espruino/storage";
import { hostRandom } from "../helpers/random";
import { RawSyncPeer } from "../helpers/raw-sync-peer";

/** A Puck.js's Storage area. */
const PUCK_STORAGE = { bytes: 40960, pageBytes: 4096 };
/** 2024-03-18T00:00:00Z. */
export const TEST_DAY_START = 19800 * 86400;

/** One tag: its handler, a real encounter log in simulated flash, and the rest of its state in memory. */
export class TestTag {
  readonly storage = new FlashStorage(PUCK_STORAGE);
  readonly log = new EncounterLog(this.storage);
  /** The tag's clock, unix s. */
  time = TEST_DAY_START + 10 * 3600;
  identity: TagIdentity | null = null;
  clock: ClockRecord | null = null;
  alert = false;
  keys: ExposureKeys = emptyKeys();
  config: TagConfig = DEFAULT_CONFIG;
  /** Every state-changing service call, in order ("provision", "setTime", "ack 146", ...). */
  readonly changes: string[] = [];
  /** When the tag may open sync windows (the handler notes failed links and sessions in it). */
  readonly window = newSyncWindowState();
  readonly sync: TagSync;
  private nextId = 1;

  constructor(identity: TagIdentity | null = null) {
    this.identity = identity;
    this.keys = keysForDay(this.keys, utcDayNumber(this.time), hostRandom, nodeSha256).keys;
    const tag = this;
    const services: TagServices = {
      sha256: nodeSha256,
      random: hostRandom,
      now: () => tag.time,
      identity: () => tag.identity,
      provision(identity) {
        tag.changes.push("provision " + identity.tagId);
        tag.identity = identity;
        return true;
      },
      info: () => tag.info(),
      setTime(unixSeconds) {
        tag.changes.push("setTime");
        tag.clock = clockSet(tag.clock, tag.time, unixSeconds);
        tag.time = unixSeconds;
        return tag.clock;
      },
      log: {
        readFrom: (cursor, max) => tag.log.readFrom(cursor, max),
        acknowledge(cursor) {
          if (cursor > tag.log.status().acknowledged) tag.changes.push("ack " + cursor);
          return tag.log.acknowledge(cursor);
        },
      },
      setAlert(exposed) {
        tag.changes.push("alert " + exposed);
        tag.alert = exposed;
        return true;
      },
      keys: () => tag.keys,
      startNewKeys() {
        tag.changes.push("newKeys");
        tag.keys = keysForDay(emptyKeys(), utcDayNumber(tag.time), hostRandom, nodeSha256).keys;
        return true;
      },
      config: () => tag.config,
      setConfig(config) {
        tag.changes.push("config");
        tag.config = config;
        return true;
      },
    };
    this.sync = newTagSync(services, this.window);
  }

  /**
   * Whether the handler holds a link: it answers any fragment on one (an empty fragment with ERR_FRAGMENT,
   * which counts as a failure) and nothing without. For checking that a link is gone.
   */
  holdsLink(): boolean {
    return this.sync.received(new Uint8Array(0)).send.length > 0;
  }

  /** What INFO reports. */
  info(): InfoFields {
    const status = this.log.status();
    return [
      "zonetag 0.1.0",
      "PUCKJS",
      87,
      this.alert,
      false,
      this.time,
      this.clock,
      status.bytes / status.budgetBytes,
      status.records,
      status.unacknowledged,
      status.dropped,
      status.nextCursor,
      status.acknowledged,
      this.config.scanPeriodS,
    ];
  }

  /**
   * Logs `count` encounters with distinct IDs, one every `spacingS` seconds from `from` on; returns
   * their ID prefixes (big-endian numbers).
   */
  logEncounters(count: number, from: number, spacingS: number): number[] {
    const ids: number[] = [];
    for (let k = 0; k < count; k++) {
      const n = this.nextId++;
      const e: Encounter = {
        id: new Uint8Array([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]),
        aem: n & 0x3f,
        first: from + k * spacingS,
        seconds: 60 + (n % 14) * 120,
        rssiMean: -50 - (n % 30),
        rssiMax: -45 - (n % 30),
      };
      const result = this.log.append(e);
      if (!result.ok) throw new Error("could not log: " + result.reason);
      ids.push(n);
    }
    return ids;
  }
}

/** How the simulated link behaves. */
export interface LinkModel {
  /** ATT MTU of the connection. */
  mtu: number;
  /** Connection interval, ms. */
  intervalMs: number;
  /** Fragments a connection event carries in each direction. */
  packetsPerEvent: number;
}

/** Where and how to break a simulated link. */
export interface LinkFaults {
  /** Close the link instead of carrying the fragment with this number (0-based, both directions counted). */
  cutAtFragment?: number;
  /** Seen before each gateway fragment is sent; returning false closes the link instead. */
  beforeGatewaySend?: (fragment: Uint8Array) => boolean;
}

/** A GATT link between a gateway (this object is its TagLink) and a TestTag, on a virtual clock. */
export class SimulatedLink implements TagLink {
  readonly mtu: number;
  /** Virtual time since the connection, ms. */
  elapsedMs = 0;
  /** Fragments carried, both directions. */
  fragments = 0;
  private toTag: Uint8Array[] = [];
  private toGateway: Uint8Array[] = [];
  private receivers: ((fragment: Uint8Array) => void)[] = [];
  private closers: (() => void)[] = [];
  private closed = false;
  private tagClosing = false;
  private wake: (() => void) | null = null;
  /** Settles when the link has closed. */
  readonly done: Promise<void>;

  constructor(
    private readonly tag: TestTag,
    private readonly model: LinkModel,
    private readonly faults: LinkFaults = {},
  ) {
    this.mtu = model.mtu;
    tag.sync.linkOpened(model.mtu);
    this.done = this.run();
  }

  async send(fragment: Uint8Array): Promise<void> {
    if (this.closed) return;
    if (fragment.length > this.mtu - 3) throw new Error(`fragment of ${fragment.length} bytes on a link with MTU ${this.mtu}`);
    if (this.faults.beforeGatewaySend && !this.faults.beforeGatewaySend(fragment)) return this.end();
    this.toTag.push(fragment);
    this.wake?.();
  }

  onReceive(listener: (fragment: Uint8Array) => void): void {
    this.receivers.push(listener);
  }

  onClose(listener: () => void): void {
    this.closers.push(listener);
  }

  async close(): Promise<void> {
    this.end();
  }

  /** Whether a fragment may be carried now: false (and the link closed) at the planned cut. */
  private carry(): boolean {
    if (this.fragments === this.faults.cutAtFragment) {
      this.end();
      return false;
    }
    this.fragments++;
    return true;
  }

  private end(): void {
    if (this.closed) return;
    this.closed = true;
    this.tag.sync.linkClosed();
    this.wake?.();
    for (const listener of this.closers) listener();
  }

  /** Connection events until the link closes. */
  private async run(): Promise<void> {
    while (!this.closed) {
      if (this.toTag.length === 0 && this.toGateway.length === 0) {
        if (this.tagClosing) return this.end();
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = null;
        continue;
      }
      this.elapsedMs += this.model.intervalMs;
      const up = this.toTag.splice(0, this.model.packetsPerEvent);
      const down = this.toGateway.splice(0, this.model.packetsPerEvent);
      for (const fragment of up) {
        if (!this.carry()) return;
        const reply = this.tag.sync.received(fragment);
        for (const out of reply.send) {
          if (out.length > this.mtu - 3) throw new Error(`tag fragment of ${out.length} bytes on a link with MTU ${this.mtu}`);
          this.toGateway.push(out);
        }
        if (reply.close) this.tagClosing = true;
      }
      for (const fragment of down) {
        if (!this.carry()) return;
        for (const listener of this.receivers) listener(fragment);
      }
      // The gateway's host reacts between events.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

/** What the tag answered to one message: its messages (reassembled, unsealed in a session) and whether it closed. */
export interface RawReply {
  messages: Uint8Array[];
  close: boolean;
}

/**
 * A gateway (or an attacker) driving a tag's handler by hand, message by message, with the protocol's own
 * pieces: for tests that need to send what the gateway engine never would.
 */
export class RawGateway extends RawSyncPeer<RawReply> {
  /** Connects to `tag`; `mtu` is the gateway's ATT MTU, `tagMaxMtu` the largest the tag's stack accepts. */
  constructor(
    readonly tag: TestTag,
    mtu: number = 23,
    tagMaxMtu: number = mtu,
  ) {
    super(mtu);
    tag.sync.linkOpened(tagMaxMtu);
  }

  /** Feeds `wire` to the tag as fragments; reassembles what it answers (unsealing it in a session). */
  send(wire: Uint8Array): RawReply {
    return this.fragments(splitMessage(wire, this.mtu));
  }

  /** Feeds these fragments to the tag as they are. */
  fragments(fragments: Uint8Array[]): RawReply {
    const reply: RawReply = { messages: [], close: false };
    const reassemble = newReassembler();
    for (const fragment of fragments) {
      const out = this.tag.sync.received(fragment);
      reply.close = reply.close || out.close;
      for (const piece of out.send) {
        const whole = reassemble(piece);
        if (typeof whole === "number") throw new Error(`the tag's fragments do not reassemble: error ${whole}`);
        if (!whole) continue;
        const opened = this.open(whole);
        if (typeof opened === "number") throw new Error(`the tag's message does not unseal: error ${opened}`);
        reply.messages.push(opened);
      }
    }
    return reply;
  }
}
