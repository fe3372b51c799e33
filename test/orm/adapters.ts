/**
 * The same operations written once per ORM, each ORM driving the shared pool through
 * client.asMysql2Pool() the way its documentation says to use a mysql2 pool.
 */
import { Kysely, MysqlDialect, sql as ksql } from 'kysely';
import { drizzle } from 'drizzle-orm/mysql2';
import { sql as dsql } from 'drizzle-orm';
import { int, mysqlTable, varchar } from 'drizzle-orm/mysql-core';
import knexFactory from 'knex';
import type { SharedPoolClient } from '../../src/index.ts';

export type OrmName = 'kysely' | 'drizzle' | 'knex';

/** Thrown inside transactions that must roll back. */
export class Boom extends Error {}

export interface OrmAdapter {
  /** `select 1 + 1`. */
  selectTwo(): Promise<number>;
  insert(name: string): Promise<void>;
  /** Inserts `names` in one transaction that commits; returns the session id the transaction ran on. */
  txCommit(names: string[]): Promise<number>;
  /**
   * Inserts `names` concurrently in one transaction (the ORM queues them on its connection), then
   * throws Boom; returns the session id the transaction ran on.
   */
  txThrow(names: string[]): Promise<number>;
  /** Names of the table's rows in id order, read with the ORM's streaming API. */
  streamNames(): Promise<string[]>;
  /** A transaction: insert, `SLEEP(sleepS)`, commit. */
  txSlow(name: string, sleepS: number): Promise<void>;
}

/** The pool as each ORM is given it (typed as mysql2's Pool: no casts needed). */
function poolOf(client: SharedPoolClient): ReturnType<SharedPoolClient['asMysql2Pool']> {
  return client.asMysql2Pool();
}

async function expectBoom(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (error instanceof Boom) return;
    throw error;
  }
  throw new Error('the transaction did not throw');
}

function kyselyAdapter(client: SharedPoolClient, table: string): OrmAdapter {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const db = new Kysely<any>({ dialect: new MysqlDialect({ pool: poolOf(client) }) });
  const sessionId = async (trx: Kysely<any>): Promise<number> => Number((await ksql<{ id: number }>`select connection_id() as id`.execute(trx)).rows[0].id);
  return {
    async selectTwo() {
      return Number((await ksql<{ n: number }>`select 1 + 1 as n`.execute(db)).rows[0].n);
    },
    async insert(name) {
      await db.insertInto(table).values({ name }).execute();
    },
    txCommit(names) {
      return db.transaction().execute(async (trx) => {
        for (const name of names) await trx.insertInto(table).values({ name }).execute();
        return sessionId(trx);
      });
    },
    async txThrow(names) {
      let id = -1;
      await expectBoom(() => db.transaction().execute(async (trx) => {
        await Promise.all(names.map((name) => trx.insertInto(table).values({ name }).execute()));
        id = await sessionId(trx);
        throw new Boom('rollback please');
      }));
      return id;
    },
    async streamNames() {
      const names: string[] = [];
      for await (const row of db.selectFrom(table).select('name').orderBy('id').stream()) names.push(String(row.name));
      return names;
    },
    async txSlow(name, sleepS) {
      await db.transaction().execute(async (trx) => {
        await trx.insertInto(table).values({ name }).execute();
        await ksql`select sleep(${sleepS})`.execute(trx);
      });
    },
  };
}

function drizzleAdapter(client: SharedPoolClient, table: string): OrmAdapter {
  const t = mysqlTable(table, { id: int('id').primaryKey().autoincrement(), name: varchar('name', { length: 64 }).notNull() });
  const db = drizzle(poolOf(client));
  type Tx = Parameters<Parameters<typeof db.transaction>[0]>[0];
  const sessionId = async (tx: Tx): Promise<number> => {
    const [rows] = (await tx.execute(dsql`select connection_id() as id`)) as unknown as [{ id: number }[]];
    return Number(rows[0].id);
  };
  return {
    async selectTwo() {
      const [rows] = (await db.execute(dsql`select 1 + 1 as n`)) as unknown as [{ n: number }[]];
      return Number(rows[0].n);
    },
    async insert(name) {
      await db.insert(t).values({ name });
    },
    txCommit(names) {
      return db.transaction(async (tx) => {
        for (const name of names) await tx.insert(t).values({ name });
        return sessionId(tx);
      });
    },
    async txThrow(names) {
      let id = -1;
      await expectBoom(() => db.transaction(async (tx) => {
        await Promise.all(names.map((name) => tx.insert(t).values({ name })));
        id = await sessionId(tx);
        throw new Boom('rollback please');
      }));
      return id;
    },
    async streamNames() {
      const names: string[] = [];
      for await (const row of db.select({ name: t.name }).from(t).orderBy(t.id).iterator()) names.push(row.name);
      return names;
    },
    async txSlow(name, sleepS) {
      await db.transaction(async (tx) => {
        await tx.insert(t).values({ name });
        await tx.execute(dsql`select sleep(${sleepS})`);
      });
    },
  };
}

function knexAdapter(client: SharedPoolClient, table: string): OrmAdapter {
  const db = knexFactory({ client: 'mysql2', connectionPool: poolOf(client) });
  type Trx = import('knex').Knex.Transaction;
  const sessionId = async (trx: Trx): Promise<number> => {
    const [rows] = await trx.raw('select connection_id() as id');
    return Number(rows[0].id);
  };
  return {
    async selectTwo() {
      const [rows] = await db.raw('select 1 + 1 as n');
      return Number(rows[0].n);
    },
    async insert(name) {
      await db(table).insert({ name });
    },
    txCommit(names) {
      return db.transaction(async (trx) => {
        for (const name of names) await trx(table).insert({ name });
        return sessionId(trx);
      });
    },
    async txThrow(names) {
      let id = -1;
      await expectBoom(() => db.transaction(async (trx) => {
        await Promise.all(names.map((name) => trx(table).insert({ name })));
        id = await sessionId(trx);
        throw new Boom('rollback please');
      }));
      return id;
    },
    async streamNames() {
      const names: string[] = [];
      for await (const row of db(table).select('name').orderBy('id').stream()) names.push(String((row as { name: string }).name));
      return names;
    },
    async txSlow(name, sleepS) {
      await db.transaction(async (trx) => {
        await trx(table).insert({ name });
        await trx.raw('select sleep(?)', [sleepS]);
      });
    },
  };
}

export function makeAdapter(orm: OrmName, client: SharedPoolClient, table: string): OrmAdapter {
  switch (orm) {
    case 'kysely': return kyselyAdapter(client, table);
    case 'drizzle': return drizzleAdapter(client, table);
    case 'knex': return knexAdapter(client, table);
  }
}
