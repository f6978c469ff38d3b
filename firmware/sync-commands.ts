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
import { concatBytes, NO_BYTES } from "./bytes";
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
import { DEFAULT_MTU, MAX_MESSAGE_BYTES, Reassembler, newReassembler, splitMessage } from "./sync-frame";
import {
  InfoFields,
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
import { NONCE_BYTES, SEAL_OVERHEAD, Session, TO_GATEWAY, handshakeMac, macMatches, newSession } from "./sync-session";
import { MAX_LINK_FAILURES, SyncWindowState, linkFailed, sessionOpened } from "./sync-window";

/**
 * Log records one READ_LOG reads at most: 64 × 7 bytes fill most of a 512-byte message, and the chunk's
 * LogRecord objects are the largest RAM the sync takes on the tag.
 */
export var LOG_CHUNK_RECORDS = 64;

/**
 * What the firmware gives the sync handler. None of these throws (the encounter log, for one, reports a
 * full or failing flash in its return values); mutators return false when Storage could not save the change.
 * The handler may call sha256, random and now as plain functions, without `this`.
 */
export interface TagServices {
  sha256: Sha256;
  random: RandomBytes;
  /** Tag time, unix s (getTime()). */
  now(): number;
  /** The tag's identity; null before provisioning. */
  identity(): TagIdentity | null;
  /** Stores the identity a gateway gave; `body` is its encoding, as the provisioning message carried it. */
  provision(identity: TagIdentity, body: Uint8Array): boolean;
  info(): InfoFields;
  /** Sets the clock to gateway time `unixSeconds`; returns the new clock record (clock.ts clockSet). */
  setTime(unixSeconds: number): ClockRecord;
  /** The encounter log (EncounterLog), as the sync reads and acknowledges it. */
  log: {
    /** Up to `max` records from `cursor` on. */
    readFrom(cursor: number, max: number): LogRecord[];
    /** Marks every record below `cursor` as at the gateway. */
    acknowledge(cursor: number): boolean;
  };
  setAlert(exposed: boolean): boolean;
  keys(): ExposureKeys;
  /** Drops the exposure keys and starts new ones (once a positive wearer's keys are published). */
  startNewKeys(): boolean;
  config(): TagConfig;
  setConfig(config: TagConfig): boolean;
}

/** What to do after a fragment: notify these fragments in order, then close the link if `close`. */
export interface TagReply {
  send: Uint8Array[];
  close: boolean;
}

/** The tag's side of the sync, kept for the life of the firmware; it holds at most one link at a time. */
export interface TagSync {
  /** A gateway connected; `maxMtu` is the largest ATT MTU the tag's stack accepts. */
  linkOpened(maxMtu: number): void;
  /** The link closed (either side): the session ends with it, and fragments get no answer until the next. */
  linkClosed(): void;
  /** The wearer pressed the button: confirms provisioning, or consents to a key read during a session. */
  buttonPressed(): void;
  /** One fragment from the gateway (a write to the sync characteristic): what to send back. */
  received(fragment: Uint8Array): TagReply;
  /** Whether the link has an open session. */
  inSession(): boolean;
}


/** The answer to a change that Storage did or did not save. */
function saved(ok: boolean): Uint8Array | number {
  return ok ? NO_BYTES : ERR_STORAGE;
}

/** A handler with no link yet. */
export function newTagSync(services: TagServices, window: SyncWindowState): TagSync {
  var sha256 = services.sha256;
  var now = services.now;
  /** Tag time of the last button press; -Infinity before any. */
  var pressAt = -Infinity;
  // The link: `reassemble` is null while there is none.
  var reassemble: Reassembler | null = null;
  /** Largest ATT MTU the tag's stack offers, and the one in use (the smaller of it and the gateway's). */
  var maxMtu = DEFAULT_MTU;
  var mtu = DEFAULT_MTU;
  /** nonceG ‖ nonceT of the handshake under way; null outside one (a challenge takes one proof). */
  var nonces: Uint8Array | null = null;
  var session: Session | null = null;
  /** Tag time the session opened. */
  var sessionAt = 0;
  /** Failures on this link that did not come from the authenticated gateway. */
  var failures = 0;

  /** Forgets the link: its reassembly, handshake, session and failures. */
  function dropLink(): void {
    reassemble = nonces = session = null;
    mtu = DEFAULT_MTU;
    failures = 0;
  }

  /** `plaintext` as fragments, sealed once the session is open; a closing reply also drops the link. */
  function reply(plaintext: Uint8Array, close: boolean): TagReply {
    var send = splitMessage(session ? session.seal(plaintext) : plaintext, mtu);
    if (close) dropLink();
    return { send: send, close: close };
  }

  /** An error answer; a failure that `counts` brings the link nearer to closing. */
  function refuse(code: number, opcode: number, counts: boolean): TagReply {
    var close = counts && ++failures >= MAX_LINK_FAILURES;
    if (close) linkFailed(window, now());
    return reply(errorMessage(code, opcode), close);
  }

  /** A request, plain before the session and sealed in it: the response body or an error code. */
  function answer(opcode: number, body: Uint8Array): Uint8Array | number {
    // Before the session the tag takes the handshake and first provisioning (opcodes below 0x10), in it commands.
    if (opcode < OP_INFO === (session !== null)) return session ? ERR_UNKNOWN_COMMAND : ERR_NOT_AUTHENTICATED;
    if (body.length && (opcode === OP_INFO || opcode === OP_READ_KEYS || opcode === OP_NEW_KEYS || opcode === OP_END)) return ERR_MALFORMED;
    var identity = services.identity();
    switch (opcode) {
      case OP_HELLO:
        var hello = decodeHello(body);
        if (!hello) return ERR_MALFORMED;
        if (!identity) return ERR_NOT_PROVISIONED;
        // splitMessage never goes below DEFAULT_MTU.
        mtu = Math.min(hello.mtu, maxMtu);
        var nonceT = services.random(NONCE_BYTES);
        nonces = concatBytes([hello.nonce, nonceT]);
        return encodeChallenge(nonceT, handshakeMac(sha256, identity.tagKey, nonces, "tag"));
      case OP_PROOF:
        var challenged = nonces;
        nonces = null;
        if (!identity || !challenged) return ERR_NOT_AUTHENTICATED;
        if (!macMatches(handshakeMac(sha256, identity.tagKey, challenged, "gateway"), body)) return ERR_BAD_PROOF;
        session = newSession(sha256, handshakeMac(sha256, identity.tagKey, challenged, "session"), TO_GATEWAY);
        sessionAt = now();
        failures = 0;
        sessionOpened(window);
        return NO_BYTES;
      case OP_PROVISION:
        var refusal = provisionRefusal(identity !== null, now() - pressAt);
        if (refusal) return refusal;
      // falls through: once allowed, the first provisioning stores the identity as REPROVISION does
      case OP_REPROVISION:
        var given = decodeIdentity(body);
        return given ? saved(services.provision(given, body)) : ERR_MALFORMED;
      case OP_INFO:
        return encodeInfo(services.info());
      case OP_SET_TIME:
        var time = decodeSetTime(body);
        if (time === null || !clockIsSet(time)) return ERR_MALFORMED;
        var before = now();
        var clock = services.setTime(time);
        // Times noted before the set move with the clock, so consent still means "pressed in this session".
        var shift = now() - before;
        pressAt += shift;
        sessionAt += shift;
        return encodeClockRecord(clock);
      case OP_READ_LOG:
        var cursor = decodeCursor(body);
        if (cursor === null) return ERR_MALFORMED;
        // A failed save only leaves these records unacknowledged: a later sync reads and deduplicates them.
        services.log.acknowledge(cursor);
        return encodeLogChunk(services.log.readFrom(cursor, LOG_CHUNK_RECORDS), cursor, MAX_MESSAGE_BYTES - SEAL_OVERHEAD - 1);
      case OP_SET_ALERT:
        return body.length !== 1 || body[0] > 1 ? ERR_MALFORMED : saved(services.setAlert(body[0] === 1));
      case OP_READ_KEYS:
        var consent = pressAt >= sessionAt && now() - pressAt <= CONFIRM_S;
        return consent ? encodeKeys(services.keys()) : ERR_NO_CONSENT;
      case OP_NEW_KEYS:
        return saved(services.startNewKeys());
      case OP_SET_CONFIG:
        var patch = decodeConfigPatch(body);
        if (!patch) return ERR_MALFORMED;
        var config = applyConfig(services.config(), patch);
        return config ? saved(services.setConfig(config)) : ERR_BAD_CONFIG;
      case OP_END:
        return NO_BYTES;
    }
    return ERR_UNKNOWN_COMMAND;
  }

  return {
    linkOpened: function (stackMtu) {
      dropLink();
      reassemble = newReassembler();
      maxMtu = stackMtu;
    },
    linkClosed: dropLink,
    buttonPressed: function () {
      pressAt = now();
    },
    received: function (fragment) {
      var got = reassemble && reassemble(fragment);
      if (!got) return { send: [], close: false };
      if (typeof got !== "number" && session) got = session.unseal(got);
      // Broken fragments, bad MACs and replays did not come from the authenticated gateway: they count.
      if (typeof got === "number") return refuse(got, 0, true);
      if (!got.length) return refuse(ERR_MALFORMED, 0, !session);
      var opcode = got[0];
      var result = answer(opcode, got.subarray(1));
      // Refusals count before the session (but for the tag's own storage failure), never in it.
      if (typeof result === "number") return refuse(result, opcode, !session && result !== ERR_STORAGE);
      return reply(message(opcode | RESPONSE, result), opcode === OP_END);
    },
    inSession: function () {
      return session !== null;
    },
  };
}
