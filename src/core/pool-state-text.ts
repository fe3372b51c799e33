/**
 * The pool's state in words, for error messages that have to explain themselves: a get that timed
 * out or a drain that did not finish says what held the capacity and where (no I/O, a slot scan:
 * only on these rare paths).
 */
import { type SharedCore } from './shared-core.ts';
import { SLOT_STATE } from './slot-table.ts';

/** `capacity 4, in use 4, idle 0, waiting 3; in use per thread: #0 1, #2 3; waiting per thread: #1 3` */
export function describePoolState(core: SharedCore): string {
  const { capacity, active, borrowed } = core.counters;
  const inUse = new Map<number, number>();
  const slots = core.slots;
  for (let slot = 0; slot < slots.size; slot++) {
    if (slots.state(slot) === SLOT_STATE.BORROWED) inUse.set(slots.owner(slot), (inUse.get(slots.owner(slot)) ?? 0) + 1);
  }
  const waiting = new Map<number, number>();
  for (let t = 0; t < core.threads.maxThreads; t++) {
    const n = core.waiters.waitingOf(t);
    if (n > 0) waiting.set(t, n);
  }
  const perThread = (m: Map<number, number>): string => [...m].sort((a, b) => a[0] - b[0]).map(([t, n]) => `#${t} ${n}`).join(', ');
  let text = `capacity ${capacity}, in use ${borrowed}, idle ${Math.max(0, active - borrowed)}, waiting ${core.waiters.waiting}`;
  if (inUse.size > 0) text += `; in use per thread: ${perThread(inUse)}`;
  if (waiting.size > 0) text += `; waiting per thread: ${perThread(waiting)}`;
  return text;
}
