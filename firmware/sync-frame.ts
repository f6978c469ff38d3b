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
  var count = Math.max(1, Math.ceil(message.length / room));
  var fragments: Uint8Array[] = [];
  for (var i = 0; i < count; i++) {
    var part = message.subarray(i * room, (i + 1) * room);
    var fragment = new Uint8Array(FRAGMENT_HEADER_BYTES + part.length);
    fragment[0] = i | (i === count - 1 ? LAST_FRAGMENT : 0);
    fragment.set(part, FRAGMENT_HEADER_BYTES);
    fragments.push(fragment);
  }
  return fragments;
}

/**
 * A message being put back together. `next` is the index expected next; -1 while the rest of a broken
 * message is being dropped (silently, so that one broken message costs one error, not one per fragment).
 */
export interface Reassembly {
  buffer: Uint8Array | null;
  length: number;
  next: number;
}

/** Nothing received yet. */
export function newReassembly(): Reassembly {
  return { buffer: null, length: 0, next: 0 };
}

/** Drops any partial message; fragments are ignored until the next first fragment. */
function dropMessage(r: Reassembly): void {
  r.buffer = null;
  r.length = 0;
  r.next = -1;
}

/**
 * Takes one received fragment. Returns the whole message when this fragment completes it, null while it
 * is incomplete (or being dropped), or an error code: ERR_FRAGMENT for an empty fragment, a set reserved
 * bit, an index out of order or a message cut short by a new first fragment; ERR_TOO_LONG past
 * MAX_MESSAGE_BYTES. After an error the rest of that message is dropped without further errors.
 */
export function addFragment(r: Reassembly, fragment: Uint8Array): Uint8Array | number | null {
  if (fragment.length < FRAGMENT_HEADER_BYTES || fragment[0] & RESERVED_BIT) {
    dropMessage(r);
    return ERR_FRAGMENT;
  }
  var index = fragment[0] & INDEX_MASK;
  if (r.next === -1 && index !== 0) return null;
  if (index !== (r.next === -1 ? 0 : r.next)) {
    dropMessage(r);
    return ERR_FRAGMENT;
  }
  if (index === 0) r.buffer = new Uint8Array(MAX_MESSAGE_BYTES);
  var body = fragment.subarray(FRAGMENT_HEADER_BYTES);
  if (r.length + body.length > MAX_MESSAGE_BYTES) {
    dropMessage(r);
    return ERR_TOO_LONG;
  }
  (r.buffer as Uint8Array).set(body, r.length);
  r.length += body.length;
  r.next = index + 1;
  if (!(fragment[0] & LAST_FRAGMENT)) return null;
  var message = (r.buffer as Uint8Array).subarray(0, r.length);
  r.buffer = null;
  r.length = 0;
  r.next = 0;
  return message;
}
