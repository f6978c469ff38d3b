/**
 * Reading received adverts: which rotating-ID profile a packet carries and its ID, from the raw advertising
 * bytes, for the simulator and the gateway. The tag takes the same two structures from the fields
 * Espruino's scan has already parsed (main.ts onDevice), which costs it no JS loop per advert.
 */
import { AD_MANUFACTURER_DATA, AD_SERVICE_DATA16 } from "./ad";
import { BLUEZONE_COMPANY_ID, BLUEZONE_ID_BYTES } from "./bluezone";
import { AEM_BYTES, GAEN_SERVICE_UUID, RPI_BYTES } from "./gaen";

/** The rotating ID one advert carries. `id` and `aem` are views into the parsed bytes: copy to keep. */
export interface ReceivedId {
  profile: "gaen" | "bluezone";
  /** RPI (16 bytes) or Bluezone ID (12 bytes). */
  id: Uint8Array;
  /** GAEN only: the 4 AEM bytes; null for Bluezone. */
  aem: Uint8Array | null;
}

/**
 * The ID in an advert: GAEN service data 0xFD6F with RPI + AEM, or Bluezone manufacturer data 0x22B5 with
 * the ID (the first of them if both appear). Null for anything else and for malformed data: a structure
 * running past the end, or one of those two structures with a payload of the wrong size. A zero length
 * ends the data early (Core spec Vol 3 Part C §11), so zero padding after the structures is accepted.
 */
export function parseAdvert(data: Uint8Array): ReceivedId | null {
  var found: ReceivedId | null = null;
  var at = 0;
  while (at < data.length && data[at] !== 0) {
    var end = at + 1 + data[at];
    if (end > data.length) return null;
    if (!found && end - at >= 4) {
      // length · type · 16-bit value (little-endian) · payload
      var type = data[at + 1];
      var value16 = data[at + 2] | (data[at + 3] << 8);
      var payload = data.subarray(at + 4, end);
      if (type === AD_SERVICE_DATA16 && value16 === GAEN_SERVICE_UUID) {
        if (payload.length !== RPI_BYTES + AEM_BYTES) return null;
        found = { profile: "gaen", id: payload.subarray(0, RPI_BYTES), aem: payload.subarray(RPI_BYTES) };
      } else if (type === AD_MANUFACTURER_DATA && value16 === BLUEZONE_COMPANY_ID) {
        if (payload.length !== BLUEZONE_ID_BYTES) return null;
        found = { profile: "bluezone", id: payload, aem: null };
      }
    }
    at = end;
  }
  return found;
}
