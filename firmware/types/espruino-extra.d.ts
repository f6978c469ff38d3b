/**
 * Espruino 2v2x APIs the firmware uses that `@types/espruino` does not declare (or declares too loosely).
 * Each follows the espruino.com reference; the host runtime in sim/espruino implements the same.
 */

declare function setTimeout(callback: () => void, ms: number): number;
declare function setInterval(callback: () => void, ms: number): number;
declare function clearTimeout(id?: number): void;
declare function clearInterval(id?: number): void;
declare function digitalWrite(pin: Pin, value: boolean | number): void;
declare function print(...text: any[]): void;

declare var LED1: Pin;
declare var LED2: Pin;
declare var LED3: Pin;
declare var BTN1: Pin;

/** A device reported by NRF.setScan / NRF.findDevices. */
interface BluetoothScanDevice {
  /** Address, e.g. "c6:a1:02:03:04:05 random". */
  id: string;
  rssi: number;
  /** The raw advertising data. */
  data: ArrayBuffer;
  manufacturer?: number;
  manufacturerData?: ArrayBuffer;
  /** Service data keyed by lower-case 16-bit UUID, e.g. "fd6f". */
  serviceData?: { [uuid: string]: ArrayBuffer };
  services?: string[];
  name?: string;
}

interface ScanOptions {
  filters?: { services?: string[]; manufacturerData?: { [id: number]: {} }; serviceData?: { [uuid: string]: {} } }[];
  active?: boolean;
  /** Scan interval and window in ms (Espruino 2v2x options). */
  interval?: number;
  window?: number;
}

interface AdvertisingOptions {
  interval?: number;
  connectable?: boolean;
  scannable?: boolean;
  discoverable?: boolean;
  showName?: boolean;
  manufacturer?: number | false;
  manufacturerData?: any;
  whenConnected?: boolean;
}

declare namespace NRF {
  function setScan(callback?: (device: BluetoothScanDevice) => void, options?: ScanOptions): void;
  function findDevices(callback: (devices: BluetoothScanDevice[]) => void, options?: ScanOptions & { timeout?: number }): void;
  /** Restarts the Bluetooth stack: scanning stops and must be set up again. */
  function setAddress(address: string): void;
  function setSecurity(options: any): void;
  function updateServices(data: any): void;
  function setAdvertising(data: number[] | number[][] | Uint8Array | {}, options?: AdvertisingOptions): void;
  function setServices(data: any, options?: { uart?: boolean; advertise?: string[] }): void;
  function setTxPower(power: number): void;
  function sleep(): void;
  function wake(): void;
  function disconnect(): void;
  function getAddress(): string;
  function on(event: "connect", callback: (address: string) => void): void;
  function on(event: "disconnect", callback: (reason: number) => void): void;
  function on(event: "servicesDiscover" | "characteristicsDiscover" | "HID", callback: (addr: string) => void): void;
}

declare namespace E {
  function hwRand(): number;
  function getBattery(): number;
  function getTemperature(): number;
  function enableWatchdog(timeoutSeconds: number, isAuto?: boolean): void;
  function kickWatchdog(): void;
  function setConsole(device: string | null, options?: { force?: boolean }): void;
  function reboot(): void;
  function on(event: "init" | "kill", callback: () => void): void;
  function on(event: "errorFlag", callback: (flags: string[]) => void): void;
}

/** require("Storage"): files in flash, addressed by names of at most 28 characters. */
interface EspruinoStorage {
  read(name: string, offset?: number, length?: number): string | undefined;
  readArrayBuffer(name: string): ArrayBuffer | undefined;
  readJSON(name: string, noExceptions?: boolean): any;
  /** With a size on the first write, pre-sizes the file; later writes at an offset fill it. */
  write(name: string, data: string | ArrayBuffer | ArrayBufferView | number[], offset?: number, size?: number): boolean;
  writeJSON(name: string, data: any): boolean;
  erase(name: string): void;
  list(regex?: RegExp, filter?: { sf?: boolean }): string[];
  getFree(): number;
  compact(): void;
}

/** require("crypto"): SHA-256 on every nRF52 board; AES only where the build includes it (not MDBT42Q). */
interface EspruinoCrypto {
  SHA256(message: string | ArrayBuffer | ArrayBufferView | number[]): ArrayBuffer;
  AES?: {
    encrypt(data: ArrayBuffer | ArrayBufferView | number[], key: ArrayBuffer | ArrayBufferView | number[], options?: { mode?: "ECB" | "CBC" | "CTR" | "CFB" | "OFB"; iv?: ArrayBuffer | ArrayBufferView }): ArrayBuffer;
  };
}

declare function require(module: "Storage"): EspruinoStorage;
declare function require(module: "crypto"): EspruinoCrypto;

/** The vibration motor's pin on bands that have one (undefined elsewhere). */
declare var VIBRATE: Pin;

/** Espruino's `process`: the board name and interpreter version, and memory figures. */
declare var process: {
  env: { BOARD: string; VERSION: string };
  memory(): { free: number; usage: number; total: number };
};
