/** Deterministic randomness for the stress tests and their workers (not a test file). */

/** xorshift32: a deterministic stream in [0, 1) per seed (the seed is reported with any problem). */
export function rng(seed: number): () => number {
  let x = seed | 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

/** A fresh seed per test run. */
export const newSeed = (): number => (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
