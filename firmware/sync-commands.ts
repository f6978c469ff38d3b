/**
 * The tag's side of a sync: fragments in, fragments out. Pure: what it needs of the tag (clock, log,
 * keys, config, Storage) comes through TagServices, which the firmware's platform layer provides, and the
 * platform sends the fragments it returns as notifications and closes the link when told.
 *
 * Whatever arrives, the handler answers with a response, an error message, or nothing, and never throws.
 * A refused message changes nothing on the tag. Failures that did not come from the authenticated gateway
 * (bad fragments, bad MACs, replays, bad proofs, anything but the handshake before the session) count;
 * at MAX_LINK_FAILURES the tag closes the link and backs off (sync-window.ts). Errors in authenticated
 * requests (a malformed body, no consent) are the gateway's own mistakes and do not count.
 *
 * Consent: reading the keys needs a button press on the tag during this session, within the last 60 s,
 * so the wearer agrees then and there, not by the press that opened the window.
 */
import { ClockRecord, clockIsSet } from "./clock";
import { TagConfig, applyConfig } from "./config";
import { Sha256 } from "./crypto-types";
import { LogRecord } from "./encounter-log";
import { ExposureKeys, RandomBytes } from "./exposure-keys";
import {
  ERR_BAD_CONFIG,
  ERR_BAD_PROOF,
  ERR_MALFORMED,
  ERR_NO_CONSENT,
  ERR_NOT_AUTHENTICATED,
  ERR_NOT_PROVISIONED,
  ERR_STORAGE,
  ERR_UNKNOWN_COMMAND,
} from "./sync-errors";
import { DEFAULT_MTU, MAX_MESSAGE_BYTES, Reassembly, addFragment, newReassembly, splitMessage } from "./sync-frame";
import {
  OP_END,
  OP_HELLO,
  OP_INFO,
  OP_NEW_KEYS,
  OP_PROOF,
  OP_PROVISION,
  OP_READ_KEYS,
  OP_READ_LOG,
  OP_REPROVISION,
  OP_SET_ALERT,
  OP_SET_CONFIG,
  OP_SET_TIME,
  RESPONSE,
  TagInfo,
  decodeConfigPatch,
  decodeCursor,
  decodeHello,
  decodeSetTime,
  encodeChallenge,
  encodeClockRecord,
  encodeInfo,
  encodeKeys,
  encodeLogChunk,
  errorMessage,
  message,
} from "./sync-messages";
import { CONFIRM_S, TagIdentity, decodeIdentity, provisionRefusal } from "./sync-provision";
import { NONCE_BYTES, SEAL_OVERHEAD, Session, TO_GATEWAY, gatewayProof, macMatches, newSession, seal, sessionKey, tagProof, unseal } from "./sync-session";
import { MAX_LINK_FAILURES, SyncWindowState, linkFailed, sessionOpened } from "./sync-window";

/**
 * Log records one READ_LOG reads at most: 64 × 7 bytes fill most of a 512-byte message, and the chunk's
 * LogRecord objects are the largest RAM the sync takes on the tag.
 */
export var LOG_CHUNK_RECORDS = 64;

/**
 * What the firmware gives the sync handler. None of these throws (the encounter log, for one, reports a
 * full or failing flash in its return values); mutators return false when Storage could not save the change.
 */
export interface TagServices {
  sha256: Sha256;
  random: RandomBytes;
  /** Tag time, unix s (getTime()). */
  now(): number;
  /** The tag's identity; null before provisioning. */
  identity(): TagIdentity | null;
  provision(identity: TagIdentity): boolean;
  info(): TagInfo;
  /** Sets the clock to gateway time `unixSeconds`; returns the new clock record (clock.ts clockSet). */
  setTime(unixSeconds: number): ClockRecord;
  /** Up to `max` log records from `cursor` on (EncounterLog.readFrom). */
  readLog(cursor: number, max: number): LogRecord[];
  /** Marks every record below `cursor` as at the gateway (EncounterLog.acknowledge). */
  acknowledgeLog(cursor: number): boolean;
  setAlert(exposed: boolean): boolean;
  keys(): ExposureKeys;
  /** Drops the exposure keys and starts new ones (once a positive wearer's keys are published). */
  startNewKeys(): boolean;
  config(): TagConfig;
  setConfig(config: TagConfig): boolean;
}

