/**
 * Byte helpers shared by the firmware and the host. Bytes are Uint8Array everywhere; these are the few
 * operations the protocol code needs that Espruino's typed arrays do not offer directly.
 */

/** No bytes: one shared empty array (nothing can be written into it). */
export var NO_BYTES = new Uint8Array(0);

/** Lower-case hex of `bytes`, two digits a byte. */
export function bytesToHex(bytes: Uint8Array): string {
  var hex = "";
  for (var i = 0; i < bytes.length; i++) hex += (bytes[i] + 0x100).toString(16).substr(1);
  return hex;
}

/** Bytes of a hex string (two digits a byte, either case); null when it is not whole bytes of hex. */
export function hexToBytes(hex: string): Uint8Array | null {
  if (hex.length % 2 || !/^[0-9a-fA-F]*$/.test(hex)) return null;
  var bytes = new Uint8Array(hex.length / 2);
  for (var i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.substr(i * 2, 2), 16);
  return bytes;
}

/** Bytes of an ASCII string (the protocol labels such as "EN-RPIK"). */
export function asciiBytes(text: string): Uint8Array {
  var bytes = new Uint8Array(text.length);
  for (var i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** One new array holding `parts` one after another. */
export function concatBytes(parts: Uint8Array[]): Uint8Array {
  var length = 0;
  for (var i = 0; i < parts.length; i++) length += parts[i].length;
  var out = new Uint8Array(length);
  var at = 0;
  for (var j = 0; j < parts.length; j++) {
    out.set(parts[j], at);
    at += parts[j].length;
  }
  return out;
}

/** Whether `a` and `b` hold the same bytes. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/*
 * Little-endian number fields, `size` bytes each, a negative size meaning a signed (two's complement)
 * field: one writer and one reader serve every message of the sync protocol and the GAEN RPI input.
 */

/**
 * Writes `values` from `at` in fields of `sizes` bytes, each rounded and clamped to what its field holds
 * (so a figure out of range reads as the field's limit, not as wrapped garbage); returns the offset after.
 */
export function writeFields(bytes: Uint8Array, at: number, values: number[], sizes: number[]): number {
  for (var i = 0; i < sizes.length; i++) {
    var size = Math.abs(sizes[i]);
    var span = Math.pow(256, size);
    var least = sizes[i] < 0 ? -span / 2 : 0;
    var value = Math.max(least, Math.min(least + span - 1, Math.round(values[i])));
    // Floor division keeps the bytes of a negative value right: -2 → fe ff …; each byte keeps the low 8 bits.
    for (var end = at + size; at < end; at++) {
      bytes[at] = value;
      value = Math.floor(value / 256);
    }
  }
  return at;
}

/** The number in the field of `size` bytes at `at` (negative size: signed); NaN when it runs past the end. */
export function readField(bytes: Uint8Array, at: number, size: number): number {
  var count = Math.abs(size);
  var span = Math.pow(256, count);
  var value = 0;
  for (var i = count - 1; i >= 0; i--) value = value * 256 + bytes[at + i];
  return size < 0 && value >= span / 2 ? value - span : value;
}

/** The numbers in fields of `sizes` from `at` to the end of `bytes`; null unless they fill it exactly. */
export function readFields(bytes: Uint8Array, at: number, sizes: number[]): number[] | null {
  var values: number[] = [];
  for (var i = 0; i < sizes.length; i++) {
    values.push(readField(bytes, at, sizes[i]));
    at += Math.abs(sizes[i]);
  }
  return at === bytes.length ? values : null;
}

/** `value` (0 to 2^32 - 1) as 4 little-endian bytes (a Uint8Array keeps the low 8 bits of each shift). */
export function uint32LE(value: number): Uint8Array {
  return new Uint8Array([value, value >> 8, value >> 16, value >> 24]);
}

/** Writes `value` (0 to 2^32 - 1) as 4 little-endian bytes at `offset`. */
export function writeUint32LE(bytes: Uint8Array, offset: number, value: number): void {
  bytes.set(uint32LE(value), offset);
}

/** The unsigned 32-bit little-endian number at `offset`. */
export function readUint32LE(bytes: Uint8Array, offset: number): number {
  return readField(bytes, offset, 4);
}

/** The byte that carries the signed 8-bit number `value` (-128 to 127), two's complement. */
export function int8ToByte(value: number): number {
  return value & 0xff;
}

/** The signed 8-bit number a byte carries, two's complement. */
export function byteToInt8(byte: number): number {
  return byte > 0x7f ? byte - 0x100 : byte;
}
