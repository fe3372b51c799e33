/**
 * Stack loops shared by the main thread and the stack workers (no side effects at import).
 */
import { core as built } from '../lib/library.ts';
import type { TreiberStacks, SharedCore } from '../../src/core/index.ts';

const { EMPTY } = built;

/** Pool shape used by every stack scenario. */
export const STACK_LIMITS = { maxCapacity: 64, maxThreads: 4, maxWaiters: 16, maxSettings: 8 } as const;

/** Pairs between two checks of the clock and the stop flag. */
export const CHUNK = 1024;

export interface HammerResult {
  /** Successful pop + push pairs. */
  pairs: number;
  /** Pops that found the stack empty (should stay 0). */
  empty: number;
  elapsedMs: number;
  /** Clock checks (CHUNK pairs each). */
  chunks: number;
  /** Start and end of the measured loop, ms since the Unix epoch (comparable across threads). */
  startEpochMs: number;
  endEpochMs: number;
}

/** What a stack worker replies: the measured loop, and the share of a CPU the thread got meanwhile. */
export interface StackWorkerResult extends HammerResult {
  cpuShare?: number;
}

/**
 * Pops a slot from `stack` and pushes it back, until `durationMs` has passed or stop[stopIndex]
 * is set. The first thread to run out of time sets the flag so all threads stop together.
 */
export function hammer(stacks: TreiberStacks, stack: number, durationMs: number, stop: Int32Array, stopIndex: number): HammerResult {
  let pairs = 0;
  let empty = 0;
  let chunks = 0;
  const t0 = performance.now();
  let now = t0;
  for (;;) {
    for (let i = 0; i < CHUNK; i++) {
      const slot = stacks.pop(stack);
      if (slot === EMPTY) {
        empty++;
        continue;
      }
      stacks.push(stack, slot);
    }
    pairs += CHUNK;
    chunks++;
    now = performance.now();
    if (Atomics.load(stop, stopIndex) !== 0) break;
    if (now - t0 >= durationMs) {
      Atomics.store(stop, stopIndex, 1);
      break;
    }
  }
  const origin = performance.timeOrigin;
  return { pairs: pairs - empty, empty, elapsedMs: now - t0, chunks, startEpochMs: origin + t0, endEpochMs: origin + now };
}

/**
 * Walks the free stack and throws unless it holds every slot exactly once: a quiescent sanity check
 * that the run did not lose or duplicate slots.
 */
export function assertAllFree(core: SharedCore, label: string): void {
  const { maxCapacity } = core.memory.layout;
  const seen = new Uint8Array(maxCapacity);
  let count = 0;
  for (let slot = core.stacks.peek(core.freeStack); slot !== EMPTY; slot = core.stacks.nextOf(slot)) {
    if (slot < 0 || slot >= maxCapacity) throw new Error(`${label}: free stack links to slot ${slot}`);
    if (seen[slot]) throw new Error(`${label}: slot ${slot} twice on the free stack`);
    seen[slot] = 1;
    count++;
  }
  if (count !== maxCapacity) throw new Error(`${label}: free stack holds ${count} of ${maxCapacity} slots`);
}

/**
 * Moves the given slots from the free stack onto `stack` (single-threaded setup). Choosing the slots
 * decides whether two threads' links share a cache line of `next` (4 bytes per slot).
 */
export function moveFromFree(core: SharedCore, stack: number, slots: readonly number[]): void {
  const free: number[] = [];
  for (let slot = core.stacks.pop(core.freeStack); slot !== EMPTY; slot = core.stacks.pop(core.freeStack)) free.push(slot);
  const wanted = new Set(slots);
  for (const slot of slots) {
    if (!free.includes(slot)) throw new Error(`slot ${slot} is not on the free stack`);
    core.stacks.push(stack, slot);
  }
  // Put the rest back in their original order (the first popped ends on top again).
  for (let i = free.length - 1; i >= 0; i--) if (!wanted.has(free[i])) core.stacks.push(core.freeStack, free[i]);
}

/** `count` consecutive slot indices from `first`. */
export function slotRange(first: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => first + i);
}

/** Moves every slot of `stack` back onto the free stack. */
export function returnToFree(core: SharedCore, stack: number): void {
  for (let slot = core.stacks.pop(stack); slot !== EMPTY; slot = core.stacks.pop(stack)) {
    core.stacks.push(core.freeStack, slot);
  }
}
