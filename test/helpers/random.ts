import { randomBytes } from "node:crypto";

/** `count` random bytes from the host (nonces and keys a test does not need to repeat). */
export function hostRandom(count: number): Uint8Array {
  return new Uint8Array(randomBytes(count));
}

/** A repeatable pseudo-random stream in [0, 1) for tests (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
