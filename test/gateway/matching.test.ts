import { expect } from "chai";
import { EN_INTERVAL_SECONDS } from "../../firmware/gaen";
import { matchExposures } from "../../tools/gateway/matching";
import { DiagnosisKey, EncounterRow, GatewayStore } from "../../tools/gateway/store";
import { gaenRow, Heard, removeDir, tempDir, testBytes, TEST_DAY, TEST_DAY_START } from "./helpers";

const tek = (n: number) => testBytes(`matching tek ${n}`, 16);
const dayKey = (n: number, day = TEST_DAY): DiagnosisKey => ({
  profile: "gaen",
  key: tek(n),
  startTime: day * 86400,
  endTime: (day + 1) * 86400,
  idsPerDay: 144,
  reportType: 1,
});
const clock = (h: number, m = 0, s = 0) => TEST_DAY_START + h * 3600 + m * 60 + s;

describe("exposure matching (tools/gateway/matching.ts)", () => {
  let dir: string;
  let store: GatewayStore;
  beforeEach(() => {
    dir = tempDir("matching");
    store = GatewayStore.open(dir);
    const resident = store.addResident({ name: "Hoàng Thị Xuân", household: "Thôn 6", phone: "0935 000 111", contactName: "Hoàng Văn Đức", contactPhone: "0935 222 333" }, "staff");
    store.registerTag({ tagId: "A", board: "puck", tagKey: testBytes("A", 32), residentId: resident, provisionedAt: TEST_DAY_START }, "staff");
    store.registerTag({ tagId: "B", board: "puck", tagKey: testBytes("B", 32), residentId: null, provisionedAt: TEST_DAY_START }, "staff");
  });
  afterEach(() => {
    store.close();
    removeDir(dir);
  });

  function sync(tagId: string, records: EncounterRow[]): void {
    const id = store.beginSync(tagId);
    store.storeEncounterBatch(id, { records, cursor: store.ackedCursor(tagId) + records.length * 7, bytes: records.length * 7 });
    store.finishSync(id, "ok");
  }

  function importKeys(keys: DiagnosisKey[]): number {
    return store.importDiagnosisKeys({ source: "test", format: "gaen-export", signature: "verified", region: "452", keys }, "staff").importId;
  }

  it("matches a record first seen within the ID's time ± 20 minutes at the record's quarter-hour resolution", () => {
    // The RPI of 10:00–10:10, heard by tags whose clocks run off: its window is 09:40–10:30 by their clocks.
    const rpiAt = clock(10, 0);
    const heard = (at: number): Heard => ({ at, seconds: 1200, rssiMean: -50 });
    sync("A", [gaenRow(tek(1), 0, heard(clock(9, 30)), rpiAt), gaenRow(tek(1), 0, heard(clock(10, 29, 59)), rpiAt)]);
    sync("B", [gaenRow(tek(1), 0, heard(clock(9, 29, 59)), rpiAt), gaenRow(tek(1), 0, heard(clock(10, 30)), rpiAt)]);
    importKeys([dayKey(1)]);
    const report = matchExposures(store, { actor: "staff" });
    expect(report.matchedRecords).to.equal(2);
    expect(report.exposures.map((e) => e.tag)).to.deep.equal([store.tagRowId("A")]);
    expect(report.exposures[0]).to.include({ firstTime: clock(9, 30), weightedMinutes: 2 * 25 });
  });

  it("matches across midnight, the ID on one UTC day and the record on the other", () => {
    const heard = (at: number): Heard => ({ at, seconds: 1200, rssiMean: -50 });
    // The last RPI of day 0 (23:50) heard at 00:05 of day 1; the first RPI of day 2 (00:00) heard at 23:45 of day 1.
    sync("A", [gaenRow(tek(1), 0, heard(clock(24, 5)), clock(23, 50)), gaenRow(tek(2), 0, heard(clock(47, 45)), clock(48, 0))]);
    importKeys([dayKey(1), dayKey(2, TEST_DAY + 2)]);
    const report = matchExposures(store, { actor: "staff" });
    expect(report.matchedRecords).to.equal(2);
    expect(report.exposures.map((e) => e.day - TEST_DAY)).to.deep.equal([1, 1]); // scored on the day of the record
  });

  it("reads the attenuation from the TX power in the sender's AEM", () => {
    // Mean RSSI -50 dBm from a sender at +8 dBm is 58 dB (weight 0.5); from one at -8 dBm, 42 dB (weight 1).
    sync("A", [gaenRow(tek(1), 8, { at: clock(8), seconds: 1200, rssiMean: -50 })]);
    sync("B", [gaenRow(tek(2), -8, { at: clock(8), seconds: 1200, rssiMean: -50 })]);
    importKeys([dayKey(1), dayKey(2)]);
    const report = matchExposures(store, { actor: "staff" });
    const byTag = new Map(report.exposures.map((e) => [e.tag, e]));
    expect(byTag.get(store.tagRowId("A") as number)).to.include({ minAttenuation: 58, weightedMinutes: 12.5 });
    expect(byTag.get(store.tagRowId("B") as number)).to.include({ minAttenuation: 42, weightedMinutes: 25 });
  });

  it("credits each record the tags' scan period, as configured", () => {
    sync("A", [gaenRow(tek(1), 0, { at: clock(8), seconds: 600, rssiMean: -40 })]);
    importKeys([dayKey(1)]);
    expect(matchExposures(store, { actor: "staff" }).exposures[0].weightedMinutes).to.equal(15);
    expect(matchExposures(store, { actor: "staff", scanPeriodMinutes: 2 }).exposures[0].weightedMinutes).to.equal(12);
  });

  it("alerts a tag whose day reaches 15 weighted minutes, adding keys of separate files, and not at 14.5", () => {
    // A: key 1, 10 min at 40 dB (+ 5 for the scan) = 15.
    sync("A", [gaenRow(tek(1), 0, { at: clock(8), seconds: 600, rssiMean: -40 })]);
    // B: key 3, 4 min at 40 dB (4 + 5 = 9), then 6 min at 60 dB ((6 + 5) × 0.5 = 5.5): 14.5.
    sync("B", [gaenRow(tek(3), 0, { at: clock(8), seconds: 240, rssiMean: -40 }), gaenRow(tek(3), 0, { at: clock(8, 15), seconds: 360, rssiMean: -60 })]);
    importKeys([dayKey(1), dayKey(3)]);
    let report = matchExposures(store, { actor: "staff" });
    expect(report.alertedTags).to.deep.equal(["A"]);
    const b = report.exposures.find((e) => e.tag === store.tagRowId("B"));
    expect(b?.weightedMinutes).to.equal(14.5);
    expect(store.tag("B")?.alert).to.equal("none");

    // Another file brings a second sender B met that day: 4 more minutes near (the 70 dB record weighs 0), 14.5 + 9 ≥ 15.
    sync("B", [gaenRow(tek(5), 0, { at: clock(14), seconds: 240, rssiMean: -40 }), gaenRow(tek(5), 0, { at: clock(14, 15), seconds: 0, rssiMean: -70 })]);
    const second = importKeys([dayKey(5)]);
    report = matchExposures(store, { actor: "staff", importId: second });
    expect(report.keys).to.equal(1);
    expect(report.alertedTags).to.deep.equal(["A", "B"]);
    expect(store.tag("B")).to.include({ alert: "exposed", alertOnTag: "none" });
  });

  it("lists residents to call until staff record the call, and keeps that across re-runs", () => {
    sync("A", [gaenRow(tek(1), 0, { at: clock(8), seconds: 1200, rssiMean: -45 })]);
    importKeys([dayKey(1)]);
    const first = matchExposures(store, { actor: "staff" });
    expect(first.residentsToCall).to.deep.equal([
      {
        tagId: "A",
        residentId: store.tag("A")?.residentId,
        name: "Hoàng Thị Xuân",
        household: "Thôn 6",
        phone: "0935 000 111",
        contactName: "Hoàng Văn Đức",
        contactPhone: "0935 222 333",
        days: [{ day: TEST_DAY, weightedMinutes: 25 }],
      },
    ]);
    store.markNotified("A", "staff");
    expect(store.residentsToCall()).to.deep.equal([]);

    const again = matchExposures(store, { actor: "staff" });
    expect(again.exposures).to.deep.equal(first.exposures);
    expect(store.openExposures("A")).to.have.length(1);
    expect(store.openExposures("A")[0].notifiedAt).to.be.a("number");
    expect(again.residentsToCall).to.deep.equal([]);
  });

  it("turns the alert off for the next sync once staff clear it", () => {
    sync("A", [gaenRow(tek(1), 0, { at: clock(8), seconds: 1200, rssiMean: -45 })]);
    importKeys([dayKey(1)]);
    matchExposures(store, { actor: "staff" });
    store.confirmAlertOnTag("A", "exposed"); // a sync set it
    store.clearAlert("A", "staff");
    expect(store.tag("A")).to.include({ alert: "none", alertOnTag: "exposed" });
    expect(store.openExposures("A")).to.deep.equal([]);
    // Matching again does not raise cleared exposures.
    expect(matchExposures(store, { actor: "staff" }).alertedTags).to.deep.equal([]);
    expect(store.tag("A")?.alert).to.equal("none");
  });

  it("finds nothing in IDs of keys nobody met, and copes with an empty store", () => {
    expect(matchExposures(store, { actor: "staff" })).to.deep.include({ keys: 0, matchedRecords: 0, alertedTags: [] });
    sync("A", [gaenRow(tek(9), 0, { at: clock(8), seconds: 1200, rssiMean: -45 })]);
    importKeys([dayKey(1), dayKey(2), { ...dayKey(9), startTime: (TEST_DAY + 1) * 86400, endTime: (TEST_DAY + 2) * 86400 }]);
    const report = matchExposures(store, { actor: "staff" });
    expect(report).to.deep.include({ keys: 3, ids: 3 * 144, matchedRecords: 0 });
    expect(EN_INTERVAL_SECONDS * 144).to.equal(86400);
  });
});
