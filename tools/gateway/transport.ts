/**
 * How the gateway reaches tags: whatever carries the sync service's fragments (Bluetooth on Linux, the
 * simulator's in-process GATT link, a Web Bluetooth page relaying over a WebSocket) offers a TagLink per
 * connection, and a scanner that reports the sync windows it sees. The sync engine (sync.ts) needs only these.
 */

/** One GATT connection to a tag's sync service. */
export interface TagLink {
  /** The ATT MTU of the connection (23 unless both sides negotiated more). */
  readonly mtu: number;
  /** Writes one fragment (at most mtu − 3 bytes) to the tag's sync characteristic, without response. */
  send(fragment: Uint8Array): Promise<void>;
  /** Calls `listener` with every fragment the tag notifies, in order. */
  onReceive(listener: (fragment: Uint8Array) => void): void;
  /** Calls `listener` once when the connection ends, whichever side ends it. */
  onClose(listener: () => void): void;
  /** Disconnects; resolves once the connection is gone. */
  close(): Promise<void>;
}

/** A tag advertising a sync window, as a scanner saw it. */
export interface SyncWindowSeen {
  /** The advert's token (sync-token.ts), to resolve against the registry; null for an unprovisioned tag. */
  token: Uint8Array | null;
  /** Transport address, for logs and to tell windows apart. */
  address: string;
  rssi: number;
  /** Connects and subscribes to the tag's notifications. */
  connect(): Promise<TagLink>;
}

/** Something that finds sync windows: a Bluetooth adapter, the simulator's radio. */
export interface SyncWindowScanner {
  /** Reports every sync window seen until `stop` is called. */
  start(onWindow: (window: SyncWindowSeen) => void): Promise<void>;
  stop(): Promise<void>;
}
