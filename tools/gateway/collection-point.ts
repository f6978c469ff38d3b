/**
 * A collection point: the gateway scans for sync windows, resolves each token to a registered tag and
 * syncs the tags it recognises one link at a time (one adapter, one connection), each at most once per
 * `resyncAfterS` after a sync that went through. Windows of other communes' tags and of unprovisioned tags
 * are ignored (provisioning is done on purpose at the desk, provisionTag in sync.ts).
 */
import { nodeSha256 } from "./host-crypto";
import { GatewayStore } from "./store";
import { SyncOptions, SyncReport, syncTag } from "./sync";
import { SyncTokenResolver } from "./sync-store";
import { SyncWindowScanner, SyncWindowSeen } from "./transport";

/** A tag synced this recently (s) is left alone when it opens another window. */
const DEFAULT_RESYNC_AFTER_S = 3600;

/** How a collection point runs. */
export interface CollectionOptions extends SyncOptions {
  /** Seconds after a successful sync before the same tag is synced again. */
  resyncAfterS?: number;
  /** Told of every sync, whatever its outcome. */
  onReport?: (report: SyncReport) => void;
  /** Told of a tag that could not be synced at all (connection failed, gateway error). */
  onError?: (tagId: string, error: unknown) => void;
}

/** Syncs the commune's tags as their windows appear. */
export class CollectionPoint {
  private readonly resolver: SyncTokenResolver;
  private readonly queue: { tagId: string; window: SyncWindowSeen }[] = [];
  /** Tags waiting or being synced. */
  private readonly pending = new Set<string>();
  /** Gateway time of each tag's last successful sync. */
  private readonly lastOk = new Map<string, number>();
  private running = false;
  private draining: Promise<void> = Promise.resolve();
  private drainingNow = false;

  constructor(
    private readonly store: GatewayStore,
    private readonly scanner: SyncWindowScanner,
    private readonly options: CollectionOptions = {},
  ) {
    this.resolver = new SyncTokenResolver(store, options.sha256 ?? nodeSha256);
  }

  /** Starts scanning. */
  async start(): Promise<void> {
    this.running = true;
    await this.scanner.start((window) => this.seen(window));
  }

  /** Stops scanning; resolves once the sync under way (if any) has ended. Queued tags are dropped. */
  async stop(): Promise<void> {
    this.running = false;
    for (const dropped of this.queue.splice(0)) this.pending.delete(dropped.tagId);
    await this.scanner.stop();
    await this.draining;
  }

  private now(): number {
    return this.options.now ? this.options.now() : Date.now() / 1000;
  }

  private seen(window: SyncWindowSeen): void {
    if (!this.running || !window.token) return;
    const now = this.now();
    const tagId = this.resolver.resolve(window.token, now);
    if (!tagId || this.pending.has(tagId)) return;
    const last = this.lastOk.get(tagId);
    if (last !== undefined && now - last < (this.options.resyncAfterS ?? DEFAULT_RESYNC_AFTER_S)) return;
    this.pending.add(tagId);
    this.queue.push({ tagId, window });
    if (!this.drainingNow) this.draining = this.drain();
  }

  /** Syncs queued tags one after another. */
  private async drain(): Promise<void> {
    this.drainingNow = true;
    try {
      for (let next = this.queue.shift(); next && this.running; next = this.queue.shift()) {
        try {
          const report = await syncTag(this.store, next.tagId, await next.window.connect(), this.options);
          if (report.outcome === "ok") this.lastOk.set(next.tagId, this.now());
          this.options.onReport?.(report);
        } catch (error) {
          this.options.onError?.(next.tagId, error);
        } finally {
          this.pending.delete(next.tagId);
        }
      }
    } finally {
      this.drainingNow = false;
    }
  }
}
