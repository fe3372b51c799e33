/**
 * Worker entry of stress scenario #45 (TestStackRace): hammers the Treiber stacks of one SharedCore
 * with pop / own / push (and the odd popAll) for a fixed time. Ownership of every index is tracked in
 * a shared `holders` array: popping an index that some thread still holds, or releasing one this
 * thread does not hold, is a violation (the stack handed one node to two owners).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { EMPTY, SharedCore } from '../../src/core/index.ts';
import { rng } from '../support/random.ts';

interface Data {
  buffer: SharedArrayBuffer;
  holders: SharedArrayBuffer;
  /** [0] start gate, [1] abort flag. */
  ctl: SharedArrayBuffer;
  workerId: number;
  durationMs: number;
  /** Stack numbers to move indices between. */
  stacks: number[];
  /** Also detach whole stacks now and then. */
  popAll: boolean;
  seed: number;
}

const data = workerData as Data;
const core = SharedCore.attach(data.buffer);
const holders = new Int32Array(data.holders);
const ctl = new Int32Array(data.ctl);
const id = data.workerId;
const stacks = data.stacks;

const random = rng(data.seed);
const pick = (): number => stacks[Math.floor(random() * stacks.length)];

let violations = 0;
const first: string[] = [];
function violation(message: string): void {
  violations++;
  if (first.length < 20) first.push(message);
  Atomics.store(ctl, 1, 1);
}

function own(index: number, what: string): void {
  if (index < 0 || index >= holders.length) {
    violation(`${what}: index ${index} out of range`);
    return;
  }
  const previous = Atomics.compareExchange(holders, index, 0, id);
  if (previous !== 0) violation(`${what}: worker ${id} got index ${index} while worker ${previous} holds it`);
}

function disown(index: number): void {
  const previous = Atomics.compareExchange(holders, index, id, 0);
  if (previous !== id) violation(`worker ${id} released index ${index} held by ${previous}`);
}

const counts = { ops: 0, pops: 0, empty: 0, pushes: 0, popAlls: 0, popAllNodes: 0 };
const mine: number[] = [];

parentPort!.postMessage({ type: 'ready' });
while (Atomics.load(ctl, 0) === 0) Atomics.wait(ctl, 0, 0, 100);

const end = Date.now() + data.durationMs;
try {
  for (;;) {
    if ((counts.ops & 255) === 0 && (Date.now() > end || Atomics.load(ctl, 1) !== 0)) break;
    counts.ops++;
    const r = random();
    if (mine.length === 0 || (mine.length < 4 && r < 0.48)) {
      const index = core.stacks.pop(pick());
      if (index === EMPTY) {
        counts.empty++;
        continue;
      }
      counts.pops++;
      own(index, 'pop');
      mine.push(index);
    } else if (r < 0.97 || !data.popAll) {
      // Push one held index (not always the newest) on a random stack.
      const at = Math.floor(random() * mine.length);
      const index = mine[at];
      mine[at] = mine[mine.length - 1];
      mine.pop();
      disown(index);
      core.stacks.push(pick(), index);
      counts.pushes++;
    } else {
      // Detach a whole stack, own every node, then push them all back elsewhere.
      let index = core.stacks.popAll(pick());
      counts.popAlls++;
      const chain: number[] = [];
      while (index !== EMPTY) {
        const next = core.stacks.nextOf(index);
        core.stacks.unlink(index);
        own(index, 'popAll');
        chain.push(index);
        if (chain.length > holders.length) {
          violation('popAll chain longer than the number of indices (cycle)');
          break;
        }
        index = next;
      }
      counts.popAllNodes += chain.length;
      for (const i of chain) {
        disown(i);
        core.stacks.push(pick(), i);
      }
    }
  }
  for (const index of mine.splice(0)) {
    disown(index);
    core.stacks.push(pick(), index);
  }
  parentPort!.postMessage({ type: 'done', workerId: id, counts, violations, first });
} catch (error) {
  Atomics.store(ctl, 1, 1);
  parentPort!.postMessage({ type: 'done', workerId: id, counts, violations, first, error: String((error as Error)?.stack ?? error) });
}
