/**
 * Worker entry of scenario 4 (two of these share one pool of capacity 1). Both phases alternate
 * roles every round, so each thread is by turns the one that gives and the one that receives.
 *
 * Phase 1, handoff: the holder waits until the other thread's get() is enqueued, stamps the shared
 * clock and recycles; the waiter stamps when its get() resolves. Latency = recycle → holding.
 * Phase 2, eviction: one thread's connection is idle; the other stamps, calls get() (which evicts
 * the idle one through its owner), stamps when it resolves, and recycles (its connection is then
 * the idle one for the next round). Latency = get() → holding.
 *
 * After each round it received in, a thread also opens (and closes) one plain mysql2 connection
 * (mysql2's defaults) and one through the pool's mysql2 connector (its defaults, e.g. a 256-entry
 * prepared-statement cache) to the same server, in alternating order, and times both: the
 * handshake references are measured in the same threads, interleaved with the rounds, under the
 * same load.
 *
 * Control words (Int32Array): H_WAIT = rounds whose waiter is enqueued, H_DONE = 1 + handoff
 * rounds completed (1 once worker 0 holds the first connection), E_READY = 1 + eviction rounds
 * completed (1 once worker 0's connection is idle). Stamps: one BigInt64 word, the recycle time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import mysql from 'mysql2';
import { attachSharedPool, mysql2Connector } from '../lib/library.ts';
import type { PoolHandle, PooledConnection } from '../../src/index.ts';
import { publish, replyWithAsync, sharedClockNs, waitAtLeast } from '../lib/pool-workers.ts';
import { HANDOFF_CTRL } from './handoff.ts';


export interface HandoffWorkerData {
  handle: PoolHandle;
  /** mysql2 connection options of the pool's server (for the handshake reference). */
  connection: Record<string, unknown>;
  ctrl: Int32Array;
  stamp: BigInt64Array;
  /** 0 or 1. Worker 0 holds the connection first. */
  me: number;
  /** Rounds per phase, warm-up included (even). */
  rounds: number;
  /** Leading rounds not recorded. */
  warmup: number;
}

export interface HandoffWorkerResult {
  /** Recorded latencies (µs) of the rounds this thread received in. */
  handoffUs: number[];
  evictUs: number[];
  handshakeUs: number[];
  /** The pool's own dial (its mysql2 connector, with its defaults), timed next to each handshake. */
  dialUs: number[];
  dials: number;
  grants: number;
  evictions: number;
}

const WAIT_MS = 30_000;

/** Opens one plain mysql2 connection, returns the time to 'connect' (µs), closes it (COM_QUIT). */
async function handshake(options: Record<string, unknown>): Promise<number> {
  const t0 = sharedClockNs();
  const conn = mysql.createConnection(options);
  try {
    await new Promise<void>((resolve, reject) => {
      conn.once('connect', () => resolve());
      conn.once('error', reject);
    });
    return Number(sharedClockNs() - t0) / 1000;
  } finally {
    await new Promise<void>((resolve) => conn.end(() => resolve()));
  }
}

/** Dials one connection through the pool's mysql2 connector; returns the time to ready (µs), closes it. */
async function connectorDial(options: Record<string, unknown>): Promise<number> {
  const t0 = sharedClockNs();
  const conn = await mysql2Connector.connect(options, new AbortController().signal);
  const us = Number(sharedClockNs() - t0) / 1000;
  await conn.close();
  return us;
}

if (!parentPort) throw new Error('handoff-worker.ts must run in a worker thread');
const port = parentPort;

void replyWithAsync<HandoffWorkerResult>(port, async () => {
  const { handle, connection, ctrl, stamp, me, rounds, warmup } = workerData as HandoffWorkerData;
  if (rounds % 2 !== 0) throw new Error('rounds must be even');
  const client = attachSharedPool(handle);
  const handoffUs: number[] = [];
  const evictUs: number[] = [];
  const handshakeUs: number[] = [];
  const dialUs: number[] = [];
  /** One plain handshake and one connector dial, in alternating order. */
  const reference = async (r: number): Promise<void> => {
    const plainFirst = r % 4 < 2;
    const a = plainFirst ? await handshake(connection) : await connectorDial(connection);
    const b = plainFirst ? await connectorDial(connection) : await handshake(connection);
    if (r < warmup) return;
    handshakeUs.push(plainFirst ? a : b);
    dialUs.push(plainFirst ? b : a);
  };
  try {
    let conn: PooledConnection | null = null;
    if (me === 0) {
      conn = await client.get();
      publish(ctrl, HANDOFF_CTRL.H_DONE, 1);
    }

    // Phase 1: cross-thread handoff. Round r: holder r % 2, waiter the other.
    for (let r = 0; r < rounds; r++) {
      if (r % 2 === me) {
        await waitAtLeast(ctrl, HANDOFF_CTRL.H_WAIT, r + 1, WAIT_MS, `handoff round ${r}: waiter enqueued`);
        Atomics.store(stamp, 0, sharedClockNs());
        conn!.recycle();
        conn = null;
      } else {
        await waitAtLeast(ctrl, HANDOFF_CTRL.H_DONE, r + 1, WAIT_MS, `handoff round ${r}: the other thread holds the connection`);
        const pending = client.get(); // enqueued synchronously: all capacity is held by the other thread
        publish(ctrl, HANDOFF_CTRL.H_WAIT, r + 1);
        conn = await pending.catch((e: Error) => { throw new Error(`handoff round ${r} (thread ${me}): ${e.message}; stats ${JSON.stringify(client.stats())}`, { cause: e }); });
        const dt = Number(sharedClockNs() - Atomics.load(stamp, 0)) / 1000;
        if (r >= warmup) handoffUs.push(dt);
        await reference(r);
        publish(ctrl, HANDOFF_CTRL.H_DONE, r + 2);
      }
    }
    // rounds is even: the last round's receiver is worker 0. Its connection goes idle.
    if (me === 0) {
      conn!.recycle();
      conn = null;
      publish(ctrl, HANDOFF_CTRL.E_READY, 1);
    }

    // Phase 2: eviction. Round r: idle owner r % 2, requester the other.
    for (let r = 0; r < rounds; r++) {
      if (r % 2 === me) continue; // the owner's agent answers the eviction on its own event loop
      await waitAtLeast(ctrl, HANDOFF_CTRL.E_READY, r + 1, WAIT_MS, `eviction round ${r}: idle connection ready`);
      const t0 = sharedClockNs();
      const c = await client.get().catch((e: Error) => { throw new Error(`eviction round ${r} (thread ${me}): ${e.message}; stats ${JSON.stringify(client.stats())}`, { cause: e }); });
      const dt = Number(sharedClockNs() - t0) / 1000;
      if (r >= warmup) evictUs.push(dt);
      c.recycle(); // no waiter: it goes idle on this thread's stack, for the next round
      await reference(r);
      publish(ctrl, HANDOFF_CTRL.E_READY, r + 2);
    }
    // Stay until the other thread is done too (its last eviction needs this thread's agent).
    await waitAtLeast(ctrl, HANDOFF_CTRL.E_READY, rounds + 1, WAIT_MS, 'eviction phase done');
    const st = client.stats();
    return { handoffUs, evictUs, handshakeUs, dialUs, dials: st.Dials, grants: st.Grants, evictions: st.Evictions };
  } finally {
    client.detach();
  }
});
