/**
 * The gateway's sync engine: everything the gateway does with a tag over one link.
 *
 * A sync: handshake under the tag's key → INFO → SET_TIME (the tag records its drift) → the log in chunks
 * → the alert the matcher decided → optional settings → optional key read (positive workflow, with the
 * resident's button press as consent) → optional new keys (after publication) → END.
 *
 * The log: each chunk is committed to SQLite together with the cursor after it (GatewayStore
 * .storeEncounterBatch) before the next READ_LOG, which is what acknowledges the chunk to the tag
 * (firmware/sync-messages.ts). So a link that breaks, or a gateway that dies, anywhere in a sync leaves
 * either a chunk that was never committed (the tag still has it unacknowledged and sends it again) or a
 * chunk committed but not acknowledged (the next sync starts from the stored cursor and acknowledges it
 * first). Nothing is lost; and since a record the tag sends twice (its log renumbers records it thins) is
 * the same row under the store's UNIQUE constraint, nothing is stored twice.
 */
import { randomBytes } from "node:crypto";
import { ClockRecord, clockIsSet } from "../../firmware/clock";
import { TagConfig } from "../../firmware/config";
import { Sha256 } from "../../firmware/crypto-types";
import { RECORD_BYTES } from "../../firmware/encounter";
import { ExposureKeys } from "../../firmware/exposure-keys";
import { hmacSha256 } from "../../firmware/hmac";
import { asciiBytes } from "../../firmware/bytes";
import { ERR_NO_CONSENT } from "../../firmware/sync-errors";
import {
  OP_END,
  OP_INFO,
  OP_NEW_KEYS,
  OP_PROVISION,
  OP_READ_KEYS,
  OP_READ_LOG,
  OP_SET_ALERT,
  OP_SET_CONFIG,
  OP_SET_TIME,
  TagInfo,
  decodeClockRecord,
  decodeInfo,
  decodeKeys,
  decodeLogChunk,
  encodeConfigPatch,
  encodeCursor,
  encodeSetTime,
} from "../../firmware/sync-messages";
import { TagIdentity, encodeIdentity } from "../../firmware/sync-provision";
import { TAG_KEY_BYTES } from "../../firmware/sync-session";
import { nodeSha256 } from "./host-crypto";
import { loadMasterKey } from "./sealing";
import { AlertState, GatewayStore, unixNow } from "./store";
import { GatewayConnection, LinkLost, ProtocolViolation, TagRefusal } from "./sync-connection";
import { encounterRowOf } from "./sync-store";
import { TagLink } from "./transport";

/** How long a key read waits for the resident's button press by default. */
const DEFAULT_CONSENT_WAIT_MS = 60_000;
/** How often a key read asks again while waiting for the press. */
const CONSENT_POLL_MS = 1000;

/** What a sync does besides info, time, log and alert. */
export interface SyncOptions {
  /** Gateway time, unix s; default the system clock. */
  now?: () => number;
  /** Who runs the sync, for the audit log. */
  actor?: string;
  /** Change these settings on the tag. */
  config?: Partial<TagConfig>;
  /** Read the resident's own keys (positive workflow); needs a button press on the tag during the sync. */
  readKeys?: boolean;
  /** How long to wait for that press, ms. */
  consentWaitMs?: number;
  /** Make the tag start new keys (after its keys were published). */
  startNewKeys?: boolean;
  /** How long to wait for each answer, ms. */
  responseTimeoutMs?: number;
  /** SHA-256 to use; default Node's. */
  sha256?: Sha256;
}

/** What one sync did. */
export interface SyncReport {
  tagId: string;
  syncId: number;
  /** "ok", or why the sync ended early; a later sync resumes where this one stopped. */
  outcome: string;
  /** Log records received, of which new ones stored and ones already stored. */
  received: number;
  stored: number;
  duplicates: number;
  info: TagInfo | null;
  /** The clock record the tag made when the gateway set its time. */
  clock: ClockRecord | null;
  /** The alert the tag now shows, when the sync got that far. */
  alert: AlertState | null;
  keys: ExposureKeys | null;
}

/** The commune's beacon key (sync-token.ts): derived from the data folder's master key, so nothing new to keep. */
export function communeBeaconKey(store: GatewayStore, sha256: Sha256 = nodeSha256): Uint8Array {
  return hmacSha256(sha256, loadMasterKey(store.dir), asciiBytes("zt-commune-beacon-key-v1"));
}

/** The body of an answer, or a ProtocolViolation when it does not decode. */
function decoded<T>(value: T | null, what: string): T {
  if (value === null) throw new ProtocolViolation(`the tag's ${what} is malformed`);
  return value;
}

/** Why a sync ended early, for the syncs table; null for an error of the gateway itself (a bug, a store failure). */
function outcomeOf(error: unknown): string | null {
  if (error instanceof LinkLost) return `link lost: ${error.message}`;
  if (error instanceof TagRefusal) return `refused: ${error.message}`;
  if (error instanceof ProtocolViolation) return `protocol violation: ${error.message}`;
  return null;
}

/** Where the log upload starts: the stored cursor, unless the tag's log restarted below it (new Storage). */
function startCursor(stored: number, info: TagInfo): number {
  return stored > info.logNextCursor ? info.logAcknowledged : stored;
}

/**
 * Syncs tag `tagId` over `link` (already connected to it, e.g. after resolving its window token). Returns
 * what was done; a broken link or a refusal ends the sync early with that outcome, and the next sync resumes.
 */
export async function syncTag(store: GatewayStore, tagId: string, link: TagLink, options: SyncOptions = {}): Promise<SyncReport> {
  return syncOver(store, tagId, new GatewayConnection(link, options.sha256 ?? nodeSha256, options.responseTimeoutMs), options);
}

