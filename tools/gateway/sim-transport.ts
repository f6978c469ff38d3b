/**
 * The simulator's transport: a TagLink over the host Espruino runtime's GATT connection to a virtual tag
 * (sim/espruino/tag.ts, `tag.connect({ mtu })`), so the gateway engine syncs the real compiled
 * firmware exactly as it syncs a tag over Bluetooth. Writes go to the sync service's gateway → tag
 * characteristic; notifications of its tag → gateway characteristic come back as fragments.
 */
import { SYNC_SERVICE_UUID, SYNC_TO_GATEWAY_UUID, SYNC_TO_TAG_UUID } from "../../firmware/sync-token";
import type { HostTag } from "../../sim/espruino/tag";
import type { CentralLink } from "../../sim/espruino/nrf";
import { TagLink } from "./transport";

/** A TagLink over a simulated GATT connection. */
export class SimTagLink implements TagLink {
  private closed = false;
  private readonly closeListeners: (() => void)[] = [];

  constructor(private readonly central: CentralLink) {
    central.onDisconnect(() => this.ended());
  }

  get mtu(): number {
    return this.central.mtu;
  }

  async send(fragment: Uint8Array): Promise<void> {
    if (this.closed) return;
    const result = this.central.write(SYNC_SERVICE_UUID, SYNC_TO_TAG_UUID, fragment);
    if (result.ok || result.error === "disconnected") return;
    throw new Error(`the tag's sync characteristic refused a write: ${result.error}`);
  }

  onReceive(listener: (fragment: Uint8Array) => void): void {
    this.central.onNotification((service, characteristic, value) => {
      if (service === SYNC_SERVICE_UUID && characteristic === SYNC_TO_GATEWAY_UUID) listener(value);
    });
  }

  onClose(listener: () => void): void {
    this.closeListeners.push(listener);
  }

  async close(): Promise<void> {
    if (!this.closed) this.central.disconnect();
    this.ended();
  }

  private ended(): void {
    if (this.closed) return;
    this.closed = true;
    for (const listener of this.closeListeners) listener();
  }
}

/** Connects to a simulated tag that advertises its sync window, asking for `mtu`; throws if it cannot. */
export function connectSimTag(tag: HostTag, mtu = 23): TagLink {
  const result = tag.connect({ mtu });
  if (!result.ok) throw new Error(`cannot connect to ${tag.name}: ${result.reason}`);
  return new SimTagLink(result.link);
}
