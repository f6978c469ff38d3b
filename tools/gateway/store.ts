/**
 * The gateway store: one SQLite database (better-sqlite3, WAL) in a data folder, beside the master key
 * that seals tag keys (sealing.ts). The registry maps tags to residents and lives only here (DESIGN.md,
 * "Privacy model"). Every write that belongs together runs in one transaction; in particular a batch of
 * encounter records and the cursor it acknowledges are committed together, before the sync engine
 * acknowledges to the tag, so a broken sync resumes without losing or doubling a record.
 */
import Database from "better-sqlite3";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { ExposureKeys } from "../../firmware/exposure-keys";
import { MIGRATIONS } from "./schema";
import { loadMasterKey, seal, unseal } from "./sealing";

/** File name of the database in the data folder. */
export const DATABASE_FILE = "gateway.db";
/** Folder name under the per-user data folder. */
const APP_FOLDER = "zonetag";
/** An encounter index scan reports times to the minute... */
export const INDEX_TIME_STEP_SECONDS = 60;
/** ...packed beside the 32-bit prefix in one number below 2^53: 2^21 minutes (4 years) from the scan's start. */
const PACKED_TIME_RANGE = 2 ** 21;

/** Whether a tag should show (or shows) the exposure alert. */
export type AlertState = "none" | "exposed";
/** Which rotating-ID profile a key belongs to. */
export type Profile = "gaen" | "bluezone";
/** The key file formats the gateway imports. */
export type KeyFileFormat = "gaen-export" | "bluezone-f0";
/** What became of a key file's signature: checked against the configured key, not checked, or absent. */
export type SignatureCheck = "verified" | "not-checked" | "none";

/** A resident as staff register them. */
export interface NewResident {
  name: string;
  /** Household and village. */
  household: string;
  phone?: string | null;
  /** Who to call when the resident cannot take the call. */
  contactName?: string | null;
  contactPhone?: string | null;
}

/** A registered resident. */
export interface Resident {
  id: number;
  name: string;
  household: string;
  phone: string | null;
  contactName: string | null;
  contactPhone: string | null;
  createdAt: number;
  /** When the resident's keys were published (positive), or null. */
  positiveAt: number | null;
}

/** A tag as provisioning binds it. */
export interface NewTag {
  tagId: string;
  board: string;
  /** The 32-byte tag key shared with the tag; stored sealed. */
  tagKey: Uint8Array;
  residentId: number | null;
  provisionedAt: number;
}

/** What a tag reported about itself at its last sync ("info" command). */
export interface TagInfo {
  at: number;
  firmware: string;
  batteryPercent: number;
  /** Clock error the gateway corrected, seconds (tag minus gateway); null when the tag's clock was unset. */
  clockDriftS: number | null;
  /** Fill of the encounter log, 0..1. */
  storageFill: number;
}

/** One sync session, as listed. */
export interface SyncSummary {
  id: number;
  startedAt: number;
  endedAt: number | null;
  records: number;
  bytes: number;
  outcome: string | null;
}

/** A tag with its resident, state and last report: the staff's view of it. */
export interface TagStatus {
  /** Row id, as encounters and exposures refer to the tag. */
  id: number;
  tagId: string;
  board: string;
  residentId: number | null;
  residentName: string | null;
  provisionedAt: number;
  /** Alert wanted on the tag; differs from alertOnTag until the next sync sets it. */
  alert: AlertState;
  alertOnTag: AlertState;
  ackedCursor: number;
  info: TagInfo | null;
  lastSync: SyncSummary | null;
}

/** One encounter record as stored: the tag's record (firmware/encounter.ts) with its time made absolute. */
export interface EncounterRow {
  /** Unix seconds of the first sighting, at the record's resolution (the UTC quarter hour it fell in). */
  firstSeen: number;
  /** First 4 bytes of the heard ID, big-endian, unsigned. */
  prefix: number;
  /** GAEN: AEM byte 1 as heard, still encrypted (the record keeps its low 6 bits); Bluezone: 0. */
  aem: number;
  /** First to last sighting, minutes. */
  durationMin: number;
  /** Sightings class, where the record keeps one (else 0). */
  sightings: number;
  rssiMax: number;
  rssiMean: number;
}

/** A stored encounter with its row and tag row ids. */
export interface StoredEncounter extends EncounterRow {
  id: number;
  tag: number;
}

