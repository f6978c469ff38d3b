/**
 * Sync figures: simulated time to sync a full encounter log (the 24 KB log budget filled with 21 days of
 * records) over MTU 23, with the real protocol end to end: the tag's handler over a real encounter log in
 * simulated flash, the gateway engine committing every chunk to SQLite.
 *
 * Link model (test/sync/harness.ts, SimulatedLink): BLE connection events at a fixed interval; each event
 * carries up to 3 fragments (20-byte ATT payloads) each way, and a fragment handed over during an event
 * goes out at the next event at the earliest, so a request/response round trip costs at least two events.
 * - 3 packets per event: the S132 SoftDevice under Espruino reserves 3.75 ms per connection event by
 *   default, "sufficient for three packet pairs in a connection event with the default 27 octet-long Link
 *   Layer payload" (Nordic, S132 SoftDevice Specification, BLE role configuration).
 * - 7.5 ms: the interval Espruino asks for while data flows (targets/nrf5x/bluetooth.c,
 *   BLE_DYNAMIC_INTERVAL_HIGH_RATE), which a Linux central grants; centrals that keep a slower interval get
 *   the 30 ms figure, the upper end of the 7.5–30 ms range, reported beside it.
 * Not modelled: the tag's CPU time per fragment (sealing and log reads on Espruino), radio retransmissions.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BLOCK_BYTES, BLOCK_RECORDS, DEFAULT_LOG_BUDGET_BYTES, LOG_RETENTION_DAYS, storageFootprint } from "../firmware/encounter-log";
import { GatewayStore } from "../tools/gateway/store";
import { communeBeaconKey, syncTag } from "../tools/gateway/sync";
import { hostRandom } from "../test/helpers/random";
import { LinkModel, SimulatedLink, TEST_DAY_START, TestTag } from "../test/sync/harness";
import { Figure } from "./figure";

/** DESIGN.md budget for sync_full_log_s. */
const FULL_LOG_BUDGET_S = 5;
/** Fragments a connection event carries each way (S132 default event length). */
const PACKETS_PER_EVENT = 3;

/** Simulated seconds to sync a tag whose log is full, over a link of `model`; checks every record arrived. */
async function fullLogSyncSeconds(model: LinkModel): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "zt-bench-sync-"));
  try {
    const store = GatewayStore.open(dir);
    const tagKey = hostRandom(32);
    store.registerTag({ tagId: "B1", board: "PUCKJS", tagKey, residentId: null, provisionedAt: 0 }, "bench");
    const tag = new TestTag({ tagId: "B1", tagKey, beaconKey: communeBeaconKey(store) });
    const records = Math.floor(DEFAULT_LOG_BUDGET_BYTES / storageFootprint(BLOCK_BYTES)) * BLOCK_RECORDS;
    const days = LOG_RETENTION_DAYS;
    tag.time = TEST_DAY_START + days * 86400;
    tag.logEncounters(records, TEST_DAY_START, Math.floor((days * 86400) / records));
    const status = tag.log.status();
    if (status.records !== records || status.dropped !== 0) throw new Error(`the full log holds ${status.records} records, not ${records}`);
    const link = new SimulatedLink(tag, model);
    const report = await syncTag(store, "B1", link, { now: () => tag.time });
    await link.done;
    if (report.outcome !== "ok" || report.stored !== records) throw new Error(`bench sync: ${report.outcome}, ${report.stored} of ${records} records`);
    store.close();
    return link.elapsedMs / 1000;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function syncFigures(): Promise<Figure[]> {
  const fast = await fullLogSyncSeconds({ mtu: 23, intervalMs: 7.5, packetsPerEvent: PACKETS_PER_EVENT });
  const slow = await fullLogSyncSeconds({ mtu: 23, intervalMs: 30, packetsPerEvent: PACKETS_PER_EVENT });
  return [
    { id: "sync_full_log_s", label: "sync of a full 21-day log, MTU 23, 7.5 ms interval", value: fast, unit: "s", budget: FULL_LOG_BUDGET_S, better: "lower" },
    { id: "sync_full_log_30ms_s", label: "the same at a 30 ms connection interval", value: slow, unit: "s", budget: null, better: "lower" },
  ];
}
