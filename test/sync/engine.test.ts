import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TagIdentity } from "../../firmware/sync-provision";
import { CLOCK_LOST_SLOT, SLOT_SECONDS, syncSlot, windowToken } from "../../firmware/sync-token";
import { nodeSha256 } from "../../tools/gateway/host-crypto";
import { GatewayStore } from "../../tools/gateway/store";
import { SyncOptions, communeBeaconKey, provisionTag, syncTag } from "../../tools/gateway/sync";
import { TagRefusal } from "../../tools/gateway/sync-connection";
import { SyncTokenResolver } from "../../tools/gateway/sync-store";
import { TagLink } from "../../tools/gateway/transport";
import { LinkFaults, LinkModel, SimulatedLink, TEST_DAY_START, TestTag } from "./harness";
import { hostRandom } from "../helpers/random";

const MTU_23: LinkModel = { mtu: 23, intervalMs: 7.5, packetsPerEvent: 1 };
const MTU_185: LinkModel = { mtu: 185, intervalMs: 7.5, packetsPerEvent: 1 };
const TAG_ID = "T0042";

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A gateway data folder with TAG_ID registered, and that tag with `records` encounters logged over five days. */
function commune(records: number) {
  const dir = mkdtempSync(join(tmpdir(), "zt-sync-"));
  dirs.push(dir);
  const store = GatewayStore.open(dir);
  const identity: TagIdentity = { tagId: TAG_ID, tagKey: hostRandom(32), beaconKey: communeBeaconKey(store) };
  store.registerTag({ tagId: TAG_ID, board: "PUCKJS", tagKey: identity.tagKey, residentId: null, provisionedAt: TEST_DAY_START - 30 * 86400 }, "test");
  const tag = new TestTag(identity);
  const ids = tag.logEncounters(records, TEST_DAY_START - 5 * 86400, Math.floor((5 * 86400) / Math.max(records, 1)));
  return { dir, store, tag, ids };
}

/** One sync over a fresh simulated link; resolves once the link has closed too. */
async function sync(store: GatewayStore, tag: TestTag, model = MTU_23, faults: LinkFaults = {}, options: SyncOptions = {}) {
  const link = new SimulatedLink(tag, model, faults);
  const report = await syncTag(store, TAG_ID, link, { now: () => tag.time - 1.5, ...options });
  await link.done;
  return { report, link };
}

/** The ID prefixes stored for the tag, sorted. */
function storedIds(store: GatewayStore): number[] {
  return store
    .encountersOfTag(TAG_ID)
    .map((e) => e.prefix)
    .sort((a, b) => a - b);
}

