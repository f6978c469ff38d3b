/**
 * The cryptographic primitives the pure modules take as arguments. On the tag the platform layer builds
 * them from Espruino's `require("crypto")` (or the JS AES in aes128.ts where the board has none); on the
 * host, tests and the gateway build them from Node's crypto.
 */

/** SHA-256 of `message`: 32 bytes. */
export type Sha256 = (message: Uint8Array) => Uint8Array;

/** AES-128 encryption of one 16-byte block under a 16-byte key (ECB, no padding): 16 bytes. */
export type Aes128Block = (key: Uint8Array, block: Uint8Array) => Uint8Array;
