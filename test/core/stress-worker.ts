/**
 * Stress worker: hammers one pool buffer with the core operations a thread agent performs, checking
 * slot states and exclusive holding as it goes. Runs `cycles` cycles of `ops` operations, each opened by
 * the main thread (which verifies the buffer in between); stops early at `deadline`.
 */
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { BUSY, EMPTY, EXPIRED, SharedCore, SLOT_STATE, SLOT_STATE_NAMES, STAT, STACKS_PER_THREAD } from '../../src/core/index.ts';
import { rng } from '../support/random.ts';
import { CTL, Violations } from '../support/race-worker-kit.ts';

interface Data {
  buffer: SharedArrayBuffer;
  holders: SharedArrayBuffer;
  ctl: SharedArrayBuffer;
  workerId: number;
  /** Operations per cycle. */
  ops: number;
  cycles: number;
  deadline: number;
  seed: number;
}
const data = workerData as Data;
const core = SharedCore.attach(data.buffer);
const holders = new Int32Array(data.holders);
const ctl = new Int32Array(data.ctl);
const me = core.threads.attach(threadId);
const id = data.workerId;
const random = rng(data.seed);
const v = new Violations();
const { maxThreads } = core.memory.layout;

const counts = { open: 0, openFull: 0, borrow: 0, close: 0, evict: 0, popAll: 0, popAllSlots: 0, empty: 0 };

/** Takes exclusive hold of a slot just popped: nobody else may hold it. */
function hold(slot: number, what: string): void {
  const prev = Atomics.compareExchange(holders, slot, 0, id);
  if (prev !== 0) v.add(`${what}: slot ${slot} popped by worker ${id} while held by worker ${prev}`);
}
function unhold(slot: number, what: string): void {
  const prev = Atomics.compareExchange(holders, slot, id, 0);
  if (prev !== id) v.add(`${what}: worker ${id} released slot ${slot} held by ${prev}`);
}

/** A popped idle slot must be IDLE, owned by `owner`, with a real time. */
function checkIdle(slot: number, owner: number, what: string): void {
  const state = core.slots.state(slot);
  if (state !== SLOT_STATE.IDLE) v.add(`${what}: slot ${slot} popped from an idle stack in state ${SLOT_STATE_NAMES[state]}`);
  if (core.slots.owner(slot) !== owner) v.add(`${what}: slot ${slot} on thread ${owner}'s stack is owned by ${core.slots.owner(slot)}`);
  const used = core.slots.timeUsedOf(slot);
  if (used === BUSY || used === EXPIRED) v.add(`${what}: slot ${slot} idle with time ${used === BUSY ? 'BUSY' : 'EXPIRED'}`);
}

/** One of a thread's 9 idle stacks: mostly the clean one, so pushes and pops collide on it. */
function someStack(thread: number): number {
  return random() < 0.6 ? core.cleanStack(thread) : 1 + thread * STACKS_PER_THREAD + Math.floor(random() * STACKS_PER_THREAD);
}

/** The stack a slot with `setting` belongs on. */
function stackFor(thread: number, setting: number): number {
  return setting === 0 ? core.cleanStack(thread) : core.settingStack(thread, setting);
}

/** Close a held, claimed slot: free it, push it on the free stack, release its unit. */
function closeSlot(slot: number, what: string): void {
  core.slots.free(slot);
  unhold(slot, what);
  core.stacks.push(core.freeStack, slot);
  core.counters.releaseUnit();
}

let now = 1n;
function tick(): bigint {
  now += 1n;
  return now;
}

function open(): void {
  if (!core.counters.reserve()) {
    counts.openFull++;
    return;
  }
  const active = core.counters.active;
  if (active > core.counters.capacity) v.add(`open: active ${active} > capacity ${core.counters.capacity}`);
  const slot = core.stacks.pop(core.freeStack);
  if (slot === EMPTY) {
    v.add('open: reserved a unit but the free stack is empty (a slot was lost)');
    core.counters.releaseUnit();
    return;
  }
  hold(slot, 'open');
  if (core.slots.state(slot) !== SLOT_STATE.FREE) v.add(`open: slot ${slot} on free stack in state ${SLOT_STATE_NAMES[core.slots.state(slot)]}`);
  core.slots.claim(slot, me);
  core.slots.stampNew(slot, tick());
  const setting = random() < 0.6 ? 0 : 1 + Math.floor(random() * 12);
  core.slots.setSetting(slot, setting);
  core.slots.setState(slot, SLOT_STATE.IDLE);
  unhold(slot, 'open');
  core.stacks.push(stackFor(me, setting), slot);
  core.stats.add(me, STAT.DIALS);
  counts.open++;
}

