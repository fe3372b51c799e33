/**
 * verify() at a quiescent moment of an open pool. verify() reads the slot table first and the
 * per-thread counts and `active` afterwards; it is only meaningful while no thread moves slots. With
 * an idle timeout, every thread's sweep keeps closing and reopening idle connections long after the
 * traffic stopped: a sweep running in another thread between the two reads is reported as a
 * mismatch ("thread 1 counts 9 slots held but owns 16; active = 9 but 16 slots are in use": 8 of 16
 * idle connections swept, the first reopen reserved). So: sweeps paused, every thread's background
 * work settled (`settleThreads`), verify(), sweeps resumed. Not a test file.
 */
import { type SharedPool } from '../../src/index.ts';
import { type SharedCore } from '../../src/core/index.ts';

export async function verifyQuiescent(pool: SharedPool & { core: SharedCore }, settleThreads: () => Promise<unknown>): Promise<string[]> {
  const idleTimeoutMs = pool.core.lifecycle.idleTimeoutMs;
  pool.setIdleTimeout(0);
  try {
    await settleThreads();
    await pool.settled();
    return pool.verify();
  } finally {
    pool.setIdleTimeout(idleTimeoutMs);
  }
}
