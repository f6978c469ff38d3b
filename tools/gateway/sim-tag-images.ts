/**
 * Virtual tags kept between runs of the developer's collection point (`gateway sync --sim`): each tag's
 * Storage files, saved in the data folder after a run and written back into a fresh tag's Storage before
 * the next, so the tag continues with its identity, keys, settings and encounter log (acknowledged or not).
 *
 * The host runtime's FlashStorage can give its raw flash (`rawBytes()`) but has no way to load one back, so
 * an image holds the files (names and bytes, through the Storage API the firmware uses) rather than the
 * flash layout: the restored tag reads the same files, compacted. The boot code is not kept: each run
 * flashes the current build, as a firmware update would.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FlashStorage } from "../../sim/espruino/storage";
import { BOOT_CODE_FILE } from "../../sim/espruino/tag";

/** The folder of the data folder where virtual tags are kept. */
export const SIM_TAGS_FOLDER = "sim-tags";
/** What an image file says it is. */
const IMAGE_FORMAT = "zonetag sim tag storage v1";
/** File name ending of an image. */
const IMAGE_SUFFIX = ".json";

/** One virtual tag's Storage files as kept between runs. */
export interface TagImage {
  tagId: string;
  /** World time (ms, Unix) when the image was taken: a later run does not start before it. */
  savedAtMs: number;
  /** Files in Storage order, boot code left out. */
  files: { name: string; data: Uint8Array }[];
}

/** The image file of `tagId` in data folder `dataDir`. */
export function tagImagePath(dataDir: string, tagId: string): string {
  return join(dataDir, SIM_TAGS_FOLDER, tagId + IMAGE_SUFFIX);
}

/** The image of `storage` now (world time `atMs`). */
export function takeTagImage(tagId: string, storage: FlashStorage, atMs: number): TagImage {
  const files = storage
    .list()
    .filter((name) => name !== BOOT_CODE_FILE)
    .map((name) => ({ name, data: new Uint8Array(storage.readArrayBuffer(name) as ArrayBuffer) }));
  return { tagId, savedAtMs: atMs, files };
}

/**
 * Writes the image's files into `storage` (a fresh tag's, before it boots). A pre-sized file keeps its
 * unwritten tail erased (0xFF), so the firmware can still fill it by offset writes.
 */
export function restoreTagImage(storage: FlashStorage, image: TagImage): void {
  for (const file of image.files) storage.write(file.name, file.data);
}

/** Saves `image` in the data folder; a crash while writing leaves the previous image whole. */
export function saveTagImage(dataDir: string, image: TagImage): void {
  const path = tagImagePath(dataDir, image.tagId);
  mkdirSync(join(dataDir, SIM_TAGS_FOLDER), { recursive: true, mode: 0o700 });
  const json = {
    format: IMAGE_FORMAT,
    tagId: image.tagId,
    savedAtMs: image.savedAtMs,
    files: image.files.map((f) => ({ name: f.name, base64: Buffer.from(f.data).toString("base64") })),
  };
  // Tag keys are in there: the owner's only, like the database.
  writeFileSync(path + ".new", JSON.stringify(json), { mode: 0o600 });
  renameSync(path + ".new", path);
}

/** The kept image of `tagId`, null when there is none, or why it cannot be read. */
export function loadTagImage(dataDir: string, tagId: string): TagImage | null | { error: string } {
  const path = tagImagePath(dataDir, tagId);
  if (!existsSync(path)) return null;
  try {
    const json = JSON.parse(readFileSync(path, "utf8"));
    if (json.format !== IMAGE_FORMAT || json.tagId !== tagId || typeof json.savedAtMs !== "number" || !Array.isArray(json.files)) {
      return { error: `${path} is not an image of virtual tag ${tagId}` };
    }
    const files = (json.files as { name: string; base64: string }[]).map((f) => ({ name: String(f.name), data: new Uint8Array(Buffer.from(String(f.base64), "base64")) }));
    return { tagId, savedAtMs: json.savedAtMs, files };
  } catch (error) {
    return { error: `cannot read ${path}: ${(error as Error).message}` };
  }
}

/** The tag IDs with an image in the data folder. */
export function keptTagIds(dataDir: string): string[] {
  const folder = join(dataDir, SIM_TAGS_FOLDER);
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((name) => name.endsWith(IMAGE_SUFFIX))
    .map((name) => name.slice(0, -IMAGE_SUFFIX.length));
}
