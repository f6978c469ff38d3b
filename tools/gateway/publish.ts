/**
 * Publishing a positive resident's keys, with their consent: the TEKs and the Bluezone daily-key chain
 * read from their tag (stored sealed until now) become a GAEN export zip signed with the gateway's key and
 * a Bluezone F0 list, for the key servers phones download from. Only these keys leave the commune; the
 * file names carry no resident or tag. The resident is marked positive and the publication audited;
 * afterwards the tag starts new keys at its next sync (DESIGN.md, "Publishing").
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bluezoneF0Entry, BluezoneF0Entry, DAY_SECONDS } from "../../firmware/bluezone";
import { hexToBytes } from "../../firmware/bytes";
import { EN_INTERVAL_SECONDS, TEK_ROLLING_PERIOD } from "../../firmware/gaen";
import { writeF0List } from "./bluezone-f0";
import { ExportKey, exportKeyTimes, writeGaenExport } from "./gaen-export";
import { loadSigningKey } from "./signing-keys";
import { GatewayStore, PublishedKey, unixNow } from "./store";

/** report_type of a resident confirmed by the health station's test. */
const REPORT_TYPE_CONFIRMED_TEST = 1;
/** Defaults for how clients identify the gateway's signing key: Vietnam's mobile country code, as Apple suggests. */
export const DEFAULT_REGION = "452";
export const DEFAULT_KEY_ID = "452";
export const DEFAULT_KEY_VERSION = "v1";

/** What to publish and where. */
export interface PublishOptions {
  residentId: number;
  outDir: string;
  actor: string;
  at?: number;
  region?: string;
  keyId?: string;
  keyVersion?: string;
}

/** What was published. */
export interface Publication {
  gaenFile: string;
  bluezoneFile: string;
  teks: number;
  bluezoneEntries: number;
  tags: string[];
}

/**
 * The TEK of UTC day `day` as published: valid the whole day, except the day the keys were read, whose TEK
 * was in use only until then (the tag starts new keys right after), so its rolling period ends there.
 */
function exportKeyOf(day: number, tekHex: string, readAt: number): ExportKey {
  const rollingStart = day * TEK_ROLLING_PERIOD;
  const usedIntervals = Math.ceil(readAt / EN_INTERVAL_SECONDS) - rollingStart;
  return {
    key: hexToBytes(tekHex) as Uint8Array,
    rollingStart,
    rollingPeriod: Math.max(1, Math.min(TEK_ROLLING_PERIOD, usedIntervals)),
    reportType: REPORT_TYPE_CONFIRMED_TEST,
    daysSinceOnset: null,
  };
}

/** Publishes the keys read from a resident's tags; answers why not when there are none to publish. */
export async function publishResidentKeys(store: GatewayStore, options: PublishOptions): Promise<Publication | { error: string }> {
  const at = options.at ?? unixNow();
  const resident = store.resident(options.residentId);
  if (!resident) return { error: `no resident ${options.residentId}` };
  const reads = store.unpublishedKeys(resident.id);
  if (reads.length === 0) {
    return { error: `no keys of resident ${resident.id} (${resident.name}) were read from a tag yet: read them at a sync, with the resident's consent` };
  }

  const exportKeys: ExportKey[] = [];
  const entries: BluezoneF0Entry[] = [];
  const published: { tag: number; key: PublishedKey }[] = [];
  for (const read of reads) {
    for (const [day, tek] of read.keys.teks) {
      if (day * DAY_SECONDS > read.readAt) continue; // a key for a day not begun was never on air
      const k = exportKeyOf(day, tek, read.readAt);
      exportKeys.push(k);
      published.push({ tag: read.tag, key: { profile: "gaen", key: k.key, ...exportKeyTimes(k) } });
    }
    if (read.keys.bzKey) {
      const dailyKey = hexToBytes(read.keys.bzKey) as Uint8Array;
      entries.push(bluezoneF0Entry(dailyKey, read.keys.bzDay, read.readAt));
      published.push({ tag: read.tag, key: { profile: "bluezone", key: dailyKey, startTime: read.keys.bzDay * DAY_SECONDS, endTime: read.readAt } });
    }
  }

  const signer = {
    privateKey: loadSigningKey(store.dir),
    keyVersion: options.keyVersion ?? DEFAULT_KEY_VERSION,
    keyId: options.keyId ?? DEFAULT_KEY_ID,
  };
  const zip = await writeGaenExport(
    { startTimestamp: Math.min(...reads.map((r) => r.readAt)), endTimestamp: at, region: options.region ?? DEFAULT_REGION, keys: exportKeys, revisedKeys: [] },
    signer,
  );
  mkdirSync(options.outDir, { recursive: true });
  const stamp = new Date(at * 1000).toISOString().replace(/[-:]/g, "").slice(0, 15); // e.g. 20250301T101500
  const gaenFile = join(options.outDir, `gaen-export-${stamp}.zip`);
  const bluezoneFile = join(options.outDir, `bluezone-f0-${stamp}.json`);
  writeFileSync(gaenFile, zip);
  writeFileSync(bluezoneFile, writeF0List(entries));

  const tags = reads.map((r) => r.tagId);
  const detail = `${exportKeys.length} TEKs and ${entries.length} Bluezone chains from tags ${tags.join(", ")} written to ${gaenFile} and ${bluezoneFile}`;
  store.recordPublication(resident.id, reads, published, detail, options.actor, at);
  return { gaenFile, bluezoneFile, teks: exportKeys.length, bluezoneEntries: entries.length, tags };
}
