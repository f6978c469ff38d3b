/**
 * Provisioning binds a tag to its commune gateway: the gateway writes the tag ID, the 32-byte tag key and
 * the commune's beacon key (sync-token.ts) to the tag, which keeps them in Storage; the gateway keeps them
 * sealed in its registry.
 *
 * Identity body (PROVISION and REPROVISION, sync-messages.ts):
 *   id length (1, 1–16) ‖ tag ID (printable ASCII) ‖ tag key (32) ‖ beacon key (32)
 *
 * The first provisioning goes in clear: tag and gateway share no secret yet, and an nRF52 running
 * Espruino has no public-key agreement to make one. Who hears that message learns the tag's key (so could
 * follow its sync tokens and pose as its gateway) and the commune's beacon key (so could forge beacons,
 * which open at most one window per 30 minutes). The exposure is limited to one short moment and a few
 * metres:
 * - only a tag without a key accepts it, and only within 60 s after a button press on the tag, so it
 *   needs someone holding the tag, at the provisioning desk;
 * - the tag advertises its provisioning window at PROVISION_TX_POWER_DBM, and staff provision with the
 *   gateway's adapter next to the tag (lowest TX power where the adapter allows it), so the exchange is
 *   heard only nearby and only during that minute;
 * - the key never travels in clear again: a provisioned tag refuses a plain PROVISION, and re-keying
 *   (REPROVISION, e.g. after a suspected leak) is accepted only inside an authenticated session, encrypted.
 *   Against someone who heard the first provisioning re-keying helps only if they missed that session
 *   too; a tag suspected of that is erased and provisioned again at the desk.
 */
import { TAG_KEY_BYTES } from "./sync-session";
import { ERR_ALREADY_PROVISIONED, ERR_NO_CONFIRMATION } from "./sync-errors";

/** A button press confirms provisioning (and consents to a key read) for this long, s. */
export var CONFIRM_S = 60;
/** TX power of the unprovisioned tag's window, dBm: the lowest an nRF52 offers through NRF.setTxPower. */
export var PROVISION_TX_POWER_DBM = -20;
/** Longest tag ID, characters. */
export var MAX_TAG_ID_CHARS = 16;
/** The commune beacon key is 32 bytes. */
export var BEACON_KEY_BYTES = 32;

/** What provisioning gives a tag. */
export interface TagIdentity {
  tagId: string;
  tagKey: Uint8Array;
  beaconKey: Uint8Array;
}

/** The identity body for `identity` (spelled out above); the tag ID must be 1–16 printable ASCII characters. */
export function encodeIdentity(identity: TagIdentity): Uint8Array {
  var id = identity.tagId;
  var body = new Uint8Array(1 + id.length + TAG_KEY_BYTES + BEACON_KEY_BYTES);
  body[0] = id.length;
  for (var i = 0; i < id.length; i++) body[1 + i] = id.charCodeAt(i);
  body.set(identity.tagKey, 1 + id.length);
  body.set(identity.beaconKey, 1 + id.length + TAG_KEY_BYTES);
  return body;
}

/** The identity in a body, or null when it is malformed (length, ID size or an ID character). */
export function decodeIdentity(body: Uint8Array): TagIdentity | null {
  var idLength = body[0];
  if (!idLength || idLength > MAX_TAG_ID_CHARS || body.length !== idLength + 1 + (TAG_KEY_BYTES + BEACON_KEY_BYTES)) return null;
  var id = "";
  for (var at = 1; at <= idLength; at++) {
    if (body[at] < 0x21 || body[at] > 0x7e) return null;
    id += String.fromCharCode(body[at]);
  }
  // `at` is where the keys start now. Copies: the tag keeps them after the message buffer is gone.
  return { tagId: id, tagKey: body.slice(at, at + TAG_KEY_BYTES), beaconKey: body.slice(at + TAG_KEY_BYTES) };
}

/**
 * Why a plain PROVISION must be refused, or 0 when it may be applied: the tag must have no key yet and its
 * button must have been pressed within the last CONFIRM_S seconds (`pressAgoS`, Infinity if never).
 */
export function provisionRefusal(provisioned: boolean, pressAgoS: number): number {
  if (provisioned) return ERR_ALREADY_PROVISIONED;
  return pressAgoS >= 0 && pressAgoS <= CONFIRM_S ? 0 : ERR_NO_CONFIRMATION;
}
