/** HMAC-SHA256 (RFC 2104 / FIPS 198-1) over a given SHA-256. */
import { Sha256 } from "./crypto-types";

/** SHA-256 processes 64-byte blocks; HMAC pads or hashes the key to this size. */
var SHA256_BLOCK_BYTES = 64;
var INNER_PAD = 0x36;
var OUTER_PAD = 0x5c;

/** pad(key) ‖ `tail` in one buffer: the key zero-padded to a block, XORed byte by byte with `pad`, then `tail`. */
function padded(key: Uint8Array, pad: number, tail: Uint8Array): Uint8Array {
  var out = new Uint8Array(SHA256_BLOCK_BYTES + tail.length);
  out.fill(pad, 0, SHA256_BLOCK_BYTES);
  for (var i = 0; i < key.length; i++) out[i] ^= key[i];
  out.set(tail, SHA256_BLOCK_BYTES);
  return out;
}

/** HMAC-SHA256 of `message` under `key`: 32 bytes. */
export function hmacSha256(sha256: Sha256, key: Uint8Array, message: Uint8Array): Uint8Array {
  if (key.length > SHA256_BLOCK_BYTES) key = sha256(key);
  return sha256(padded(key, OUTER_PAD, sha256(padded(key, INNER_PAD, message))));
}
