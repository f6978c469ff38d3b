import { expect } from "chai";
import { createPublicKey } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { DAY_SECONDS } from "../../firmware/bluezone";
import { bytesToHex } from "../../firmware/bytes";
import { ExposureKeys } from "../../firmware/exposure-keys";
import { readGaenExport } from "../../tools/gateway/gaen-export";
import { readKeyFile } from "../../tools/gateway/key-files";
import { matchExposures } from "../../tools/gateway/matching";
import { publishResidentKeys } from "../../tools/gateway/publish";
import { SIGNING_KEY_FILE, SIGNING_PUBLIC_KEY_FILE } from "../../tools/gateway/signing-keys";
import { GatewayStore } from "../../tools/gateway/store";
import { bluezoneRow, gaenRow, removeDir, tempDir, testBytes, TEST_DAY, TEST_DAY_START } from "./helpers";

const tek = (day: number) => testBytes(`resident tek ${day}`, 16);
const bzKey = testBytes("resident bluezone key", 32);
/** The tag's keys as a sync reads them: TEKs of three days and the Bluezone chain from the first. */
const keys: ExposureKeys = {
  teks: [0, 1, 2].map((d) => [TEST_DAY + d, bytesToHex(tek(TEST_DAY + d))] as [number, string]),
  bzDay: TEST_DAY,
  bzKey: bytesToHex(bzKey),
};
/** Read on the third day at 10:05, the resident pressing the tag's button to consent. */
const readAt = TEST_DAY_START + 2 * DAY_SECONDS + 10 * 3600 + 5 * 60;

describe("publishing a positive resident's keys (tools/gateway/publish.ts)", () => {
  let dir: string;
  let store: GatewayStore;
  let resident: number;
  beforeEach(() => {
    dir = tempDir("publish");
    store = GatewayStore.open(join(dir, "gateway"));
    resident = store.addResident({ name: "Bùi Văn Lộc", household: "Thôn 7" }, "staff");
    store.registerTag({ tagId: "P1", board: "puck", tagKey: testBytes("p1", 32), residentId: resident, provisionedAt: TEST_DAY_START }, "staff");
  });
  afterEach(() => {
    store.close();
    removeDir(dir);
  });

  it("needs keys read from the tag first", async () => {
    expect(await publishResidentKeys(store, { residentId: resident, outDir: join(dir, "out"), actor: "staff" })).to.have.property("error").that.match(/were read from a tag yet/);
    expect(await publishResidentKeys(store, { residentId: 999, outDir: join(dir, "out"), actor: "staff" })).to.deep.equal({ error: "no resident 999" });
  });

  it("writes a GAEN export signed with the gateway's key and an F0 list, marks the resident and audits without keys", async () => {
    store.saveKeysRead("P1", keys, "staff", readAt);
    const result = await publishResidentKeys(store, { residentId: resident, outDir: join(dir, "out"), actor: "staff", at: readAt + 60 });
    if ("error" in result) throw new Error(result.error);
    expect(result).to.deep.include({ teks: 3, bluezoneEntries: 1, tags: ["P1"] });

    const gatewayDir = join(dir, "gateway");
    expect(statSync(join(gatewayDir, SIGNING_KEY_FILE)).mode & 0o777).to.equal(0o600);
    const publicKey = createPublicKey(readFileSync(join(gatewayDir, SIGNING_PUBLIC_KEY_FILE)));
    const read = await readGaenExport(readFileSync(result.gaenFile), publicKey);
    if ("error" in read) throw new Error(read.error);
    expect(read.signature).to.equal("verified");
    expect(read.contents.keys.map((k) => [bytesToHex(k.key), k.rollingStart, k.rollingPeriod, k.reportType])).to.deep.equal([
      [bytesToHex(tek(TEST_DAY)), TEST_DAY * 144, 144, 1],
      [bytesToHex(tek(TEST_DAY + 1)), (TEST_DAY + 1) * 144, 144, 1],
      [bytesToHex(tek(TEST_DAY + 2)), (TEST_DAY + 2) * 144, 61, 1], // in use until 10:05: 61 intervals begun
    ]);
    expect(JSON.parse(readFileSync(result.bluezoneFile, "utf8"))).to.deep.equal({
      data: [{ daily_key: bytesToHex(bzKey), time_start: TEST_DAY_START, max: 96, time_end: readAt }],
    });
    expect(result.gaenFile).not.to.include("P1");
    expect(result.gaenFile).not.to.include("Bùi");

    expect(store.resident(resident)?.positiveAt).to.equal(readAt + 60);
    expect(store.publishedKeys(resident)).to.have.length(4);
    const audit = JSON.stringify(store.auditLog());
    expect(audit).to.include("publish-keys");
    for (const secret of [tek(TEST_DAY), tek(TEST_DAY + 2), bzKey]) expect(audit).not.to.include(bytesToHex(secret));

    // Published once: nothing is left to publish until the tag's new keys are read.
    expect(await publishResidentKeys(store, { residentId: resident, outDir: join(dir, "out"), actor: "staff" })).to.have.property("error");
  });

  it("publishes files another commune's gateway imports and matches", async () => {
    store.saveKeysRead("P1", keys, "staff", readAt);
    const result = await publishResidentKeys(store, { residentId: resident, outDir: join(dir, "out"), actor: "staff", at: readAt });
    if ("error" in result) throw new Error(result.error);

    const other = GatewayStore.open(join(dir, "other"));
    try {
      other.registerTag({ tagId: "N1", board: "puck", tagKey: testBytes("n1", 32), residentId: null, provisionedAt: TEST_DAY_START }, "staff");
      other.registerTag({ tagId: "N2", board: "mdbt42q", tagKey: testBytes("n2", 32), residentId: null, provisionedAt: TEST_DAY_START }, "staff");
      // N1 heard the positive tag's GAEN packets on day 2; N2 (Bluezone only) its Bluezone packets on day 1.
      const day2 = TEST_DAY_START + DAY_SECONDS + 15 * 3600;
      other.storeEncounterBatch(other.beginSync("N1"), { records: [gaenRow(tek(TEST_DAY + 1), 0, { at: day2, seconds: 1200, rssiMean: -48 })], cursor: 7, bytes: 7 });
      other.storeEncounterBatch(other.beginSync("N2"), { records: [bluezoneRow(bzKey, TEST_DAY, { at: TEST_DAY_START + 9 * 3600, seconds: 1200, rssiMean: -48 })], cursor: 7, bytes: 7 });
      const publicKey = createPublicKey(readFileSync(join(dir, "gateway", SIGNING_PUBLIC_KEY_FILE)));
      for (const file of [result.gaenFile, result.bluezoneFile]) {
        const parsed = await readKeyFile(file, publicKey);
        if ("error" in parsed) throw new Error(parsed.error);
        other.importDiagnosisKeys(parsed, "staff");
      }
      expect(matchExposures(other, { actor: "staff" }).alertedTags).to.deep.equal(["N1", "N2"]);
    } finally {
      other.close();
    }
  });
});
