/**
 * What the tag broadcasts between two rotations. Both IDs and the BLE address change together, never
 * one without the other, so an observer cannot link an old ID to a new one through the one that stayed.
 * With both profiles on, rotation follows Bluezone's 15-minute ID slots (GAEN asks for a change every
 * 10–20 minutes, and phones match an RPI within ±2 hours of its interval); GAEN alone rotates every
 * 10-minute interval.
 */
import { BLUEZONE_ID_SECONDS, BluezoneChain, bluezoneAdvert, bluezoneChainAt, bluezoneChainSeek, bluezoneId, bluezoneIdIndex, utcDayNumber } from "./bluezone";
import { TagConfig } from "./config";
import { Aes128Block, Sha256 } from "./crypto-types";
import { ExposureKeys, bluezoneKeyOfDay, tekOfDay } from "./exposure-keys";
import { EN_INTERVAL_SECONDS, aemCrypt, bluetoothMetadata, deriveAemk, deriveRpik, enIntervalNumber, gaenAdvert, rollingProximityIdentifier } from "./gaen";

/** The crypto a rotation needs, from the platform. */
export interface RotationCrypto {
  sha256: Sha256;
  aes: Aes128Block;
}

/** Per-day derived keys, kept between rotations so each rotation costs two AES blocks and one hash. */
export interface RotationCache {
  day: number;
  rpik: Uint8Array | null;
  aemk: Uint8Array | null;
  chain: BluezoneChain | null;
}

/** The packets of one rotation period and when it ends. */
export interface Broadcast {
  /** Advertising packets sent in turn (GAEN first when on). */
  adverts: Uint8Array[];
  /** Unix s at which the next rotation is due. */
  until: number;
}

/** Seconds between rotations for a config. */
export function rotationPeriod(config: TagConfig): number {
  return config.bluezone ? BLUEZONE_ID_SECONDS : EN_INTERVAL_SECONDS;
}

/** An empty cache: its keys are derived at the first rotation. */
export function newRotationCache(): RotationCache {
  return { day: -1 } as RotationCache;
}

/** What to broadcast at `now` (unix s); the cache is updated in place. */
export function broadcastAt(now: number, config: TagConfig, keys: ExposureKeys, crypto: RotationCrypto, cache: RotationCache): Broadcast {
  var sha256 = crypto.sha256;
  var period = rotationPeriod(config);
  var day = utcDayNumber(now);
  if (cache.day !== day) {
    var tek = config.gaen ? tekOfDay(keys, day) : null;
    cache.rpik = tek && deriveRpik(sha256, tek);
    cache.aemk = tek && deriveAemk(sha256, tek);
    var dailyKey = config.bluezone ? bluezoneKeyOfDay(sha256, keys, day) : null;
    cache.chain = dailyKey && bluezoneChainAt(sha256, dailyKey, day);
    cache.day = day;
  }
  var adverts: Uint8Array[] = [];
  // The RPIK and the AEMK come from the same TEK: both or neither.
  if (cache.rpik) {
    var rpi = rollingProximityIdentifier(crypto.aes, cache.rpik, enIntervalNumber(now));
    adverts.push(gaenAdvert(rpi, aemCrypt(crypto.aes, cache.aemk!, rpi, bluetoothMetadata(config.txPower + config.txCalibrationDb))));
  }
  if (cache.chain) {
    var chain = bluezoneChainSeek(sha256, cache.chain, day, bluezoneIdIndex(now));
    // The clock went back within the day: hashes only go forward, so restart from the day's key.
    if (!chain) {
      cache.day = -1;
      return broadcastAt(now, config, keys, crypto, cache);
    }
    cache.chain = chain;
    adverts.push(bluezoneAdvert(bluezoneId(chain.subkey)));
  }
  return { adverts: adverts, until: (Math.floor(now / period) + 1) * period };
}
