/**
 * The developer's collection point (`gateway sync --sim`): virtual tags running the real compiled firmware
 * in the host Espruino runtime, synced by the real gateway into a real data folder.
 *
 * A run: the tags kept in the data folder from earlier runs come back (sim-tag-images.ts), tags not yet in
 * the registry are handed out as at the desk (button press, provisionTag, a resident), then all of them
 * spend some virtual hours in one room logging each other (sim-room.ts), then each one's button is pressed
 * and the sync engine syncs it over the simulator's GATT link (sim-transport.ts). Their Storage is kept
 * again, so the next run continues the same tags and the gateway stores only what they logged since.
 *
 * World time is Unix time in ms and is the gateway's time too, so clocks set by syncs are consistent. A run
 * starts at the wall clock, or a quarter hour after the last run ended if that is later. Between runs a kept
 * tag lies in a drawer: its clock is set to the new start, nothing is logged, and its battery is a fresh one
 * (the runtime's battery is not kept).
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { QUARTER_SECONDS } from "../../firmware/encounter";
import { GATEWAY_MTU } from "../../sim/gateway";
import type { BoardName } from "../../sim/espruino/boards";
import { Random } from "../../sim/espruino/random";
import { Scheduler } from "../../sim/espruino/scheduler";
import { HostTag } from "../../sim/espruino/tag";
import { Recipient, handOutTag } from "./desk";
import { runRoom } from "./sim-room";
import { TagImage, loadTagImage, restoreTagImage, saveTagImage, tagImagePath, takeTagImage } from "./sim-tag-images";
import { connectSimTag } from "./sim-transport";
import { GatewayStore } from "./store";
import { SyncOptions, SyncReport, syncTag } from "./sync";
import { TagLink } from "./transport";

/** The firmware as uploaded to a tag (`npm run build`). */
const FIRMWARE_PATH = resolve(__dirname, "../../dist/tag.bootcde");
/** Virtual tags are Puck.js boards. */
const BOARD: BoardName = "PUCKJS";
/** How long the developer holds a tag's button, and how long the world then runs for it to register (debounce 50 ms). */
const PRESS_MS = 150;
const PRESS_SETTLE_MS = 300;
/** Strength of a pair's adverts in the room: from RSSI_NEAREST_DBM down by up to RSSI_SPREAD_DB (the same table to across the room). */
const RSSI_NEAREST_DBM = -50;
const RSSI_SPREAD_DB = 26;
/** Tags' crystal error, ± ppm (a common 32 kHz watch crystal's tolerance). */
const DRIFT_SPREAD_PPM = 20;
/**
 * The shortest time kept tags spend in the drawer between runs. A record keeps its first sighting to the
 * quarter hour and the store tells records apart by their content: an encounter cut by the last sync and
 * continued within the same quarter could make a record equal to one already stored.
 */
const DRAWER_MS = QUARTER_SECONDS * 1000;
/** Progress is reported once per virtual minute. */
const PROGRESS_STEP_MS = 60_000;
/** Placeholder residents' household. */
const PLACEHOLDER_HOUSEHOLD = "simulated household";

/** The virtual tag numbered `n` (from 1). */
export function simTagId(n: number): string {
  return `sim-${n}`;
}

/** The compiled firmware, built first when dist/ has none (then `built` is true); or why it cannot be had. */
export async function compiledFirmware(): Promise<{ firmware: Uint8Array; built: boolean } | { error: string }> {
  let built = false;
  if (!existsSync(FIRMWARE_PATH)) {
    const { buildFirmware } = require("../build/build") as typeof import("../build/build"); // rollup and terser: loaded only to build
    const build = await buildFirmware();
    if (!build.compiled) return { error: `the firmware does not compile:\n${build.errors.join("\n")}` };
    built = true;
  }
  return { firmware: new Uint8Array(readFileSync(FIRMWARE_PATH)), built };
}

/** What a run does. */
export interface SimCollectionOptions {
  /** Tags sim-1 … sim-`tags`. */
  tags: number;
  /** Virtual hours the tags spend together before the syncs. */
  hours: number;
  /** Seed of the tags' randomness, crystals and the room's signal strengths. */
  seed: string;
  /** Registered residents to give new tags, in order; new tags beyond them get placeholder residents. */
  residents: number[];
  firmware: Uint8Array;
  actor: string;
  /** A new tag was provisioned (with its first sync) and given to `residentId`. */
  onProvisioned?: (report: SyncReport, residentId: number) => void;
  /** Virtual minutes done of the total. */
  onProgress?: (doneMinutes: number, totalMinutes: number) => void;
  /** A tag was synced after the hours together. */
  onReport?: (report: SyncReport) => void;
  /** A tag could not be synced at all (its window did not open). */
  onError?: (tagId: string, error: Error) => void;
}

/** What a run did. */
export interface SimCollectionSummary {
  tags: number;
  /** Tags provisioned in this run. */
  provisioned: number;
  /** World time of the run, Unix ms. */
  startMs: number;
  endMs: number;
  /** Adverts the tags' programs took from each other. */
  advertsTaken: number;
  /** Syncs after the hours together that ended "ok", and the others. */
  synced: number;
  failed: number;
  received: number;
  stored: number;
  duplicates: number;
  /** Uncaught errors the firmware printed, "tag: text". */
  uncaught: string[];
}

/** One tag of the run and what it starts from. */
interface Planned {
  n: number;
  tagId: string;
  /** The kept tag (registered before); null for a tag to provision. */
  image: TagImage | null;
}

