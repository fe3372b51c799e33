/**
 * How much CPU the calling thread actually got: Linux's /proc/thread-self/schedstat gives the
 * thread's time on a CPU and its time runnable but waiting for one. A scenario whose threads got
 * much less than 100 % of a CPU was disturbed by other load (or had more threads than CPUs), and
 * its numbers say little about the code. Elsewhere (macOS, Windows) this returns undefined.
 */
import { readFileSync } from 'node:fs';

export interface CpuSample {
  runMs: number;
  waitMs: number;
}

let available = process.platform === 'linux';

export function threadCpu(): CpuSample | undefined {
  if (!available) return undefined;
  try {
    const [run, wait] = readFileSync('/proc/thread-self/schedstat', 'utf8').trim().split(/\s+/);
    return { runMs: Number(run) / 1e6, waitMs: Number(wait) / 1e6 };
  } catch {
    available = false;
    return undefined;
  }
}

/** Fraction of `elapsedMs` the thread spent on a CPU between two samples (undefined if unknown). */
export function cpuShare(before: CpuSample | undefined, after: CpuSample | undefined, elapsedMs: number): number | undefined {
  if (!before || !after || elapsedMs <= 0) return undefined;
  return Math.min(1, (after.runMs - before.runMs) / elapsedMs);
}
