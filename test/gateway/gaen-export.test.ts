import { expect } from "chai";
import { generateKeyPairSync, KeyObject } from "node:crypto";
import { hexToBytes } from "../../firmware/bytes";
import { ExportKey, readGaenExport, writeGaenExport } from "../../tools/gateway/gaen-export";
import { parseKeyFile } from "../../tools/gateway/key-files";
import { matchExposures } from "../../tools/gateway/matching";
import { GatewayStore } from "../../tools/gateway/store";
import gaenVectors from "../vectors/gaen-v1.2.json";
import { exportBin, exportSig, RawKey, zipOf } from "./export-writer";
import { gaenRow, removeDir, tempDir, testBytes, TEST_DAY, TEST_DAY_START } from "./helpers";

const server = generateKeyPairSync("ec", { namedCurve: "P-256" });
const stranger = generateKeyPairSync("ec", { namedCurve: "P-256" });
const tek = (n: number) => testBytes(`export tek ${n}`, 16);

async function signedZip(keys: RawKey[], header?: string): Promise<Uint8Array> {
  const bin = exportBin(keys, header);
  return zipOf({ "export.bin": bin, "export.sig": exportSig(bin, server.privateKey) });
}

async function errorOf(bytes: Uint8Array, publicKey: KeyObject | null = server.publicKey): Promise<string> {
  const read = await readGaenExport(bytes, publicKey);
  if (!("error" in read)) throw new Error("the file was accepted");
  return read.error;
}

