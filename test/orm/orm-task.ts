/**
 * A piscina task running one ORM operation in a worker thread, against the shared pool attached
 * from workerData. One ORM instance per (thread, ORM, table).
 */
import { threadId, workerData } from 'node:worker_threads';
import type { RowDataPacket } from 'mysql2';
import { attachSharedPool } from '../../src/index.ts';
import { makeAdapter, type OrmAdapter, type OrmName } from './adapters.ts';

const client = attachSharedPool(workerData.pool);
const adapters = new Map<string, OrmAdapter>();

export interface OrmTask {
  orm: OrmName;
  table: string;
  op: 'select' | 'insert' | 'txCommit' | 'txThrow' | 'stream' | 'txConcurrent';
  names?: string[];
  sleepS?: number;
}

export default async function task(t: OrmTask): Promise<Record<string, unknown>> {
  const key = `${t.orm}/${t.table}`;
  let orm = adapters.get(key);
  if (!orm) adapters.set(key, (orm = makeAdapter(t.orm, client, t.table)));
  const names = t.names ?? [];
  switch (t.op) {
    case 'select':
      return { threadId, value: await orm.selectTwo() };
    case 'insert':
      for (const name of names) await orm.insert(name);
      return { threadId };
    case 'txCommit':
      return { threadId, session: await orm.txCommit(names) };
    case 'txThrow': {
      const session = await orm.txThrow(names);
      // The next borrow in this thread gets the same connection (its stacks are LIFO): it must be
      // out of the transaction.
      const conn = await client.get();
      try {
        const [rows] = await conn.query<RowDataPacket[]>('select @@in_transaction as t, connection_id() as id');
        return { threadId, session, next: Number(rows[0].id), inTransaction: Number(rows[0].t) };
      } finally {
        conn.recycle();
      }
    }
    case 'stream':
      return { threadId, names: await orm.streamNames() };
    case 'txConcurrent':
      await Promise.all(names.map((name) => orm.txSlow(name, t.sleepS ?? 0.01)));
      return { threadId };
  }
}
