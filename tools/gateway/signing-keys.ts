/**
 * The ECDSA P-256 keys around GAEN export files, kept as PEM files in the data folder: the gateway's own
 * signing key for the exports it publishes (made on first use; its public half is what a key server or
 * app is given to verify them), and the key server's public key that imported exports must verify with,
 * when staff have configured one.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The gateway's signing key (PKCS#8 PEM, mode 0600). */
export const SIGNING_KEY_FILE = "export-signing-key.pem";
/** Its public key (SPKI PEM), to hand to key servers and apps. */
export const SIGNING_PUBLIC_KEY_FILE = "export-signing-key.pub.pem";
/** The key server's public key (SPKI PEM) that imported exports must verify with, if present. */
export const KEY_SERVER_PUBLIC_KEY_FILE = "key-server.pub.pem";

/** The gateway's export signing key in data folder `dir`, made on first use. */
export function loadSigningKey(dir: string): KeyObject {
  const path = join(dir, SIGNING_KEY_FILE);
  if (!existsSync(path)) {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    writeFileSync(path, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600, flag: "wx" });
    writeFileSync(join(dir, SIGNING_PUBLIC_KEY_FILE), publicKey.export({ type: "spki", format: "pem" }));
  }
  return createPrivateKey(readFileSync(path));
}

/**
 * The public key imported exports must verify with: the PEM file `path` if given, else the data folder's
 * key-server.pub.pem if present, else null (signatures then go unchecked). Throws when the file is not a
 * P-256 public key.
 */
export function loadVerificationKey(dir: string, path?: string): KeyObject | null {
  const file = path ?? join(dir, KEY_SERVER_PUBLIC_KEY_FILE);
  if (!path && !existsSync(file)) return null;
  let key: KeyObject;
  try {
    key = createPublicKey(readFileSync(file));
  } catch (err) {
    throw new Error(`${file} is not a public key in PEM form (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
    throw new Error(`${file} is not an ECDSA P-256 key, which GAEN exports are signed with`);
  }
  return key;
}
