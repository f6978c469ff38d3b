/**
 * The number fields of the sync protocol: little-endian, `size` bytes each, a negative size meaning a
 * signed (two's complement) field. One writer and one reader serve every message, driven by size lists.
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
    // Floor division keeps the bytes of a negative value right: -2 → fe ff …
    for (var end = at + size; at < end; at++) {
      bytes[at] = value & 0xff;
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
