/**
 * Google/Apple Exposure Notification rotating IDs (Cryptography spec v1.2, Bluetooth spec v1.2): interval
 * numbers, key derivation, Rolling Proximity Identifiers, Associated Encrypted Metadata and the advert.
 * Checked against Google's v1.2 test vectors (test/vectors/gaen-v1.2.json).
 */
import { FLAGS_AD_HEX } from "./ad";
import { asciiBytes, byteToInt8, concatBytes, hexToBytes, NO_BYTES, uint32LE } from "./bytes";
import { Aes128Block, Sha256 } from "./crypto-types";
import { hkdfSha256 } from "./hkdf";

/** An ENIntervalNumber counts 10-minute intervals since the Unix epoch. */
export var EN_INTERVAL_SECONDS = 600;
/** A TEK is used for 144 intervals: one UTC day. */
export var TEK_ROLLING_PERIOD = 144;
/** TEKs are kept 14 days, then erased. */
export var TEK_RETENTION_DAYS = 14;
/** TEK, RPIK and AEMK are 16 bytes. */
export var GAEN_KEY_BYTES = 16;
/** The Rolling Proximity Identifier is 16 bytes. */
export var RPI_BYTES = 16;
/** The Associated Encrypted Metadata is 4 bytes. */
export var AEM_BYTES = 4;
/** The Exposure Notification service, 0xFD6F. */
export var GAEN_SERVICE_UUID = 0xfd6f;
/** Metadata byte 0: versioning 0b01 major, 0b00 minor (v1.0), as every v1.x sender uses. */
export var METADATA_VERSION = 0x40;

/** The ENIntervalNumber of a Unix time in seconds. */
export function enIntervalNumber(unixSeconds: number): number {
  return Math.floor(unixSeconds / EN_INTERVAL_SECONDS);
}

/** The first interval of the TEK rolling period (UTC day) that `interval` lies in. */
export function tekRollingStart(interval: number): number {
  return Math.floor(interval / TEK_ROLLING_PERIOD) * TEK_ROLLING_PERIOD;
}

/** HKDF-SHA256(TEK, no salt, `label`, 16): the RPIK or the AEMK. */
function deriveFromTek(sha256: Sha256, tek: Uint8Array, label: string): Uint8Array {
  return hkdfSha256(sha256, tek, NO_BYTES, asciiBytes(label), GAEN_KEY_BYTES);
}

/** RPIK = HKDF-SHA256(TEK, no salt, "EN-RPIK", 16). */
export function deriveRpik(sha256: Sha256, tek: Uint8Array): Uint8Array {
  return deriveFromTek(sha256, tek, "EN-RPIK");
}

/** AEMK = HKDF-SHA256(TEK, no salt, "EN-AEMK", 16). */
export function deriveAemk(sha256: Sha256, tek: Uint8Array): Uint8Array {
  return deriveFromTek(sha256, tek, "EN-AEMK");
}

/** RPI = AES-128(RPIK, "EN-RPI" ‖ 6 × 0x00 ‖ ENIntervalNumber as 32-bit little-endian). */
export function rollingProximityIdentifier(aes: Aes128Block, rpik: Uint8Array, interval: number): Uint8Array {
  return aes(rpik, concatBytes([asciiBytes("EN-RPI"), new Uint8Array(6), uint32LE(interval)]));
}

/** The 4 metadata bytes a tag sends: version 0x40, TX power in dBm as int8 (the array wraps −8 to 0xF8), two reserved zeros. */
export function bluetoothMetadata(txPowerDbm: number): Uint8Array {
  return new Uint8Array([METADATA_VERSION, txPowerDbm, 0, 0]);
}

/** The TX power (dBm) that decrypted metadata carries. */
export function metadataTxPower(metadata: Uint8Array): number {
  return byteToInt8(metadata[1]);
}

/**
 * AES-128-CTR(AEMK, IV = RPI) over `data` (at most 16 bytes): encrypts metadata into the AEM and, being
 * an XOR, decrypts an AEM back. Only the first keystream block is needed, which is AES-128-ECB(AEMK, RPI).
 */
export function aemCrypt(aes: Aes128Block, aemk: Uint8Array, rpi: Uint8Array, data: Uint8Array): Uint8Array {
  var keystream = aes(aemk, rpi);
  var out = data.slice();
  for (var i = 0; i < data.length; i++) out[i] ^= keystream[i];
  return out;
}

/** The 31-byte GAEN advert carrying `rpi` (16 bytes) and `aem` (4 bytes). */
export function gaenAdvert(rpi: Uint8Array, aem: Uint8Array): Uint8Array {
  // 02 01 1A Flags · 03 03 6F FD complete 16-bit UUID list: 0xFD6F · 17 16 6F FD service data 0xFD6F: RPI ‖ AEM
  return concatBytes([hexToBytes(FLAGS_AD_HEX + "03036ffd" + "17166ffd") as Uint8Array, rpi, aem]);
}
