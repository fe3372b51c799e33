/** The Prometheus exporter (src/prometheus.ts): metric names, types, labels and values from stats(). */
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createSharedPool, type SharedPool } from '../../src/index.ts';
import { registerPoolMetrics } from '../../src/prometheus.ts';
import { fakeConnector, until } from '../support/fake-connector.ts';

let pool: SharedPool | null = null;
afterEach(async () => {
  await pool?.close({ timeoutMs: 3000 }).catch(() => {});
  pool = null;
});

/** `name{labels} value` lines of the exposition text, by series. */
function series(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

describe('prometheus exporter', () => {
  it('exports gauges, _total counters, per-thread gauges and a wait_duration_seconds histogram', async () => {
    const { connector } = fakeConnector();
    pool = await createSharedPool({ connector, capacity: 1 });
    const registry = new Registry();
    const metrics = registerPoolMetrics(pool, { registry, labels: { pool: 'p1' } });
    const held = await pool.get();
    const waiting = pool.get({ timeoutMs: 5000 });
    await until(() => pool!.stats().Waiting === 1, 5000, 'the waiter');
    held.recycle();
    const conn = await waiting;

    const text = await registry.metrics();
    const types = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]));
    expect([...types.keys()].sort()).toEqual([...metrics.names].sort());
    for (const [name, type] of types) {
      expect(name).toMatch(/^shared_mysql_pool_[a-z_]+$/);
      if (type === 'counter') expect(name).toMatch(/_total$/);
    }
    expect(types.get('shared_mysql_pool_wait_duration_seconds')).toBe('histogram');
    expect(types.get('shared_mysql_pool_wait_seconds_total')).toBe('counter');
    expect(types.get('shared_mysql_pool_connections_in_use')).toBe('gauge');

    const values = series(text);
    const stats = pool.stats();
    expect(values.get('shared_mysql_pool_capacity{pool="p1"}')).toBe(1);
    expect(values.get('shared_mysql_pool_connections_in_use{pool="p1"}')).toBe(1);
    expect(values.get('shared_mysql_pool_gets_total{pool="p1"}')).toBe(2);
    expect(values.get('shared_mysql_pool_waits_total{pool="p1"}')).toBe(1);
    expect(values.get('shared_mysql_pool_dials_total{pool="p1"}')).toBe(1);
    expect(values.get('shared_mysql_pool_wait_seconds_total{pool="p1"}')).toBeCloseTo(stats.WaitTime / 1000, 9);
    expect(values.get(`shared_mysql_pool_thread_connections_in_use{pool="p1",thread_id="0"}`)).toBe(1);
    expect(values.get('shared_mysql_pool_wait_duration_seconds_bucket{pool="p1",le="+Inf"}')).toBe(1);
    expect(values.get('shared_mysql_pool_wait_duration_seconds_count{pool="p1"}')).toBe(1);
    expect(values.get('shared_mysql_pool_wait_duration_seconds_sum{pool="p1"}')).toBeCloseTo(stats.WaitTime / 1000, 9);
    const buckets = [...values].filter(([k]) => k.startsWith('shared_mysql_pool_wait_duration_seconds_bucket'));
    expect(buckets.map(([k]) => /le="([^"]+)"/.exec(k)![1])).toEqual([
      '0.0005', '0.001', '0.0025', '0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf',
    ]);

    conn.recycle();
    expect(series(await registry.metrics()).get('shared_mysql_pool_connections_in_use{pool="p1"}')).toBe(0);
    metrics.unregister();
    expect(await registry.metrics()).toBe('\n');
  });
});
