/**
 * CPU work of a known length for scenarios that model a request's computation: an LCG loop the
 * optimiser cannot drop. A count of iterations (calibrated once) rather than a wall-clock spin, so
 * a thread that is preempted still does the same work.
 */
let sink = 0;

export function spin(iterations: number): void {
  let x = sink | 1;
  for (let i = 0; i < iterations; i++) x = (Math.imul(x, 1103515245) + 12345) | 0;
  sink = x;
}

/** Iterations of spin() per ms on this machine: the fastest of several timed runs. */
export function spinIterationsPerMs(): number {
  const n = 2_000_000;
  spin(n); // optimised
  let best = Infinity;
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    spin(n);
    best = Math.min(best, performance.now() - t0);
  }
  return n / Math.max(best, 1e-3);
}
