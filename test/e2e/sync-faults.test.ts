/**
 * Syncs that break, through the compiled bundle and the real gateway over SQLite: the link cut after every
 * possible number of fragments, and the gateway killed between committing a log chunk and acknowledging it
 * to the tag. Each time the next sync resumes, and the store ends up with every record of the tag's log
 * exactly once. The runtime is deterministic, so each case rebuilds the same tag with the same log.
 */
import { expect } from "chai";
import { EncounterLog } from "../../firmware/encounter-log";
import { LOG_CHUNK_RECORDS } from "../../firmware/sync-commands";
import type { HostTag } from "../../sim/espruino/tag";
import { GatewayStore } from "../../tools/gateway/store";
import { Firmware, expectNoErrors, firmwareBundle } from "../firmware/harness";
import { Commune, TappedLink, closeCommune, cutAfter, handOut, loggedRows, meetStrangers, newCommune, storedRows, syncAtDesk } from "./harness";

/** 2025-03-06T06:00:00Z. */
const START_S = Date.UTC(2025, 2, 6, 6, 0) / 1000;
const TAG_ID = "T-FLT";
/** Strangers met before the sync under test: enough records for three log chunks. */
const STRANGERS = 150;
const HOUR_MS = 3600_000;

/** A commune whose tag has logged an encounter with each of STRANGERS devices over six hours, none synced yet. */
async function loggedTag(firmware: Firmware): Promise<{ commune: Commune; tag: HostTag; rows: string[] }> {
  const commune = await newCommune(START_S, firmware);
  const tag = await handOut(commune, "faults", TAG_ID, null);
  meetStrangers(tag, "fault-strangers", STRANGERS, commune.world.now() + 6 * HOUR_MS);
  return { commune, tag, rows: loggedRows(tag) };
}

/** Records on the tag not yet acknowledged by the gateway. */
function unacknowledged(tag: HostTag): number {
  return new EncounterLog(tag.storage).status().unacknowledged;
}

describe("e2e: broken syncs resume without losing or doubling a record (compiled firmware, real gateway)", function () {
  this.timeout(300_000);
  let firmware: Firmware;
  let reference: string[];
  let fragments = 0;
  before(async () => {
    firmware = await firmwareBundle();
    const { commune, tag, rows } = await loggedTag(firmware);
    reference = rows;
    expect(reference.length, "records to sync").to.be.greaterThan(2 * LOG_CHUNK_RECORDS);
    const report = await syncAtDesk(commune, tag, TAG_ID, {}, (link) =>
      new TappedLink(link, () => {
        fragments++;
        return true;
      }));
    expect(report).to.include({ outcome: "ok", received: reference.length, stored: reference.length });
    expect(storedRows(commune.store, TAG_ID)).to.deep.equal(reference);
    closeCommune(commune);
  });

  it("the link cut after every fragment of a sync, then a new sync: every record stored exactly once", async () => {
    expect(fragments, "fragments of a whole sync, both ways").to.be.greaterThan(60);
    for (let keep = 0; keep < fragments; keep++) {
      const { commune, tag, rows } = await loggedTag(firmware);
      try {
        expect(rows, "the same log every time").to.deep.equal(reference);
        const broken = await syncAtDesk(commune, tag, TAG_ID, {}, cutAfter(keep));
        expect(broken.outcome, `cut after ${keep}`).to.match(/^link lost/);
        const resumed = await syncAtDesk(commune, tag, TAG_ID);
        expect(resumed.outcome, `resumed after a cut after ${keep}`).to.equal("ok");
        expect(storedRows(commune.store, TAG_ID), `cut after ${keep}`).to.deep.equal(reference);
        expect(broken.stored + resumed.stored, `cut after ${keep}: rows added`).to.equal(reference.length);
        expect(unacknowledged(tag), "left unacknowledged on the tag").to.equal(0);
        expectNoErrors(tag);
      } finally {
        closeCommune(commune);
      }
    }
  });

  it("the gateway killed between committing a chunk and acknowledging it: nothing lost, nothing doubled", async () => {
    const chunks = Math.ceil(reference.length / LOG_CHUNK_RECORDS);
    for (let killedAfter = 1; killedAfter <= chunks; killedAfter++) {
      const { commune, tag } = await loggedTag(firmware);
      try {
        // The first fragment the gateway sends after its killedAfter-th commit is the READ_LOG that would acknowledge it: die there.
        let commits = 0;
        let acked = commune.store.ackedCursor(TAG_ID);
        const kill = (direction: "send" | "receive") => {
          if (direction !== "send" || commune.store.ackedCursor(TAG_ID) === acked) return true;
          acked = commune.store.ackedCursor(TAG_ID);
          if (++commits < killedAfter) return true;
          commune.store.close(); // the process dies: nothing after the commit reaches the disk
          return false;
        };
        const killed = await syncAtDesk(commune, tag, TAG_ID, {}, (link) => new TappedLink(link, kill)).then(
          () => null,
          (error: Error) => error,
        );
        expect(killed, `killed after commit ${killedAfter}`).to.be.an("error");
        const committed = Math.min(killedAfter * LOG_CHUNK_RECORDS, reference.length);
        // The tag still holds the committed chunk as unacknowledged: the READ_LOG that would say so never went out.
        expect(unacknowledged(tag)).to.equal(reference.length - (killedAfter - 1) * LOG_CHUNK_RECORDS);

        commune.store = GatewayStore.open(commune.dir); // the gateway restarts on its data folder
        expect(commune.store.encountersOfTag(TAG_ID), "committed before the kill").to.have.length(committed);
        const resumed = await syncAtDesk(commune, tag, TAG_ID);
        expect(resumed).to.include({ outcome: "ok", stored: reference.length - committed, duplicates: 0 });
        expect(storedRows(commune.store, TAG_ID)).to.deep.equal(reference);
        expect(unacknowledged(tag)).to.equal(0);
        expectNoErrors(tag);
      } finally {
        closeCommune(commune);
      }
    }
  });
});
