/**
 * Worker entry of the multi-thread stack scenarios (loaded through bench/worker-bootstrap.mjs).
 * Attaches to the pool buffer, warms the loop up on its own, meets the others at the barrier, then
 * hammers its stack until the shared stop flag is set.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { core as built } from '../lib/library.ts';
import type { SharedCore } from '../../src/core/index.ts';
import { cpuShare, threadCpu } from '../lib/cpu.ts';
import { arriveAndWait, createControl, CTRL, replyWith } from '../lib/threads.ts';
import { hammer, type StackWorkerResult } from './stack-ops.ts';

export interface StackWorkerData {
  buffer: SharedArrayBuffer;
  ctrl: Int32Array;
  parties: number;
  /** Stack this worker pops from and pushes to. */
  stack: number;
  durationMs: number;
  warmupMs: number;
}

if (!parentPort) throw new Error('stack-worker.ts must run in a worker thread');
const port = parentPort;

replyWith<StackWorkerResult>(port, () => {
  const data = workerData as StackWorkerData;
  const core = built.SharedCore.attach(data.buffer);
  // Warm-up with a private stop flag: only the time budget ends it.
  hammer(core.stacks, data.stack, data.warmupMs, createControl(), CTRL.STOP);
  arriveAndWait(data.ctrl, data.parties);
  const before = threadCpu();
  const result = hammer(core.stacks, data.stack, data.durationMs, data.ctrl, CTRL.STOP);
  const share = cpuShare(before, threadCpu(), result.elapsedMs);
  return share === undefined ? result : { ...result, cpuShare: share };
});