/** A chunk of a tag's log read in one step of a sync: its records and the cursor after them. */
export interface EncounterBatch {
  records: EncounterRow[];
  /** The tag's log cursor after the last record of the chunk: what the gateway acknowledges next. */
  cursor: number;
  /** Log bytes the chunk took on the link. */
  bytes: number;
}

/** What storing a batch did. */
export interface BatchResult {
  inserted: number;
  /** Records already stored (re-sent after a broken sync): ignored. */
  duplicates: number;
}

/** The prefix index of stored encounters as parallel arrays, in (prefix, first seen) order; times to the minute. */
export interface EncounterIndex {
  prefixes: Uint32Array;
  firstSeen: Float64Array;
}

/** A diagnosis key (a positive person's published key) from an imported file. */
export interface DiagnosisKey {
  profile: Profile;
  /** GAEN TEK (16 bytes) or Bluezone daily key (32 bytes). */
  key: Uint8Array;
  /** GAEN: rolling start interval × 600; Bluezone: time_start. Unix seconds. */
  startTime: number;
  /** GAEN: start + rolling period × 600; Bluezone: time_end (the last ID starts at or before it). */
  endTime: number;
  /** GAEN: 144 (ENIntervals a day); Bluezone: the F0 entry's max. */
  idsPerDay: number;
  /** GAEN report type, where the file gives one. */
  reportType: number | null;
}

/** A diagnosis key with its row id. */
export interface StoredDiagnosisKey extends DiagnosisKey {
  id: number;
}

/** An imported key file. */
export interface KeyImport {
  source: string;
  format: KeyFileFormat;
  signature: SignatureCheck;
  region: string | null;
  keys: DiagnosisKey[];
}

/** What importing a key file did. */
export interface ImportResult {
  importId: number;
  added: number;
  /** Keys already stored from an earlier file. */
  duplicates: number;
}

/** An exposure found by matching: a tag's encounters with one diagnosis key on one UTC day. */
export interface Exposure {
  /** Tag row id. */
  tag: number;
  diagnosisKey: number;
  day: number;
  weightedMinutes: number;
  minutes: number;
  minAttenuation: number;
  firstTime: number;
  lastTime: number;
}

/** A stored exposure with its state. */
export interface StoredExposure extends Exposure {
  id: number;
  detectedAt: number;
  notifiedAt: number | null;
  clearedAt: number | null;
}

/** A resident staff must call: exposed, alert set, not yet called. */
export interface ResidentToCall {
  tagId: string;
  residentId: number | null;
  name: string | null;
  household: string | null;
  phone: string | null;
  contactName: string | null;
  contactPhone: string | null;
  /** The exposure days with their weighted minutes (summed over keys), oldest first. */
  days: { day: number; weightedMinutes: number }[];
}

/** A resident's own keys as read from their tag, awaiting publication. */
export interface KeysRead {
  id: number;
  tag: number;
  tagId: string;
  keys: ExposureKeys;
  readAt: number;
}

/** A key published for a positive resident. */
export interface PublishedKey {
  profile: Profile;
  key: Uint8Array;
  startTime: number;
  endTime: number;
}

/** One audit log entry. */
export interface AuditEntry {
  id: number;
  at: number;
  actor: string;
  action: string;
  detail: string;
}

/** The per-user data folder: $XDG_DATA_HOME/zonetag, else ~/.local/share/zonetag. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_DATA_HOME ? env.XDG_DATA_HOME : join(homedir(), ".local", "share");
  return join(base, APP_FOLDER);
}

/** The current Unix time in whole seconds. */
export function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}

/** Label binding a sealed tag key to its tag. */
function tagKeyLabel(tagId: string): string {
  return `tag-key:${tagId}`;
}

/** Label binding a sealed key read to its tag and time. */
function keysReadLabel(tagId: string, readAt: number): string {
  return `tag-keys-read:${tagId}:${readAt}`;
}

/** SQLite rows come back untyped; these are the shapes the queries below select. */
type Row = Record<string, any>;