/** syncTag on a connection already set up (provisioning goes on to sync on its own connection). */
async function syncOver(store: GatewayStore, tagId: string, connection: GatewayConnection, options: SyncOptions): Promise<SyncReport> {
  const now = options.now ?? (() => Date.now() / 1000);
  const actor = options.actor ?? "gateway";
  const key = store.tagKey(tagId);
  if (!key) throw new Error(`tag ${tagId} is not registered`);
  const syncId = store.beginSync(tagId, Math.floor(now()));
  const report: SyncReport = { tagId, syncId, outcome: "ok", received: 0, stored: 0, duplicates: 0, info: null, clock: null, alert: null, keys: null };
  try {
    await connection.handshake(key);
    const info = decoded(decodeInfo(await connection.request(OP_INFO)), "info");
    report.info = info;
    report.clock = decoded(decodeClockRecord(await connection.request(OP_SET_TIME, encodeSetTime(now()))), "clock record");
    store.recordTagInfo(tagId, {
      at: Math.floor(now()),
      firmware: info.firmware,
      batteryPercent: info.batteryPercent,
      // A tag whose clock was never set (new, or after a battery change) has no drift to speak of.
      clockDriftS: clockIsSet(info.time) ? report.clock.offsetS : null,
      storageFill: info.storageFill,
    });

    let cursor = startCursor(store.ackedCursor(tagId), info);
    for (;;) {
      const chunk = decoded(decodeLogChunk(await connection.request(OP_READ_LOG, encodeCursor(cursor))), "log chunk");
      if (chunk.records.length === 0) break; // this last request acknowledged everything
      if (chunk.next <= cursor) throw new ProtocolViolation("the tag's log cursor did not advance");
      const rows = chunk.records.map(encounterRowOf).filter((row) => row !== null);
      const result = store.storeEncounterBatch(syncId, { records: rows, cursor: chunk.next, bytes: chunk.records.length * RECORD_BYTES });
      report.received += chunk.records.length;
      report.stored += result.inserted;
      report.duplicates += result.duplicates;
      cursor = chunk.next;
    }

    const wanted = (store.tag(tagId) as { alert: AlertState }).alert;
    if (wanted !== (info.alert ? "exposed" : "none")) await connection.request(OP_SET_ALERT, new Uint8Array([wanted === "exposed" ? 1 : 0]));
    store.confirmAlertOnTag(tagId, wanted);
    report.alert = wanted;

    if (options.config) await connection.request(OP_SET_CONFIG, encodeConfigPatch(options.config));
    if (options.readKeys) {
      report.keys = await readKeys(connection, options.consentWaitMs ?? DEFAULT_CONSENT_WAIT_MS);
      store.saveKeysRead(tagId, report.keys, actor, Math.floor(now()));
    }
    if (options.startNewKeys) {
      await connection.request(OP_NEW_KEYS);
      store.audit(actor, "new-keys", `tag ${tagId} started new exposure keys`, Math.floor(now()));
    }
    await connection.request(OP_END);
    await connection.close(); // the tag closes too; not waiting for it frees the adapter for the next tag
  } catch (error) {
    await connection.close();
    const outcome = outcomeOf(error);
    if (outcome === null) {
      // Not an outcome to carry on from: recorded, then raised. Committed chunks stay committed.
      store.finishSync(syncId, `gateway error: ${error instanceof Error ? error.message : String(error)}`, Math.floor(now()));
      throw error;
    }
    report.outcome = outcome;
  }
  store.finishSync(syncId, report.outcome, Math.floor(now()));
  store.audit(actor, "sync", `tag ${tagId}: ${report.outcome}; ${report.stored} new records, ${report.duplicates} already stored`, Math.floor(now()));
  return report;
}

/** READ_KEYS, asked again every second while the tag waits for the resident's button press. */
async function readKeys(connection: GatewayConnection, waitMs: number): Promise<ExposureKeys> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      return decoded(decodeKeys(await connection.request(OP_READ_KEYS)), "keys");
    } catch (error) {
      if (!(error instanceof TagRefusal && error.code === ERR_NO_CONSENT) || Date.now() + CONSENT_POLL_MS > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, CONSENT_POLL_MS));
    }
  }
}

/** Who a new tag is for. */
export interface NewTagBinding {
  tagId: string;
  board: string;
  residentId: number | null;
}

/**
 * First provisioning of an unprovisioned tag over `link` (firmware/sync-provision.ts): staff press the tag's
 * button, then the gateway writes a fresh 32-byte key, the tag ID and the commune beacon key, and registers
 * the tag once the tag has accepted. Then a first sync on the same link sets the clock.
 */
export async function provisionTag(store: GatewayStore, link: TagLink, binding: NewTagBinding, options: SyncOptions = {}): Promise<SyncReport> {
  const sha256 = options.sha256 ?? nodeSha256;
  const actor = options.actor ?? "gateway";
  if (store.tagRowId(binding.tagId) !== null) throw new Error(`tag ${binding.tagId} is already registered`);
  const identity: TagIdentity = { tagId: binding.tagId, tagKey: new Uint8Array(randomBytes(TAG_KEY_BYTES)), beaconKey: communeBeaconKey(store, sha256) };
  const connection = new GatewayConnection(link, sha256, options.responseTimeoutMs);
  await connection.request(OP_PROVISION, encodeIdentity(identity));
  const at = options.now ? Math.floor(options.now()) : unixNow();
  store.registerTag({ tagId: binding.tagId, board: binding.board, tagKey: identity.tagKey, residentId: binding.residentId, provisionedAt: at }, actor, at);
  return syncOver(store, binding.tagId, connection, options);
}
