/**
 * A worker thread for stress-threads.test.ts. Every command {cmd, id, ...} is answered with
 * {type:'reply', id, ok, result | error}:
 *   attach {pool, tables}         → {index}   joins a (new) pool; the previous one is detached
 *   traffic {options}             → LedgerReport, after every loop stopped and db.settled()
 *   hold {n}                      → {connIds} borrows n connections and keeps them
 *   recycleHeld {n?, spread}      → {}        returns n of them (all by default; spread: a few ms apart)
 *   wait {n, timeoutMs}           → {started} starts n gets that are expected to wait
 *   waitResults                   → {outcomes} what each of them ended with ('served:<id>' or an
 *                                   error code), after db.settled()
 *   takeAll {n, timeoutMs}        → {got, errors} n gets at once, then recycled (the liveness check)
 *   report                        → LedgerReport + {waiting} after db.settled()
 *   detach                        → {}        leaves the cycle's pool (after the test checked it)
 */
import { parentPort } from 'node:worker_threads';
import { attachSharedPool, type PooledConnection, type PoolHandle, type SharedPoolClient } from '../../src/index.ts';
import { rng } from '../support/random.ts';
import { sleep } from '../support/timing.ts';
import { takeAll } from '../support/liveness.ts';
import { Ledger, runTraffic, type SharedTables, type TrafficOptions } from '../support/stress-traffic.ts';

const port = parentPort!;
let db: SharedPoolClient | null = null;
let ledger: Ledger | null = null;
let held: PooledConnection[] = [];
let waits: Promise<string>[] = [];

type Command = { cmd: string; id: number; [key: string]: unknown };

function attached(): { db: SharedPoolClient; ledger: Ledger } {
  if (!db || !ledger) throw new Error('not attached to a pool');
  return { db, ledger };
}

async function handle(m: Command): Promise<unknown> {
  switch (m.cmd) {
    case 'attach': {
      if (db) db.detach();
      db = attachSharedPool(m.pool as PoolHandle);
      ledger = new Ledger(m.tables as SharedTables, db.threadIndex);
      held = [];
      waits = [];
      return { index: db.threadIndex };
    }
    case 'traffic': {
      const a = attached();
      await runTraffic(a.db, a.ledger, m.options as TrafficOptions);
      return a.ledger.report();
    }
    case 'hold': {
      const a = attached();
      const connIds: number[] = [];
      for (let i = 0; i < (m.n as number); i++) {
        const conn = await a.db.get({ timeoutMs: 5000 });
        connIds.push(a.ledger.take(conn, null, `holder ${i}`).id);
        held.push(conn);
      }
      return { connIds };
    }
    case 'recycleHeld': {
      const a = attached();
      const random = rng((m.seed as number) ?? 1);
      let n = (m.n as number | undefined) ?? held.length;
      while (held.length > 0 && n-- > 0) {
        const conn = held.splice(Math.floor(random() * held.length), 1)[0];
        a.ledger.give(conn, 'holder');
        conn.recycle();
        if (m.spread) await sleep(Math.floor(random() * 3));
      }
      return {};
    }
    case 'wait': {
      const a = attached();
      for (let i = 0; i < (m.n as number); i++) {
        const who = `waiter ${i}`;
        waits.push(a.db.get({ timeoutMs: m.timeoutMs as number }).then(
          (conn) => {
            const c = a.ledger.take(conn, null, who);
            a.ledger.give(conn, who);
            conn.recycle();
            return `served:${c.id}`;
          },
          (error: unknown) => (error as { code?: string }).code ?? String(error),
        ));
      }
      return { started: m.n };
    }
    case 'waitResults': {
      const a = attached();
      const outcomes = await Promise.all(waits);
      waits = [];
      await a.db.settled();
      return { outcomes, waiting: a.db.waiting };
    }
    case 'takeAll':
      return takeAll(attached().db, m.n as number, m.timeoutMs as number);
    case 'report': {
      const a = attached();
      await a.db.settled();
      return { ...a.ledger.report(), waiting: a.db.waiting };
    }
    case 'detach': {
      if (db) db.detach();
      db = null;
      ledger = null;
      return {};
    }
    default:
      throw new Error(`unknown command ${m.cmd}`);
  }
}

port.on('message', (m: Command) => {
  handle(m).then(
    (result) => port.postMessage({ type: 'reply', id: m.id, ok: true, result }),
    (error: unknown) => port.postMessage({ type: 'reply', id: m.id, ok: false, error: (error as Error)?.stack ?? String(error) }),
  );
});
port.postMessage({ type: 'ready' });
