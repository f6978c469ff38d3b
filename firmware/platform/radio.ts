/**
 * The radio: rotating-ID adverts under a fresh random static address, and short passive scans for the
 * adverts of phones and other tags. NRF.setAddress restarts the Bluetooth stack, which drops scanning,
 * so an address change re-applies a scan in progress.
 */
import { bytesToHex } from "../bytes";
import { SYNC_SERVICE_UUID } from "../sync-token";
import { randomBytes } from "./crypto";

/**
 * Scan filters: GAEN (0xFD6F) and Bluezone (0x4E56) both list their service UUID; a collection-point
 * beacon carries service data under the zonetag sync UUID. The scan is passive (Espruino's default).
 */
var beaconFilter: any = { serviceData: {} };
beaconFilter.serviceData[SYNC_SERVICE_UUID] = {};
var SCAN_OPTIONS: ScanOptions = { filters: [{ services: ["fd6f"] }, { services: ["4e56"] }, beaconFilter] };

var scanCallback: ((device: BluetoothScanDevice) => void) | null = null;

/** A random static address "c3:12:..:.. random": the two top bits set, as the Core spec requires. */
function randomStaticAddress(): string {
  var bytes = randomBytes(6);
  bytes[0] |= 0xc0;
  var hex = bytesToHex(bytes);
  var address = hex.substr(0, 2);
  for (var i = 2; i < 12; i += 2) address += ":" + hex.substr(i, 2);
  return address + " random";
}

/**
 * Advertises `packets` in turn under a new address: the rotating IDs (non-connectable), or a sync window
 * (connectable). A scan in progress is set up again, since the address change stopped it.
 */
export function advertise(packets: Uint8Array[] | Uint8Array, intervalMs: number, txPower: number, connectable: boolean): void {
  NRF.wake();
  NRF.setAddress(randomStaticAddress());
  NRF.setTxPower(txPower);
  // Raw packets go on air as they are: Espruino adds no name and no manufacturer data to them.
  NRF.setAdvertising(packets as any, { interval: intervalMs, connectable: connectable, scannable: false });
  if (scanCallback) NRF.setScan(scanCallback, SCAN_OPTIONS);
}

/** Puts the radio to sleep (clock unknown: no IDs on air, 3 µA instead of 12). */
export function silence(): void {
  scanCallback = null;
  NRF.sleep();
}

/** Starts a passive scan that reports every GAEN or Bluezone advert heard. */
export function startScan(onDevice: (device: BluetoothScanDevice) => void): void {
  scanCallback = onDevice;
  NRF.setScan(onDevice, SCAN_OPTIONS);
}

/** Stops the scan. */
export function stopScan(): void {
  scanCallback = null;
  NRF.setScan();
}