describe("GAEN export files (tools/gateway/gaen-export.ts)", () => {
  it("imports and matches a zip written by an independent protobuf encoder, its signature verified", async () => {
    const dir = tempDir("export");
    try {
      const keys = [0, 1, 2].map((n) => ({ keyData: tek(n), rollingStart: (TEST_DAY + n) * 144, rollingPeriod: 144, reportType: 1 }));
      keys.push({ keyData: tek(3), rollingStart: (TEST_DAY + 2) * 144, rollingPeriod: undefined as unknown as number, reportType: undefined as unknown as number });
      const file = await parseKeyFile("independent.zip", await signedZip(keys), server.publicKey);
      if ("error" in file) throw new Error(file.error);
      expect(file).to.deep.include({ format: "gaen-export", signature: "verified", region: "452" });
      expect(file.keys[1]).to.deep.include({ profile: "gaen", startTime: (TEST_DAY + 1) * 86400, endTime: (TEST_DAY + 2) * 86400, reportType: 1 });
      expect(file.keys[3]).to.deep.include({ endTime: (TEST_DAY + 3) * 86400, reportType: null }); // rolling_period defaults to 144

      const store = GatewayStore.open(dir);
      const resident = store.addResident({ name: "Đỗ Thị Hoa", household: "Thôn 5", contactName: "Đỗ Văn Nam", contactPhone: "0987 654 321" }, "staff");
      store.registerTag({ tagId: "T9", board: "puck", tagKey: testBytes("k9", 32), residentId: resident, provisionedAt: TEST_DAY_START }, "staff");
      // Day 1, 10:00: 20 minutes near the sender of key 1 (TX -4 dBm, mean RSSI -50 dBm: 46 dB), then one record of a stranger.
      const at = (TEST_DAY + 1) * 86400 + 10 * 3600;
      const sync = store.beginSync("T9");
      store.storeEncounterBatch(sync, {
        records: [gaenRow(tek(1), -4, { at, seconds: 1200, rssiMean: -50 }), gaenRow(testBytes("stranger", 16), 0, { at, seconds: 1200, rssiMean: -40 })],
        cursor: 14,
        bytes: 14,
      });
      const imported = store.importDiagnosisKeys(file, "staff");
      expect(imported).to.deep.include({ added: 4, duplicates: 0 });
      const report = matchExposures(store, { actor: "staff", importId: imported.importId });
      expect(report.matchedRecords).to.equal(1);
      expect(report.exposures).to.have.length(1);
      expect(report.exposures[0]).to.include({ day: TEST_DAY + 1, weightedMinutes: 25, minAttenuation: 46 }); // 20 min + one 5-min scan
      expect(report.alertedTags).to.deep.equal(["T9"]);
      expect(report.residentsToCall[0]).to.deep.include({ name: "Đỗ Thị Hoa", contactName: "Đỗ Văn Nam", contactPhone: "0987 654 321" });
      store.close();
    } finally {
      removeDir(dir);
    }
  });

  it("round-trips its own signed exports", async () => {
    const keys: ExportKey[] = [
      { key: tek(7), rollingStart: TEST_DAY * 144, rollingPeriod: 144, reportType: 1, daysSinceOnset: -2 },
      { key: hexToBytes(gaenVectors.tek) as Uint8Array, rollingStart: gaenVectors.enIntervalNumber, rollingPeriod: 60, reportType: null, daysSinceOnset: null },
    ];
    const contents = { startTimestamp: TEST_DAY_START, endTimestamp: TEST_DAY_START + 3600, region: "452", keys, revisedKeys: [] };
    const zip = await writeGaenExport(contents, { privateKey: server.privateKey, keyVersion: "v1", keyId: "452" });
    const read = await readGaenExport(zip, server.publicKey);
    expect(read).to.deep.equal({ contents, signature: "verified" });
    expect(await readGaenExport(zip, null)).to.deep.include({ signature: "not-checked" });
  });

  it("rejects a signature by another key, or over altered contents", async () => {
    const keys = [{ keyData: tek(0), rollingStart: TEST_DAY * 144, rollingPeriod: 144 }];
    const bin = exportBin(keys);
    const otherSigner = await zipOf({ "export.bin": bin, "export.sig": exportSig(bin, stranger.privateKey) });
    expect(await errorOf(otherSigner)).to.match(/export\.sig: no signature verifies with the configured key server public key/);

    const altered = Buffer.from(bin);
    altered[altered.indexOf(Buffer.from(tek(0))) + 5] ^= 0x01; // another TEK: the protobuf stays well-formed
    const tampered = await zipOf({ "export.bin": altered, "export.sig": exportSig(bin, server.privateKey) });
    expect(await errorOf(tampered)).to.match(/no signature verifies/);

    expect(await errorOf(await zipOf({ "export.bin": bin }))).to.match(/no export\.sig, but a key server public key is configured/);
    expect(await readGaenExport(await zipOf({ "export.bin": bin }), null)).to.deep.include({ signature: "none" });
    expect(await errorOf(await zipOf({ "export.bin": bin, "export.sig": Buffer.from([0x0a, 0x30, 1, 2]) }))).to.match(/export\.sig is truncated or damaged/);
  });

  it("rejects a wrong header, a truncated key list, and keys out of the format's range", async () => {
    const good = { keyData: tek(0), rollingStart: TEST_DAY * 144, rollingPeriod: 144 };
    expect(await errorOf(await signedZip([good], "EK Export v2    "))).to.match(/does not start with the header "EK Export v1"/);
    expect(await errorOf(await zipOf({ "export.bin": Buffer.from("EK Export") }))).to.match(/header/);

    const bin = exportBin([good, good]);
    const truncated = bin.subarray(0, bin.length - 5);
    expect(await errorOf(await zipOf({ "export.bin": truncated, "export.sig": exportSig(truncated, server.privateKey) }))).to.match(
      /export\.bin is truncated or damaged/,
    );

    expect(await errorOf(await signedZip([good, { ...good, keyData: tek(1).subarray(0, 15) }]))).to.equal("export.bin, key 2: key_data has 15 bytes, a TEK has 16");
    expect(await errorOf(await signedZip([{ ...good, rollingPeriod: 145 }]))).to.equal("export.bin, key 1: rolling_period 145 is outside 1..144");
    expect(await errorOf(await signedZip([{ ...good, rollingPeriod: 0 }]))).to.equal("export.bin, key 1: rolling_period 0 is outside 1..144");
  });

  it("rejects what is not an export zip, or a damaged one, without crashing", async () => {
    expect(await errorOf(new Uint8Array([1, 2, 3]))).to.match(/not a zip file/);
    expect(await errorOf(await zipOf({ "other.txt": Buffer.from("hello") }))).to.equal("the zip has no export.bin");
    const zip = await signedZip([{ keyData: tek(0), rollingStart: TEST_DAY * 144, rollingPeriod: 144 }]);
    for (const cut of [30, zip.length / 2, zip.length - 10]) {
      expect(await errorOf(zip.subarray(0, Math.floor(cut)))).to.be.a("string");
    }
  });

  it("leaves revoked keys out of an import", async () => {
    const file = await parseKeyFile(
      "revoked.zip",
      await signedZip([
        { keyData: tek(0), rollingStart: TEST_DAY * 144, rollingPeriod: 144, reportType: 1 },
        { keyData: tek(1), rollingStart: TEST_DAY * 144, rollingPeriod: 144, reportType: 5 },
      ]),
      null,
    );
    if ("error" in file) throw new Error(file.error);
    expect(file.keys.map((k) => Buffer.from(k.key).toString("hex"))).to.deep.equal([Buffer.from(tek(0)).toString("hex")]);
  });
});
