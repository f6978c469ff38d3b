/**
 * The authenticated sync session, shared by the tag and the gateway.
 *
 * Handshake (messages in sync-messages.ts), under the 32-byte tag key K that only the tag and its gateway
 * hold; labels keep every use of K apart, so no answer can be replayed as another:
 *   gateway → tag   HELLO      nonce G (16 random bytes)
 *   tag → gateway   CHALLENGE  nonce T (16), tag proof = HMAC-SHA256(K, "zt-tag" ‖ G ‖ T)[0..16]
 *   gateway → tag   PROOF      gateway proof = HMAC-SHA256(K, "zt-gateway" ‖ G ‖ T)[0..16]
 *   session key S = HMAC-SHA256(K, "zt-session" ‖ G ‖ T), fresh for each link since both nonces are.
 * The tag proves itself first, but its proof is bound to the gateway's fresh nonce, so a fake gateway
 * learns nothing it could reuse; the tag opens the session only on the gateway's proof.
 *
 * Every later message in either direction is sealed:
 *   seq LE32 ‖ ciphertext ‖ MAC (8)
 *   MAC = HMAC-SHA256(S, dir ‖ seq LE32 ‖ ciphertext)[0..8], dir = 01 towards the tag, 02 towards the gateway
 *   ciphertext = plaintext XOR keystream, keystream block i (32 bytes) = HMAC-SHA256(S, "zt-enc" ‖ dir ‖
 *   seq LE32 ‖ i), so boards without AES can encrypt. Each side numbers its own messages from 1, so the same
 *   seq occurs in both directions: dir in the keystream input keeps the two streams apart.
 * The whole plaintext is encrypted, opcode included, not only key material: the log is the wearer's
 * contacts, and the privacy model lets it leave the tag only to the gateway, not to a radio sniffer at the
 * collection point. What a sniffer still sees is message lengths and timing.
 * The receiver checks the MAC first, then that seq is above the last one it accepted (a replayed or
 * reordered message is refused), then decrypts.
 */
import { asciiBytes, concatBytes, readUint32LE, writeUint32LE } from "./bytes";
import { Sha256 } from "./crypto-types";
import { hmacSha256 } from "./hmac";
import { ERR_BAD_MAC, ERR_MALFORMED, ERR_REPLAY } from "./sync-errors";

/** Tag keys are 32 bytes: 256 bits, the output size of SHA-256. */
export var TAG_KEY_BYTES = 32;
/** Each side's handshake nonce. */
export var NONCE_BYTES = 16;
/** Handshake proofs: 128 bits, checked online, one guess per handshake. */
export var PROOF_BYTES = 16;
/** MAC of a sealed message: 64 bits, checked online; three bad ones close the link. */
export var MAC_BYTES = 8;
var SEQ_BYTES = 4;
/** Bytes a seal adds to a plaintext. */
export var SEAL_OVERHEAD = SEQ_BYTES + MAC_BYTES;
/** Direction byte of messages towards the tag. */
export var TO_TAG = 1;
/** Direction byte of messages towards the gateway. */
export var TO_GATEWAY = 2;
/** Bytes of keystream one HMAC gives. */
var KEYSTREAM_BLOCK_BYTES = 32;

/** HMAC-SHA256(tagKey, label ‖ nonceG ‖ nonceT). */
function handshakeMac(sha256: Sha256, tagKey: Uint8Array, label: string, nonceG: Uint8Array, nonceT: Uint8Array): Uint8Array {
  return hmacSha256(sha256, tagKey, concatBytes([asciiBytes(label), nonceG, nonceT]));
}

/** The tag's handshake proof. */
export function tagProof(sha256: Sha256, tagKey: Uint8Array, nonceG: Uint8Array, nonceT: Uint8Array): Uint8Array {
  return handshakeMac(sha256, tagKey, "zt-tag", nonceG, nonceT).subarray(0, PROOF_BYTES);
}

/** The gateway's handshake proof. */
export function gatewayProof(sha256: Sha256, tagKey: Uint8Array, nonceG: Uint8Array, nonceT: Uint8Array): Uint8Array {
  return handshakeMac(sha256, tagKey, "zt-gateway", nonceG, nonceT).subarray(0, PROOF_BYTES);
}

