/**
 * The gateway master key and the secrets it seals. Tag keys (and a resident's own keys read from the tag
 * before they are published) never reach the database in clear: they are sealed with AES-256-GCM under a
 * 32-byte master key kept in its own file (mode 0600) in the data folder, so a copy of the database alone
 * reveals none of them. Each sealed value is bound to what it belongs to (its label, used as GCM
 * associated data), so a sealed tag key copied onto another tag's row does not open.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** File name of the master key in the data folder. */
export const MASTER_KEY_FILE = "master.key";
/** AES-256: 32-byte key. */
const MASTER_KEY_BYTES = 32;
/** GCM nonce: 12 random bytes per sealed value (NIST SP 800-38D's recommended length). */
const NONCE_BYTES = 12;
/** GCM authentication tag: the full 16 bytes. */
const AUTH_TAG_BYTES = 16;
/** Permission bits that must stay clear on the key file: any access by group or others. */
const GROUP_OTHER_BITS = 0o077;

/** A sealed secret: nonce (12) ‖ AES-256-GCM ciphertext ‖ authentication tag (16). */
export type Sealed = Uint8Array;

/**
 * The master key of the data folder `dir`, made (32 random bytes, mode 0600) on first use. Throws when the
 * file is damaged or readable by other users, since sealing with a leaked key protects nothing.
 */
export function loadMasterKey(dir: string): Uint8Array {
  const path = join(dir, MASTER_KEY_FILE);
  if (!existsSync(path)) writeFileSync(path, randomBytes(MASTER_KEY_BYTES), { mode: 0o600, flag: "wx" });
  if (process.platform !== "win32" && (statSync(path).mode & GROUP_OTHER_BITS) !== 0) {
    throw new Error(`${path} is readable by other users; run: chmod 600 ${path}`);
  }
  const key = readFileSync(path);
  if (key.length !== MASTER_KEY_BYTES) throw new Error(`${path} is damaged: ${key.length} bytes, expected ${MASTER_KEY_BYTES}`);
  return new Uint8Array(key);
}

/** `secret` sealed under `masterKey`, bound to `label` (e.g. "tag-key:T0042"). */
export function seal(masterKey: Uint8Array, label: string, secret: Uint8Array): Sealed {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", masterKey, nonce, { authTagLength: AUTH_TAG_BYTES });
  cipher.setAAD(Buffer.from(label, "utf8"));
  return new Uint8Array(Buffer.concat([nonce, cipher.update(secret), cipher.final(), cipher.getAuthTag()]));
}

/** The secret in `sealed`; throws when it was not sealed under `masterKey` with this `label`, or was altered. */
export function unseal(masterKey: Uint8Array, label: string, sealed: Sealed): Uint8Array {
  if (sealed.length < NONCE_BYTES + AUTH_TAG_BYTES) throw new Error(`sealed ${label} is truncated`);
  const body = sealed.subarray(NONCE_BYTES, sealed.length - AUTH_TAG_BYTES);
  const decipher = createDecipheriv("aes-256-gcm", masterKey, sealed.subarray(0, NONCE_BYTES), { authTagLength: AUTH_TAG_BYTES });
  decipher.setAAD(Buffer.from(label, "utf8"));
  decipher.setAuthTag(sealed.subarray(sealed.length - AUTH_TAG_BYTES));
  try {
    return new Uint8Array(Buffer.concat([decipher.update(body), decipher.final()]));
  } catch {
    throw new Error(`sealed ${label} does not open with this data folder's master key`);
  }
}
