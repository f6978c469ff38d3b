/**
 * Node-crypto implementations of the primitives the firmware's pure modules take as arguments
 * (firmware/crypto-types.ts), so the gateway derives IDs with the tag's own code.
 */
import { createCipheriv, createHash } from "node:crypto";
import { Aes128Block, Sha256 } from "../../firmware/crypto-types";

/** SHA-256 by Node's crypto. */
export const nodeSha256: Sha256 = (message) => createHash("sha256").update(message).digest();

/** AES-128-ECB of `blocks` (any whole number of 16-byte blocks) under `key`, in one call into OpenSSL. */
export function aes128EcbBlocks(key: Uint8Array, blocks: Uint8Array): Uint8Array {
  const cipher = createCipheriv("aes-128-ecb", key, null);
  cipher.setAutoPadding(false);
  return cipher.update(blocks);
}

/** One AES-128 block by Node's crypto. */
export const nodeAes128: Aes128Block = aes128EcbBlocks;
