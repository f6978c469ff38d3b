/**
 * Handing out a tag at the desk, over any transport: staff press the new tag's button, it opens its
 * unprovisioned window (a window without a token), the gateway connects, provisions it (sync.ts
 * provisionTag, which also sets its clock) and gives it to a resident.
 */
import { GatewayStore, NewResident, unixNow } from "./store";
import { SyncOptions, SyncReport, provisionTag } from "./sync";
import { SyncWindowScanner, SyncWindowSeen, TagLink } from "./transport";

/** Who gets a new tag: a registered resident, or a resident to register with it. */
export type Recipient = { residentId: number } | { newResident: NewResident };

/** A tag handed out: its provisioning (with the first sync) and its resident. */
export interface HandedOut {
  report: SyncReport;
  residentId: number;
}

/**
 * Provisions the unprovisioned tag at the other end of `link` as `tagId` and gives it to `recipient`. A new
 * resident is registered only once the tag has accepted its identity.
 */
export async function handOutTag(store: GatewayStore, link: TagLink, tagId: string, board: string, recipient: Recipient, options: SyncOptions = {}): Promise<HandedOut> {
  const report = await provisionTag(store, link, { tagId, board, residentId: null }, options);
  const actor = options.actor ?? "gateway";
  const at = options.now ? Math.floor(options.now()) : unixNow();
  const residentId = store.transaction(() => {
    const id = "residentId" in recipient ? recipient.residentId : store.addResident(recipient.newResident, actor, at);
    store.assignTag(tagId, id, actor, at);
    return id;
  });
  return { report, residentId };
}

/** The first unprovisioned window `scanner` sees within `timeoutMs`, or null; the scanner is stopped again. */
export async function waitForNewTag(scanner: SyncWindowScanner, timeoutMs: number): Promise<SyncWindowSeen | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await new Promise<SyncWindowSeen | null>((resolve, reject) => {
      timer = setTimeout(() => resolve(null), timeoutMs);
      scanner.start((window) => {
        if (window.token === null) resolve(window);
      }).catch(reject);
    });
  } finally {
    clearTimeout(timer);
    await scanner.stop();
  }
}
