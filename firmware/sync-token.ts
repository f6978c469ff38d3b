/**
 * What the tag and the collection point put on air around a sync: the tag's sync-window advert, whose
 * token only the tag's own gateway can resolve, and the collection-point beacon, whose MAC only tags of
 * that commune can check. Both are service data of the zonetag sync service.
 *
 * The service has a random 128-bit UUID of ours, not a 16-bit one: every 16-bit UUID belongs to the
 * Bluetooth SIG, which assigns them to standards and (for a fee) to member companies; the values cheap
 * modules use, such as 0xFFF0, are unassigned rather than free (SIG hands out the 0xFFxx range from the top
 * to standards bodies: 0xFFFD is FIDO). A 128-bit UUID needs nobody's permission and both adverts still
 * fit the 31 bytes. A product with a purchased member UUID would swap it in here (saving 14 bytes).
 *
 * Sync-window advert (connectable, 28 bytes):
 *   02 01 06                  Flags: LE General Discoverable | BR/EDR not supported
 *   18 21 <UUID 16> 01 <6>    Service Data – 128-bit UUID: the sync service (on air little-endian:
 *                             f0 3e 73 4a 4d 5a 70 af df 45 bc f8 01 00 c8 14), kind 01 = sync window,
 *                             token = HMAC-SHA256(tag key, "zt-window" ‖ slot LE32)[0..6]
 * Unprovisioned tag's window (connectable, 22 bytes): it has no key to make a token, so
 *   02 01 06 · 12 21 <UUID 16> 03   kind 03 = unprovisioned, no token; the provisioning desk connects to
 *                             the nearest such window right after staff pressed the tag's button.
 * The window's scan response (18 bytes), so that Web Bluetooth pages can filter on the service:
 *   11 07 <UUID 16>           Complete List of 128-bit Service UUIDs: the sync service
 * Collection-point beacon (non-connectable, 27 bytes; Flags may be omitted from a non-connectable advert):
 *   1A 21 <UUID 16> 02 <8>    Service Data – 128-bit UUID: the sync service, kind 02 = beacon,
 *                             MAC = HMAC-SHA256(commune beacon key, "zt-beacon" ‖ slot LE32)[0..8]
 * slot = floor(unix s / 300). A tag whose clock is lost uses slot 0 for its token (a token that stays the
 * same until a gateway sets the clock, which the gateway tries besides the current slots) and ignores
 * beacons, which it cannot check without the time.
 */
import { bytesToHex, concatBytes, hexToBytes, NO_BYTES, uint32LE } from "./bytes";
import { clockIsSet } from "./clock";
import { Sha256 } from "./crypto-types";
import { labelledMac, macMatches } from "./sync-session";

/** Our UUIDs, 14c8000<digit>-f8bc-45df-af70-5a4d4a733ef0: they differ in one digit. */
function zonetagUuid(digit: number): string {
  return "14c8000" + digit + "-f8bc-45df-af70-5a4d4a733ef0";
}

/** The zonetag sync GATT service (14c80001-…), also the UUID of both adverts' service data. */
export var SYNC_SERVICE_UUID = zonetagUuid(1);
/** Characteristic the gateway writes fragments to (write without response; 14c80002-…). */
export var SYNC_TO_TAG_UUID = zonetagUuid(2);
/** Characteristic the tag notifies fragments on (14c80003-…). */
export var SYNC_TO_GATEWAY_UUID = zonetagUuid(3);
/** SYNC_SERVICE_UUID as it goes on air (the 16 bytes least significant first), in hex. */
var SERVICE_UUID_ON_AIR = "f03e734a4d5a70afdf45bcf80100c814";
/** AD type Service Data – 128-bit UUID (0x21), then our UUID: what starts our service data structure. */
var SERVICE_DATA_HEADER = "21" + SERVICE_UUID_ON_AIR;
/** Flags structure of the connectable window advert: LE General Discoverable (0x02) | BR/EDR not supported (0x04). */
var WINDOW_FLAGS = "020106";

/** Service data kind: a tag's sync window. */
export var KIND_WINDOW = 1;
/** Service data kind: a collection-point beacon. */
export var KIND_BEACON = 2;
/** Service data kind: an unprovisioned tag's window (no token). */
export var KIND_UNPROVISIONED = 3;
/** Token bytes in a window advert: 48 bits make a false match among a commune's tags negligible. */
export var WINDOW_TOKEN_BYTES = 6;
/** MAC bytes in a beacon. */
export var BEACON_MAC_BYTES = 8;
/** Tokens and beacon MACs change every 5 minutes. */
export var SLOT_SECONDS = 300;
/** The slot a tag with a lost clock uses for its token. */
export var CLOCK_LOST_SLOT = 0;

/** The token slot at tag or gateway time `now`. */
export function syncSlot(now: number): number {
  return clockIsSet(now) ? Math.floor(now / SLOT_SECONDS) : CLOCK_LOST_SLOT;
}

/** The token a tag with `tagKey` advertises during `slot`. */
export function windowToken(sha256: Sha256, tagKey: Uint8Array, slot: number): Uint8Array {
  return labelledMac(sha256, tagKey, "zt-window", [uint32LE(slot)], WINDOW_TOKEN_BYTES);
}

