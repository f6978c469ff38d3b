import { expect } from "chai";
import { bluezoneChainAt, bluezoneChainSeek, bluezoneId, DAY_SECONDS } from "../../firmware/bluezone";
import { bytesToHex, hexToBytes } from "../../firmware/bytes";
import { decodeRecord, encodeRecord } from "../../firmware/encounter";
import { aemCrypt, bluetoothMetadata, deriveAemk, deriveRpik, rollingProximityIdentifier } from "../../firmware/gaen";
import { bluezoneIds, gaenIds, gaenTxPower, idPrefix } from "../../tools/gateway/diagnosis-ids";
import { nodeAes128, nodeSha256 } from "../../tools/gateway/host-crypto";
import { DiagnosisKey } from "../../tools/gateway/store";
import gaenVectors from "../vectors/gaen-v1.2.json";
import { testBytes, TEST_DAY } from "./helpers";

function gaenKey(tek: Uint8Array, rollingStart: number, rollingPeriod: number): DiagnosisKey {
  return { profile: "gaen", key: tek, startTime: rollingStart * 600, endTime: (rollingStart + rollingPeriod) * 600, idsPerDay: 144, reportType: null };
}

describe("diagnosis-key IDs (tools/gateway/diagnosis-ids.ts)", () => {
  it("derives Google's v1.2 test-vector RPIs for all 144 intervals of the TEK", () => {
    const ids = gaenIds(gaenKey(hexToBytes(gaenVectors.tek) as Uint8Array, gaenVectors.enIntervalNumber, gaenVectors.keyRollingPeriod));
    expect(ids.count).to.equal(144);
    expect(ids.startTime).to.equal(gaenVectors.keyGenerationUnixSeconds);
    gaenVectors.intervals.forEach((v, i) => {
      expect(bytesToHex(ids.bytes.subarray(i * 16, i * 16 + 16)), `interval ${v.enIntervalNumber}`).to.equal(v.rpi);
    });
  });

  it("agrees with the firmware's own derivation for other keys and shorter rolling periods", () => {
    for (let n = 0; n < 5; n++) {
      const tek = testBytes(`tek ${n}`, 16);
      const start = (TEST_DAY + n) * 144;
      const ids = gaenIds(gaenKey(tek, start, 30 + n));
      expect(ids.count).to.equal(30 + n);
      const rpik = deriveRpik(nodeSha256, tek);
      for (const i of [0, 17, 29 + n]) {
        expect(ids.bytes.subarray(i * 16, i * 16 + 16)).to.deep.equal(rollingProximityIdentifier(nodeAes128, rpik, start + i));
      }
    }
  });

  it("decrypts the TX power from the 6 AEM bits a record keeps, for every power a radio can set", () => {
    const tek = hexToBytes(gaenVectors.tek) as Uint8Array;
    const rpi = hexToBytes(gaenVectors.intervals[5].rpi) as Uint8Array;
    for (let tx = -40; tx <= 8; tx++) {
      const aem = aemCrypt(nodeAes128, deriveAemk(nodeSha256, tek), rpi, bluetoothMetadata(tx));
      const record = encodeRecord({ id: rpi, aem: aem[1], first: 0, seconds: 0, rssiMean: -60, rssiMax: -60 }, 0) as Uint8Array;
      expect(gaenTxPower(tek, rpi, decodeRecord(record, 0, 0)!.aem), `${tx} dBm`).to.equal(tx);
    }
  });

  it("derives a Bluezone F0 entry's IDs as the tag sends them, chaining into later days", () => {
    const dailyKey = testBytes("bluezone daily key", 32);
    const key: DiagnosisKey = { profile: "bluezone", key: dailyKey, startTime: TEST_DAY * DAY_SECONDS, endTime: (TEST_DAY + 2) * DAY_SECONDS + 10 * 900, idsPerDay: 96, reportType: null };
    const ids = bluezoneIds(key);
    expect(ids.count).to.equal(2 * 96 + 11); // steps that start at or before time_end
    expect(ids.idSeconds).to.equal(900);
    const start = bluezoneChainAt(nodeSha256, dailyKey, TEST_DAY);
    for (const [day, index] of [
      [TEST_DAY, 0],
      [TEST_DAY, 95],
      [TEST_DAY + 1, 0],
      [TEST_DAY + 2, 10],
    ]) {
      const chain = bluezoneChainSeek(nodeSha256, start, day, index);
      const i = (day - TEST_DAY) * 96 + index;
      expect(ids.bytes.subarray(i * 12, i * 12 + 12), `day +${day - TEST_DAY}, ID ${index}`).to.deep.equal(bluezoneId(chain!.subkey));
    }
  });

  it("reads an ID's first 4 bytes as an unsigned big-endian prefix", () => {
    expect(idPrefix(new Uint8Array([9, 0xff, 0xfe, 0x01, 0x80]), 1)).to.equal(0xfffe0180);
  });
});
