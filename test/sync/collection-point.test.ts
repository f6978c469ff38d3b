import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TagIdentity } from "../../firmware/sync-provision";
import { syncSlot, windowToken } from "../../firmware/sync-token";
import { CollectionPoint } from "../../tools/gateway/collection-point";
import { nodeSha256 } from "../../tools/gateway/host-crypto";
import { GatewayStore } from "../../tools/gateway/store";
import { SyncReport, communeBeaconKey } from "../../tools/gateway/sync";
import { SyncWindowScanner, SyncWindowSeen } from "../../tools/gateway/transport";
import { SimulatedLink, TEST_DAY_START, TestTag } from "./harness";
import { hostRandom } from "../helpers/random";

/** A scanner the test feeds with windows by hand. */
class HandScanner implements SyncWindowScanner {
  private listener: ((window: SyncWindowSeen) => void) | null = null;
  async start(onWindow: (window: SyncWindowSeen) => void): Promise<void> {
    this.listener = onWindow;
  }
  async stop(): Promise<void> {
    this.listener = null;
  }
  see(window: SyncWindowSeen): void {
    this.listener?.(window);
  }
}

describe("collection point (tools/gateway/collection-point.ts)", () => {
  const dir = mkdtempSync(join(tmpdir(), "zt-collect-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("syncs each recognised tag once, one link at a time, and ignores strangers and unprovisioned tags", async () => {
    const store = GatewayStore.open(dir);
    let now = TEST_DAY_START + 36000;
    const tags = ["T1", "T2", "T3"].map((tagId) => {
      const identity: TagIdentity = { tagId, tagKey: hostRandom(32), beaconKey: communeBeaconKey(store) };
      store.registerTag({ tagId, board: "PUCKJS", tagKey: identity.tagKey, residentId: null, provisionedAt: 0 }, "test");
      const tag = new TestTag(identity);
      tag.time = now;
      tag.logEncounters(40, TEST_DAY_START, 600);
      return tag;
    });
    let open = 0;
    let mostOpen = 0;
    const windowOf = (tag: TestTag, token: Uint8Array | null): SyncWindowSeen => ({
      token,
      address: "c0:00:00:00:00:0" + (tag.identity?.tagId ?? "x").slice(1),
      rssi: -60,
      connect: async () => {
        mostOpen = Math.max(mostOpen, ++open);
        const link = new SimulatedLink(tag, { mtu: 23, intervalMs: 7.5, packetsPerEvent: 3 });
        link.onClose(() => open--);
        return link;
      },
    });
    const reports: SyncReport[] = [];
    let finished = () => {};
    const allDone = new Promise<void>((resolve) => (finished = resolve));
    const scanner = new HandScanner();
    const point = new CollectionPoint(store, scanner, {
      now: () => now,
      onReport: (r) => {
        reports.push(r);
        if (reports.length === 3) finished();
      },
    });
    await point.start();
    const token = (tag: TestTag) => windowToken(nodeSha256, (tag.identity as TagIdentity).tagKey, syncSlot(now));
    for (let round = 0; round < 2; round++) for (const tag of tags) scanner.see(windowOf(tag, token(tag)));
    scanner.see(windowOf(new TestTag(), null));
    scanner.see(windowOf(new TestTag(), hostRandom(6)));
    await allDone;
    expect(reports.map((r) => [r.tagId, r.outcome, r.stored])).to.deep.equal([
      ["T1", "ok", 40],
      ["T2", "ok", 40],
      ["T3", "ok", 40],
    ]);
    expect(mostOpen).to.equal(1);

    // Within the resync period a new window changes nothing; after it, the tag is synced again.
    scanner.see(windowOf(tags[0], token(tags[0])));
    now += 3601;
    tags[0].time = now;
    tags[0].logEncounters(5, now - 3000, 60);
    const again = new Promise<SyncReport>((resolve) => (finished = () => resolve(reports[reports.length - 1])));
    reports.length = 2; // the next report makes three again
    scanner.see(windowOf(tags[0], token(tags[0])));
    const report = await again;
    expect([report.tagId, report.outcome, report.stored]).to.deep.equal(["T1", "ok", 5]);
    await point.stop();
    store.close();
  });
});
