/**
 * A worker thread attached to a shared pool on the mysql2 connector. Commands (postMessage):
 *   get {id, timeoutMs?, setting?}    → {type:'got', id, threadId} | {type:'error', id, code, message}
 *   recycle {id} / taint {id}         → {type:'done', id}
 *   loop {id, n, sql, parallel?, timeoutMs?, setting?} → {type:'loopDone', id, ok, errors, sessions}
 *       n × pool.query(sql) in `parallel` chains; `sessions` are the distinct server session ids seen (CONNECTION_ID()
 *       must be the first column of `sql` for that)
 *   takeAll {id, n, timeoutMs}        → {type:'took', id, got, errors} n gets at once, then recycled
 *   settled                           → {type:'settled'}
 */
import { parentPort, workerData } from 'node:worker_threads';
import { attachSharedPool, type PooledConnection } from '../../src/index.ts';
import type { Mysql2PoolConnection } from '../../src/workers/mysql2-connector.ts';
import { getAndHold, putBack } from '../support/worker-commands.ts';
import { takeAll } from '../support/liveness.ts';
import type { RowDataPacket } from 'mysql2';

const port = parentPort!;
const db = attachSharedPool(workerData.pool);
const held = new Map<number, PooledConnection>();

type Command = { cmd: string; id?: number; timeoutMs?: number; setting?: string; n?: number; sql?: string; parallel?: number };

port.on('message', async (m: Command) => {
  switch (m.cmd) {
    case 'get':
      await getAndHold(port, db, held, m, (conn) => ({ threadId: (conn.connection as Mysql2PoolConnection).threadId }));
      break;
    case 'recycle':
    case 'taint':
      putBack(port, held, m);
      break;
    case 'loop': {
      let ok = 0;
      const errors: string[] = [];
      const sessions = new Set<number>();
      const setting = m.setting ? db.setting(m.setting) : null;
      const chain = async (count: number): Promise<void> => {
        for (let i = 0; i < count; i++) {
          try {
            const [rows] = await db.query<(Record<string, unknown> & RowDataPacket)[]>(m.sql!, undefined, { timeoutMs: m.timeoutMs ?? 10_000, setting });
            const first = rows[0] ? Object.values(rows[0])[0] : undefined;
            if (typeof first === 'number') sessions.add(first);
            ok++;
          } catch (error) {
            errors.push((error as Error).message);
          }
        }
      };
      const parallel = m.parallel ?? 1;
      await Promise.all(Array.from({ length: parallel }, () => chain(Math.ceil(m.n! / parallel))));
      await db.settled();
      port.postMessage({ type: 'loopDone', id: m.id, ok, errors, sessions: [...sessions] });
      break;
    }
    case 'takeAll':
      port.postMessage({ type: 'took', id: m.id, ...(await takeAll(db, m.n!, m.timeoutMs ?? 1000)) });
      break;
    case 'settled':
      await db.settled();
      port.postMessage({ type: 'settled' });
      break;
  }
});
port.postMessage({ type: 'ready', index: db.threadIndex });
