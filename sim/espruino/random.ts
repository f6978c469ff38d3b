/**
 * Deterministic randomness for simulated tags: every tag has its own seeded generator (nothing reads
 * Math.random or the wall clock), and a stateless hash for values that must be a pure function of an index.
 */

/** A seed: a number, or a string (hashed). */
export type Seed = number | string;

/** 32-bit FNV-1a of a string. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The 32-bit seed value of `seed`. */
export function seedValue(seed: Seed): number {
  return typeof seed === "number" ? seed >>> 0 : fnv1a(seed);
}

/** Mixes 32-bit words into one well-distributed 32-bit value (murmur3 finaliser per word). */
export function hash32(...words: number[]): number {
  let h = 0x9e3779b9;
  for (const word of words) {
    h ^= word >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** A seeded sfc32 generator. */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d = 1;

  constructor(seed: Seed, stream = 0) {
    const s = seedValue(seed);
    this.a = hash32(s, stream, 1);
    this.b = hash32(s, stream, 2);
    this.c = hash32(s, stream, 3);
    for (let i = 0; i < 12; i++) this.uint32();
  }

  /** The next unsigned 32-bit value. */
  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }
}
