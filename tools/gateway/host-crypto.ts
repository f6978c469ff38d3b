/**
 * Node-crypto implementations of the primitives the firmware's pure modules take as arguments
 * (firmware/crypto-types.ts), so the gateway derives IDs with the tag's own code.
 */
import * as crypto from "node:crypto";
import { createCipheriv } from "node:crypto";
import { Aes128Block, Sha256 } from "../../firmware/crypto-types";

/**
 * SHA-256 by Node's crypto: the one-shot crypto.hash where Node has it (20.12 and later), which makes no
 * Hash object per call (matching hashes some 400 000 times a file), else a Hash object.
 */
export const nodeSha256: Sha256 =
  typeof crypto.hash === "function"
    ? (message) => crypto.hash("sha256", message, "buffer")
    : (message) => crypto.createHash("sha256").update(message).digest();

/** AES-128-ECB of `blocks` (any whole number of 16-byte blocks) under `key`, in one call into OpenSSL. */
export function aes128EcbBlocks(key: Uint8Array, blocks: Uint8Array): Uint8Array {
  const cipher = createCipheriv("aes-128-ecb", key, null);
  cipher.setAutoPadding(false);
  return cipher.update(blocks);
}

/** One AES-128 block by Node's crypto. */
export const nodeAes128: Aes128Block = aes128EcbBlocks;
