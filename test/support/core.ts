import { SharedCore, EMPTY, type LayoutLimits } from '../../src/core/index.ts';

export const SMALL: LayoutLimits = { maxCapacity: 8, maxThreads: 4, maxWaiters: 8, maxSettings: 4 };

export function makeCore(limits: Partial<LayoutLimits> = {}, capacity?: number): SharedCore {
  const core = SharedCore.create({ ...SMALL, ...limits });
  core.counters.setCapacity(capacity ?? core.memory.layout.maxCapacity);
  return core;
}

/** Slot indices on a stack, top first (walks the links; bounded so a cycle cannot hang a test). */
export function stackContents(core: SharedCore, stack: number): number[] {
  const out: number[] = [];
  for (let s = core.stacks.peek(stack); s !== EMPTY; s = core.stacks.nextOf(s)) {
    out.push(s);
    if (out.length > core.memory.layout.maxCapacity + 1) break;
  }
  return out;
}

/** Takes a free slot for `thread` as a freshly dialled idle connection (reserve, claim, stamp). */
export function openIdle(core: SharedCore, thread: number, nowNs = 1_000n, setting = 0): number {
  if (!core.counters.reserve()) throw new Error('no capacity');
  const slot = core.stacks.pop(core.freeStack);
  if (slot === EMPTY) throw new Error('free stack empty');
  core.slots.claim(slot, thread);
  core.slots.stampNew(slot, nowNs);
  core.slots.setSetting(slot, setting);
  core.slots.setState(slot, 2 /* IDLE */);
  core.stacks.push(setting === 0 ? core.cleanStack(thread) : core.settingStack(thread, setting), slot);
  return slot;
}

/** Closes a held slot: back to the free stack, unit released. */
export function closeHeld(core: SharedCore, slot: number): void {
  core.slots.free(slot);
  core.stacks.push(core.freeStack, slot);
  core.counters.releaseUnit();
}
