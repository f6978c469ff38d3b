/**
 * End-to-end rig: a commune's gateway — the real gateway library over a real SQLite store in a temporary
 * data folder — and tags running the compiled firmware as uploaded (dist/tag.bootcde) in the host runtime, all on one
 * world clock whose time is Unix time in ms (test/firmware/harness.ts). The gateway reaches a tag only as
 * staff do: a button press opens the tag's sync window, and the gateway connects over the simulator's GATT
 * link (tools/gateway/sim-transport.ts) and runs its sync engine.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { bytesToHex } from "../../firmware/bytes";
import { EncounterLog } from "../../firmware/encounter-log";
import { DEFAULT_MTU, newReassembler, splitMessage } from "../../firmware/sync-frame";
import { SYNC_SERVICE_UUID, SYNC_TO_GATEWAY_UUID, SYNC_TO_TAG_UUID } from "../../firmware/sync-token";
import type { CentralLink } from "../../sim/espruino/nrf";
import { Random } from "../../sim/espruino/random";
import { Scheduler } from "../../sim/espruino/scheduler";
import { HostTag } from "../../sim/espruino/tag";
import { connectSimTag } from "../../tools/gateway/sim-transport";
import { EncounterRow, GatewayStore } from "../../tools/gateway/store";
import { SyncOptions, SyncReport, provisionTag, syncTag } from "../../tools/gateway/sync";
import { encounterRowOf } from "../../tools/gateway/sync-store";
import { TagLink } from "../../tools/gateway/transport";
import { RawSyncPeer } from "../helpers/raw-sync-peer";
import { Firmware, Visit, firmwareBundle, hearVisits, newWorld, otherDevice, runScans } from "../firmware/harness";

/** How long staff hold a tag's button, and how long the world then runs for the press to register (debounce 50 ms). */
const PRESS_MS = 150;
const PRESS_SETTLE_MS = 300;
/** Encounters close after two silent scan periods (8 minutes by default): this much quiet closes every one. */
const ENCOUNTERS_CLOSE_MS = 20 * 60_000;
/** The handshake's messages from the gateway (HELLO, PROOF): the session is open from its next message on. */
const HANDSHAKE_MESSAGES = 2;
/** Index bits of a fragment's header byte (firmware/sync-frame.ts): 0 on the first fragment of a message. */
const FRAGMENT_INDEX_MASK = 0x3f;

/** A commune's gateway and the world its tags live in. */
export interface Commune {
  /** The gateway's data folder (database, master key, signing key). */
  dir: string;
  /** Replaced when a test "kills" the gateway and opens the folder again. */
  store: GatewayStore;
  world: Scheduler;
  /** The compiled firmware every new tag gets, as uploaded. */
  firmware: Firmware;
  /** Gateway time, unix s: the world's, so tags' clocks are set from it. */
  now: () => number;
}

/** A gateway with an empty data folder, and a world starting at Unix time `startS`. */
export async function newCommune(startS: number, firmware?: Firmware): Promise<Commune> {
  const dir = mkdtempSync(join(tmpdir(), "zonetag-e2e-"));
  const world = newWorld(startS);
  return { dir, store: GatewayStore.open(dir), world, firmware: firmware ?? (await firmwareBundle()), now: () => world.now() / 1000 };
}

/** Closes the store and removes the data folder. */
export function closeCommune(commune: Commune): void {
  commune.store.close();
  rmSync(commune.dir, { recursive: true, force: true });
}

/** A tag out of the box: the firmware flashed, first power-on, no identity, clock unset. */
export function newTag(commune: Commune, seed: string): HostTag {
  const tag = new HostTag({ scheduler: commune.world, board: "PUCKJS", seed });
  tag.flash(commune.firmware);
  tag.boot();
  return tag;
}

/**
 * Runs the world to `untilMs` while `count` strangers' phones and tags (random IDs, GAEN and Bluezone in
 * turn) come by one after another, each heard in 1–3 scans at −50…−89 dBm; then quiet until their encounters
 * have closed into the log. Returns how many adverts the tag took.
 */
