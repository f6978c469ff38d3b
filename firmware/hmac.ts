/** HMAC-SHA256 (RFC 2104 / FIPS 198-1) over a given SHA-256. */
import { concatBytes } from "./bytes";
import { Sha256 } from "./crypto-types";

/** SHA-256 processes 64-byte blocks; HMAC pads or hashes the key to this size. */
var SHA256_BLOCK_BYTES = 64;
var INNER_PAD = 0x36;
var OUTER_PAD = 0x5c;

/** The key XORed byte by byte with `pad`, zero-padded to one block (the key is at most one block here). */
function paddedKey(key: Uint8Array, pad: number): Uint8Array {
  var block = new Uint8Array(SHA256_BLOCK_BYTES);
  block.set(key);
  for (var i = 0; i < SHA256_BLOCK_BYTES; i++) block[i] ^= pad;
  return block;
}

/** HMAC-SHA256 of `message` under `key`: 32 bytes. */
export function hmacSha256(sha256: Sha256, key: Uint8Array, message: Uint8Array): Uint8Array {
  if (key.length > SHA256_BLOCK_BYTES) key = sha256(key);
  var inner = sha256(concatBytes([paddedKey(key, INNER_PAD), message]));
  return sha256(concatBytes([paddedKey(key, OUTER_PAD), inner]));
}
