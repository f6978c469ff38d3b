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
import { asciiBytes, concatBytes, readField, uint32LE } from "./bytes";
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

/** HMAC-SHA256(key, label ‖ parts one after another), its first `bytes`: every MAC, proof and key of the sync. */
export function labelledMac(sha256: Sha256, key: Uint8Array, label: string, parts: Uint8Array[], bytes: number): Uint8Array {
  return hmacSha256(sha256, key, concatBytes([asciiBytes(label)].concat(parts))).subarray(0, bytes);
}

/** What the handshake derives from the tag key and both nonces (the label is "zt-" and this). */
export type HandshakeRole = "tag" | "gateway" | "session";

/**
 * HMAC-SHA256(tagKey, "zt-" ‖ role ‖ nonceG ‖ nonceT), spelled out above: the tag's proof ("tag") or the
 * gateway's ("gateway"), both cut to PROOF_BYTES, or the session key ("session"). `nonces` is nonceG ‖ nonceT.
 */
export function handshakeMac(sha256: Sha256, tagKey: Uint8Array, nonces: Uint8Array, role: HandshakeRole): Uint8Array {
  return labelledMac(sha256, tagKey, "zt-" + role, [nonces], role === "session" ? TAG_KEY_BYTES : PROOF_BYTES);
}

/**
 * Whether a received proof or MAC equals the expected one. Looks at every byte whatever it finds, so the
 * time taken tells nothing about how much of a forgery was right (only whether its length was, which is public).
 */
export function macMatches(expected: Uint8Array, received: Uint8Array): boolean {
  // A length that differs is a difference too (past its end, `received` reads as undefined, which XORs as 0).
  for (var difference = received.length ^ expected.length, i = 0; i < expected.length; i++) difference |= expected[i] ^ received[i];
  return !difference;
}

/** One side of an open session. */
export interface Session {
  /** `plaintext` sealed as this side's next message (spelled out above). */
  seal(plaintext: Uint8Array): Uint8Array;
  /**
   * The plaintext of a sealed message from the other side, or an error code: ERR_MALFORMED when too short
   * to hold seq and MAC, ERR_BAD_MAC, ERR_REPLAY when its seq is not above the last accepted. A refused
   * message leaves the session as it was.
   */
  unseal(sealed: Uint8Array): Uint8Array | number;
}

/** A session under `key` for the side that sends in direction `sendDir` (TO_TAG on the gateway). */
export function newSession(sha256: Sha256, key: Uint8Array, sendDir: number): Session {
  /** The seq of the last message sent, and of the last one accepted. */
  var sent = 0;
  var accepted = 0;

  /** dir ‖ seq LE32: what MAC and keystream bind a message to. */
  function messageHeader(dir: number, seq: number): Uint8Array {
    return concatBytes([new Uint8Array([dir]), uint32LE(seq)]);
  }

  /** `data` XOR the keystream of the message with `header` (encrypts and decrypts). */
  function crypt(header: Uint8Array, data: Uint8Array): Uint8Array {
    var out = data.slice();
    var block: Uint8Array = out; // replaced at i = 0
    for (var i = 0; i < data.length; i++) {
      // Block counter: at most 16 blocks in a 512-byte message.
      if (!(i % KEYSTREAM_BLOCK_BYTES)) block = labelledMac(sha256, key, "zt-enc", [header, new Uint8Array([i / KEYSTREAM_BLOCK_BYTES])], KEYSTREAM_BLOCK_BYTES);
      out[i] ^= block[i % KEYSTREAM_BLOCK_BYTES];
    }
    return out;
  }

  /** The truncated MAC of a message with `header` and `ciphertext`. */
  function messageMac(header: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    return labelledMac(sha256, key, "", [header, ciphertext], MAC_BYTES);
  }

  return {
    seal: function (plaintext) {
      var header = messageHeader(sendDir, ++sent);
      var ciphertext = crypt(header, plaintext);
      return concatBytes([header.subarray(1), ciphertext, messageMac(header, ciphertext)]);
    },
    unseal: function (sealed) {
      if (sealed.length < SEAL_OVERHEAD) return ERR_MALFORMED;
      var seq = readField(sealed, 0, SEQ_BYTES);
      // The other side's direction: TO_TAG + TO_GATEWAY = 3.
      var header = messageHeader(3 - sendDir, seq);
      var macAt = sealed.length - MAC_BYTES;
      var ciphertext = sealed.subarray(SEQ_BYTES, macAt);
      if (!macMatches(messageMac(header, ciphertext), sealed.subarray(macAt))) return ERR_BAD_MAC;
      if (seq <= accepted) return ERR_REPLAY;
      accepted = seq;
      return crypt(header, ciphertext);
    },
  };
}