describe("gateway sync engine (tools/gateway/sync.ts)", () => {
  for (const model of [MTU_23, MTU_185]) {
    it(`syncs a tag at MTU ${model.mtu}: info, time, every record once, acknowledged on the tag`, async () => {
      const { store, tag, ids } = commune(300);
      const { report } = await sync(store, tag, model);
      expect(report.outcome).to.equal("ok");
      expect(report).to.include({ received: 300, stored: 300, duplicates: 0 });
      expect(storedIds(store)).to.deep.equal(ids);
      const status = tag.log.status();
      expect(status.acknowledged).to.equal(status.nextCursor);
      expect(status.unacknowledged).to.equal(0);
      expect(tag.clock && tag.clock.offsetS).to.equal(1.5);
      const row = store.tag(TAG_ID);
      expect(row && row.info).to.include({ firmware: "zonetag 0.1.0", batteryPercent: 87, clockDriftS: 1.5 });
      expect(row && row.ackedCursor).to.equal(status.nextCursor);
      expect(row && row.lastSync && row.lastSync.outcome).to.equal("ok");
      expect(tag.holdsLink()).to.equal(false); // END closed the link
    });
  }

  it("uses a larger MTU when offered: fewer fragments and less time", async () => {
    const a = commune(300);
    const b = commune(300);
    const at23 = await sync(a.store, a.tag, MTU_23);
    const at185 = await sync(b.store, b.tag, MTU_185);
    expect(at185.link.fragments).to.be.below(at23.link.fragments / 4);
    expect(at185.link.elapsedMs).to.be.below(at23.link.elapsedMs / 4);
  });

  it("finds nothing new on a second sync, and sends later records only", async () => {
    const { store, tag, ids } = commune(120);
    await sync(store, tag);
    const again = await sync(store, tag);
    expect(again.report).to.include({ outcome: "ok", received: 0, stored: 0 });
    const more = tag.logEncounters(30, TEST_DAY_START + 3600, 60);
    const third = await sync(store, tag);
    expect(third.report).to.include({ outcome: "ok", received: 30, stored: 30, duplicates: 0 });
    expect(storedIds(store)).to.deep.equal([...ids, ...more]);
  });

  it("resumes after the link is cut at every fragment boundary: every record stored exactly once", async () => {
    const full = commune(150);
    const reference = await sync(full.store, full.tag);
    const total = reference.link.fragments;
    expect(total).to.be.greaterThan(60);
    for (let cut = 0; cut < total; cut++) {
      const { store, tag, ids } = commune(150);
      const broken = await sync(store, tag, MTU_23, { cutAtFragment: cut });
      expect(broken.report.outcome, `cut at ${cut}`).to.match(/^link lost/);
      const resumed = await sync(store, tag);
      expect(resumed.report.outcome, `resumed after cut at ${cut}`).to.equal("ok");
      expect(storedIds(store), `cut at ${cut}`).to.deep.equal(ids);
      expect(broken.report.stored + resumed.report.stored).to.equal(150);
      expect(tag.log.status().unacknowledged).to.equal(0);
      store.close();
    }
  });

  it("loses and doubles nothing when the gateway dies between committing a chunk and acknowledging it", async () => {
    const { dir, store, tag, ids } = commune(200);
    let killed = false;
    const faults: LinkFaults = {
      // The first fragment after a commit is the READ_LOG that would acknowledge it: die instead.
      beforeGatewaySend: () => {
        if (killed || store.ackedCursor(TAG_ID) <= tag.log.status().acknowledged) return true;
        killed = true;
        return false;
      },
    };
    const first = await sync(store, tag, MTU_23, faults);
    expect(killed).to.equal(true);
    expect(first.report.stored).to.equal(64);
    expect(tag.log.status().acknowledged).to.equal(0);
    store.close();

    const restarted = GatewayStore.open(dir);
    const second = await sync(restarted, tag);
    expect(second.report).to.include({ outcome: "ok", received: 136, stored: 136, duplicates: 0 });
    expect(storedIds(restarted)).to.deep.equal(ids);
    expect(tag.log.status().unacknowledged).to.equal(0);
    restarted.close();
  });

  it("reads again what a restored (older) gateway database lacks, as long as the tag keeps it", async () => {
    const { store, tag, ids } = commune(100);
    await sync(store, tag);
    const restored = GatewayStore.open(mkdtempSync(join(tmpdir(), "zt-sync-")));
    restored.registerTag({ tagId: TAG_ID, board: "PUCKJS", tagKey: (tag.identity as TagIdentity).tagKey, residentId: null, provisionedAt: 0 }, "test");
    const { report } = await sync(restored, tag);
    expect(report).to.include({ outcome: "ok", stored: 100 });
    expect(storedIds(restored)).to.deep.equal(ids);
  });

  it("starts from the tag's cursors when the tag's log restarted below the gateway's cursor", async () => {
    const { store, tag } = commune(300);
    await sync(store, tag);
    // Same tag, Storage erased (say, firmware re-flashed): its cursors start at 0 again.
    const wiped = new TestTag(tag.identity);
    wiped.logEncounters(20, TEST_DAY_START + 7200, 60);
    const { report } = await sync(store, wiped);
    expect(report).to.include({ outcome: "ok", received: 20, stored: 20 });
    expect(store.encounterCount()).to.equal(320);
    expect(wiped.log.status().unacknowledged).to.equal(0);
  });

  it("sets the alert the matcher decided, then clears it once staff clear it", async () => {
    const { store, tag } = commune(10);
    const imported = store.importDiagnosisKeys(
      { source: "test", format: "gaen-export", signature: "none", region: null, keys: [{ profile: "gaen", key: hostRandom(16), startTime: TEST_DAY_START, endTime: TEST_DAY_START + 86400, idsPerDay: 144, reportType: 1 }] },
      "test",
    );
    const key = store.diagnosisKeys(imported.importId)[0];
    const exposure = { tag: store.tagRowId(TAG_ID) as number, diagnosisKey: key.id, day: 19800, weightedMinutes: 30, minutes: 30, minAttenuation: 50, firstTime: TEST_DAY_START, lastTime: TEST_DAY_START + 1800 };
    store.recordMatches([exposure], 15, "test");
    const exposed = await sync(store, tag);
    expect(exposed.report.alert).to.equal("exposed");
    expect(tag.alert).to.equal(true);
    expect(store.tag(TAG_ID)).to.include({ alert: "exposed", alertOnTag: "exposed" });
    store.clearAlert(TAG_ID, "test");
    await sync(store, tag);
    expect(tag.alert).to.equal(false);
    expect(store.tag(TAG_ID)).to.include({ alert: "none", alertOnTag: "none" });
  });

  it("changes settings and starts new keys when asked", async () => {
    const { store, tag } = commune(5);
    const keys = JSON.stringify(tag.keys);
    const { report } = await sync(store, tag, MTU_23, {}, { config: { scanPeriodS: 180 }, startNewKeys: true });
    expect(report.outcome).to.equal("ok");
    expect(tag.config.scanPeriodS).to.equal(180);
    expect(JSON.stringify(tag.keys)).to.not.equal(keys);
  });

  it("reads the resident's keys when they press the tag's button during the sync, and stores them sealed", async () => {
    const { store, tag } = commune(5);
    // The resident presses once the session is open.
    let pressed = false;
    const faults: LinkFaults = {
      beforeGatewaySend: () => {
        if (tag.sync.inSession() && !pressed) {
          pressed = true;
          tag.sync.buttonPressed();
        }
        return true;
      },
    };
    const { report } = await sync(store, tag, MTU_23, faults, { readKeys: true });
    expect(report.outcome).to.equal("ok");
    expect(report.keys).to.deep.equal(tag.keys);
    const audit = store.auditLog().find((e) => e.action === "read-keys");
    expect(audit && audit.detail).to.contain(TAG_ID);
    expect(audit && audit.detail).to.not.contain(tag.keys.teks[0][1]);
  });

  it("does not get the keys without the press: the sync ends refused after the wait", async () => {
    const { store, tag } = commune(5);
    const { report } = await sync(store, tag, MTU_23, {}, { readKeys: true, consentWaitMs: 0 });
    expect(report.outcome).to.match(/^refused: .*no consent/);
    expect(report.keys).to.equal(null);
    expect(report.stored).to.equal(5); // the log was already in
  });

  it("provisions an unprovisioned tag after a button press, registers it, and syncs it on the same link", async () => {
    const dir = mkdtempSync(join(tmpdir(), "zt-sync-"));
    dirs.push(dir);
    const store = GatewayStore.open(dir);
    const tag = new TestTag();
    const refused = new SimulatedLink(tag, MTU_23);
    let error: unknown = null;
    await provisionTag(store, refused, { tagId: "T0100", board: "PUCKJS", residentId: null }).catch((e) => (error = e));
    expect(error).to.be.instanceOf(TagRefusal);
    expect(store.tagRowId("T0100")).to.equal(null);
    await refused.close();

    tag.sync.buttonPressed();
    const link = new SimulatedLink(tag, MTU_23);
    const report = await provisionTag(store, link, { tagId: "T0100", board: "PUCKJS", residentId: null }, { now: () => tag.time });
    await link.done;
    expect(report.outcome).to.equal("ok");
    expect(tag.identity && tag.identity.tagId).to.equal("T0100");
    expect(store.tagKey("T0100")).to.deep.equal(tag.identity && tag.identity.tagKey);
    expect(tag.identity && tag.identity.beaconKey).to.deep.equal(communeBeaconKey(store));
    expect(tag.clock).to.not.equal(null);
  });

  it("records no drift for a tag whose clock was unset (a new tag, or after a battery change)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "zonetag-engine-"));
    const store = GatewayStore.open(dir);
    const tag = new TestTag();
    tag.time = 42; // the RTC restarted near 1970
    tag.sync.buttonPressed();
    const link = new SimulatedLink(tag, MTU_23);
    const gatewayNow = TEST_DAY_START + 9 * 3600;
    const report = await provisionTag(store, link, { tagId: "T0101", board: "PUCKJS", residentId: null }, { now: () => gatewayNow });
    await link.done;
    expect(report.outcome).to.equal("ok");
    const row = store.tag("T0101");
    expect(row && row.info && row.info.clockDriftS).to.equal(null);
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("ends with 'link lost' when a write to the tag fails, leaving the link closed", async () => {
    const { store, tag } = commune(100);
    const link = new SimulatedLink(tag, MTU_23);
    let writes = 0;
    const failing: TagLink = {
      mtu: link.mtu,
      send: async (fragment) => {
        if (++writes > 6) throw new Error("adapter gone");
        return link.send(fragment);
      },
      onReceive: (listener) => link.onReceive(listener),
      onClose: (listener) => link.onClose(listener),
      close: () => link.close(),
    };
    const report = await syncTag(store, TAG_ID, failing, { now: () => tag.time });
    await link.done;
    expect(report.outcome).to.equal("link lost: a write to the tag failed: adapter gone");
    expect(tag.holdsLink()).to.equal(false);
    expect(store.syncs(TAG_ID)[0].outcome).to.equal(report.outcome);
  });

  it("refuses to sync a tag whose key is not the registered one (the tag's proof does not verify)", async () => {
    const { store } = commune(0);
    const impostor = new TestTag({ tagId: TAG_ID, tagKey: hostRandom(32), beaconKey: hostRandom(32) });
    const { report } = await sync(store, impostor);
    expect(report.outcome).to.match(/^protocol violation: .*proof/);
  });
});

describe("sync token resolver (tools/gateway/sync-store.ts)", () => {
  it("finds the tag of a window token for the gateway's slot ± 1 and for a lost clock, and nothing else", () => {
    const { store, tag } = commune(0);
    const key = (tag.identity as TagIdentity).tagKey;
    const resolver = new SyncTokenResolver(store, nodeSha256);
    const now = TEST_DAY_START + 12345;
    const slot = syncSlot(now);
    for (const s of [slot - 1, slot, slot + 1, CLOCK_LOST_SLOT]) expect(resolver.resolve(windowToken(nodeSha256, key, s), now)).to.equal(TAG_ID);
    for (const s of [slot - 2, slot + 2]) expect(resolver.resolve(windowToken(nodeSha256, key, s), now)).to.equal(null);
    expect(resolver.resolve(hostRandom(6), now)).to.equal(null);
    // A tag registered later is found without waiting for the next slot.
    const other = hostRandom(32);
    store.registerTag({ tagId: "T0043", board: "PUCKJS", tagKey: other, residentId: null, provisionedAt: 0 }, "test");
    expect(resolver.resolve(windowToken(nodeSha256, other, slot), now + SLOT_SECONDS / 10)).to.equal("T0043");
  });
});
