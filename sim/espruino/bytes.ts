/**
 * Byte conversions with Espruino's rules (jsvIterateCallbackToBytes / JSV_GET_AS_CHAR_ARRAY): strings give
 * one byte per character code, typed arrays give the bytes of their view, plain arrays give each element
 * `& 0xFF` and are flattened when they hold strings or nested arrays.
 */
import { types } from "node:util";

/** Anything Espruino accepts where it wants bytes. */
export type ByteSource = string | ArrayBuffer | ArrayBufferView | ArrayLike<unknown>;

/** The bytes Espruino would see for `data` (a copy; never aliases the caller's buffer). */
export function toBytes(data: unknown): Uint8Array {
  if (typeof data === "string") return stringBytes(data);
  if (types.isArrayBuffer(data)) return new Uint8Array(data.slice(0));
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  if (typeof data === "number" || typeof data === "boolean") return Uint8Array.of(Number(data) & 0xff);
  if (Array.isArray(data)) {
    const out: number[] = [];
    appendArray(out, data);
    return Uint8Array.from(out);
  }
  return new Uint8Array(0);
}

function appendArray(out: number[], items: readonly unknown[]): void {
  for (const item of items) {
    if (typeof item === "string") for (let i = 0; i < item.length; i++) out.push(item.charCodeAt(i) & 0xff);
    else if (Array.isArray(item)) appendArray(out, item);
    else if (ArrayBuffer.isView(item) || types.isArrayBuffer(item)) for (const b of toBytes(item)) out.push(b);
    else out.push(Number(item) & 0xff);
  }
}

/** One byte per character code (Espruino strings are byte strings). */
export function stringBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/** A byte string (char code = byte), as Espruino's Storage.read returns. */
export function bytesToString(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}

/** Lower-case hex of the bytes. */
export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** An ArrayBuffer or a view of one (of any realm). */
export function isBinary(value: unknown): value is ArrayBuffer | ArrayBufferView {
  return ArrayBuffer.isView(value) || types.isArrayBuffer(value);
}

/** Objects other than arrays and binary data (Espruino treats these as JSON-able records). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !isBinary(value);
}
