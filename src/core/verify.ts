/**
 * verify(): walks the whole buffer and reports every broken invariant. Meant for quiescent moments
 * (between stress cycles, after close): a slot in flight between places would be reported.
 *
 * Checks: every slot is in exactly one place (free stack, one idle stack of its owner, or held as
 * DIALING / BORROWED / CLOSING / EVICTED); no cycles; no BUSY or EXPIRED time on an idle stack;
 * idle slots sit in the stack of their setting; borrowed = BORROWED slots; active = slots in use +
 * units granted but not yet taken; active ≤ capacity ≤ maxCapacity; waiting count = WAITING cells.
 */
import { HEADER, STACKS_PER_THREAD } from './layout.ts';
import { settingBucket, threadStackId } from './stack-ids.ts';
import { type SharedCore } from './shared-core.ts';
import { BUSY, EXPIRED, SLOT_STATE, SLOT_STATE_NAMES } from './slot-table.ts';
import { THREAD_STATE } from './thread-registry.ts';
import { CELL_STATE } from './waiter-cells.ts';
import { EMPTY } from './treiber-stack.ts';

export interface VerifyOptions {
  /** Allow active > capacity (a drain that timed out, or a pool paused mid-drain). */
  allowOverCapacity?: boolean;
}

export function verify(core: SharedCore, options: VerifyOptions = {}): string[] {
  const problems: string[] = [];
  const { maxCapacity, maxThreads } = core.memory.layout;
  const seenIn = new Int32Array(maxCapacity).fill(-1);
  const visits = new Int32Array(maxCapacity);

  const walk = (stack: number, label: string, check: (slot: number) => void): void => {
    let slot = core.stacks.peek(stack);
    let steps = 0;
    while (slot !== EMPTY) {
      if (slot < 0 || slot >= maxCapacity) {
        problems.push(`${label}: link to slot ${slot} is out of range`);
        return;
      }
      if (++steps > maxCapacity) {
        problems.push(`${label}: cycle (more than ${maxCapacity} links)`);
        return;
      }
      visits[slot]++;
      if (visits[slot] > 1) problems.push(`slot ${slot} is in two places: ${seenIn[slot] === 0 ? 'free stack' : `stack ${seenIn[slot]}`} and ${label}`);
      seenIn[slot] = stack;
      check(slot);
      slot = core.stacks.nextOf(slot);
    }
  };

  walk(core.freeStack, 'free stack', (slot) => {
    if (core.slots.state(slot) !== SLOT_STATE.FREE) problems.push(`slot ${slot} is on the free stack in state ${SLOT_STATE_NAMES[core.slots.state(slot)]}`);
  });
  for (let t = 0; t < maxThreads; t++) {
    for (let k = 0; k < STACKS_PER_THREAD; k++) {
      const stack = threadStackId(t, k);
      const label = k === 0 ? `thread ${t} clean stack` : `thread ${t} setting stack ${k - 1}`;
      walk(stack, label, (slot) => {
        const state = core.slots.state(slot);
        if (state !== SLOT_STATE.IDLE) problems.push(`slot ${slot} is on ${label} in state ${SLOT_STATE_NAMES[state]}`);
        if (core.slots.owner(slot) !== t) problems.push(`slot ${slot} is on ${label} but owned by thread ${core.slots.owner(slot)}`);
        const used = core.slots.timeUsedOf(slot);
        if (used === BUSY) problems.push(`slot ${slot} is BUSY on ${label}`);
        if (used === EXPIRED) problems.push(`slot ${slot} is EXPIRED on ${label}`);
        const setting = core.slots.setting(slot);
        if (k === 0 && setting !== 0) problems.push(`slot ${slot} has setting ${setting} but is on ${label}`);
        if (k > 0 && (setting === 0 || settingBucket(setting) !== k - 1)) problems.push(`slot ${slot} has setting ${setting} but is on ${label}`);
      });
      if (core.threads.state(t) === THREAD_STATE.FREE && core.stacks.peek(stack) !== EMPTY) {
        problems.push(`${label} is not empty but thread ${t} is not attached`);
      }
    }
  }

  let inUse = 0;
  let borrowedSlots = 0;
  const heldBy = new Int32Array(maxThreads);
  for (let slot = 0; slot < maxCapacity; slot++) {
    const state = core.slots.state(slot);
    if (state === SLOT_STATE.FREE) {
      if (visits[slot] !== 1) problems.push(`free slot ${slot} is ${visits[slot] === 0 ? 'in no place (lost)' : 'on several stacks'}`);
      continue;
    }
    inUse++;
    if (state === SLOT_STATE.BORROWED) borrowedSlots++;
    if (state === SLOT_STATE.IDLE && visits[slot] !== 1) problems.push(`idle slot ${slot} is on ${visits[slot]} stacks (expected 1)`);
    if (state !== SLOT_STATE.IDLE && visits[slot] !== 0) problems.push(`slot ${slot} in state ${SLOT_STATE_NAMES[state]} is also on a stack`);
    const owner = core.slots.owner(slot);
    if (owner < 0 || owner >= maxThreads || core.threads.state(owner) === THREAD_STATE.FREE) {
      problems.push(`slot ${slot} (${SLOT_STATE_NAMES[state]}) is owned by thread ${owner}, which is not attached`);
    } else {
      heldBy[owner]++;
    }
  }
  for (let t = 0; t < maxThreads; t++) {
    if (core.threads.state(t) !== THREAD_STATE.ATTACHED) continue;
    if (core.threads.slotsHeld(t) !== heldBy[t]) problems.push(`thread ${t} counts ${core.threads.slotsHeld(t)} slots held but owns ${heldBy[t]}`);
  }

  const h = core.memory.header;
  const capacity = Atomics.load(h, HEADER.CAPACITY);
  const active = Atomics.load(h, HEADER.ACTIVE);
  const borrowed = Atomics.load(h, HEADER.BORROWED);
  const granted = core.waiters.count(CELL_STATE.GRANTED);
  if (borrowed !== borrowedSlots) problems.push(`borrowed = ${borrowed} but ${borrowedSlots} slots are BORROWED`);
  if (active !== inUse + granted) problems.push(`active = ${active} but ${inUse} slots are in use and ${granted} units are granted`);
  if (active < 0 || borrowed < 0) problems.push(`negative counter: active = ${active}, borrowed = ${borrowed}`);
  if (!options.allowOverCapacity && active > capacity) problems.push(`active = ${active} exceeds capacity = ${capacity}`);
  if (capacity > maxCapacity || capacity < 0) problems.push(`capacity = ${capacity} is outside 0..${maxCapacity}`);
  const waitingCells = core.waiters.count(CELL_STATE.WAITING);
  if (core.waiters.waiting !== waitingCells) problems.push(`waiting = ${core.waiters.waiting} but ${waitingCells} cells are WAITING`);
  // One agent per thread and pool: a second registration of a threadId is left over (an attach
  // that failed half-way); if it holds slots, those units are stranded.
  const byThreadId = new Map<number, number>();
  for (let t = 0; t < maxThreads; t++) {
    if (core.threads.state(t) !== THREAD_STATE.ATTACHED) continue;
    const id = core.threads.threadId(t);
    const other = byThreadId.get(id);
    if (other !== undefined) problems.push(`threadId ${id} is registered twice (thread indices ${other} and ${t}, holding ${core.threads.slotsHeld(other)} and ${core.threads.slotsHeld(t)} slots): one has no live agent`);
    else byThreadId.set(id, t);
  }
  let yieldable = 0;
  for (let t = 0; t < maxThreads; t++) yieldable += core.threads.yieldableOf(t);
  if (yieldable !== core.threads.yieldableTotal) problems.push(`yieldable dials: total ${core.threads.yieldableTotal} but threads count ${yieldable}`);
  let perThread = 0;
  for (let t = 0; t < maxThreads; t++) perThread += core.threads.waitingOf(t);
  if (perThread !== waitingCells) problems.push(`threads count ${perThread} waiters but ${waitingCells} cells are WAITING`);
  return problems;
}

