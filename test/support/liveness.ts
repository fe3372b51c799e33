/**
 * Liveness, checked as the stress suites check safety: once traffic has stopped, every unit of the
 * pool must be obtainable by any single thread within a bound, round after round. A lost wake-up
 * (a doorbell rung and never answered, a unit stranded in an EVICTED slot, a dial nobody waits for)
 * shows up here as a get that times out while connections sit idle. Not a test file: workers import
 * takeAll() too.
 */
import type { PooledConnection, SharedPoolClient } from '../../src/index.ts';
import { scaled } from './time-scale.ts';

export interface TakeResult {
  /** Connections obtained (all were given back afterwards). */
  got: number;
  /** Error codes of the gets that failed. */
  errors: string[];
}

/** One thread's way to take `n` connections at once: main calls takeAll directly, a worker via a command. */
export interface Taker {
  name: string;
  take(n: number, timeoutMs: number): Promise<TakeResult>;
}

/** Asks for `n` connections at once (each with `timeoutMs`), then recycles every one obtained. */
export async function takeAll(db: Pick<SharedPoolClient, 'get'>, n: number, timeoutMs: number): Promise<TakeResult> {
  const outcomes = await Promise.allSettled(Array.from({ length: n }, () => db.get({ timeoutMs })));
  const got: PooledConnection[] = [];
  const errors: string[] = [];
  for (const o of outcomes) {
    if (o.status === 'fulfilled') got.push(o.value);
    else errors.push((o.reason as { code?: string })?.code ?? String(o.reason));
  }
  for (const conn of got) conn.recycle();
  return { got: got.length, errors };
}

export interface LivenessOptions {
  /** Units every taker must obtain at once (the pool's capacity). */
  units: number;
  takers: Taker[];
  /** Rounds; each round every taker in turn takes all units. Default 10. */
  rounds?: number;
  /** Each get's deadline. Default 1000 ms; scaled by TEST_TIME_SCALE. */
  boundMs?: number;
}

export interface LivenessReport {
  rounds: number;
  takes: number;
  /** One line per take that did not obtain every unit. */
  failures: string[];
}

/**
 * Runs the check: the takers take turns (so units must move between threads every round). Returns
 * the failures rather than throwing, so a test can print how many rounds failed.
 */
export async function checkLiveness(options: LivenessOptions): Promise<LivenessReport> {
  const rounds = options.rounds ?? 10;
  const boundMs = scaled(options.boundMs ?? 1000);
  const failures: string[] = [];
  let takes = 0;
  for (let round = 0; round < rounds; round++) {
    for (const taker of options.takers) {
      const r = await taker.take(options.units, boundMs);
      takes++;
      if (r.got !== options.units) {
        failures.push(`round ${round}: ${taker.name} obtained ${r.got} of ${options.units} within ${boundMs} ms (${r.errors.join(', ')})`);
      }
    }
  }
  return { rounds, takes, failures };
}