/** The tags of the run, or why it cannot go on (an unreadable image, a registered tag that was not kept). */
function plan(store: GatewayStore, tags: number): Planned[] | { error: string } {
  const planned: Planned[] = [];
  for (let n = 1; n <= tags; n++) {
    const tagId = simTagId(n);
    const image = loadTagImage(store.dir, tagId);
    if (image && "error" in image) return image;
    const registered = store.tagRowId(tagId) !== null;
    if (registered && !image) {
      return { error: `tag ${tagId} is registered in ${store.dir} but its virtual tag was not kept (${tagImagePath(store.dir, tagId)} is missing): use another data folder` };
    }
    // An image without a registration is a tag the registry forgot: it starts again from the box.
    planned.push({ n, tagId, image: registered ? image : null });
  }
  return planned;
}

/** The fixed signal strength between two tags of the room, the same both ways. */
function pairRssi(seed: string, a: string, b: string): number {
  const [first, second] = a < b ? [a, b] : [b, a];
  return RSSI_NEAREST_DBM - (new Random(`${seed}/${first}/${second}`).uint32() % RSSI_SPREAD_DB);
}

/** A tag out of the box, or a kept one back from its drawer with its clock set to world time. */
function bootTag(world: Scheduler, firmware: Uint8Array, seed: string, planned: Planned): HostTag {
  const tagSeed = `${seed}/${planned.tagId}`;
  const driftPpm = (new Random(tagSeed).next() * 2 - 1) * DRIFT_SPREAD_PPM;
  const tag = new HostTag({ scheduler: world, board: BOARD, seed: tagSeed, name: planned.tagId, driftPpm });
  tag.flash(firmware);
  if (planned.image) restoreTagImage(tag.storage, planned.image);
  tag.boot();
  if (planned.image) {
    // The firmware reads its clock at boot: set it, then restart it on it.
    tag.clock.setTime(world.now() / 1000);
    tag.reboot();
  }
  return tag;
}

/** Someone presses the tag's button: it opens its sync window. */
function pressButton(tag: HostTag): void {
  tag.pressButton(PRESS_MS);
  tag.scheduler.runUntil(tag.scheduler.now() + PRESS_SETTLE_MS);
}

/** Runs the developer's collection point once (see the top of the file); or why it cannot run. */
export async function runSimCollection(store: GatewayStore, options: SimCollectionOptions): Promise<SimCollectionSummary | { error: string }> {
  const planned = plan(store, options.tags);
  if ("error" in planned) return planned;
  const fresh = planned.filter((p) => !p.image);
  if (options.residents.length > fresh.length) {
    return { error: `--resident was given ${options.residents.length} times but this run provisions ${fresh.length} new tags (tags provisioned before keep their residents)` };
  }

  const startMs = Math.max(Math.floor(Date.now() / 1000) * 1000, ...planned.map((p) => (p.image ? p.image.savedAtMs + DRAWER_MS : 0)));
  const world = new Scheduler();
  world.runUntil(startMs);
  const sync: SyncOptions = { now: () => world.now() / 1000, actor: options.actor };
  const tags = planned.map((p) => bootTag(world, options.firmware, options.seed, p));
  const keep = (i: number) => saveTagImage(store.dir, takeTagImage(planned[i]!.tagId, tags[i]!.storage, world.now()));

  const residents = options.residents.slice();
  for (const p of fresh) {
    const i = planned.indexOf(p);
    pressButton(tags[i]!);
    const given = residents.shift();
    const recipient: Recipient = given !== undefined ? { residentId: given } : { newResident: { name: `Resident ${p.n}`, household: PLACEHOLDER_HOUSEHOLD } };
    const { report, residentId } = await handOutTag(store, connectSimTag(tags[i]!, GATEWAY_MTU), p.tagId, BOARD, recipient, sync);
    keep(i); // registry and tag agree from here on, whatever happens later in the run
    options.onProvisioned?.(report, residentId);
  }

  const rssi = planned.map((a) => planned.map((b) => pairRssi(options.seed, a.tagId, b.tagId)));
  const togetherFrom = world.now();
  const totalMinutes = Math.round((options.hours * 3_600_000) / PROGRESS_STEP_MS);
  const endMs = togetherFrom + options.hours * 3_600_000;
  let advertsTaken = 0;
  while (world.now() < endMs) {
    advertsTaken += runRoom(tags, (r, s) => rssi[r]![s]!, Math.min(world.now() + PROGRESS_STEP_MS, endMs));
    options.onProgress?.(Math.min(totalMinutes, Math.round((world.now() - togetherFrom) / PROGRESS_STEP_MS)), totalMinutes);
  }

  const summary: SimCollectionSummary = { tags: tags.length, provisioned: fresh.length, startMs, endMs: 0, advertsTaken, synced: 0, failed: 0, received: 0, stored: 0, duplicates: 0, uncaught: [] };
  for (const [i, tag] of tags.entries()) {
    pressButton(tag);
    let link: TagLink;
    try {
      link = connectSimTag(tag, GATEWAY_MTU);
    } catch (error) {
      summary.failed++; // its window did not open
      options.onError?.(planned[i]!.tagId, error as Error);
      keep(i);
      continue;
    }
    const report = await syncTag(store, planned[i]!.tagId, link, sync);
    keep(i);
    if (report.outcome === "ok") summary.synced++;
    else summary.failed++;
    summary.received += report.received;
    summary.stored += report.stored;
    summary.duplicates += report.duplicates;
    options.onReport?.(report);
  }
  summary.endMs = world.now();
  summary.uncaught = tags.flatMap((tag) => tag.errors.map((e) => `${tag.name}: ${e.text}`));
  return summary;
}
