/**
 * Reclaiming a thread that died (terminated, crashed, shrunk away by piscina). A dead thread runs
 * no code, and its sockets died with it, so the host frees every slot it owned and passes every
 * unit it held on, then frees its registry entry. Only call this once the thread has exited.
 */
import { type SharedCore } from './shared-core.ts';
import { SLOT_STATE } from './slot-table.ts';
import { STAT } from './stats.ts';
import { STACKS_PER_THREAD } from './layout.ts';
import { threadStackId } from './stack-ids.ts';
import { EMPTY } from './treiber-stack.ts';
import { CELL_STATE } from './waiter-cells.ts';
import { passUnitOn } from './unit-flow.ts';

export interface Reclaimed {
  slots: number;
  borrowed: number;
  waiters: number;
  grants: number;
}

export function reclaimThread(core: SharedCore, index: number, reaper: number): Reclaimed {
  const out: Reclaimed = { slots: 0, borrowed: 0, waiters: 0, grants: 0 };
  if (!core.threads.beginDetach(index)) return out;
  const { slots, stacks, waiters } = core;
  // Its waiters leave; a grant that won the race left a unit here: pass it on below.
  for (const cell of waiters.cellsOf(index, CELL_STATE.WAITING)) {
    if (waiters.cancel(cell)) {
      waiters.free(cell);
      out.waiters++;
    }
  }
  const freeUnit = (): void => {
    passUnitOn(core, -1);
  };
  for (const cell of waiters.cellsOf(index, CELL_STATE.GRANTED)) {
    waiters.free(cell);
    out.grants++;
    freeUnit();
  }
  for (const cell of [...waiters.cellsOf(index, CELL_STATE.CANCELLED), ...waiters.cellsOf(index, CELL_STATE.REJECTED)]) {
    waiters.free(cell);
  }
  // Detach its idle stacks, then take every slot it still owns, whatever its state. IDLE slots are
  // taken by CAS, so a thread evicting the same slot at this moment either wins (and leaves it
  // EVICTED, which is reclaimed here too) or loses and leaves it alone.
  for (let k = 0; k < STACKS_PER_THREAD; k++) {
    const stack = threadStackId(index, k);
    let slot = stacks.popAll(stack);
    while (slot !== EMPTY) {
      const next = stacks.nextOf(slot);
      stacks.unlink(slot);
      slot = next;
    }
  }
  for (let slot = 0; slot < slots.size; slot++) {
    if (slots.owner(slot) !== index) continue;
    let state = slots.state(slot);
    // An evicting thread may have won this slot a moment ago: it is EVICTED then, and still ours.
    if (state === SLOT_STATE.IDLE) {
      state = slots.casState(slot, SLOT_STATE.IDLE, SLOT_STATE.CLOSING) ? SLOT_STATE.CLOSING : slots.state(slot);
    }
    if (state === SLOT_STATE.FREE || state === SLOT_STATE.IDLE) continue;
    if (state === SLOT_STATE.BORROWED) {
      core.counters.giveBack();
      out.borrowed++;
    }
    slots.free(slot);
    stacks.push(core.freeStack, slot);
    out.slots++;
    freeUnit();
  }
  core.stats.retire(index);
  core.stats.add(reaper, STAT.REAPED_THREADS);
  core.threads.finishDetach(index);
  return out;
}