/** The MAC a commune's collection points broadcast during `slot`. */
export function beaconMac(sha256: Sha256, beaconKey: Uint8Array, slot: number): Uint8Array {
  return labelledMac(sha256, beaconKey, "zt-beacon", [uint32LE(slot)], BEACON_MAC_BYTES);
}

/** `flags` (a whole Flags structure in hex, or none) ‖ `length · 0x21 · UUID · kind` ‖ `code`, as spelled out above. */
function syncAdvert(flags: string, kind: number, code: Uint8Array): Uint8Array {
  // length counts the type, the UUID, the kind and the code: 0x12 to 0x1a, two hex digits
  var header = flags + (18 + code.length).toString(16) + SERVICE_DATA_HEADER + "0" + kind;
  return concatBytes([hexToBytes(header) as Uint8Array, code]);
}

/** The connectable sync-window advert carrying `token`, or an unprovisioned tag's (null), spelled out above. */
export function syncWindowAdvert(token: Uint8Array | null): Uint8Array {
  return syncAdvert(WINDOW_FLAGS, token ? KIND_WINDOW : KIND_UNPROVISIONED, token || NO_BYTES);
}

/** The collection-point beacon carrying `mac` (27 bytes, spelled out above). */
export function beaconAdvert(mac: Uint8Array): Uint8Array {
  return syncAdvert("", KIND_BEACON, mac);
}

/** The sync window's scan response: the service UUID, for scanners that filter on services (18 bytes). */
export function syncWindowScanResponse(): Uint8Array {
  return hexToBytes("1107" + SERVICE_UUID_ON_AIR) as Uint8Array; // length · Complete List of 128-bit Service UUIDs · UUID
}

/** What one of our adverts carries: its kind and the token or MAC. `code` is a view into the parsed bytes. */
export interface SyncAdvert {
  kind: number;
  code: Uint8Array;
}

/**
 * The kind and code in the sync service's data (`kind ‖ code`, as scanners such as noble hand out
 * service data by UUID), or null when the kind is unknown or the code has the wrong size.
 */
export function parseSyncServiceData(data: Uint8Array): SyncAdvert | null {
  var kind = data[0];
  var size = kind === KIND_WINDOW ? WINDOW_TOKEN_BYTES : kind === KIND_BEACON ? BEACON_MAC_BYTES : 0;
  if ((!size && kind !== KIND_UNPROVISIONED) || data.length !== 1 + size) return null;
  return { kind: kind, code: data.subarray(1) };
}

/** Our service data (`kind ‖ code`, a view) in raw advertising bytes, or null (none, or a structure past the end). */
function syncServiceData(data: Uint8Array): Uint8Array | null {
  for (var at = 0, end = 0; at < data.length && data[at]; at = end) {
    end = at + 1 + data[at];
    if (end > data.length) return null;
    if (bytesToHex(data.subarray(at + 1, at + 18)) === SERVICE_DATA_HEADER) return data.subarray(at + 18, end);
  }
  return null;
}

/** Our service data in raw advertising bytes, parsed; null when absent or malformed. */
export function parseSyncAdvert(data: Uint8Array): SyncAdvert | null {
  var serviceData = syncServiceData(data);
  return serviceData && parseSyncServiceData(serviceData);
}

/**
 * The MAC of a collection-point beacon in our service data (`kind ‖ code`, as Espruino's scan hands it out
 * by UUID), of any size (beaconIsGenuine checks it); null for another kind.
 */
export function beaconMacIn(serviceData: Uint8Array): Uint8Array | null {
  return serviceData[0] === KIND_BEACON ? serviceData.subarray(1) : null;
}

/** The beacon MACs computed last (of slot − 1, slot and slot + 1), and from what. */
var expectedMacs: Uint8Array[] = [];
var expectedSha256: Sha256 | null = null;
var expectedKey: Uint8Array | null = null;
var expectedSlot = 0;

/**
 * Whether a beacon's `mac` is genuine for the commune of `beaconKey` at tag time `now` (slot ± 1: clocks
 * differ). A tag with a lost clock accepts none. The expected MACs are computed once per slot, so a flood
 * of fake beacons costs a byte compare each, not an HMAC.
 */
export function beaconIsGenuine(sha256: Sha256, beaconKey: Uint8Array, now: number, mac: Uint8Array): boolean {
  var slot = syncSlot(now);
  if (!clockIsSet(now)) return false;
  if (sha256 !== expectedSha256 || beaconKey !== expectedKey || slot !== expectedSlot) {
    expectedMacs = [beaconMac(sha256, beaconKey, slot - 1), beaconMac(sha256, beaconKey, slot), beaconMac(sha256, beaconKey, slot + 1)];
    expectedSha256 = sha256;
    expectedKey = beaconKey;
    expectedSlot = slot;
  }
  // macMatches also refuses a MAC of the wrong size.
  return macMatches(expectedMacs[0], mac) || macMatches(expectedMacs[1], mac) || macMatches(expectedMacs[2], mac);
}
