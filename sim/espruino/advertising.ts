/**
 * Bluetooth LE advertising data (AD structures: length, type, payload) as Espruino builds and parses it
 * (libs/bluetooth/jswrap_bluetooth.c: _jswrap_ble_getAdvertisingDataRaw, jswrap_ble_setScan_cb).
 */
import { stringBytes, toBytes } from "./bytes";

/** Largest legacy advertising payload. */
export const MAX_ADVERT_BYTES = 31;

const AD_FLAGS = 0x01;
const AD_UUID16_MORE = 0x02;
const AD_UUID16_COMPLETE = 0x03;
const AD_UUID128_MORE = 0x06;
const AD_UUID128_COMPLETE = 0x07;
const AD_SHORT_NAME = 0x08;
const AD_COMPLETE_NAME = 0x09;
const AD_SERVICE_DATA_16 = 0x16;
const AD_SERVICE_DATA_128 = 0x21;
const AD_MANUFACTURER = 0xff;
/** LE General Discoverable, BR/EDR not supported (Espruino's default flags). */
const FLAGS_GENERAL = 0x06;
/** LE Limited Discoverable, BR/EDR not supported (`discoverable: false`). */
const FLAGS_LIMITED = 0x05;
/** Espruino's (Pur3 Ltd) company identifier, advertised by default since 2v26. */
export const ESPRUINO_COMPANY_ID = 0x0590;

/** The options of setAdvertising/getAdvertisingData that shape the packet. */
export interface AdvertisingDataOptions {
  showName?: unknown;
  name?: unknown;
  flags?: unknown;
  discoverable?: unknown;
  manufacturer?: unknown;
  manufacturerData?: unknown;
}

/** A packet, or the message Espruino throws. */
export type BuiltAdvert = { ok: true; bytes: Uint8Array } | { ok: false; error: string };

/** A UUID as Espruino writes it in scan results: "fd6f", or 128-bit "xxxxxxxx-xxxx-...". */
export type UuidText = string;

/**
 * A service UUID from a JS key or value: numbers and decimal-integer keys are 16-bit UUIDs (Espruino stores
 * `{0x180F: ...}` keys as integers), other strings are 4 hex digits or a 128-bit UUID. Null if invalid.
 */
export function parseUuid(value: unknown): UuidText | null {
  if (typeof value === "number") return Number.isInteger(value) && value >= 0 && value <= 0xffff ? value.toString(16).padStart(4, "0") : null;
  if (typeof value !== "string") return null;
  if (/^(0|[1-9][0-9]*)$/.test(value)) return parseUuid(Number(value));
  const text = value.toLowerCase().replace(/^0x/, "");
  if (/^[0-9a-f]{4}$/.test(text)) return text;
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(text)) return text;
  return null;
}

/** Little-endian bytes of a UUID (2 or 16). */
function uuidBytes(uuid: UuidText): Uint8Array {
  if (uuid.length === 4) {
    const n = parseInt(uuid, 16);
    return Uint8Array.of(n & 0xff, n >> 8);
  }
  return Uint8Array.from(Buffer.from(uuid.replace(/-/g, ""), "hex")).reverse();
}