export function meetStrangers(tag: HostTag, seed: string, count: number, untilMs: number): number {
  const random = new Random(seed);
  const from = tag.scheduler.now();
  const visits: Visit[] = [];
  for (let k = 0; k < count; k++) {
    visits.push({
      device: otherDevice(random, k % 2 ? "bluezone" : "gaen"),
      arrivalMs: from + ((k + 0.5) * (untilMs - from)) / count,
      scans: 1 + (random.uint32() % 3),
      rssi: -45 - (random.uint32() % 35),
    });
  }
  const taken = runScans(tag, untilMs, hearVisits(visits));
  tag.scheduler.runUntil(untilMs + ENCOUNTERS_CLOSE_MS);
  return taken;
}

/** Someone presses the tag's button: its status light, a sync window (unless one is open), consent in a session. */
export function pressButton(tag: HostTag): void {
  tag.pressButton(PRESS_MS);
  tag.scheduler.runUntil(tag.scheduler.now() + PRESS_SETTLE_MS);
}

/** The sync options of this commune's gateway: its time is the world's. */
function gatewayOptions(commune: Commune, options: SyncOptions): SyncOptions {
  return { now: commune.now, actor: "staff", ...options };
}

/**
 * Hands out a new tag at the desk: staff press its button, the gateway provisions it over the simulator's
 * transport bound to `residentId`, and the first sync on that link sets its clock.
 */
export async function handOut(commune: Commune, seed: string, tagId: string, residentId: number | null, options: SyncOptions = {}): Promise<HostTag> {
  const tag = newTag(commune, seed);
  pressButton(tag);
  const report = await provisionTag(commune.store, connectSimTag(tag), { tagId, board: "PUCKJS", residentId }, gatewayOptions(commune, options));
  expect(report.outcome, `provisioning ${tagId}`).to.equal("ok");
  return tag;
}

/**
 * A sync at the collection point: a button press opens the tag's window, the gateway connects and syncs.
 * `through` may wrap the link (a TappedLink) to break it or to act during the sync.
 */
export async function syncAtDesk(
  commune: Commune,
  tag: HostTag,
  tagId: string,
  options: SyncOptions = {},
  through: (link: TagLink) => TagLink = (link) => link,
): Promise<SyncReport> {
  pressButton(tag);
  return syncTag(commune.store, tagId, through(connectSimTag(tag)), gatewayOptions(commune, options));
}

/**
 * Watches each fragment before it passes: "send" gateway → tag, "receive" tag → gateway. Returning false
 * cuts the link there: that fragment and every later one are lost, and the link drops.
 */
export type Tap = (direction: "send" | "receive", fragment: Uint8Array) => boolean;

/** A TagLink that passes fragments through a Tap. */
export class TappedLink implements TagLink {
  private cut = false;

  constructor(
    private readonly inner: TagLink,
    private readonly tap: Tap,
  ) {}

  get mtu(): number {
    return this.inner.mtu;
  }

  async send(fragment: Uint8Array): Promise<void> {
    if (!this.cut && !this.tap("send", fragment)) this.cut = true;
    if (!this.cut) await this.inner.send(fragment);
    // A notification lost while the tag handled this write drops the link once the write is done.
    if (this.cut) await this.inner.close();
  }

  onReceive(listener: (fragment: Uint8Array) => void): void {
    this.inner.onReceive((fragment) => {
      if (!this.cut && !this.tap("receive", fragment)) this.cut = true;
      if (!this.cut) listener(fragment);
    });
  }

