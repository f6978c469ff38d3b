/**
 * BLE advertising data (Core spec v5.x, Vol 3 Part C §11 and the Supplement): a run of AD structures,
 * each `length · type · data`, where length counts the type byte and the data. Both ID profiles use the
 * same few structures; the profiles fill in their own UUIDs and payloads.
 */

/** Legacy advertising data holds at most 31 bytes. */
export var ADVERT_MAX_BYTES = 31;

/** AD type: Flags. */
export var AD_FLAGS = 0x01;
/** AD type: Complete List of 16-bit Service Class UUIDs. */
export var AD_UUID16_COMPLETE = 0x03;
/** AD type: Service Data - 16-bit UUID. */
export var AD_SERVICE_DATA16 = 0x16;
/** AD type: Manufacturer Specific Data (16-bit company identifier first). */
export var AD_MANUFACTURER_DATA = 0xff;

/**
 * The Flags value phones send with GAEN (and Exposure Notification Bluetooth spec v1.2 prescribes):
 * LE General Discoverable (0x02) | simultaneous LE and BR/EDR, controller (0x08) and host (0x10).
 * Both profiles use it so that the tag's two packets look like phone packets.
 */
export var ADVERT_FLAGS = 0x1a;

/** Writes the Flags structure `02 01 1A` at the start of `advert`; returns the offset after it. */
export function writeFlags(advert: Uint8Array): number {
  advert[0] = 2; // length: type + 1 byte
  advert[1] = AD_FLAGS;
  advert[2] = ADVERT_FLAGS;
  return 3;
}

/**
 * Writes the header of a structure whose data starts with a 16-bit UUID or company identifier:
 * `(3 + payloadLength) · type · value low · value high`. Returns the offset of the payload that follows.
 */
export function writeAd16Header(advert: Uint8Array, offset: number, type: number, value16: number, payloadLength: number): number {
  advert[offset] = 3 + payloadLength; // length: type + 2-byte value + payload
  advert[offset + 1] = type;
  advert[offset + 2] = value16 & 0xff; // 16-bit values go little-endian on air
  advert[offset + 3] = value16 >> 8;
  return offset + 4;
}
