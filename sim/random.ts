/**
 * Seeded pseudo-random numbers for the simulator, so that `--seed` makes a run repeatable.
 *
 * The generator is the host runtime's (sim/espruino/random.ts: sfc32 seeded from a hashed key). Each model
 * takes its own stream with `fork(label)`, whose key is the parent's key plus the label: a stream never
 * depends on how many numbers another stream drew, so adding a draw to the radio model does not move
 * every resident's schedule.
 */
import { hash32, Random as Sfc32, seedValue } from "./espruino/random";

const TWO_POW_32 = 4294967296;

/** A uniform number in [0, 1) from integers, without state: the same integers, the same number. */
export function hashUniform(seed: number, a: number, b: number, c: number): number {
  return hash32(seed, a, b, c) / TWO_POW_32;
}

/** A standard normal number from two stateless uniforms (Box–Muller). */
export function hashNormal(seed: number, a: number, b: number, c: number): number {
  const u = hashUniform(seed, a, b, c);
  const v = hashUniform(seed ^ 0x5bd1e995, a, b, c);
  return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
}

/** One stream of seeded pseudo-random numbers. */
export class Random {
  private readonly source: Sfc32;

  /** A stream seeded from `key` (a `--seed` value, or a parent key plus labels). */
  constructor(readonly key: string) {
    this.source = new Sfc32(key);
  }

  /** An independent stream for one purpose, named by `label`. */
  fork(label: string | number): Random {
    return new Random(`${this.key}/${label}`);
  }

  /** A 32-bit unsigned integer. */
  uint32(): number {
    return this.source.uint32();
  }

  /** A uniform number in [0, 1). */
  next(): number {
    return this.source.next();
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
    return seedValue(this.key);
  }
}