function uuid128Text(bytes: Uint8Array): UuidText {
  const h = Buffer.from(Uint8Array.from(bytes).reverse()).toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * The packet for `setAdvertising(data object, options)` (forSetAdvertising: adds Espruino's manufacturer ID
 * by default) or `getAdvertisingData(...)`: flags, service data (keys with values), 16/128-bit UUID lists
 * (keys with `undefined`), manufacturer data, then the name, shortened to fit.
 */
export function buildAdvertisingData(data: Record<string, unknown> | undefined, options: AdvertisingDataOptions | undefined, deviceName: string, forSetAdvertising: boolean): BuiltAdvert {
  const out: number[] = [];
  let showName = true;
  let flags = FLAGS_GENERAL;
  let withFlags = true;
  let manufacturer: number | null = forSetAdvertising ? ESPRUINO_COMPANY_ID : null;
  let manufacturerData: Uint8Array = new Uint8Array(0);
  let name = deviceName;
  if (options) {
    if (options.showName !== undefined) showName = Boolean(options.showName);
    if (options.name !== undefined) name = String(options.name);
    if (options.flags !== undefined && !options.flags) withFlags = false;
    if (options.discoverable !== undefined) flags = options.discoverable ? FLAGS_GENERAL : FLAGS_LIMITED;
    if (options.manufacturerData !== undefined && options.manufacturerData !== null) manufacturerData = toBytes(options.manufacturerData);
    if (options.manufacturer !== undefined) manufacturer = options.manufacturer ? Number(options.manufacturer) & 0xffff : null;
  }
  const add = (label: string, type: number, payload: Uint8Array, prefix?: Uint8Array): string | null => {
    const length = payload.length + (prefix ? prefix.length : 0);
    if (out.length + length + 2 > MAX_ADVERT_BYTES) return `Advertising data too long when adding ${label}`;
    out.push(length + 1, type);
    if (prefix) out.push(...prefix);
    out.push(...payload);
    return null;
  };
  let error: string | null = null;
  if (withFlags) error = add("flags", AD_FLAGS, Uint8Array.of(flags));
  const uuid16: number[] = [];
  const uuid128: number[] = [];
  for (const key of data ? Object.keys(data) : []) {
    if (error) break;
    const uuid = parseUuid(key);
    if (uuid === null) return { ok: false, error: "Invalid Service UUID: " + key };
    const value = data![key];
    if (value === undefined) (uuid.length === 4 ? uuid16 : uuid128).push(...uuidBytes(uuid));
    else error = add("Service", uuid.length === 4 ? AD_SERVICE_DATA_16 : AD_SERVICE_DATA_128, toBytes(value), uuidBytes(uuid));
  }
  if (!error && uuid16.length) error = add("16 bit Service", AD_UUID16_COMPLETE, Uint8Array.from(uuid16));
  if (!error && uuid128.length) error = add("128 bit Service", AD_UUID128_COMPLETE, Uint8Array.from(uuid128));
  if (!error && manufacturer !== null) error = add("Manufacturer data", AD_MANUFACTURER, manufacturerData, Uint8Array.of(manufacturer & 0xff, manufacturer >> 8));
  if (!error && showName && name.length > 0) {
    let nameBytes = stringBytes(name);
    let type = AD_COMPLETE_NAME;
    if (nameBytes.length + out.length + 2 > MAX_ADVERT_BYTES) {
      nameBytes = nameBytes.subarray(0, Math.max(0, MAX_ADVERT_BYTES - 2 - out.length));
      type = AD_SHORT_NAME;
    }
    error = add("Name", type, nameBytes);
  }
  return error ? { ok: false, error } : { ok: true, bytes: Uint8Array.from(out) };
}

/** What a scanner extracts from advertising data (the fields of Espruino's BluetoothDevice); byte fields are views into the data. */
export interface ParsedAdvertisingData {
  services: UuidText[];
  /** Service data in order of appearance, keyed by UUID text. */
  serviceData: [UuidText, Uint8Array][];
  manufacturer?: number;
  manufacturerData?: Uint8Array;
  name?: string;
  shortName?: string;
}

/** Parses AD structures as jswrap_ble_setScan_cb does (a later structure of a kind overrides an earlier one). */
export function parseAdvertisingData(data: Uint8Array): ParsedAdvertisingData {
  const parsed: ParsedAdvertisingData = { services: [], serviceData: [] };
  let i = 0;
  while (i < data.length) {
    const length = data[i]!;
    if (length === 0) { i += 1; continue; }
    const type = data[i + 1];
    const payload = data.subarray(i + 2, Math.min(data.length, i + 1 + length));
    switch (type) {
      case AD_SHORT_NAME:
        parsed.shortName = String.fromCharCode(...payload);
        break;
      case AD_COMPLETE_NAME:
        parsed.name = String.fromCharCode(...payload);
        break;
      case AD_UUID16_MORE:
      case AD_UUID16_COMPLETE:
        for (let j = 0; j + 1 < payload.length; j += 2) parsed.services.push((payload[j]! | (payload[j + 1]! << 8)).toString(16).padStart(4, "0"));
        break;
      case AD_UUID128_MORE:
      case AD_UUID128_COMPLETE:
        if (payload.length >= 16) parsed.services.push(uuid128Text(payload.subarray(0, 16)));
        break;
      case AD_SERVICE_DATA_16:
        if (payload.length >= 2) setServiceData(parsed, (payload[0]! | (payload[1]! << 8)).toString(16).padStart(4, "0"), payload.subarray(2));
        break;
      case AD_SERVICE_DATA_128:
        if (payload.length >= 16) setServiceData(parsed, uuid128Text(payload.subarray(0, 16)), payload.subarray(16));
        break;
      case AD_MANUFACTURER:
        if (payload.length >= 2) {
          parsed.manufacturer = payload[0]! | (payload[1]! << 8);
          parsed.manufacturerData = payload.subarray(2);
        }
        break;
    }
    i += length + 1;
  }
  return parsed;
}

function setServiceData(parsed: ParsedAdvertisingData, uuid: UuidText, value: Uint8Array): void {
  const existing = parsed.serviceData.find(([key]) => key === uuid);
  if (existing) existing[1] = value;
  else parsed.serviceData.push([uuid, value]);
}
