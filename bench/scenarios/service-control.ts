/**
 * The shared words and messages between the service scenario (service.ts) and its piscina task
 * (service-task.ts): kept apart so the main thread can use them without loading the task.
 */
import type { PoolHandle } from '../../src/index.ts';
import { HISTOGRAM_BUCKETS } from '../lib/latency-histogram.ts';

/** Control words (Int32Array over a SharedArrayBuffer), per-worker words 64 bytes apart. */
export const SERVICE_MAX_WORKERS = 8;
export const STRIDE = 16;
export const WORD = {
  /** Hands out worker slots. */
  SLOTS: 0,
  DIALS: STRIDE,
  /** drive tasks running. */
  RUNNING: 2 * STRIDE,
  STOP: 3 * STRIDE,
  /** + STRIDE · slot */
  PROGRESS: 4 * STRIDE,
  /** + STRIDE · slot: lanes this worker should run (drive). */
  DEMAND: (4 + SERVICE_MAX_WORKERS) * STRIDE,
  /** Latency histogram (latency-histogram.ts) of requests. */
  HIST: (4 + 2 * SERVICE_MAX_WORKERS) * STRIDE,
} as const;
export const SERVICE_CONTROL_WORDS = WORD.HIST + HISTOGRAM_BUCKETS;

export interface ServiceWorkerData {
  ctrl: Int32Array;
  /** The shared pool's handle: attach to it. */
  pool?: PoolHandle;
  /** Or: a mysql2 pool per worker with these options. */
  mysql2?: { options: Record<string, unknown>; connectionLimit: number };
}

export type ServiceTask =
  | { op: 'task'; spin: number; queries: number; sql: string }
  | { op: 'drive'; sql: string; maxLanes: number }
  | { op: 'ready'; barrier: Int32Array; parties: number }
  | { op: 'close'; barrier: Int32Array; parties: number };

export interface ServiceTaskResult {
  threadId: number;
  slot: number;
}

