/**
 * Treiber stack throughput on a SharedCore: one thread (tinybench), and worker threads hammering
 * stacks concurrently for a fixed time. One op = one pair: pop a slot, push it somewhere (2 CAS on
 * 64-bit heads when uncontended), so the ideal ratio to the raw 64-bit CAS limit is 0.5.
 */
import { core as built } from '../lib/library.ts';
import type { SharedCore } from '../../src/core/index.ts';

const { EMPTY, STACKS_PER_THREAD } = built;
import { measureBatches } from '../lib/measure.ts';
import { createControl, runWorkers } from '../lib/threads.ts';
import type { BenchContext, ScenarioGroup, ScenarioResult } from '../lib/types.ts';
import { CAS64 } from './raw-cas.ts';
import { assertAllFree, moveFromFree, returnToFree, slotRange, STACK_LIMITS, type StackWorkerResult } from './stack-ops.ts';
import type { StackWorkerData } from './stack-worker.ts';

const BATCH = 10_000; // pairs per tinybench call (even)

export const stackSingle: ScenarioGroup = {
  id: 'stack',
  title: 'Treiber stack pop+push pairs, one thread',
  async run(ctx) {
    const core = built.SharedCore.create(STACK_LIMITS);
    const stacks = core.stacks;
    const free = core.freeStack;
    const clean = core.cleanStack(0);

    // pop a slot from the free stack, push it back on the free stack
    const samePairs = (n: number): void => {
      for (let i = 0; i < n; i++) {
        const slot = stacks.pop(free);
        if (slot === EMPTY) throw new Error('free stack empty');
        stacks.push(free, slot);
      }
    };
    // pop from the free stack, push on thread 0's clean stack, and back: two pairs per step
    const movePairs = (n: number): void => {
      for (let i = 0; i < n; i += 2) {
        const slot = stacks.pop(free);
        if (slot === EMPTY) throw new Error('free stack empty');
        stacks.push(clean, slot);
        const back = stacks.pop(clean);
        if (back === EMPTY) throw new Error('clean stack empty');
        stacks.push(free, back);
      }
    };

    const measured = await measureBatches(
      [
        { id: 'stack.same.1t', batch: BATCH, loop: samePairs },
        { id: 'stack.move.1t', batch: BATCH, loop: movePairs },
      ],
      ctx.options.timing,
    );
    assertAllFree(core, 'single-thread stack scenarios');

    const names: Record<string, string> = {
      'stack.same.1t': 'stack pair: free → free',
      'stack.move.1t': 'stack pair: free ↔ thread stack',
    };
    return measured.map((m): ScenarioResult => ({
      id: m.id,
      group: 'stack',
      name: names[m.id],
      unit: 'pair',
      threads: 1,
      opsPerSec: m.opsPerSec,
      rme: m.rme,
      samples: m.samples,
      casPerOp: 2,
      baseline: CAS64,
      durationMs: m.durationMs,
      ...(m.cpuShare !== undefined ? { cpuShare: m.cpuShare } : {}),
    }));
  },
};

const WORKER_ENTRY = new URL('./stack-worker.ts', import.meta.url);

interface ThreadScenario {
  id: string;
  name: string;
  threads: number;
  /** Stack of worker t, and the slots to move onto it from the free stack first (none: use as is). */
  stackOf(core: SharedCore, t: number): { stack: number; slots: number[] };
  notes?: string[];
}

/** Slots per thread in the own-stack scenarios; 8 links = 32 bytes of `next`. */
const OWN = 8;
/**
 * Index distance between two threads' slots in the "apart" scenario: 48 slots = 192 bytes, so their
 * links (32 bytes each) are over 128 bytes apart and never share a cache line of 64 or 128 bytes,
 * whatever the buffer's base alignment.
 */
const APART = 48;
/** Bytes between thread 0's and thread 1's clean-stack heads (8 bytes per head). */
const HEAD_GAP = STACKS_PER_THREAD * 8;

