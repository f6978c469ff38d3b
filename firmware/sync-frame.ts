/**
 * The fragment layer of the sync link. A message (at most MAX_MESSAGE_BYTES) travels as GATT writes
 * (gateway → tag) and notifications (tag → gateway) of at most MTU − 3 bytes each, so a link with the
 * default ATT MTU of 23 carries 20-byte fragments and a link that negotiated more uses bigger ones.
 *
 * Fragment on air (one ATT value):
 *   byte 0     header: bits 0–5 fragment index in its message (0 first), bit 6 reserved (0),
 *              bit 7 set on the last fragment of the message
 *   bytes 1…   the next (MTU − 4) or fewer bytes of the message
 * A 512-byte message at MTU 23 takes 27 fragments, so 6 index bits are enough down to the smallest MTU.
 */
import { concatBytes, NO_BYTES } from "./bytes";
import { ERR_FRAGMENT, ERR_TOO_LONG } from "./sync-errors";

/** The largest message either side sends or accepts. */
export var MAX_MESSAGE_BYTES = 512;
/** The ATT MTU every link starts with (Core spec Vol 3 Part F §3.2.8). */
export var DEFAULT_MTU = 23;
/** A notification or write spends 3 bytes of the MTU on its ATT opcode and handle. */
var ATT_HEADER_BYTES = 3;
var FRAGMENT_HEADER_BYTES = 1;
var LAST_FRAGMENT = 0x80;
var RESERVED_BIT = 0x40;
var INDEX_MASK = 0x3f;

/** Message bytes one fragment carries on a link with this ATT MTU (19 at MTU 23). */
export function fragmentRoom(mtu: number): number {
  return Math.max(mtu, DEFAULT_MTU) - ATT_HEADER_BYTES - FRAGMENT_HEADER_BYTES;
}

/** The fragments of `message` (at most MAX_MESSAGE_BYTES) for a link with this ATT MTU, in sending order. */
export function splitMessage(message: Uint8Array, mtu: number): Uint8Array[] {
  var room = fragmentRoom(mtu);
  var fragments: Uint8Array[] = [];
  for (var at = 0; !fragments.length || at < message.length; at += room) {
    var header = fragments.length | (at + room >= message.length ? LAST_FRAGMENT : 0);
    fragments.push(concatBytes([new Uint8Array([header]), message.subarray(at, at + room)]));
  }
  return fragments;
}

/**
 * Puts messages back together from their fragments, one fragment per call: returns the whole message when
 * a fragment completes it, null while it is incomplete (or being dropped), or an error code: ERR_FRAGMENT
 * for an empty fragment, a set reserved bit, an index out of order or a message cut short by a new first
 * fragment; ERR_TOO_LONG past MAX_MESSAGE_BYTES. After an error the rest of that message is dropped
 * silently, so that one broken message costs one error, not one per fragment.
 */
export type Reassembler = (fragment: Uint8Array) => Uint8Array | number | null;

/** A reassembler that has received nothing yet. */
export function newReassembler(): Reassembler {
  /** The message so far (a copy, so that callers may reuse their fragments); null between messages. */
  var received: Uint8Array | null = null;
  /** The index expected next; -1 while the rest of a broken message is dropped. */
  var next = 0;
  /** Drops the message under way: fragments are ignored until the next first one. Returns `code`. */
  function drop(code: number): number {
    next = -1;
    received = null;
    return code;
  }
  return function (fragment) {
    var header = fragment[0];
    var index = header & INDEX_MASK;
    if (!fragment.length || header & RESERVED_BIT) return drop(ERR_FRAGMENT);
    if (next < 0) {
      if (index) return null;
      next = 0;
    }
    if (index !== next) return drop(ERR_FRAGMENT);
    var body = fragment.subarray(FRAGMENT_HEADER_BYTES);
    // A first fragment finds nothing received: a message under way was dropped by the index check.
    var message = concatBytes([received || NO_BYTES, body]);
    if (message.length > MAX_MESSAGE_BYTES) return drop(ERR_TOO_LONG);
    next = header & LAST_FRAGMENT ? 0 : index + 1;
    received = next ? message : null;
    return next ? null : message;
  };
}