/** A Uint8Array as SQLite BLOB parameter. */
function blob(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function residentFromRow(r: Row): Resident {
  return {
    id: r.id,
    name: r.name,
    household: r.household,
    phone: r.phone,
    contactName: r.contact_name,
    contactPhone: r.contact_phone,
    createdAt: r.created_at,
    positiveAt: r.positive_at,
  };
}

function encounterFromRow(r: Row): StoredEncounter {
  return {
    id: r.id,
    tag: r.tag,
    firstSeen: r.first_seen,
    prefix: r.prefix,
    aem: r.aem,
    durationMin: r.duration_min,
    sightings: r.sightings,
    rssiMax: r.rssi_max,
    rssiMean: r.rssi_mean,
  };
}

const TAG_STATUS_SQL = `
  SELECT t.*, r.name AS resident_name,
         s.id AS sync_id, s.started_at, s.ended_at, s.records, s.bytes, s.outcome
  FROM tags t
  LEFT JOIN residents r ON r.id = t.resident
  LEFT JOIN syncs s ON s.id = (SELECT max(id) FROM syncs WHERE tag = t.id)`;

function tagStatusFromRow(r: Row): TagStatus {
  return {
    id: r.id,
    tagId: r.tag_id,
    board: r.board,
    residentId: r.resident,
    residentName: r.resident_name,
    provisionedAt: r.provisioned_at,
    alert: r.alert,
    alertOnTag: r.alert_on_tag,
    ackedCursor: r.acked_cursor,
    info:
      r.info_at === null
        ? null
        : { at: r.info_at, firmware: r.firmware, batteryPercent: r.battery_percent, clockDriftS: r.clock_drift_s, storageFill: r.storage_fill },
    lastSync:
      r.sync_id === null
        ? null
        : { id: r.sync_id, startedAt: r.started_at, endedAt: r.ended_at, records: r.records, bytes: r.bytes, outcome: r.outcome },
  };
}

/** The gateway's database and master key in one data folder. */
export class GatewayStore {
  /** The data folder. */
  readonly dir: string;
  private readonly db: Database.Database;
  private readonly masterKey: Uint8Array;

  private constructor(dir: string, db: Database.Database, masterKey: Uint8Array) {
    this.dir = dir;
    this.db = db;
    this.masterKey = masterKey;
  }

  /**
   * Opens (making it if needed, mode 0700) the data folder `dir` and brings its database to the latest
   * schema. Throws with a clear message when the database is from a newer gateway. `durable: false` skips
   * the flush to disk at each commit, for a store that need not survive a power cut (the simulator's, in a
   * temporary folder): commits are as atomic, only not flushed.
   */
  static open(dir: string, options: { durable?: boolean } = {}): GatewayStore {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const masterKey = loadMasterKey(dir);
    const path = join(dir, DATABASE_FILE);
    // The registry is personal data: the file (and so SQLite's -wal and -shm beside it) is the owner's only.
    if (!existsSync(path)) writeFileSync(path, "", { mode: 0o600 });
    const db = new Database(path);
    try {
      db.pragma("journal_mode = WAL");
      db.pragma(options.durable === false ? "synchronous = OFF" : "synchronous = FULL"); // a batch acknowledged to a tag must survive a power cut
      db.pragma("foreign_keys = ON");
      db.pragma("busy_timeout = 5000"); // a dashboard and a CLI may share the folder
      db.pragma("cache_size = -32768"); // 32 MB of pages: the encounter indexes of a commune
      migrate(db);
    } catch (err) {
      db.close();
      throw err;
    }
    return new GatewayStore(dir, db, masterKey);
  }

  /** Closes the database. */
  close(): void {
    this.db.close();
  }

  /** The schema version the database is at. */
  schemaVersion(): number {
    return schemaVersionOf(this.db);
  }

  /** Runs `work` in one transaction: all of its writes are committed when it returns, or none if it throws. */
  transaction<T>(work: () => T): T {
    return this.db.transaction(work)();
  }

  // ---- audit log -------------------------------------------------------------------------------------

  /** Appends to the audit log. `detail` is for people and must never hold key material. */
  audit(actor: string, action: string, detail: string, at: number = unixNow()): void {
    this.db.prepare("INSERT INTO audit_log (at, actor, action, detail) VALUES (?, ?, ?, ?)").run(at, actor, action, detail);
  }

  /** The latest `limit` audit entries, newest first. */
  auditLog(limit = 100): AuditEntry[] {
    return this.db.prepare("SELECT * FROM audit_log ORDER BY id DESC LIMIT ?").all(limit) as AuditEntry[];
  }

  // ---- registry --------------------------------------------------------------------------------------

  /** Registers a resident; returns their id. */
  addResident(resident: NewResident, actor: string, at: number = unixNow()): number {
    return this.transaction(() => {
      const id = Number(
        this.db
          .prepare("INSERT INTO residents (name, household, phone, contact_name, contact_phone, created_at) VALUES (?, ?, ?, ?, ?, ?)")
          .run(resident.name, resident.household, resident.phone ?? null, resident.contactName ?? null, resident.contactPhone ?? null, at)
          .lastInsertRowid,
      );
      this.audit(actor, "register-resident", `resident ${id} (${resident.name}, ${resident.household})`, at);
      return id;
    });
  }

  /** The resident with this id, or null. */
  resident(id: number): Resident | null {
    const row = this.db.prepare("SELECT * FROM residents WHERE id = ?").get(id) as Row | undefined;
    return row ? residentFromRow(row) : null;
  }

  /** Residents whose name is exactly `name` (names repeat in a commune; callers choose among them). */
  residentsNamed(name: string): Resident[] {
    return (this.db.prepare("SELECT * FROM residents WHERE name = ? ORDER BY id").all(name) as Row[]).map(residentFromRow);
  }

  /** Binds a tag to the gateway (and to a resident, if given). Throws if the tag id is taken. */
  registerTag(tag: NewTag, actor: string, at: number = unixNow()): number {
    if (tag.tagKey.length !== 32) throw new Error(`a tag key has 32 bytes, not ${tag.tagKey.length}`);
    return this.transaction(() => {
      if (this.tagRowId(tag.tagId) !== null) throw new Error(`tag ${tag.tagId} is already registered`);
      const id = Number(
        this.db
          .prepare("INSERT INTO tags (tag_id, board, key_sealed, resident, provisioned_at) VALUES (?, ?, ?, ?, ?)")
          .run(tag.tagId, tag.board, blob(seal(this.masterKey, tagKeyLabel(tag.tagId), tag.tagKey)), tag.residentId, tag.provisionedAt).lastInsertRowid,
      );
      const who = tag.residentId === null ? "no resident" : `resident ${tag.residentId}`;
      this.audit(actor, "register-tag", `tag ${tag.tagId} (${tag.board}) for ${who}`, at);
      return id;
    });
  }

  /** Gives a registered tag to a resident (a tag is worn by one resident at a time). */
  assignTag(tagId: string, residentId: number, actor: string, at: number = unixNow()): void {
    this.transaction(() => {
      const tag = this.requireTag(tagId);
      if (!this.resident(residentId)) throw new Error(`no resident ${residentId}`);
      this.db.prepare("UPDATE tags SET resident = ? WHERE id = ?").run(residentId, tag);
      this.audit(actor, "assign-tag", `tag ${tagId} to resident ${residentId}`, at);
    });
  }

  /** The tag key of `tagId` (unsealed), or null for an unknown tag. */
  tagKey(tagId: string): Uint8Array | null {
    const row = this.db.prepare("SELECT key_sealed FROM tags WHERE tag_id = ?").get(tagId) as Row | undefined;
    return row ? unseal(this.masterKey, tagKeyLabel(tagId), new Uint8Array(row.key_sealed)) : null;
  }

  /** The row id of `tagId`, or null. */
  tagRowId(tagId: string): number | null {
    const row = this.db.prepare("SELECT id FROM tags WHERE tag_id = ?").get(tagId) as Row | undefined;
    return row ? row.id : null;
  }

  /** One tag's status, or null for an unknown tag. */
  tag(tagId: string): TagStatus | null {
    const row = this.db.prepare(`${TAG_STATUS_SQL} WHERE t.tag_id = ?`).get(tagId) as Row | undefined;
    return row ? tagStatusFromRow(row) : null;
  }

  /** Every tag's status, by tag id. */
  tags(): TagStatus[] {
    return (this.db.prepare(`${TAG_STATUS_SQL} ORDER BY t.tag_id`).all() as Row[]).map(tagStatusFromRow);
  }

  /** How many tags are registered (tags are never removed, so this changes exactly when one is added). */
  tagCount(): number {
    return (this.db.prepare("SELECT count(*) AS n FROM tags").get() as Row).n;
  }

  /** The IDs of every registered tag, in order. */
  tagIds(): string[] {
    return this.db.prepare("SELECT tag_id FROM tags ORDER BY tag_id").pluck().all() as string[];
  }

  /** The tags of a resident. */
  tagsOfResident(residentId: number): TagStatus[] {
    return (this.db.prepare(`${TAG_STATUS_SQL} WHERE t.resident = ? ORDER BY t.tag_id`).all(residentId) as Row[]).map(tagStatusFromRow);
  }

  /** Records what a tag reported about itself. */
  recordTagInfo(tagId: string, info: TagInfo): void {
    this.db
      .prepare("UPDATE tags SET info_at = ?, firmware = ?, battery_percent = ?, clock_drift_s = ?, storage_fill = ? WHERE tag_id = ?")
      .run(info.at, info.firmware, info.batteryPercent, info.clockDriftS, info.storageFill, tagId);
  }

  // ---- syncs -----------------------------------------------------------------------------------------

  /** Opens a sync session with a tag; returns its id. */
  beginSync(tagId: string, startedAt: number = unixNow()): number {
    const tag = this.requireTag(tagId);
    return Number(this.db.prepare("INSERT INTO syncs (tag, started_at) VALUES (?, ?)").run(tag, startedAt).lastInsertRowid);
  }

  /**
   * Stores one chunk of the tag's log and the cursor after it, in one transaction: once this returns, both
   * are committed and the sync engine may acknowledge `batch.cursor` to the tag. Records already stored
   * (the tag re-sent them after a broken sync) are ignored, so none is ever stored twice.
   */
  storeEncounterBatch(syncId: number, batch: EncounterBatch): BatchResult {
    return this.transaction(() => {
      const sync = this.db.prepare("SELECT tag FROM syncs WHERE id = ?").get(syncId) as Row | undefined;
      if (!sync) throw new Error(`no sync session ${syncId}`);
      const insert = this.db.prepare(
        `INSERT INTO encounters (tag, first_seen, prefix, aem, duration_min, sightings, rssi_max, rssi_mean, sync)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, // only a record already stored is skipped
      );
      let inserted = 0;
      for (const r of batch.records) {
        inserted += insert.run(sync.tag, r.firstSeen, r.prefix, r.aem, r.durationMin, r.sightings, r.rssiMax, r.rssiMean, syncId).changes;
      }
      this.db.prepare("UPDATE tags SET acked_cursor = ? WHERE id = ?").run(batch.cursor, sync.tag);
      this.db.prepare("UPDATE syncs SET records = records + ?, bytes = bytes + ? WHERE id = ?").run(inserted, batch.bytes, syncId);
      return { inserted, duplicates: batch.records.length - inserted };
    });
  }

  /** The log cursor last acknowledged to `tagId`: where a new or resumed sync reads from. */
  ackedCursor(tagId: string): number {
    const row = this.db.prepare("SELECT acked_cursor FROM tags WHERE tag_id = ?").get(tagId) as Row | undefined;
    if (!row) throw new Error(`unknown tag ${tagId}`);
    return row.acked_cursor;
  }

  /** Closes a sync session with its outcome ('ok', or why it ended early). */
  finishSync(syncId: number, outcome: string, endedAt: number = unixNow()): void {
    this.db.prepare("UPDATE syncs SET ended_at = ?, outcome = ? WHERE id = ?").run(endedAt, outcome, syncId);
  }

  /** A tag's sync sessions, newest first. */
  syncs(tagId: string, limit = 20): SyncSummary[] {
    return this.db
      .prepare(
        `SELECT s.id, s.started_at AS startedAt, s.ended_at AS endedAt, s.records, s.bytes, s.outcome
         FROM syncs s JOIN tags t ON t.id = s.tag WHERE t.tag_id = ? ORDER BY s.id DESC LIMIT ?`,
      )
      .all(tagId, limit) as SyncSummary[];
  }

  /** Records that a sync set the tag's alert to `state`. */
  confirmAlertOnTag(tagId: string, state: AlertState): void {
    this.db.prepare("UPDATE tags SET alert_on_tag = ? WHERE tag_id = ?").run(state, tagId);
  }

  // ---- encounters ------------------------------------------------------------------------------------

  /** Number of stored encounters. */
  encounterCount(): number {
    return (this.db.prepare("SELECT count(*) AS n FROM encounters").get() as Row).n;
  }

  /** A tag's encounters, oldest first. */
  encountersOfTag(tagId: string): StoredEncounter[] {
    return (
      this.db.prepare("SELECT e.* FROM encounters e JOIN tags t ON t.id = e.tag WHERE t.tag_id = ? ORDER BY e.first_seen, e.id").all(tagId) as Row[]
    ).map(encounterFromRow);
  }

  /**
   * Prefix and first-seen time (to the minute, rounded down) of every encounter first seen in
   * [from, until], in (prefix, time) order, read from the prefix index alone (it covers both columns).
   * Each row comes back from SQLite as one number, prefix × 2^21 + minutes since `from`, which roughly
   * halves the cost of the scan.
   */
  encounterIndex(from: number, until: number): EncounterIndex {
    if (until - from >= PACKED_TIME_RANGE * INDEX_TIME_STEP_SECONDS) throw new Error("an encounter index scan spans less than 4 years");
    const packed = this.db
      .prepare(
        `SELECT prefix * ${PACKED_TIME_RANGE} + CAST((first_seen - ?) / ${INDEX_TIME_STEP_SECONDS} AS INTEGER)
         FROM encounters INDEXED BY encounters_prefix_time WHERE first_seen BETWEEN ? AND ?`,
      )
      .pluck(true)
      .all(from, from, until) as number[];
    const prefixes = new Uint32Array(packed.length);
    const firstSeen = new Float64Array(packed.length);
    for (let i = 0; i < packed.length; i++) {
      const prefix = Math.floor(packed[i] / PACKED_TIME_RANGE);
      prefixes[i] = prefix;
      firstSeen[i] = from + (packed[i] - prefix * PACKED_TIME_RANGE) * INDEX_TIME_STEP_SECONDS;
    }
    return { prefixes, firstSeen };
  }

  /** The encounters (of any tag) with this ID prefix first seen in [from, until]. */
  encountersAt(prefix: number, from: number, until: number): StoredEncounter[] {
    return (this.db.prepare("SELECT * FROM encounters WHERE prefix = ? AND first_seen BETWEEN ? AND ?").all(prefix, from, until) as Row[]).map(
      encounterFromRow,
    );
  }

  // ---- diagnosis keys --------------------------------------------------------------------------------

  /** Stores an imported key file and its keys in one transaction; keys stored before are skipped. */
  importDiagnosisKeys(file: KeyImport, actor: string, at: number = unixNow()): ImportResult {
    return this.transaction(() => {
      const importId = Number(
        this.db
          .prepare("INSERT INTO key_imports (source, format, signature, region, imported_at, keys_added) VALUES (?, ?, ?, ?, ?, 0)")
          .run(file.source, file.format, file.signature, file.region, at).lastInsertRowid,
      );
      const insert = this.db.prepare(
        `INSERT INTO diagnosis_keys (import, profile, key, start_time, end_time, ids_per_day, report_type)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      );
      let added = 0;
      for (const k of file.keys) added += insert.run(importId, k.profile, blob(k.key), k.startTime, k.endTime, k.idsPerDay, k.reportType).changes;
      this.db.prepare("UPDATE key_imports SET keys_added = ? WHERE id = ?").run(added, importId);
      this.audit(actor, "import-keys", `${file.source} (${file.format}, signature ${file.signature}): ${added} new keys, ${file.keys.length - added} known`, at);
      return { importId, added, duplicates: file.keys.length - added };
    });
  }

  /** Stored diagnosis keys, of one import or of all. */
  diagnosisKeys(importId?: number): StoredDiagnosisKey[] {
    // Raw rows and keys as hex (decoded into Node's pooled buffers): a file can hold hundreds of
    // thousands of keys, and a BLOB costs a fresh ArrayBuffer per row, which is on matching's clock.
    const columns = "id, profile, hex(key), start_time, end_time, ids_per_day, report_type";
    const query =
      importId === undefined
        ? this.db.prepare(`SELECT ${columns} FROM diagnosis_keys ORDER BY id`)
        : this.db.prepare(`SELECT ${columns} FROM diagnosis_keys WHERE import = ? ORDER BY id`).bind(importId);
    return (query.raw(true).all() as any[][]).map((r) => ({
      id: r[0],
      profile: r[1],
      key: Buffer.from(r[2], "hex"),
      startTime: r[3],
      endTime: r[4],
      idsPerDay: r[5],
      reportType: r[6],
    }));
  }

  // ---- exposures -------------------------------------------------------------------------------------

  /**
   * Stores a matching run in one transaction: its exposures (a re-run updates the figures of ones already
   * found and keeps their notified/cleared state), then sets the exposure alert, for the next sync to
   * show, on every tag with a UTC day whose uncleared exposures add up to `alertWeightedMinutes` (keys of
   * several files add up). Returns those tags' ids.
   */
  recordMatches(exposures: Exposure[], alertWeightedMinutes: number, actor: string, at: number = unixNow()): string[] {
    return this.transaction(() => {
      const upsert = this.db.prepare(
        `INSERT INTO exposures (tag, diagnosis_key, day, weighted_minutes, minutes, min_attenuation, first_time, last_time, detected_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (tag, diagnosis_key, day) DO UPDATE SET weighted_minutes = excluded.weighted_minutes,
           minutes = excluded.minutes, min_attenuation = excluded.min_attenuation,
           first_time = excluded.first_time, last_time = excluded.last_time`,
      );
      for (const e of exposures) upsert.run(e.tag, e.diagnosisKey, e.day, e.weightedMinutes, e.minutes, e.minAttenuation, e.firstTime, e.lastTime, at);
      const alerted = this.db
        .prepare(
          `SELECT t.id, t.tag_id, t.alert FROM tags t WHERE t.id IN (
             SELECT tag FROM exposures WHERE cleared_at IS NULL GROUP BY tag, day HAVING sum(weighted_minutes) >= ?)
           ORDER BY t.tag_id`,
        )
        .all(alertWeightedMinutes) as Row[];
      const setAlert = this.db.prepare("UPDATE tags SET alert = 'exposed' WHERE id = ?");
      const fresh = alerted.filter((t) => t.alert !== "exposed");
      for (const t of fresh) setAlert.run(t.id);
      this.audit(actor, "match", `${exposures.length} exposures found; ${alerted.length} tags over the alert threshold, ${fresh.length} newly alerted`, at);
      return alerted.map((t) => t.tag_id as string);
    });
  }

  /** A tag's exposures that staff have not cleared, oldest first. */
  openExposures(tagId: string): StoredExposure[] {
    return (
      this.db
        .prepare(
          `SELECT e.* FROM exposures e JOIN tags t ON t.id = e.tag
           WHERE t.tag_id = ? AND e.cleared_at IS NULL ORDER BY e.day, e.first_time`,
        )
        .all(tagId) as Row[]
    ).map((r) => ({
      id: r.id,
      tag: r.tag,
      diagnosisKey: r.diagnosis_key,
      day: r.day,
      weightedMinutes: r.weighted_minutes,
      minutes: r.minutes,
      minAttenuation: r.min_attenuation,
      firstTime: r.first_time,
      lastTime: r.last_time,
      detectedAt: r.detected_at,
      notifiedAt: r.notified_at,
      clearedAt: r.cleared_at,
    }));
  }

  /** Residents of alerted tags whose exposures nobody has called about yet, with their contact persons. */
  residentsToCall(): ResidentToCall[] {
    const rows = this.db
      .prepare(
        `SELECT t.tag_id, r.id AS resident_id, r.name, r.household, r.phone, r.contact_name, r.contact_phone,
                e.day, sum(e.weighted_minutes) AS weighted
         FROM tags t
         JOIN exposures e ON e.tag = t.id AND e.cleared_at IS NULL AND e.notified_at IS NULL
         LEFT JOIN residents r ON r.id = t.resident
         WHERE t.alert = 'exposed'
         GROUP BY t.id, e.day ORDER BY t.tag_id, e.day`,
      )
      .all() as Row[];
    const out: ResidentToCall[] = [];
    for (const r of rows) {
      let entry = out.length > 0 && out[out.length - 1].tagId === r.tag_id ? out[out.length - 1] : null;
      if (!entry) {
        entry = {
          tagId: r.tag_id,
          residentId: r.resident_id,
          name: r.name,
          household: r.household,
          phone: r.phone,
          contactName: r.contact_name,
          contactPhone: r.contact_phone,
          days: [],
        };
        out.push(entry);
      }
      entry.days.push({ day: r.day, weightedMinutes: r.weighted });
    }
    return out;
  }

  /** Records that staff called the resident of `tagId` about their open exposures. */
  markNotified(tagId: string, actor: string, at: number = unixNow()): void {
    this.transaction(() => {
      const tag = this.requireTag(tagId);
      const n = this.db.prepare("UPDATE exposures SET notified_at = ? WHERE tag = ? AND notified_at IS NULL AND cleared_at IS NULL").run(at, tag).changes;
      this.audit(actor, "notified", `tag ${tagId}: resident called about ${n} exposures`, at);
    });
  }

  /** Staff clear a tag's alert: its open exposures are closed and the next sync turns the alert off. */
  clearAlert(tagId: string, actor: string, at: number = unixNow()): void {
    this.transaction(() => {
      const tag = this.requireTag(tagId);
      this.db.prepare("UPDATE exposures SET cleared_at = ? WHERE tag = ? AND cleared_at IS NULL").run(at, tag);
      this.db.prepare("UPDATE tags SET alert = 'none' WHERE id = ?").run(tag);
      this.audit(actor, "clear-alert", `tag ${tagId}`, at);
    });
  }

  // ---- a resident's own keys ------------------------------------------------------------------------

  /** Keeps the keys read from a tag (with the resident's consent) sealed until they are published. */
  saveKeysRead(tagId: string, keys: ExposureKeys, actor: string, readAt: number = unixNow()): void {
    this.transaction(() => {
      const tag = this.requireTag(tagId);
      const sealed = seal(this.masterKey, keysReadLabel(tagId, readAt), new TextEncoder().encode(JSON.stringify(keys)));
      this.db.prepare("INSERT INTO tag_key_reads (tag, keys_sealed, read_at) VALUES (?, ?, ?)").run(tag, blob(sealed), readAt);
      this.audit(actor, "read-keys", `tag ${tagId}: ${keys.teks.length} TEKs and a Bluezone chain from day ${keys.bzDay} read with consent`, readAt);
    });
  }

  /** The latest unpublished key read of each of a resident's tags. */
  unpublishedKeys(residentId: number): KeysRead[] {
    const rows = this.db
      .prepare(
        `SELECT k.id, k.tag, t.tag_id, k.keys_sealed, k.read_at FROM tag_key_reads k JOIN tags t ON t.id = k.tag
         WHERE t.resident = ? AND k.published_at IS NULL
           AND k.id = (SELECT max(id) FROM tag_key_reads WHERE tag = k.tag AND published_at IS NULL)
         ORDER BY t.tag_id`,
      )
      .all(residentId) as Row[];
    return rows.map((r) => ({
      id: r.id,
      tag: r.tag,
      tagId: r.tag_id,
      readAt: r.read_at,
      keys: JSON.parse(new TextDecoder().decode(unseal(this.masterKey, keysReadLabel(r.tag_id, r.read_at), new Uint8Array(r.keys_sealed)))),
    }));
  }

  /**
   * Records a publication in one transaction: the keys as published, the key reads they came from, the
   * resident marked positive, and an audit entry (counts only, never the keys).
   */
  recordPublication(residentId: number, reads: KeysRead[], keys: { tag: number; key: PublishedKey }[], detail: string, actor: string, at: number = unixNow()): void {
    this.transaction(() => {
      const insert = this.db.prepare(
        `INSERT INTO published_keys (resident, tag, profile, key, start_time, end_time, published_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING`,
      );
      for (const k of keys) insert.run(residentId, k.tag, k.key.profile, blob(k.key.key), k.key.startTime, k.key.endTime, at);
      const done = this.db.prepare("UPDATE tag_key_reads SET published_at = ? WHERE id = ?");
      for (const r of reads) done.run(at, r.id);
      this.db.prepare("UPDATE residents SET positive_at = coalesce(positive_at, ?) WHERE id = ?").run(at, residentId);
      this.audit(actor, "publish-keys", `resident ${residentId}: ${detail}`, at);
    });
  }

  /** Keys published for a resident. */
  publishedKeys(residentId: number): PublishedKey[] {
    return (
      this.db.prepare("SELECT profile, key, start_time, end_time FROM published_keys WHERE resident = ? ORDER BY profile, start_time").all(residentId) as Row[]
    ).map((r) => ({ profile: r.profile, key: new Uint8Array(r.key), startTime: r.start_time, endTime: r.end_time }));
  }

  private requireTag(tagId: string): number {
    const id = this.tagRowId(tagId);
    if (id === null) throw new Error(`unknown tag ${tagId}`);
    return id;
  }
}

/** The schema version of `db`: 0 for a new database. */
function schemaVersionOf(db: Database.Database): number {
  db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
  const row = db.prepare("SELECT version FROM schema_version").get() as Row | undefined;
  return row ? row.version : 0;
}

/** Applies the migrations `db` lacks, each in its own transaction with the version it reaches. */
function migrate(db: Database.Database): void {
  const version = schemaVersionOf(db);
  if (version > MIGRATIONS.length) {
    throw new Error(`the database is at schema version ${version}, newer than this gateway knows (${MIGRATIONS.length}); update the gateway`);
  }
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]);
      db.prepare("DELETE FROM schema_version").run();
      db.prepare("INSERT INTO schema_version (version) VALUES (?)").run(v + 1);
    })();
  }
}
