/**
 * The tag's crypto primitives from Espruino's `crypto` module: SHA-256 is native on every nRF52 board;
 * AES is native where the firmware build has it (Puck.js) and the JS fallback where it has not (MDBT42Q),
 * chosen once at boot.
 */
import { aes128EncryptBlock } from "../aes128";
import { Aes128Block, Sha256 } from "../crypto-types";

var crypto = require("crypto");

/** SHA-256 on the native implementation. */
export var sha256: Sha256 = function (message) {
  return new Uint8Array(crypto.SHA256(message));
};

/**
 * AES-128 of one block: native when present (its default mode, CBC with an all-zero IV, is ECB for a single
 * block), else the JS fallback.
 */
export var aes128: Aes128Block = crypto.AES
  ? function (key, block) {
      return new Uint8Array(crypto.AES!.encrypt(block, key));
    }
  : aes128EncryptBlock;

/** `count` bytes from the hardware random number generator: the low byte of one E.hwRand() each. */
export function randomBytes(count: number): Uint8Array {
  var bytes = new Uint8Array(count);
  for (var i = 0; i < count; i++) bytes[i] = E.hwRand();
  return bytes;
}
