/**
 * A worker thread that attaches to a shared pool and runs commands sent by the test:
 *   get {id, timeoutMs?, setting?}   → {type:'got', id, slot, connId} | {type:'error', id, code, message}
 *   recycle {id} / taint {id}        → {type:'done', id}
 *   loop {id, gets, holdTicks?, holdMs?, timeoutMs?, gap?} → {type:'loopDone', id, ok, errors}
 *                                    gap: an Int32Array on shared memory; gap[0] is raised to the
 *                                    longest time (ms) between two recycles (the test resets it)
 *   takeAll {id, n, timeoutMs}       → {type:'took', id, got, errors} n gets at once, then recycles them
 *   detach                           → {type:'detached'}
 *   hang                             → blocks the thread's event loop forever (a stuck thread)
 *   block {gate}                     → {type:'blocked'}, then blocks the event loop (CPU work, as
 *                                      far as the pool can tell) until gate[0] turns non-zero
 */
import { parentPort, workerData } from 'node:worker_threads';
import { attachSharedPool, type PooledConnection } from '../../src/index.ts';
import type { FakeConnection } from '../support/fake-connector.ts';
import { getAndHold, putBack } from '../support/worker-commands.ts';
import { takeAll } from '../support/liveness.ts';

const port = parentPort!;
const db = attachSharedPool(workerData.pool);
const held = new Map<number, PooledConnection>();

type Command = {
  cmd: string; id?: number; n?: number; timeoutMs?: number; setting?: string; gets?: number; holdTicks?: number; holdMs?: number;
  gate?: Int32Array;
  gap?: Int32Array;
};

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

port.on('message', async (m: Command) => {
  switch (m.cmd) {
    case 'get':
      await getAndHold(port, db, held, m, (conn) => ({ slot: conn.slot, connId: (conn.connection as unknown as FakeConnection).id }));
      break;
    case 'recycle':
    case 'taint':
      putBack(port, held, m);
      break;
    case 'loop': {
      let ok = 0;
      const errors: string[] = [];
      let last = performance.now();
      for (let i = 0; i < m.gets!; i++) {
        try {
          const conn = await db.get({ timeoutMs: m.timeoutMs ?? 10_000 });
          for (let t = 0; t < (m.holdTicks ?? 0); t++) await tick();
          if (m.holdMs) await new Promise((r) => setTimeout(r, m.holdMs));
          conn.recycle();
          if (m.gap) {
            const now = performance.now();
            const gapMs = Math.ceil(now - last);
            last = now;
            if (gapMs > Atomics.load(m.gap, 0)) Atomics.store(m.gap, 0, gapMs);
          }
          ok++;
        } catch (error) {
          errors.push((error as Error).message);
        }
      }
      await db.settled();
      port.postMessage({ type: 'loopDone', id: m.id, ok, errors });
      break;
    }
    case 'takeAll':
      port.postMessage({ type: 'took', id: m.id, ...(await takeAll(db, m.n!, m.timeoutMs ?? 1000)) });
      break;
    case 'settled':
      await db.settled();
      port.postMessage({ type: 'settled' });
      break;
    case 'detach':
      db.detach();
      port.postMessage({ type: 'detached' });
      break;
    case 'block':
      port.postMessage({ type: 'blocked' });
      Atomics.wait(m.gate!, 0, 0, 60_000);
      break;
    case 'hang':
      port.postMessage({ type: 'hanging' });
      for (;;) {
        // A thread stuck in CPU work: its event loop never turns again.
      }
  }
});
port.postMessage({ type: 'ready', index: db.threadIndex });
