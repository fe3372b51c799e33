/**
 * Grant vs cancel on the same waiter cells. Owners enqueue a cell, publish it in their mailbox, wait
 * a random moment and cancel; if the cancel fails the cell was granted and the owner holds a unit.
 * Granters scan the mailboxes and grant whatever is published, reserving a unit first and releasing
 * it if the grant loses. Owners free each cell right after reading its outcome, so a cell is often
 * reused while a granter is still finishing with it.
 */
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { CELL_STATE, SharedCore } from '../../src/core/index.ts';
import { rng } from '../support/random.ts';
import { CTL, Violations, waitForGo } from '../support/race-worker-kit.ts';

interface Data {
  buffer: SharedArrayBuffer;
  mail: SharedArrayBuffer;
  ctl: SharedArrayBuffer;
  role: 'owner' | 'granter';
  ownerIndex: number;
  owners: number;
  rounds: number;
  deadline: number;
  seed: number;
}
const data = workerData as Data;
const core = SharedCore.attach(data.buffer);
const mail = new Int32Array(data.mail); // [owner] = cell + 1, 0 = nothing published; [owners + owner] = owner done
const ctl = new Int32Array(data.ctl);
const me = core.threads.attach(threadId);
const random = rng(data.seed);
const v = new Violations();
const w = core.waiters;
let granted = 0;
let cancelled = 0;
let grants = 0;
let lostGrants = 0;
let rounds = 0;
let error: string | undefined;

parentPort!.postMessage({ type: 'ready' });
waitForGo(ctl, data.deadline);

const stop = (): boolean => Date.now() > data.deadline || Atomics.load(ctl, CTL.ABORT) !== 0;

try {
  if (data.role === 'owner') {
    const box = data.ownerIndex;
    for (; rounds < data.rounds && !stop(); rounds++) {
      const cell = w.enqueue(me, 0, w.size);
      if (cell < 0) {
        v.add(`round ${rounds}: enqueue failed (waiting = ${w.waiting})`);
        continue;
      }
      Atomics.store(mail, box, cell + 1);
      // Let granters see it for a random moment.
      for (let spin = Math.floor(random() * 64); spin > 0; spin--) if (w.state(cell) !== CELL_STATE.WAITING) break;
      const ownCancel = w.cancel(cell);
      Atomics.store(mail, box, 0);
      const state = w.state(cell);
      if (ownCancel) {
        if (state !== CELL_STATE.CANCELLED) v.add(`round ${rounds}: cancel won but cell ${cell} is in state ${state}`);
        cancelled++;
      } else {
        if (state !== CELL_STATE.GRANTED) v.add(`round ${rounds}: cancel lost but cell ${cell} is in state ${state}`);
        granted++;
        // The unit moved to us: use it (here: close at once).
        core.counters.releaseUnit();
      }
      if (w.cancel(cell) || w.grant(cell)) v.add(`round ${rounds}: cell ${cell} ended twice`);
      w.free(cell);
    }
    Atomics.store(mail, data.owners + box, 1);
  } else {
    const ownersDone = (): boolean => {
      for (let o = 0; o < data.owners; o++) if (Atomics.load(mail, data.owners + o) === 0) return false;
      return true;
    };
    while (!ownersDone() && !stop()) {
      const box = Math.floor(random() * data.owners);
      const published = Atomics.load(mail, box);
      if (published === 0) continue;
      if (!core.counters.reserve()) {
        v.add(`granter could not reserve a unit (active = ${core.counters.active})`);
        continue;
      }
      if (w.grant(published - 1)) {
        grants++;
      } else {
        core.counters.releaseUnit();
        lostGrants++;
      }
      rounds++;
    }
  }
} catch (e) {
  error = (e as Error).stack ?? String(e);
  Atomics.store(ctl, CTL.ABORT, 1);
}
parentPort!.postMessage({ type: 'done', role: data.role, thread: me, granted, cancelled, grants, lostGrants, rounds, error, violations: v.count, firstViolations: v.first });
