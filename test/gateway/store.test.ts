import { expect } from "chai";
import Database from "better-sqlite3";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { bytesToHex } from "../../firmware/bytes";
import { MIGRATIONS } from "../../tools/gateway/schema";
import { MASTER_KEY_FILE, seal, unseal } from "../../tools/gateway/sealing";
import { DATABASE_FILE, defaultDataDir, EncounterRow, GatewayStore } from "../../tools/gateway/store";
import { removeDir, tempDir, testBytes, TEST_DAY_START } from "./helpers";

function row(n: number): EncounterRow {
  return { firstSeen: TEST_DAY_START + n * 900, prefix: 0x10000000 + n, aem: n & 0x3f, durationMin: 4, sightings: 0, rssiMax: -58, rssiMean: -62 };
}

describe("gateway store", () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir("store");
  });
  afterEach(() => removeDir(dir));

  describe("data folder and migrations", () => {
    it("brings an empty folder to the latest schema and re-opens it unchanged", () => {
      const store = GatewayStore.open(join(dir, "new", "folder"));
      expect(store.schemaVersion()).to.equal(MIGRATIONS.length);
      const resident = store.addResident({ name: "Trần Thị Lan", household: "Xóm 2, thôn Đông" }, "staff");
      store.close();

      const again = GatewayStore.open(join(dir, "new", "folder"));
      expect(again.schemaVersion()).to.equal(MIGRATIONS.length);
      expect(again.resident(resident)?.name).to.equal("Trần Thị Lan");
      again.close();
    });

    it("uses WAL and keeps the folder, database and master key to the owner", () => {
      const store = GatewayStore.open(dir);
      store.close();
      const db = new Database(join(dir, DATABASE_FILE));
      expect(db.pragma("journal_mode", { simple: true })).to.equal("wal");
      db.close();
      expect(statSync(join(dir, MASTER_KEY_FILE)).mode & 0o777).to.equal(0o600);
      expect(statSync(join(dir, DATABASE_FILE)).mode & 0o077).to.equal(0);
      expect(readFileSync(join(dir, MASTER_KEY_FILE))).to.have.length(32);
    });

    it("refuses a database from a newer gateway with a clear message", () => {
      GatewayStore.open(dir).close();
      const db = new Database(join(dir, DATABASE_FILE));
      db.prepare("UPDATE schema_version SET version = ?").run(MIGRATIONS.length + 1);
      db.close();
      expect(() => GatewayStore.open(dir)).to.throw(/newer than this gateway knows/);
    });

    it("defaults to $XDG_DATA_HOME/zonetag, else ~/.local/share/zonetag", () => {
      expect(defaultDataDir({ XDG_DATA_HOME: "/srv/data" })).to.equal(join("/srv/data", "zonetag"));
      expect(defaultDataDir({})).to.match(/\.local[/\\]share[/\\]zonetag$/);
    });
  });

  describe("encounter batches", () => {
    it("stores records and the cursor together, and never stores a record twice", () => {
      const store = GatewayStore.open(dir);
      store.registerTag({ tagId: "T1", board: "puck", tagKey: testBytes("key", 32), residentId: null, provisionedAt: TEST_DAY_START }, "staff");
      const sync = store.beginSync("T1", TEST_DAY_START);
      expect(store.storeEncounterBatch(sync, { records: [row(1), row(2), row(3)], cursor: 21, bytes: 21 })).to.deep.equal({ inserted: 3, duplicates: 0 });
      expect(store.ackedCursor("T1")).to.equal(21);

      // The link broke before the tag heard the acknowledgement: it re-sends from its own older cursor.
      const resumed = store.beginSync("T1", TEST_DAY_START + 60);
      expect(store.storeEncounterBatch(resumed, { records: [row(2), row(3), row(4)], cursor: 28, bytes: 21 })).to.deep.equal({ inserted: 1, duplicates: 2 });
      // A record inside one batch twice is stored once too.
      expect(store.storeEncounterBatch(resumed, { records: [row(5), row(5)], cursor: 35, bytes: 14 })).to.deep.equal({ inserted: 1, duplicates: 1 });
      store.finishSync(resumed, "ok", TEST_DAY_START + 90);

      expect(store.encountersOfTag("T1").map((e) => e.prefix)).to.deep.equal([1, 2, 3, 4, 5].map((n) => 0x10000000 + n));
      expect(store.ackedCursor("T1")).to.equal(35);
      expect(store.syncs("T1")[0]).to.include({ records: 2, bytes: 35, outcome: "ok", endedAt: TEST_DAY_START + 90 });
      store.close();
    });

    it("commits nothing of a batch that fails, cursor included", () => {
      const store = GatewayStore.open(dir);
      store.registerTag({ tagId: "T1", board: "puck", tagKey: testBytes("key", 32), residentId: null, provisionedAt: TEST_DAY_START }, "staff");
      const sync = store.beginSync("T1", TEST_DAY_START);
      const broken = { ...row(2), rssiMean: null as unknown as number }; // NOT NULL fails mid-batch
      expect(() => store.storeEncounterBatch(sync, { records: [row(1), broken], cursor: 14, bytes: 14 })).to.throw();
      expect(store.encounterCount()).to.equal(0);
      expect(store.ackedCursor("T1")).to.equal(0);
      store.close();
    });

    it("gives the same encounter to a second tag that heard it", () => {
      const store = GatewayStore.open(dir);
      for (const tagId of ["T1", "T2"]) {
        store.registerTag({ tagId, board: "puck", tagKey: testBytes(tagId, 32), residentId: null, provisionedAt: TEST_DAY_START }, "staff");
        store.storeEncounterBatch(store.beginSync(tagId), { records: [row(1)], cursor: 7, bytes: 7 });
      }
      expect(store.encounterCount()).to.equal(2);
      expect(store.encountersAt(0x10000001, TEST_DAY_START + 900, TEST_DAY_START + 900)).to.have.length(2);
      store.close();
    });

    it("counts and lists the registered tags (the sync-token table is rebuilt when the count changes)", () => {
      const store = GatewayStore.open(dir, { durable: false });
      expect(store.tagCount()).to.equal(0);
      for (const tagId of ["T2", "T1"]) store.registerTag({ tagId, board: "puck", tagKey: testBytes(tagId, 32), residentId: null, provisionedAt: TEST_DAY_START }, "staff");
      expect(store.tagCount()).to.equal(2);
      expect(store.tagIds()).to.deep.equal(["T1", "T2"]);
      store.close();
      expect(GatewayStore.open(dir).tagIds()).to.deep.equal(["T1", "T2"]); // committed without the flush, all the same
    });

    it("reads the prefix index in prefix order with times to the minute", () => {
      const store = GatewayStore.open(dir);
      store.registerTag({ tagId: "T1", board: "puck", tagKey: testBytes("key", 32), residentId: null, provisionedAt: TEST_DAY_START }, "staff");
      const rows = [
        { ...row(0), prefix: 0xffffffff, firstSeen: TEST_DAY_START + 3 * 900 },
        { ...row(0), prefix: 0x00000001, firstSeen: TEST_DAY_START + 9 * 900 + 59 },
        { ...row(0), prefix: 0x00000001, firstSeen: TEST_DAY_START + 900 },
        { ...row(0), prefix: 0x80000000, firstSeen: TEST_DAY_START + 20 * 86400 }, // outside the range asked for
      ];
      store.storeEncounterBatch(store.beginSync("T1"), { records: rows, cursor: 28, bytes: 28 });
      const index = store.encounterIndex(TEST_DAY_START, TEST_DAY_START + 86400);
      expect([...index.prefixes]).to.deep.equal([1, 1, 0xffffffff]);
      expect([...index.firstSeen]).to.deep.equal([TEST_DAY_START + 900, TEST_DAY_START + 9 * 900, TEST_DAY_START + 3 * 900]);
      store.close();
    });
  });

  describe("secrets", () => {
    it("keeps tag keys out of the database files and the audit log in clear, yet gives them back", () => {
      const store = GatewayStore.open(dir);
      const tagKey = testBytes("tag key", 32);
      const resident = store.addResident({ name: "Lê Văn Hùng", household: "Thôn 1", contactName: "Lê Thị Mai", contactPhone: "0912 345 678" }, "staff");
      store.registerTag({ tagId: "T7", board: "mdbt42q", tagKey, residentId: resident, provisionedAt: TEST_DAY_START }, "staff");
      const tek = testBytes("tek", 16);
      store.saveKeysRead("T7", { teks: [[20000, bytesToHex(tek)]], bzDay: 20000, bzKey: bytesToHex(testBytes("bz", 32)) }, "staff", TEST_DAY_START);
      expect(store.tagKey("T7")).to.deep.equal(tagKey);
      expect(store.unpublishedKeys(resident)[0].keys.teks[0][1]).to.equal(bytesToHex(tek));

      const secrets = [tagKey, tek, testBytes("bz", 32)];
      const audit = JSON.stringify(store.auditLog());
      store.close(); // checkpoints the WAL into the database file
      const files = readdirSync(dir).filter((f) => f !== MASTER_KEY_FILE);
      expect(files).to.include(DATABASE_FILE);
      for (const file of files) {
        const bytes = readFileSync(join(dir, file));
        for (const secret of secrets) {
          expect(bytes.indexOf(Buffer.from(secret)), `${file} holds a secret in binary`).to.equal(-1);
          expect(bytes.indexOf(Buffer.from(bytesToHex(secret))), `${file} holds a secret in hex`).to.equal(-1);
        }
      }
      for (const secret of secrets) expect(audit).not.to.include(bytesToHex(secret));
      expect(audit).to.include("register-tag").and.to.include("read-keys");
    });

    it("seals each secret to what it belongs to", () => {
      const master = testBytes("master", 32);
      const sealed = seal(master, "tag-key:T1", testBytes("k", 32));
      expect(unseal(master, "tag-key:T1", sealed)).to.deep.equal(testBytes("k", 32));
      expect(() => unseal(master, "tag-key:T2", sealed)).to.throw(/does not open/);
      expect(() => unseal(testBytes("other", 32), "tag-key:T1", sealed)).to.throw(/does not open/);
      const altered = sealed.slice();
      altered[20] ^= 1;
      expect(() => unseal(master, "tag-key:T1", altered)).to.throw(/does not open/);
    });

    it("refuses a second registration of a tag id and a tag key of the wrong size", () => {
      const store = GatewayStore.open(dir);
      store.registerTag({ tagId: "T1", board: "puck", tagKey: testBytes("a", 32), residentId: null, provisionedAt: 0 }, "staff");
      expect(() => store.registerTag({ tagId: "T1", board: "puck", tagKey: testBytes("b", 32), residentId: null, provisionedAt: 0 }, "staff")).to.throw(/already registered/);
      expect(() => store.registerTag({ tagId: "T2", board: "puck", tagKey: testBytes("b", 16), residentId: null, provisionedAt: 0 }, "staff")).to.throw(/32 bytes/);
      store.close();
    });
  });

  describe("registry", () => {
    it("shows a tag with its resident, last report, last sync and alert state", () => {
      const store = GatewayStore.open(dir);
      const resident = store.addResident({ name: "Phạm Văn Tư", household: "Thôn 4" }, "staff");
      store.registerTag({ tagId: "T3", board: "puck", tagKey: testBytes("k", 32), residentId: null, provisionedAt: 10 }, "staff");
      store.assignTag("T3", resident, "staff");
      store.recordTagInfo("T3", { at: 100, firmware: "0.1.0", batteryPercent: 87, clockDriftS: -2.5, storageFill: 0.25 });
      const sync = store.beginSync("T3", 90);
      store.finishSync(sync, "link lost: timeout", 95);
      store.confirmAlertOnTag("T3", "none");
      const tag = store.tag("T3");
      expect(tag).to.deep.include({ tagId: "T3", residentId: resident, residentName: "Phạm Văn Tư", alert: "none", alertOnTag: "none" });
      expect(tag?.info).to.deep.equal({ at: 100, firmware: "0.1.0", batteryPercent: 87, clockDriftS: -2.5, storageFill: 0.25 });
      expect(tag?.lastSync).to.include({ startedAt: 90, endedAt: 95, outcome: "link lost: timeout" });
      expect(store.tagsOfResident(resident).map((t) => t.tagId)).to.deep.equal(["T3"]);
      store.close();
    });
  });
});