  onClose(listener: () => void): void {
    this.inner.onClose(listener);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** A link on which the wearer presses the tag's button once the session is open: consent to read the keys. */
export function consentInSession(tag: HostTag): (link: TagLink) => TagLink {
  return (link) => {
    let messages = 0;
    return new TappedLink(link, (direction, fragment) => {
      const firstOfMessage = direction === "send" && (fragment[0]! & FRAGMENT_INDEX_MASK) === 0;
      if (firstOfMessage && ++messages === HANDSHAKE_MESSAGES + 1) pressButton(tag);
      return true;
    });
  };
}

/** A link that carries `keep` fragments (both directions counted) and breaks before the next. */
export function cutAfter(keep: number): (link: TagLink) => TagLink {
  let passed = 0;
  return (link) => new TappedLink(link, () => ++passed <= keep);
}

/** An encounter row as one comparable string. */
function rowText(row: EncounterRow): string {
  return [row.firstSeen, row.prefix, row.aem, row.durationMin, row.sightings, row.rssiMax, row.rssiMean].join("/");
}

/** The encounters the gateway stores for a tag, sorted. */
export function storedRows(store: GatewayStore, tagId: string): string[] {
  return store.encountersOfTag(tagId).map(rowText).sort();
}

/** Every record in the tag's flash log as the gateway turns it into a row, sorted. */
export function loggedRows(tag: HostTag): string[] {
  return new EncounterLog(tag.storage)
    .readFrom(0, Infinity)
    .map((record) => rowText(encounterRowOf(record)!))
    .sort();
}

/** Every Storage file of the tag with its bytes in hex, by name: what a refused message must leave as it was. */
export function storageSnapshot(tag: HostTag): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of tag.storage.list()) files[name] = bytesToHex(new Uint8Array(tag.storage.readArrayBuffer(name)!));
  return files;
}

/** What the tag answered to what a RawClient wrote. */
export interface RawAnswer {
  /** Whole messages from the tag, unsealed once the session is open. */
  messages: Uint8Array[];
  /** Why the GATT layer refused writes, if it did (e.g. a value longer than the characteristic's). */
  refused: string[];
}

/**
 * A central writing whatever a test gives it to a tag's sync characteristic — an attacker, or a gateway
 * sending what the engine never would — and reading the answers with the protocol's own frame and session
 * code.
 */
export class RawClient extends RawSyncPeer<RawAnswer> {
  private readonly central: CentralLink;
  private readonly reassemble = newReassembler();
  private inbox: Uint8Array[] = [];
  /** Answers that did not reassemble or unseal: reported by the write, not thrown inside the tag's callback. */
  private problems: string[] = [];

  constructor(tag: HostTag, mtu: number = DEFAULT_MTU) {
    super(mtu);
    const connection = tag.connect({ mtu });
    if (!connection.ok) throw new Error(`cannot connect to ${tag.name}: ${connection.reason}`);
    this.central = connection.link;
    this.central.onNotification((service, characteristic, value) => {
      if (service !== SYNC_SERVICE_UUID || characteristic !== SYNC_TO_GATEWAY_UUID) return;
      const whole = this.reassemble(value);
      if (typeof whole === "number") this.problems.push(`the tag's fragments do not reassemble: error ${whole}`);
      else if (whole) this.receive(whole);
    });
  }

  /** Whether the link is still up. */
  get connected(): boolean {
    return this.central.connected;
  }

  /** Writes these fragments as they are; returns what came back meanwhile. */
  write(fragments: Uint8Array[]): RawAnswer {
    const refused: string[] = [];
    for (const fragment of fragments) {
      const result = this.central.write(SYNC_SERVICE_UUID, SYNC_TO_TAG_UUID, fragment);
      if (!result.ok) refused.push(result.error);
    }
    if (this.problems.length) throw new Error(this.problems.join("; "));
    const messages = this.inbox;
    this.inbox = [];
    return { messages, refused };
  }

  /** Sends `wire` as the fragments of one message. */
  send(wire: Uint8Array): RawAnswer {
    return this.write(splitMessage(wire, this.mtu));
  }

  /** The central ends the connection. */
  disconnect(): void {
    this.central.disconnect();
  }

  /** A whole message from the tag; one that does not unseal is kept as it came and reported by the write. */
  private receive(wire: Uint8Array): void {
    const opened = this.open(wire);
    if (typeof opened === "number") this.problems.push(`the tag's message does not unseal: error ${opened}`);
    this.inbox.push(typeof opened === "number" ? wire : opened);
  }
}