/** The session key both sides derive once the handshake succeeds. */
export function sessionKey(sha256: Sha256, tagKey: Uint8Array, nonceG: Uint8Array, nonceT: Uint8Array): Uint8Array {
  return handshakeMac(sha256, tagKey, "zt-session", nonceG, nonceT);
}

/**
 * Whether a received proof or MAC equals the expected one. Looks at every byte whatever it finds, so the
 * time taken tells nothing about how much of a forgery was right.
 */
export function macMatches(expected: Uint8Array, received: Uint8Array): boolean {
  var difference = expected.length ^ received.length;
  for (var i = 0; i < expected.length && i < received.length; i++) difference |= expected[i] ^ received[i];
  return difference === 0;
}

/** One side of an open session: the key, its direction and the last sequence numbers sent and accepted. */
export interface Session {
  key: Uint8Array;
  sendDir: number;
  sendSeq: number;
  receiveSeq: number;
}

/** A session under `key` for the side that sends in direction `sendDir` (TO_TAG on the gateway). */
export function newSession(key: Uint8Array, sendDir: number): Session {
  return { key: key, sendDir: sendDir, sendSeq: 0, receiveSeq: 0 };
}

/** dir ‖ seq LE32: what MAC and keystream bind a message to. */
function messageHeader(dir: number, seq: number): Uint8Array {
  var header = new Uint8Array(1 + SEQ_BYTES);
  header[0] = dir;
  writeUint32LE(header, 1, seq);
  return header;
}

/** `data` XOR the keystream of the message with `header` (encrypts and decrypts). */
function crypt(sha256: Sha256, key: Uint8Array, header: Uint8Array, data: Uint8Array): Uint8Array {
  var input = concatBytes([asciiBytes("zt-enc"), header, new Uint8Array(1)]);
  var out = new Uint8Array(data.length);
  var block = input; // replaced at i = 0
  for (var i = 0; i < data.length; i++) {
    var at = i % KEYSTREAM_BLOCK_BYTES;
    if (at === 0) {
      input[input.length - 1] = i / KEYSTREAM_BLOCK_BYTES; // block counter: at most 16 in a 512-byte message
      block = hmacSha256(sha256, key, input);
    }
    out[i] = data[i] ^ block[at];
  }
  return out;
}

/** The truncated MAC of a message with `header` and `ciphertext`. */
function messageMac(sha256: Sha256, key: Uint8Array, header: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  return hmacSha256(sha256, key, concatBytes([header, ciphertext])).subarray(0, MAC_BYTES);
}

/** `plaintext` sealed as the next message of `session` (spelled out above). */
export function seal(sha256: Sha256, session: Session, plaintext: Uint8Array): Uint8Array {
  session.sendSeq++;
  var header = messageHeader(session.sendDir, session.sendSeq);
  var ciphertext = crypt(sha256, session.key, header, plaintext);
  return concatBytes([header.subarray(1), ciphertext, messageMac(sha256, session.key, header, ciphertext)]);
}

/**
 * The plaintext of a sealed message from the other side, or an error code: ERR_MALFORMED when too short
 * to hold seq and MAC, ERR_BAD_MAC, ERR_REPLAY when its seq is not above the last accepted. A refused
 * message leaves the session as it was.
 */
export function unseal(sha256: Sha256, session: Session, sealed: Uint8Array): Uint8Array | number {
  if (sealed.length < SEAL_OVERHEAD) return ERR_MALFORMED;
  var seq = readUint32LE(sealed, 0);
  var header = messageHeader(session.sendDir === TO_TAG ? TO_GATEWAY : TO_TAG, seq);
  var ciphertext = sealed.subarray(SEQ_BYTES, sealed.length - MAC_BYTES);
  if (!macMatches(messageMac(sha256, session.key, header, ciphertext), sealed.subarray(sealed.length - MAC_BYTES))) return ERR_BAD_MAC;
  if (seq <= session.receiveSeq) return ERR_REPLAY;
  session.receiveSeq = seq;
  return crypt(sha256, session.key, header, ciphertext);
}
