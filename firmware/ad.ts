/**
 * BLE advertising data (Core spec v5.x, Vol 3 Part C §11 and the Supplement): a run of AD structures,
 * each `length · type · data`, where length counts the type byte and the data. Both ID profiles use the
 * same few structures; the profiles spell out their own headers (gaen.ts, bluezone.ts).
 */

/** AD type: Service Data - 16-bit UUID. */
export var AD_SERVICE_DATA16 = 0x16;
/** AD type: Manufacturer Specific Data (16-bit company identifier first). */
export var AD_MANUFACTURER_DATA = 0xff;

/**
 * The Flags structure `02 01 1A` (length, type Flags, value), in hex: the value phones send with GAEN (and
 * Exposure Notification Bluetooth spec v1.2 prescribes), LE General Discoverable (0x02) | simultaneous LE
 * and BR/EDR, controller (0x08) and host (0x10). Both profiles use it so that the tag's two packets look
 * like phone packets.
 */
export var FLAGS_AD_HEX = "02011a";