const THREAD_SCENARIOS: ThreadScenario[] = [
  {
    id: 'stack.same.2t',
    name: 'stack pair: free → free, shared',
    threads: 2,
    stackOf: (core) => ({ stack: core.freeStack, slots: [] }),
    notes: ['both threads pop and push the same head (the free stack)'],
  },
  {
    id: 'stack.own-apart.2t',
    name: 'stack pair: own stack, slots apart',
    threads: 2,
    stackOf: (core, t) => ({ stack: core.cleanStack(t), slots: slotRange(t * APART, OWN) }),
    notes: [`control: each thread works its own clean stack holding ${OWN} slots; their \`next\` links are ${APART * 4} bytes apart; their heads are ${HEAD_GAP} bytes apart (fixed by the layout: one 64-byte line each, but possibly one 128-byte line)`],
  },
  {
    id: 'stack.own-adjacent.2t',
    name: 'stack pair: own stack, slots adjacent',
    threads: 2,
    stackOf: (core, t) => ({ stack: core.cleanStack(t), slots: slotRange(t * OWN, OWN) }),
    notes: [`as above but slots ${0}–${OWN - 1} and ${OWN}–${2 * OWN - 1}: the two threads' \`next\` links sit side by side and usually share a cache line (false sharing)`],
  },
];

async function runThreadScenario(ctx: BenchContext, sc: ThreadScenario): Promise<ScenarioResult> {
  const { threadMs, threadWarmupMs } = ctx.options.timing;
  const core = built.SharedCore.create(STACK_LIMITS);
  const ctrl = createControl();
  const data: StackWorkerData[] = [];
  for (let t = 0; t < sc.threads; t++) {
    const { stack, slots } = sc.stackOf(core, t);
    if (slots.length > 0) moveFromFree(core, stack, slots);
    data.push({ buffer: core.buffer, ctrl, parties: sc.threads, stack, durationMs: threadMs, warmupMs: threadWarmupMs });
  }

  const results = await runWorkers<StackWorkerData, StackWorkerResult>(WORKER_ENTRY, data, threadMs + threadWarmupMs * sc.threads + 60_000);

  for (const d of data) if (d.stack !== core.freeStack) returnToFree(core, d.stack);
  assertAllFree(core, sc.name);
  const empty = results.reduce((s, r) => s + r.empty, 0);
  if (empty > 0) throw new Error(`${sc.name}: ${empty} pops found the stack empty`);

  // The barrier should start every thread within a fraction of a millisecond; record how well it did.
  const starts = results.map((r) => r.startEpochMs);
  const ends = results.map((r) => r.endEpochMs);
  const skewMs = Math.max(...starts) - Math.min(...starts);
  const overlapMs = Math.min(...ends) - Math.max(...starts);
  const notes = [...(sc.notes ?? []), `start skew ${skewMs.toFixed(3)} ms, all threads running together for ${overlapMs.toFixed(0)} ms`];

  const shares = results.map((r) => r.cpuShare);
  const cpu = shares.every((x) => x !== undefined) ? Math.min(...(shares as number[])) : undefined;

  const perThread = results.map((r) => (r.pairs * 1000) / r.elapsedMs);
  const wallMs = Math.max(...results.map((r) => r.elapsedMs));
  const pairs = results.reduce((s, r) => s + r.pairs, 0);
  return {
    id: sc.id,
    group: 'stack-threads',
    name: sc.name,
    unit: 'pair',
    threads: sc.threads,
    opsPerSec: (pairs * 1000) / wallMs,
    perThread,
    samples: results.reduce((s, r) => s + r.chunks, 0),
    casPerOp: 2,
    baseline: CAS64,
    durationMs: wallMs,
    ...(cpu !== undefined ? { cpuShare: cpu } : {}),
    notes,
  };
}

export const stackThreads: ScenarioGroup = {
  id: 'stack-threads',
  title: 'Treiber stack pop+push pairs, worker threads',
  async run(ctx) {
    const out: ScenarioResult[] = [];
    for (const sc of THREAD_SCENARIOS) out.push(await runThreadScenario(ctx, sc));
    return out;
  },
};
