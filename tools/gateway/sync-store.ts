/**
 * What the sync engine needs from the gateway store beyond GatewayStore's own API: turning a received log
 * record into a stored encounter row, and resolving a sync-window token to the registered tag that sent it.
 */
import { ID_PREFIX_BYTES, decodeRecord } from "../../firmware/encounter";
import { bytesToHex } from "../../firmware/bytes";
import { Sha256 } from "../../firmware/crypto-types";
import { ReceivedRecord } from "../../firmware/sync-messages";
import { CLOCK_LOST_SLOT, syncSlot, windowToken } from "../../firmware/sync-token";
import { EncounterRow, GatewayStore } from "./store";

/**
 * The encounter row of a received log record, or null for a record that is not complete (a tag never
 * sends one). The record keeps no sightings count, so that column is 0 for every tag record.
 */
export function encounterRowOf(received: ReceivedRecord): EncounterRow | null {
  const e = decodeRecord(received.record, 0, received.origin);
  if (!e) return null;
  let prefix = 0;
  for (let i = 0; i < ID_PREFIX_BYTES; i++) prefix = prefix * 256 + e.id[i];
  return { firstSeen: e.first, prefix, aem: e.aem, durationMin: e.seconds / 60, sightings: 0, rssiMax: e.rssiMax, rssiMean: e.rssiMean };
}

/**
 * Resolves sync-window tokens to tag IDs. A tag advertises HMAC(tag key, slot) truncated to 6 bytes, so the
 * gateway computes every registered tag's token for its own slot ± 1 (clocks differ by minutes at most
 * between syncs) and for the clock-lost slot, once per slot, and looks tokens up in that table.
 */
export class SyncTokenResolver {
  private slot = -1;
  private tagCount = -1;
  private table = new Map<string, string>();

  constructor(
    private readonly store: GatewayStore,
    private readonly sha256: Sha256,
  ) {}

  /** The tag ID whose token `token` is at gateway time `now` (unix s), or null for none of ours. */
  resolve(token: Uint8Array, now: number): string | null {
    const slot = syncSlot(now);
    // Asked for every sync advert heard at a collection point: only a count, unless the table is stale.
    const tagCount = this.store.tagCount();
    if (slot !== this.slot || tagCount !== this.tagCount) {
      this.table.clear();
      for (const tagId of this.store.tagIds()) {
        const key = this.store.tagKey(tagId);
        if (!key) continue;
        for (const s of [slot - 1, slot, slot + 1, CLOCK_LOST_SLOT]) this.table.set(bytesToHex(windowToken(this.sha256, key, s)), tagId);
      }
      this.slot = slot;
      this.tagCount = tagCount;
    }
    return this.table.get(bytesToHex(token)) ?? null;
  }
}
