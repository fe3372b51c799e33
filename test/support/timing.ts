import { scaled } from './time-scale.ts';

/** Waiting helpers shared by tests, their workers and support modules (not a test file). */

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Yields to the macrotask queue: gets served synchronously from idle must not starve doorbells and timers. */
export const yieldMacrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Holds a borrowed connection briefly: half the time one macrotask turn, otherwise a sleep of 0–2 ms. */
export async function holdBriefly(random: () => number): Promise<void> {
  if (random() < 0.5) await yieldMacrotask();
  else await sleep(Math.floor(random() * 3));
}

/** Resolves with what `promise` settles to, or rejects if that takes longer than `ms` × TEST_TIME_SCALE. */
export async function within<T>(promise: Promise<T>, unscaledMs: number, what: string): Promise<T> {
  const ms = scaled(unscaledMs);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
