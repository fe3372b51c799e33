/**
 * Borrow vs expire on the same slots. Borrowers push their slots idle, then pop and borrow() them
 * while expirers call expired(timeout 0) on every slot; each success adds to wins[round * N + slot].
 */
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { EMPTY, SharedCore, SLOT_STATE } from '../../src/core/index.ts';
import { rng } from '../support/random.ts';
import { Violations, abort, barrier, shuffle, waitForGo } from '../support/race-worker-kit.ts';

interface Data {
  buffer: SharedArrayBuffer;
  wins: SharedArrayBuffer;
  /** Each borrower's pop order this round (slot indices), so one expirer can chase the borrowers. */
  order: SharedArrayBuffer;
  borrowerIndex: number;
  expirerIndex: number;
  ctl: SharedArrayBuffer;
  role: 'borrower' | 'expirer';
  slotsPerBorrower: number;
  parties: number;
  rounds: number;
  deadline: number;
  seed: number;
}
const data = workerData as Data;
const core = SharedCore.attach(data.buffer);
const wins = new Int32Array(data.wins);
const order = new Int32Array(data.order);
const ctl = new Int32Array(data.ctl);
const N = core.memory.layout.maxCapacity;
const me = core.threads.attach(threadId);
const random = rng(data.seed);
const v = new Violations();
const mine: number[] = [];
let won = 0;
let rounds = 0;
let error: string | undefined;

if (data.role === 'borrower') {
  for (let i = 0; i < data.slotsPerBorrower; i++) {
    if (!core.counters.reserve()) throw new Error('no capacity for the race slots');
    const slot = core.stacks.pop(core.freeStack);
    core.slots.claim(slot, me);
    mine.push(slot);
  }
}
parentPort!.postMessage({ type: 'ready' });
waitForGo(ctl, data.deadline);

try {
  for (let round = 0; round < data.rounds; round++) {
    const base = round * N;
    if (data.role === 'borrower') {
      // Set up: every slot idle on my stack with an old time (anything before "now" expires at timeout 0).
      const pushed = shuffle(mine.slice(), random);
      pushed.forEach((slot, i) => {
        core.slots.stampNew(slot, BigInt(round + 1));
        core.slots.setState(slot, SLOT_STATE.IDLE);
        core.stacks.push(core.cleanStack(me), slot);
        // Popped last-in first-out.
        Atomics.store(order, data.borrowerIndex * data.slotsPerBorrower + (pushed.length - 1 - i), slot);
      });
    }
    if (!barrier(ctl, data.parties, data.deadline)) break;
    const now = BigInt(round + 1_000);
    if (data.role === 'borrower') {
      for (let slot = core.stacks.pop(core.cleanStack(me)); slot !== EMPTY; slot = core.stacks.pop(core.cleanStack(me))) {
        if (core.slots.borrow(slot)) {
          Atomics.add(wins, base + slot, 1);
          core.slots.setState(slot, SLOT_STATE.BORROWED);
          won++;
        }
      }
    } else {
      // Expirer 0 follows the borrowers' pop order (both borrowers interleaved) to meet them on the
      // same slot at the same moment; the others go in random order.
      const k = data.slotsPerBorrower;
      const slots = data.expirerIndex === 0
        ? Array.from({ length: N }, (_, i) => Atomics.load(order, (i % 2) * k + (i >> 1)))
        : shuffle(Array.from({ length: N }, (_, i) => i), random);
      for (const slot of slots) {
        if (core.slots.expired(slot, now, 0n)) {
          Atomics.add(wins, base + slot, 1);
          won++;
        }
      }
    }
    if (!barrier(ctl, data.parties, data.deadline)) break;
    if (data.role === 'borrower') {
      for (const slot of mine) {
        const w = Atomics.load(wins, base + slot);
        if (w !== 1) v.add(`round ${round}: slot ${slot} had ${w} winners`);
        core.slots.setState(slot, SLOT_STATE.DIALING);
      }
    }
    rounds++;
  }
} catch (e) {
  error = (e as Error).stack ?? String(e);
  abort(ctl);
}

// Give the slots back so the buffer ends quiescent.
for (const slot of mine) {
  core.slots.free(slot);
  core.stacks.push(core.freeStack, slot);
  core.counters.releaseUnit();
}
parentPort!.postMessage({ type: 'done', role: data.role, won, rounds, error, violations: v.count, firstViolations: v.first });