/** One connection from the gateway, from connect to disconnect. */
interface LinkState {
  /** Largest ATT MTU the tag's stack offers, and the one in use (the smaller of it and the gateway's). */
  maxMtu: number;
  mtu: number;
  reassembly: Reassembly;
  /** The nonces of the handshake under way; null outside one (a challenge takes one proof). */
  nonceG: Uint8Array | null;
  nonceT: Uint8Array | null;
  session: Session | null;
  /** Tag time the session opened. */
  sessionAt: number;
  failures: number;
}

/** The sync handler's state, kept for the life of the firmware. */
export interface TagSync {
  services: TagServices;
  window: SyncWindowState;
  /** Tag time of the last button press; -Infinity before any. */
  pressAt: number;
  link: LinkState | null;
}

/** What to do after a fragment: notify these fragments in order, then close the link if `close`. */
export interface TagReply {
  send: Uint8Array[];
  close: boolean;
}

/** A handler with no link yet. */
export function newTagSync(services: TagServices, window: SyncWindowState): TagSync {
  return { services: services, window: window, pressAt: -Infinity, link: null };
}

/** A gateway connected; `maxMtu` is the largest ATT MTU the tag's stack accepts. */
export function syncLinkOpened(sync: TagSync, maxMtu: number): void {
  sync.link = {
    maxMtu: maxMtu,
    mtu: DEFAULT_MTU,
    reassembly: newReassembly(),
    nonceG: null,
    nonceT: null,
    session: null,
    sessionAt: 0,
    failures: 0,
  };
}

/** The link closed (either side): the session ends with it. */
export function syncLinkClosed(sync: TagSync): void {
  sync.link = null;
}

/** The wearer pressed the button: confirms provisioning, or consents to a key read during a session. */
export function syncButtonPressed(sync: TagSync): void {
  sync.pressAt = sync.services.now();
}

/** `plaintext` as fragments, sealed once the session is open; a closing reply also ends the link state. */
function reply(sync: TagSync, link: LinkState, plaintext: Uint8Array, close: boolean): TagReply {
  var sealed = link.session ? seal(sync.services.sha256, link.session, plaintext) : plaintext;
  if (close) sync.link = null;
  return { send: splitMessage(sealed, link.mtu), close: close };
}

/** The response to `opcode` with `body`. */
function respond(sync: TagSync, link: LinkState, opcode: number, body: Uint8Array): TagReply {
  return reply(sync, link, message(opcode | RESPONSE, body), opcode === OP_END);
}

/** An error answer; a failure that `counts` brings the link nearer to closing. */
function refuse(sync: TagSync, link: LinkState, code: number, opcode: number, counts: boolean): TagReply {
  if (counts) link.failures++;
  var close = link.failures >= MAX_LINK_FAILURES;
  if (close) linkFailed(sync.window, sync.services.now());
  return reply(sync, link, errorMessage(code, opcode), close);
}

/** PROVISION or REPROVISION: stores the identity in `body`. */
function provision(sync: TagSync, link: LinkState, opcode: number, body: Uint8Array): TagReply {
  var identity = decodeIdentity(body);
  if (!identity) return refuse(sync, link, ERR_MALFORMED, opcode, !link.session);
  if (!sync.services.provision(identity)) return refuse(sync, link, ERR_STORAGE, opcode, false);
  return respond(sync, link, opcode, new Uint8Array(0));
}

/** A plain message before the session: handshake steps and first provisioning. */
function beforeSession(sync: TagSync, link: LinkState, opcode: number, body: Uint8Array): TagReply {
  var services = sync.services;
  var identity = services.identity();
  if (opcode === OP_PROVISION) {
    var refusal = provisionRefusal(identity !== null, services.now() - sync.pressAt);
    return refusal ? refuse(sync, link, refusal, opcode, true) : provision(sync, link, opcode, body);
  }
  if (opcode === OP_HELLO) {
    var hello = decodeHello(body);
    if (!hello) return refuse(sync, link, ERR_MALFORMED, opcode, true);
    if (!identity) return refuse(sync, link, ERR_NOT_PROVISIONED, opcode, true);
    link.mtu = Math.max(DEFAULT_MTU, Math.min(hello.mtu, link.maxMtu));
    link.nonceG = hello.nonce;
    link.nonceT = services.random(NONCE_BYTES);
    var proof = tagProof(services.sha256, identity.tagKey, link.nonceG, link.nonceT);
    return respond(sync, link, opcode, encodeChallenge({ nonce: link.nonceT, proof: proof }));
  }
  if (opcode === OP_PROOF) {
    var nonceG = link.nonceG;
    var nonceT = link.nonceT;
    link.nonceG = link.nonceT = null;
    if (!identity || !nonceG || !nonceT) return refuse(sync, link, ERR_NOT_AUTHENTICATED, opcode, true);
    if (!macMatches(gatewayProof(services.sha256, identity.tagKey, nonceG, nonceT), body)) return refuse(sync, link, ERR_BAD_PROOF, opcode, true);
    link.session = newSession(sessionKey(services.sha256, identity.tagKey, nonceG, nonceT), TO_GATEWAY);
    link.sessionAt = services.now();
    link.failures = 0;
    sessionOpened(sync.window);
    return respond(sync, link, opcode, new Uint8Array(0));
  }
  return refuse(sync, link, ERR_NOT_AUTHENTICATED, opcode, true);
}

