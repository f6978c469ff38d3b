/**
 * Diagnosis-key files as the gateway imports them: a GAEN export zip or a Bluezone F0 list, told apart by
 * their first bytes, turned into the store's diagnosis keys.
 */
import { KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { TEK_ROLLING_PERIOD } from "../../firmware/gaen";
import { readF0List } from "./bluezone-f0";
import { exportKeyTimes, readGaenExport, REPORT_TYPE_REVOKED } from "./gaen-export";
import { DiagnosisKey, KeyImport } from "./store";

/** A zip starts with a local file header, "PK\x03\x04". */
const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
/** Largest key file read: GAEN asks servers for at most 16 MB a file. */
export const MAX_KEY_FILE_BYTES = 64 * 1024 * 1024;

/** The diagnosis keys in `bytes` (the file `source`), or why the file cannot be imported. */
export async function parseKeyFile(source: string, bytes: Uint8Array, publicKey: KeyObject | null): Promise<KeyImport | { error: string }> {
  if (ZIP_MAGIC.every((b, i) => bytes[i] === b)) {
    const read = await readGaenExport(bytes, publicKey);
    if ("error" in read) return read;
    const { contents } = read;
    const keys: DiagnosisKey[] = [...contents.keys, ...contents.revisedKeys]
      .filter((k) => k.reportType !== REPORT_TYPE_REVOKED)
      .map((k) => ({ profile: "gaen", key: k.key, ...exportKeyTimes(k), idsPerDay: TEK_ROLLING_PERIOD, reportType: k.reportType }));
    return { source, format: "gaen-export", signature: read.signature, region: contents.region || null, keys };
  }
  const text = Buffer.from(bytes).toString("utf8");
  if (!text.trimStart().startsWith("{")) return { error: "neither a GAEN export zip nor a Bluezone F0 list (JSON)" };
  const entries = readF0List(text);
  if ("error" in entries) return { error: `Bluezone F0 list: ${entries.error}` };
  const keys: DiagnosisKey[] = entries.map((e) => ({
    profile: "bluezone",
    key: e.dailyKey,
    startTime: e.timeStart,
    endTime: e.timeEnd,
    idsPerDay: e.idsPerDay,
    reportType: null,
  }));
  return { source, format: "bluezone-f0", signature: "none", region: null, keys };
}

/** Reads and parses the key file at `path`. */
export async function readKeyFile(path: string, publicKey: KeyObject | null): Promise<KeyImport | { error: string }> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    return { error: `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
  if (bytes.length > MAX_KEY_FILE_BYTES) return { error: `${path} has ${bytes.length} bytes, more than a key file may (${MAX_KEY_FILE_BYTES})` };
  const parsed = await parseKeyFile(basename(path), bytes, publicKey);
  return "error" in parsed ? { error: `${path}: ${parsed.error}` } : parsed;
}
