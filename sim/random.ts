/**
 * Seeded pseudo-random numbers for the simulator, so that `--seed` makes a run repeatable.
 *
 * Generator: sfc32 (Chris Doty-Humphrey's Small Fast Counter, as in PractRand), 128 bits of state, seeded by
 * hashing a text key. Each model takes its own stream with `fork(label)`, whose key is the parent's key plus
 * the label: a stream never depends on how many numbers another stream drew, so adding a draw to the radio
 * model does not move every resident's schedule.
 */

/** Lanes of the key hash: four odd 32-bit constants (digits of the golden ratio, √2, √3, √5). */
const HASH_LANES = [0x9e3779b9, 0x6a09e667, 0xbb67ae85, 0x3c6ef372];
/** Numbers drawn and dropped after seeding so that similar keys diverge at once. */
const WARM_UP = 12;
const TWO_POW_32 = 4294967296;

/** Four 32-bit words mixed from a text key (multiply–xorshift per character, then a final avalanche). */
export function hashKey(key: string): [number, number, number, number] {
  const h = HASH_LANES.slice();
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    for (let lane = 0; lane < 4; lane++) {
      let x = Math.imul(h[lane]! ^ c, 0x85ebca6b + 2 * lane);
      x ^= x >>> 13;
      h[lane] = Math.imul(x, 0xc2b2ae35) ^ h[(lane + 1) & 3]!;
    }
  }
  for (let lane = 0; lane < 4; lane++) h[lane] = avalanche(h[lane]! ^ key.length ^ (lane << 24));
  return [h[0]! >>> 0, h[1]! >>> 0, h[2]! >>> 0, h[3]! >>> 0];
}

/** MurmurHash3's 32-bit finaliser: every input bit moves every output bit. */
export function avalanche(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** A uniform number in [0, 1) from any list of integers, without state: the same integers, the same number. */
export function hashUniform(seed: number, a: number, b: number, c: number): number {
  let x = avalanche(seed ^ Math.imul(a | 0, 0x27d4eb2d));
  x = avalanche(x ^ Math.imul(b | 0, 0x165667b1));
  x = avalanche(x ^ Math.imul(c | 0, 0x9e3779b1));
  return x / TWO_POW_32;
}

/** A standard normal number from two stateless uniforms (Box–Muller). */
export function hashNormal(seed: number, a: number, b: number, c: number): number {
  const u = hashUniform(seed, a, b, c);
  const v = hashUniform(seed ^ 0x5bd1e995, a, b, c);
  return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
}

/** One stream of seeded pseudo-random numbers. */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** A stream seeded from `key` (a `--seed` value, or a parent key plus labels). */
  constructor(readonly key: string) {
    [this.a, this.b, this.c, this.d] = hashKey(key);
    for (let i = 0; i < WARM_UP; i++) this.uint32();
  }

  /** An independent stream for one purpose, named by `label`. */
  fork(label: string | number): Random {
    return new Random(`${this.key}/${label}`);
  }

  /** A 32-bit unsigned integer (one sfc32 step). */
  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A uniform number in [0, 1). */
  next(): number {
    return this.uint32() / TWO_POW_32;
  }

  /** A uniform number in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** A uniform integer in [min, max] (both included). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** A normal number (Box–Muller; one of the pair is used, which keeps the stream simple to reason about). */
  normal(mean: number, sd: number): number {
    const u = this.next();
    const v = this.next();
    return mean + sd * Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
  }

  /** An exponential number with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** An index drawn with probability proportional to `weights` (non-negative, not all zero). */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let x = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      x -= weights[i]!;
      if (x < 0) return i;
    }
    return weights.length - 1;
  }

  /** The array shuffled in place (Fisher–Yates) and returned. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const t = items[i]!;
      items[i] = items[j]!;
      items[j] = t;
    }
    return items;
  }

  /** A 32-bit seed for stateless draws (hashUniform, hashNormal) tied to this stream's key. */
  seed32(): number {
    return hashKey(this.key)[0];
  }
}
