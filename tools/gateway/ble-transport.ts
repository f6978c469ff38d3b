/**
 * Bluetooth on Linux (BlueZ adapter through HCI) via `@abandonware/noble`: finds tags' sync windows by their
 * service data and connects to them. noble is loaded only when Bluetooth is used, so the gateway runs
 * (CLI, dashboard, simulator) where it is not installed; the few parts of its API used here are declared
 * below, so this file type-checks without it.
 */
import { KIND_BEACON, KIND_WINDOW, SYNC_SERVICE_UUID, SYNC_TO_GATEWAY_UUID, SYNC_TO_TAG_UUID, parseSyncServiceData } from "../../firmware/sync-token";
import { DEFAULT_MTU } from "../../firmware/sync-frame";
import { SyncWindowScanner, SyncWindowSeen, TagLink } from "./transport";

/** The npm package; a variable, so that neither TypeScript nor a bundler requires it to be installed. */
const NOBLE_PACKAGE = "@abandonware/noble";

/** noble spells UUIDs in lower-case hex without dashes. */
function nobleUuid(uuid: string): string {
  return uuid.replace(/-/g, "").toLowerCase();
}

interface NobleCharacteristic {
  uuid: string;
  writeAsync(data: Buffer, withoutResponse: boolean): Promise<void>;
  subscribeAsync(): Promise<void>;
  on(event: "data", listener: (data: Buffer, isNotification: boolean) => void): void;
}

interface NoblePeripheral {
  address: string;
  rssi: number;
  /** The negotiated ATT MTU once connected (null before the exchange). */
  mtu: number | null;
  advertisement: { serviceData?: { uuid: string; data: Buffer }[] };
  connectAsync(): Promise<void>;
  disconnectAsync(): Promise<void>;
  discoverSomeServicesAndCharacteristicsAsync(services: string[], characteristics: string[]): Promise<{ characteristics: NobleCharacteristic[] }>;
  once(event: "disconnect", listener: () => void): void;
}

interface Noble {
  state: string;
  on(event: "stateChange", listener: (state: string) => void): void;
  on(event: "discover", listener: (peripheral: NoblePeripheral) => void): void;
  removeAllListeners(event: "discover"): void;
  startScanningAsync(serviceUuids: string[], allowDuplicates: boolean): Promise<void>;
  stopScanningAsync(): Promise<void>;
}

/** noble, loaded on first use; a clear error when it is not installed or cannot reach an adapter. */
async function loadNoble(): Promise<Noble> {
  let module: { default?: Noble } & Partial<Noble>;
  try {
    module = await import(NOBLE_PACKAGE);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const reason = error instanceof Error ? error.message : String(error);
    if (code === "MODULE_NOT_FOUND" || code === "ERR_MODULE_NOT_FOUND") {
      throw new Error(`Bluetooth needs the optional package ${NOBLE_PACKAGE}: run \`npm install ${NOBLE_PACKAGE}\` (it builds a native module).`);
    }
    // noble opens the HCI socket as it loads: no adapter, no Bluetooth in this kernel, or no permission.
    throw new Error(
      `${NOBLE_PACKAGE} could not open a Bluetooth adapter (${reason}). On Linux it needs an HCI adapter (hciconfig) and ` +
        `permission for Node: \`sudo setcap cap_net_raw+eip $(eval readlink -f $(which node))\`.`,
    );
  }
  return (module.default ?? module) as Noble;
}

/** Resolves once the adapter is powered on; rejects when it reports another final state. */
function poweredOn(noble: Noble): Promise<void> {
  if (noble.state === "poweredOn") return Promise.resolve();
  return new Promise((resolve, reject) => {
    noble.on("stateChange", (state) => {
      if (state === "poweredOn") resolve();
      else if (state === "unsupported" || state === "unauthorized") reject(new Error(`the Bluetooth adapter is ${state}`));
    });
  });
}

/** A connection to a tag's sync service through noble. */
class NobleTagLink implements TagLink {
  readonly mtu: number;
  private closed = false;
  private readonly closeListeners: (() => void)[] = [];

  constructor(
    private readonly peripheral: NoblePeripheral,
    private readonly toTag: NobleCharacteristic,
    private readonly toGateway: NobleCharacteristic,
  ) {
    this.mtu = peripheral.mtu ?? DEFAULT_MTU;
    peripheral.once("disconnect", () => this.ended());
  }

  async send(fragment: Uint8Array): Promise<void> {
    if (!this.closed) await this.toTag.writeAsync(Buffer.from(fragment), true);
  }

  onReceive(listener: (fragment: Uint8Array) => void): void {
    this.toGateway.on("data", (data) => listener(new Uint8Array(data)));
  }

  onClose(listener: () => void): void {
    this.closeListeners.push(listener);
  }

  async close(): Promise<void> {
    if (!this.closed) await this.peripheral.disconnectAsync();
    this.ended();
  }

  private ended(): void {
    if (this.closed) return;
    this.closed = true;
    for (const listener of this.closeListeners) listener();
  }
}

/** Connects to a tag, finds the sync characteristics and subscribes to the tag's notifications. */
async function connectPeripheral(peripheral: NoblePeripheral): Promise<TagLink> {
  await peripheral.connectAsync();
  const wanted = [nobleUuid(SYNC_TO_TAG_UUID), nobleUuid(SYNC_TO_GATEWAY_UUID)];
  const { characteristics } = await peripheral.discoverSomeServicesAndCharacteristicsAsync([nobleUuid(SYNC_SERVICE_UUID)], wanted);
  const toTag = characteristics.find((c) => c.uuid === wanted[0]);
  const toGateway = characteristics.find((c) => c.uuid === wanted[1]);
  if (!toTag || !toGateway) {
    await peripheral.disconnectAsync();
    throw new Error(`${peripheral.address} has no zonetag sync service`);
  }
  await toGateway.subscribeAsync();
  return new NobleTagLink(peripheral, toTag, toGateway);
}

/** Finds sync windows with the Linux Bluetooth adapter. */
export class BleScanner implements SyncWindowScanner {
  private constructor(private readonly noble: Noble) {}

  /** Loads noble and waits for the adapter; throws a clear error when noble is missing or the adapter is off. */
  static async open(): Promise<BleScanner> {
    const noble = await loadNoble();
    await poweredOn(noble);
    return new BleScanner(noble);
  }

  async start(onWindow: (window: SyncWindowSeen) => void): Promise<void> {
    const service = nobleUuid(SYNC_SERVICE_UUID);
    this.noble.on("discover", (peripheral) => {
      const data = peripheral.advertisement.serviceData?.find((d) => d.uuid === service);
      const advert = data ? parseSyncServiceData(new Uint8Array(data.data)) : null;
      if (!advert || advert.kind === KIND_BEACON) return;
      const token = advert.kind === KIND_WINDOW ? advert.code.slice() : null;
      onWindow({ token, address: peripheral.address, rssi: peripheral.rssi, connect: () => connectPeripheral(peripheral) });
    });
    // No UUID filter: the window advert carries the service in its service data, which noble does not filter on.
    await this.noble.startScanningAsync([], true);
  }

  async stop(): Promise<void> {
    this.noble.removeAllListeners("discover");
    await this.noble.stopScanningAsync();
  }
}
