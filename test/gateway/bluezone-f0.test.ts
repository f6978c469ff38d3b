import { expect } from "chai";
import { bluezoneF0Entry, DAY_SECONDS } from "../../firmware/bluezone";
import { bytesToHex } from "../../firmware/bytes";
import { DEFAULT_CONFIG } from "../../firmware/config";
import { readF0List, writeF0List } from "../../tools/gateway/bluezone-f0";
import { parseKeyFile } from "../../tools/gateway/key-files";
import { DEFAULT_BLUEZONE_TX_POWER_DBM, matchExposures } from "../../tools/gateway/matching";
import { GatewayStore } from "../../tools/gateway/store";
import { bluezoneRow, removeDir, tempDir, testBytes, TEST_DAY, TEST_DAY_START } from "./helpers";

const dailyKey = testBytes("positive bluezone daily key", 32);

function listOf(entries: unknown[]): string {
  return JSON.stringify({ data: entries });
}

const good = { daily_key: bytesToHex(dailyKey), time_start: TEST_DAY_START, max: 96, time_end: TEST_DAY_START + DAY_SECONDS - 1 };

describe("Bluezone F0 lists (tools/gateway/bluezone-f0.ts)", () => {
  it("writes what it reads", () => {
    const entries = [bluezoneF0Entry(dailyKey, TEST_DAY, TEST_DAY_START + 3 * DAY_SECONDS)];
    expect(readF0List(writeF0List(entries))).to.deep.equal([
      { dailyKey, timeStart: TEST_DAY_START, idsPerDay: 96, timeEnd: TEST_DAY_START + 3 * DAY_SECONDS },
    ]);
  });

  it("explains what is wrong with a bad list", () => {
    const cases: [string, string][] = [
      ["{", "not JSON"],
      ["[]", 'an F0 list is an object with a "data" array'],
      [listOf([good, 5]), "entry 2: not an object"],
      [listOf([{ ...good, daily_key: "abcd" }]), "entry 1: daily_key must be 64 hex digits"],
      [listOf([{ ...good, daily_key: "zz".repeat(32) }]), "entry 1: daily_key must be 64 hex digits"],
      [listOf([{ ...good, time_start: "yesterday" }]), "entry 1: time_start must be Unix seconds"],
      [listOf([{ ...good, time_end: -1 }]), "entry 1: time_end must be Unix seconds"],
      [listOf([{ ...good, max: 0 }]), "entry 1: max must be a whole number 1..1440"],
      [listOf([{ ...good, max: 9.5 }]), "entry 1: max must be a whole number 1..1440"],
      [listOf([{ ...good, time_end: good.time_start - 1 }]), "entry 1: time_end lies before time_start"],
      [listOf([{ ...good, time_end: good.time_start + 40 * DAY_SECONDS }]), "entry 1: the entry spans more than 30 days"],
    ];
    for (const [text, error] of cases) expect(readF0List(text), text.slice(0, 60)).to.deep.equal({ error: error.startsWith("not JSON") ? readF0Error(text) : error });
  });

  it("imports a list and matches the tags that heard its IDs, across days of the chain", async () => {
    const dir = tempDir("f0");
    try {
      const store = GatewayStore.open(dir);
      const resident = store.addResident({ name: "Vũ Văn Sơn", household: "Thôn 2", contactName: "Vũ Thị Thu", contactPhone: "0903 111 222" }, "staff");
      store.registerTag({ tagId: "B1", board: "mdbt42q", tagKey: testBytes("b1", 32), residentId: resident, provisionedAt: TEST_DAY_START }, "staff");
      store.registerTag({ tagId: "B2", board: "mdbt42q", tagKey: testBytes("b2", 32), residentId: null, provisionedAt: TEST_DAY_START }, "staff");
      // B1: on day 2 of the chain at 08:00, 3 records of 26 minutes at 50 dB below the assumed TX power.
      const day2 = TEST_DAY_START + 2 * DAY_SECONDS + 8 * 3600;
      const rows = [0, 1, 2].map((n) => bluezoneRow(dailyKey, TEST_DAY, { at: day2 + n * 1800, seconds: 26 * 60, rssiMean: DEFAULT_BLUEZONE_TX_POWER_DBM - 50 }));
      store.storeEncounterBatch(store.beginSync("B1"), { records: rows, cursor: 21, bytes: 21 });
      // B2: the same sender, but far away (80 dB, or as far as a record tells: ignored).
      store.storeEncounterBatch(store.beginSync("B2"), { records: [bluezoneRow(dailyKey, TEST_DAY, { at: day2, seconds: 1800, rssiMean: DEFAULT_BLUEZONE_TX_POWER_DBM - 80 })], cursor: 7, bytes: 7 });

      const list = writeF0List([bluezoneF0Entry(dailyKey, TEST_DAY, TEST_DAY_START + 3 * DAY_SECONDS - 1)]);
      const file = await parseKeyFile("f0.json", Buffer.from(list), null);
      if ("error" in file) throw new Error(file.error);
      expect(file).to.deep.include({ format: "bluezone-f0", signature: "none" });
      store.importDiagnosisKeys(file, "staff");

      const report = matchExposures(store, { actor: "staff" });
      expect(DEFAULT_BLUEZONE_TX_POWER_DBM, "tags' default calibrated TX power").to.equal(DEFAULT_CONFIG.txPower + DEFAULT_CONFIG.txCalibrationDb);
      expect(report.matchedRecords).to.equal(4);
      expect(report.exposures.map((e) => [e.tag, e.day - TEST_DAY, e.weightedMinutes, e.minAttenuation])).to.deep.equal([[store.tagRowId("B1"), 2, 3 * (26 + 5), 50]]);
      expect(report.alertedTags).to.deep.equal(["B1"]);
      expect(store.tag("B2")?.alert).to.equal("none");
      store.close();
    } finally {
      removeDir(dir);
    }
  });

  it("tells a key file that is neither format", async () => {
    expect(await parseKeyFile("x.txt", Buffer.from("hello"), null)).to.deep.equal({ error: "neither a GAEN export zip nor a Bluezone F0 list (JSON)" });
    expect(await parseKeyFile("x.json", Buffer.from('{"data": 3}'), null)).to.deep.equal({ error: 'Bluezone F0 list: an F0 list is an object with a "data" array' });
  });
});

/** JSON.parse's own message for `text`, as the reader passes it on. */
function readF0Error(text: string): string {
  try {
    JSON.parse(text);
    return "";
  } catch (err) {
    return `not JSON: ${(err as Error).message}`;
  }
}