function borrowAndReturn(): void {
  const stack = someStack(me);
  const slot = core.stacks.pop(stack);
  if (slot === EMPTY) {
    counts.empty++;
    return;
  }
  hold(slot, 'borrow');
  checkIdle(slot, me, 'borrow');
  if (!core.slots.borrow(slot)) v.add(`borrow: slot ${slot} popped from my own stack but borrow() failed`);
  core.slots.setState(slot, SLOT_STATE.BORROWED);
  core.counters.borrow();
  core.stats.add(me, STAT.GET);
  if (core.slots.state(slot) !== SLOT_STATE.BORROWED || core.slots.timeUsedOf(slot) !== BUSY) v.add(`borrow: slot ${slot} changed while borrowed`);
  core.counters.giveBack();
  core.slots.setTimeUsed(slot, tick());
  core.slots.setState(slot, SLOT_STATE.IDLE);
  unhold(slot, 'borrow');
  core.stacks.push(stack, slot);
  counts.borrow++;
}

function closeOwn(): void {
  const slot = core.stacks.pop(someStack(me));
  if (slot === EMPTY) {
    counts.empty++;
    return;
  }
  hold(slot, 'close');
  checkIdle(slot, me, 'close');
  if (!core.slots.claimForEviction(slot)) v.add(`close: could not claim my own popped slot ${slot}`);
  core.slots.setState(slot, SLOT_STATE.CLOSING);
  closeSlot(slot, 'close');
  counts.close++;
}

function evict(): void {
  let victim = -1;
  for (let tries = 0; tries < 4 && victim < 0; tries++) {
    const t = Math.floor(random() * maxThreads);
    if (t !== me && core.threads.isAttached(t)) victim = t;
  }
  if (victim < 0) return;
  const slot = core.stacks.pop(someStack(victim));
  if (slot === EMPTY) {
    counts.empty++;
    return;
  }
  hold(slot, 'evict');
  checkIdle(slot, victim, 'evict');
  if (!core.slots.claimForEviction(slot)) v.add(`evict: could not claim popped slot ${slot}`);
  core.slots.setState(slot, SLOT_STATE.EVICTED);
  core.stats.add(me, STAT.EVICTIONS);
  closeSlot(slot, 'evict');
  counts.evict++;
}

function popAllAndRepush(): void {
  const stack = someStack(me);
  let slot = core.stacks.popAll(stack);
  if (slot === EMPTY) {
    counts.empty++;
    return;
  }
  let n = 0;
  while (slot !== EMPTY) {
    if (++n > core.memory.layout.maxCapacity) {
      v.add('popAll: chain longer than maxCapacity (cycle)');
      return;
    }
    const after = core.stacks.nextOf(slot);
    core.stacks.unlink(slot);
    hold(slot, 'popAll');
    checkIdle(slot, me, 'popAll');
    if (random() < 0.1 && core.slots.expired(slot, now + 1_000n, 0n)) {
      core.slots.setState(slot, SLOT_STATE.CLOSING);
      core.stats.add(me, STAT.IDLE_CLOSED);
      closeSlot(slot, 'popAll close');
    } else {
      unhold(slot, 'popAll');
      core.stacks.push(stack, slot);
    }
    slot = after;
  }
  counts.popAll++;
  counts.popAllSlots += n;
}

/** Waits (this is a worker: blocking is fine) until the main thread opens cycle `cycle`. */
function waitForCycle(cycle: number): void {
  for (let go = Atomics.load(ctl, CTL.GO); go < cycle; go = Atomics.load(ctl, CTL.GO)) {
    if (Date.now() > data.deadline) throw new Error(`cycle ${cycle} never opened`);
    Atomics.wait(ctl, CTL.GO, go, 100);
  }
}

parentPort!.postMessage({ type: 'ready', thread: me });
let total = 0;
let error: string | undefined;
for (let cycle = 1; cycle <= data.cycles && !error; cycle++) {
  let done = 0;
  const started = performance.now();
  try {
    waitForCycle(cycle);
    for (; done < data.ops; done++) {
      if ((done & 1023) === 0 && (Date.now() > data.deadline || Atomics.load(ctl, CTL.ABORT) !== 0)) break;
      const r = random();
      if (r < 0.25) open();
      else if (r < 0.6) borrowAndReturn();
      else if (r < 0.7) closeOwn();
      else if (r < 0.82) evict();
      else popAllAndRepush();
    }
  } catch (e) {
    error = (e as Error).stack ?? String(e);
    Atomics.store(ctl, CTL.ABORT, 1);
  }
  total += done;
  // Between cycles this worker holds nothing: the main thread checks the buffer while we wait.
  parentPort!.postMessage({ type: `cycle-${cycle}`, ops: done, ms: performance.now() - started, error, violations: v.count, firstViolations: v.first });
}
parentPort!.postMessage({ type: 'done', thread: me, ops: total, counts, error, violations: v.count, firstViolations: v.first });
