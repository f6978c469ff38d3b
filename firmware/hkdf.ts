/** HKDF-SHA256 (RFC 5869): extract-then-expand key derivation, as GAEN uses it for RPIK and AEMK. */
import { concatBytes, NO_BYTES } from "./bytes";
import { Sha256 } from "./crypto-types";
import { hmacSha256 } from "./hmac";

/**
 * `length` bytes (at most 255 × 32) derived from `ikm`. An empty `salt` means "no salt": RFC 5869 then
 * uses 32 zero bytes, which HMAC pads to the very same block as an empty key, so no special case.
 */
export function hkdfSha256(sha256: Sha256, ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  var prk = hmacSha256(sha256, salt, ikm);
  var okm: Uint8Array = NO_BYTES;
  var block = okm;
  for (var counter = 1; okm.length < length; counter++) {
    // T(n) = HMAC(PRK, T(n-1) ‖ info ‖ n)
    block = hmacSha256(sha256, prk, concatBytes([block, info, new Uint8Array([counter])]));
    okm = concatBytes([okm, block]);
  }
  return okm.subarray(0, length);
}
