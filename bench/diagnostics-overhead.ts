/**
 * What the diagnostics_channel hooks cost on the hot path: get()+recycle() of an idle connection in
 * one thread, with nobody subscribed (the default) and with a subscriber to the get tracing channel.
 *
 *   node --import tsx bench/diagnostics-overhead.ts
 *
 * The connector answers at once (no I/O), so this measures the pool's own code only.
 */
import diagnostics from 'node:diagnostics_channel';
import { createSharedPool } from '../src/index.ts';

const INSTANT_CONNECTOR = 'data:text/javascript,' + encodeURIComponent(
  'export async function connect() { return { applySetting: async () => {}, resetSetting: async () => {}, close() {}, isClosed: () => false }; }',
);
const N = 1_000_000;

async function run(label: string): Promise<void> {
  const pool = await createSharedPool({ connector: { module: INSTANT_CONNECTOR }, capacity: 4 });
  (await pool.get()).recycle();
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 5; round++) {
    const t = performance.now();
    for (let i = 0; i < N; i++) (await pool.get()).recycle();
    best = Math.min(best, performance.now() - t);
  }
  console.log(`${label}: ${((N / best) * 1000 / 1e6).toFixed(2)} M get+recycle/s (best of 5 × ${N / 1e6} M)`);
  await pool.close();
}

await run('no subscriber        ');
const handlers = { start() {}, end() {}, asyncStart() {}, asyncEnd() {}, error() {} };
diagnostics.tracingChannel('shared-mysql-pool:get').subscribe(handlers);
await run('get traced           ');
diagnostics.tracingChannel('shared-mysql-pool:get').unsubscribe(handlers);
await run('no subscriber (again)');
