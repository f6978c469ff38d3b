/** Firmware figures: bundle size, flash per encounter, and the host cost of one ID rotation. */
import { createCipheriv, createHash } from "node:crypto";
import { buildFirmware, UPLOAD_BUDGET_BYTES } from "../tools/build/build";
import { aes128EncryptBlock } from "../firmware/aes128";
import { DEFAULT_CONFIG } from "../firmware/config";
import { Aes128Block, Sha256 } from "../firmware/crypto-types";
import { EncounterLog } from "../firmware/encounter-log";
import { emptyKeys, keysForDay } from "../firmware/exposure-keys";
import { broadcastAt, newRotationCache, rotationPeriod } from "../firmware/rotation";
import { FlashStorage } from "../sim/espruino/storage";
import { Figure } from "./figure";

const sha256: Sha256 = (m) => new Uint8Array(createHash("sha256").update(m).digest());
const nodeAes: Aes128Block = (key, block) => {
  const cipher = createCipheriv("aes-128-ecb", key, null).setAutoPadding(false);
  return new Uint8Array(Buffer.concat([cipher.update(block), cipher.final()]));
};

/** Flash the log really takes per encounter: a day's worth of encounters written into a fresh Storage. */
function bytesPerEncounter(): number {
  const storage = new FlashStorage({ bytes: 40960, pageBytes: 4096 });
  const log = new EncounterLog(storage as never);
  const start = 1_750_000_000;
  const count = 1000;
  for (let i = 0; i < count; i++) {
    const result = log.append({ id: new Uint8Array([i & 255, i >> 8, 1, 2]), aem: 5, first: start + i * 300, seconds: 240, rssiMean: -70, rssiMax: -62 });
    if (!result.ok) throw new Error("log append failed: " + result.reason);
  }
  return log.status().bytes / count;
}

/** Host milliseconds of one rotation (new IDs for both profiles), averaged over a day of rotations. */
function rotationMs(aes: Aes128Block): number {
  const config = DEFAULT_CONFIG;
  const day = 20_254;
  const random = (n: number) => new Uint8Array(n).fill(7);
  const keys = keysForDay(emptyKeys(), day, random, sha256).keys;
  const cache = newRotationCache();
  const period = rotationPeriod(config);
  const rotations = 86400 / period;
  const begin = process.hrtime.bigint();
  for (let i = 0; i < rotations; i++) broadcastAt(day * 86400 + i * period, config, keys, { sha256, aes }, cache);
  return Number(process.hrtime.bigint() - begin) / 1e6 / rotations;
}

export async function firmwareFigures(): Promise<Figure[]> {
  const build = await buildFirmware();
  if (!build.compiled) throw new Error("firmware does not compile:\n" + build.errors.join("\n"));
  return [
    { id: "bundle_bytes", label: "uploaded firmware size (minified, pretokenised as stored)", value: build.uploadBytes, unit: "bytes", budget: UPLOAD_BUDGET_BYTES, better: "lower" },
    { id: "bytes_per_encounter", label: "flash bytes per aggregated encounter (headers included)", value: bytesPerEncounter(), unit: "bytes", budget: 16, better: "lower" },
    { id: "rotation_ms_native", label: "host time of one ID rotation, native AES", value: rotationMs(nodeAes), unit: "ms", budget: null, better: "lower" },
    { id: "rotation_ms_js", label: "host time of one ID rotation, JS AES fallback", value: rotationMs(aes128EncryptBlock), unit: "ms", budget: null, better: "lower" },
  ];
}