/** An authenticated request. */
function inSession(sync: TagSync, link: LinkState, opcode: number, body: Uint8Array): TagReply {
  var services = sync.services;
  var empty = new Uint8Array(0);
  var saved = true;
  if (opcode === OP_INFO || opcode === OP_READ_KEYS || opcode === OP_NEW_KEYS || opcode === OP_END) {
    if (body.length) return refuse(sync, link, ERR_MALFORMED, opcode, false);
  }
  if (opcode === OP_INFO) return respond(sync, link, opcode, encodeInfo(services.info()));
  if (opcode === OP_SET_TIME) {
    var time = decodeSetTime(body);
    if (time === null || !clockIsSet(time)) return refuse(sync, link, ERR_MALFORMED, opcode, false);
    var before = services.now();
    var clock = services.setTime(time);
    // Times noted before the set move with the clock, so consent still means "pressed in this session".
    var shift = services.now() - before;
    sync.pressAt += shift;
    link.sessionAt += shift;
    return respond(sync, link, opcode, encodeClockRecord(clock));
  }
  if (opcode === OP_READ_LOG) {
    var cursor = decodeCursor(body);
    if (cursor === null) return refuse(sync, link, ERR_MALFORMED, opcode, false);
    // A failed save only leaves these records unacknowledged: a later sync reads and deduplicates them.
    services.acknowledgeLog(cursor);
    var records = services.readLog(cursor, LOG_CHUNK_RECORDS);
    return respond(sync, link, opcode, encodeLogChunk(records, cursor, MAX_MESSAGE_BYTES - SEAL_OVERHEAD - 1));
  }
  if (opcode === OP_SET_ALERT) {
    if (body.length !== 1 || body[0] > 1) return refuse(sync, link, ERR_MALFORMED, opcode, false);
    saved = services.setAlert(body[0] === 1);
  } else if (opcode === OP_READ_KEYS) {
    var consent = sync.pressAt >= link.sessionAt && services.now() - sync.pressAt <= CONFIRM_S;
    if (!consent) return refuse(sync, link, ERR_NO_CONSENT, opcode, false);
    return respond(sync, link, opcode, encodeKeys(services.keys()));
  } else if (opcode === OP_NEW_KEYS) {
    saved = services.startNewKeys();
  } else if (opcode === OP_SET_CONFIG) {
    var patch = decodeConfigPatch(body, services.config());
    if (!patch) return refuse(sync, link, ERR_MALFORMED, opcode, false);
    var result = applyConfig(services.config(), patch);
    if ("error" in result) return refuse(sync, link, ERR_BAD_CONFIG, opcode, false);
    saved = services.setConfig(result.config);
  } else if (opcode === OP_REPROVISION) {
    return provision(sync, link, opcode, body);
  } else if (opcode !== OP_END) {
    return refuse(sync, link, ERR_UNKNOWN_COMMAND, opcode, false);
  }
  return saved ? respond(sync, link, opcode, empty) : refuse(sync, link, ERR_STORAGE, opcode, false);
}

/** One fragment from the gateway (a write to the sync characteristic): what to send back. */
export function syncFragmentReceived(sync: TagSync, fragment: Uint8Array): TagReply {
  var link = sync.link;
  if (!link) return { send: [], close: false };
  var received = addFragment(link.reassembly, fragment);
  if (received === null) return { send: [], close: false };
  if (typeof received === "number") return refuse(sync, link, received, 0, true);
  if (link.session) {
    var plaintext = unseal(sync.services.sha256, link.session, received);
    if (typeof plaintext === "number") return refuse(sync, link, plaintext, 0, true);
    if (!plaintext.length) return refuse(sync, link, ERR_MALFORMED, 0, false);
    return inSession(sync, link, plaintext[0], plaintext.subarray(1));
  }
  if (!received.length) return refuse(sync, link, ERR_MALFORMED, 0, true);
  return beforeSession(sync, link, received[0], received.subarray(1));
}
