/**
 * The rotating IDs a diagnosis key gave out, and when each was on air: what matching looks for in the tags'
 * encounter logs. The derivations are the tag's own (firmware/gaen.ts, firmware/bluezone.ts); the bulk GAEN
 * path only batches them, because a daily export holds tens of thousands of keys.
 */
import { BLUEZONE_ID_BYTES, bluezoneChainAt, bluezoneId, DAY_SECONDS, utcDayNumber } from "../../firmware/bluezone";
import { txPowerFromAemBits } from "../../firmware/encounter";
import { aemCrypt, deriveAemk, deriveRpik, EN_INTERVAL_SECONDS, RPI_BYTES, rollingProximityIdentifier } from "../../firmware/gaen";
import { aes128EcbBlocks, nodeAes128, nodeSha256 } from "./host-crypto";
import { DiagnosisKey } from "./store";

/** Distinct rolling periods whose RPI input blocks are kept; a file spans about 14 days of them. */
const INPUT_CACHE_LIMIT = 1024;

/** The IDs of one key, back to back: ID i is `bytes[i × idBytes, (i + 1) × idBytes)`, on air from `startTime + i × idSeconds`. */
export interface DerivedIds {
  bytes: Uint8Array;
  idBytes: number;
  count: number;
  startTime: number;
  idSeconds: number;
}

/** The unsigned big-endian number of an ID's first 4 bytes at `offset`: the prefix the store indexes. */
export function idPrefix(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3]) >>> 0;
}

/** Cached RPI inputs by first interval × 256 + count (a rolling period is at most 144). */
const rpiInputCache = new Map<number, Uint8Array>();

/**
 * The AES inputs of the RPIs of `count` intervals from `firstInterval`, back to back. Each block is the
 * one firmware rollingProximityIdentifier encrypts, taken by handing it the identity as its cipher, so the
 * block layout stays written in one place (gaen.ts). The same days recur across keys, so blocks are cached.
 */
function rpiInputs(firstInterval: number, count: number): Uint8Array {
  const cacheKey = firstInterval * 256 + count;
  let blocks = rpiInputCache.get(cacheKey);
  if (!blocks) {
    blocks = new Uint8Array(count * RPI_BYTES);
    const identity = (_key: Uint8Array, block: Uint8Array) => block;
    const noKey = new Uint8Array(0); // the identity cipher needs none
    for (let i = 0; i < count; i++) blocks.set(rollingProximityIdentifier(identity, noKey, firstInterval + i), i * RPI_BYTES);
    if (rpiInputCache.size >= INPUT_CACHE_LIMIT) rpiInputCache.clear();
    rpiInputCache.set(cacheKey, blocks);
  }
  return blocks;
}

/** The RPIs of a GAEN diagnosis key over its rolling period: one AES-128-ECB call for all of them. */
export function gaenIds(key: DiagnosisKey): DerivedIds {
  const firstInterval = key.startTime / EN_INTERVAL_SECONDS;
  const count = (key.endTime - key.startTime) / EN_INTERVAL_SECONDS;
  return {
    bytes: aes128EcbBlocks(deriveRpik(nodeSha256, key.key), rpiInputs(firstInterval, count)),
    idBytes: RPI_BYTES,
    count,
    startTime: key.startTime,
    idSeconds: EN_INTERVAL_SECONDS,
  };
}

/**
 * The IDs of a Bluezone F0 entry, as the apps read one (see firmware/bluezone.ts): from time_start in
 * steps of a day / max while a step starts at or before time_end, moving to the next daily key after
 * `max` IDs.
 */
export function bluezoneIds(key: DiagnosisKey): DerivedIds {
  const idSeconds = DAY_SECONDS / key.idsPerDay;
  const count = Math.floor((key.endTime - key.startTime) / idSeconds) + 1;
  const bytes = new Uint8Array(count * BLUEZONE_ID_BYTES);
  const firstDay = utcDayNumber(key.startTime);
  let chain = bluezoneChainAt(nodeSha256, key.key, firstDay);
  for (let i = 0; i < count; i++) {
    if (i > 0 && i % key.idsPerDay === 0) {
      chain = bluezoneChainAt(nodeSha256, nodeSha256(chain.dailyKey), chain.day + 1);
    } else if (i > 0) {
      chain.subkey = nodeSha256(chain.subkey);
    }
    bytes.set(bluezoneId(chain.subkey), i * BLUEZONE_ID_BYTES);
  }
  return { bytes, idBytes: BLUEZONE_ID_BYTES, count, startTime: key.startTime, idSeconds };
}

/** The IDs of any diagnosis key. */
export function diagnosisIds(key: DiagnosisKey): DerivedIds {
  return key.profile === "gaen" ? gaenIds(key) : bluezoneIds(key);
}

/**
 * The TX power (dBm) a GAEN sender reported in the AEM heard with RPI `rpi`, from the bits of AEM byte 1
 * an encounter record keeps: XOR with byte 1 of the AES-128-CTR keystream under the AEMK of `tek`
 * (firmware aemCrypt), read as firmware txPowerFromAemBits reads them.
 */
export function gaenTxPower(tek: Uint8Array, rpi: Uint8Array, recordedAemBits: number): number {
  return txPowerFromAemBits(aemCrypt(nodeAes128, deriveAemk(nodeSha256, tek), rpi, new Uint8Array([0, recordedAemBits]))[1]);
}
