/**
 * `require("crypto")` as libs/crypto/jswrap_crypto.c builds it on nRF52 (mbedTLS underneath):
 * - `SHA256(message)` on every board → 32-byte ArrayBuffer (strings hash their character codes);
 * - `AES` only where the build has it (Puck.js, not MDBT42Q): `encrypt/decrypt(data, key, {mode, iv})`,
 *   mode "CBC" by default. Espruino quirks kept on purpose: "CTR" ignores `iv` and always starts from an
 *   all-zero counter block; "CFB" is CFB-8; "OFB" is not implemented (prints "ERROR: Feature unavailable" and
 *   returns undefined); "ECB" encrypts whole blocks and leaves a trailing partial block as zero bytes; CBC on
 *   data that is not whole blocks prints "ERROR: Invalid input length" and returns undefined; a bad key length
 *   prints "ERROR: Unknown error: -0x20". Unknown mode names throw.
 */
import { createCipheriv, createDecipheriv, createHash } from "node:crypto";
import { toBytes } from "./bytes";
import { AES_BLOCK_CPU_MS, NATIVE_CALL_CPU_MS, SHA256_BLOCK_CPU_MS } from "./power";
import { type Realm, realmArrayBuffer } from "./realm";

/** What the crypto module needs from its tag. */
export interface CryptoHost {
  readonly realm: Realm;
  /** Prints a console line (Espruino's jsError output). */
  print(line: string): void;
  /** Charges modelled CPU time. */
  chargeCpu(ms: number): void;
}

type AesMode = "CBC" | "CFB" | "CTR" | "OFB" | "ECB";
const AES_MODES: readonly string[] = ["CBC", "CFB", "CTR", "OFB", "ECB"];
const MBEDTLS_ERR_AES_INVALID_KEY_LENGTH = 0x20;

/** The module object `require("crypto")` returns on a board with or without AES. */
export function cryptoModule(host: CryptoHost, withAes: boolean): object {
  const module = new host.realm.Object() as Record<string, unknown>;
  module.SHA256 = (message: unknown): ArrayBuffer => {
    const bytes = toBytes(message);
    host.chargeCpu(NATIVE_CALL_CPU_MS + SHA256_BLOCK_CPU_MS * Math.ceil((bytes.length + 9) / 64));
    return realmArrayBuffer(host.realm, createHash("sha256").update(bytes).digest());
  };
  if (withAes) {
    const aes = new host.realm.Object() as Record<string, unknown>;
    aes.encrypt = (data: unknown, key: unknown, options?: unknown) => aesCrypt(host, data, key, options, true);
    aes.decrypt = (data: unknown, key: unknown, options?: unknown) => aesCrypt(host, data, key, options, false);
    module.AES = aes;
  }
  return module;
}

function aesCrypt(host: CryptoHost, data: unknown, key: unknown, options: unknown, encrypt: boolean): ArrayBuffer | undefined {
  const iv = new Uint8Array(16);
  let mode: AesMode = "CBC";
  if (typeof options === "object" && options !== null) {
    const fields = options as { iv?: unknown; mode?: unknown };
    if (fields.iv !== undefined) iv.set(toBytes(fields.iv).subarray(0, 16));
    if (fields.mode !== undefined) {
      const name = String(fields.mode);
      if (!AES_MODES.includes(name)) throw new host.realm.Error(`Unknown Crypto mode ${JSON.stringify(name)}`);
      mode = name as AesMode;
    }
  } else if (options !== undefined) {
    host.print("ERROR: 'options' must be undefined, or an Object");
    return undefined;
  }
  const message = toBytes(data);
  const keyBytes = toBytes(key);
  host.chargeCpu(NATIVE_CALL_CPU_MS + AES_BLOCK_CPU_MS * Math.ceil(message.length / 16));
  if (![16, 24, 32].includes(keyBytes.length)) {
    host.print(`ERROR: Unknown error: -0x${MBEDTLS_ERR_AES_INVALID_KEY_LENGTH.toString(16)}`);
    return undefined;
  }
  const bits = keyBytes.length * 8;
  switch (mode) {
    case "ECB": {
      const out = new Uint8Array(message.length); // a trailing partial block stays zero
      const whole = message.length - (message.length % 16);
      out.set(run(encrypt, `aes-${bits}-ecb`, keyBytes, null, message.subarray(0, whole)));
      return realmArrayBuffer(host.realm, out);
    }
    case "CBC":
      if (message.length % 16 !== 0) {
        host.print("ERROR: Invalid input length");
        return undefined;
      }
      return realmArrayBuffer(host.realm, run(encrypt, `aes-${bits}-cbc`, keyBytes, iv, message));
    case "CFB":
      return realmArrayBuffer(host.realm, run(encrypt, `aes-${bits}-cfb8`, keyBytes, iv, message));
    case "CTR": // jswrap_crypto.c zeroes the nonce/counter block and never reads `iv`
      return realmArrayBuffer(host.realm, run(true, `aes-${bits}-ctr`, keyBytes, new Uint8Array(16), message));
    case "OFB":
      host.print("ERROR: Feature unavailable");
      return undefined;
  }
}

function run(encrypt: boolean, algorithm: string, key: Uint8Array, iv: Uint8Array | null, input: Uint8Array): Uint8Array {
  const cipher = encrypt ? createCipheriv(algorithm, key, iv) : createDecipheriv(algorithm, key, iv);
  cipher.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([cipher.update(input), cipher.final()]));
}
