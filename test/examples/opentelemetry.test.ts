/**
 * examples/opentelemetry/instrument.ts against recording stand-ins for an OpenTelemetry SDK's
 * tracer and meter: the spans and instruments it produces from the pool's channels and stats.
 */
import type { Meter, Tracer } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { meterSharedPool, traceSharedPool } from '../../examples/opentelemetry/instrument.ts';
import { createSharedPool, PoolTimeoutError, type SharedPool } from '../../src/index.ts';
import { fakeConnector } from '../support/fake-connector.ts';

let pool: SharedPool | null = null;
let untrace: (() => void) | null = null;
afterEach(async () => {
  untrace?.();
  untrace = null;
  await pool?.close({ timeoutMs: 3000 }).catch(() => {});
  pool = null;
});

interface RecordedSpan { name: string; attributes: Record<string, unknown>; ended: boolean; status?: number; exceptions: unknown[] }

function recordingTracer(spans: RecordedSpan[]): Tracer {
  return {
    startSpan(name: string, options?: { attributes?: Record<string, unknown> }) {
      const s: RecordedSpan = { name, attributes: { ...options?.attributes }, ended: false, exceptions: [] };
      spans.push(s);
      return {
        end: () => { s.ended = true; },
        recordException: (e: unknown) => { s.exceptions.push(e); },
        setStatus: (st: { code: number }) => { s.status = st.code; },
      };
    },
  } as unknown as Tracer;
}

function recordingMeter(recorded: Map<string, unknown[]>): Meter {
  const instrument = (name: string) => ({ name, record: (v: number) => recorded.set(name, [...(recorded.get(name) ?? []), v]) });
  return {
    createHistogram: instrument,
    createObservableUpDownCounter: instrument,
    addBatchObservableCallback(cb: (r: { observe(i: { name: string }, v: number, a: object): void }) => void) {
      recorded.set('callback', [cb]);
    },
  } as unknown as Meter;
}

describe('OpenTelemetry example', () => {
  it('spans for get, wait and dial (an error status on a timed-out get), wait_time, and the connection gauges', async () => {
    const { connector } = fakeConnector();
    pool = await createSharedPool({ connector, capacity: 1 });
    const spans: RecordedSpan[] = [];
    const recorded = new Map<string, unknown[]>();
    untrace = traceSharedPool(recordingTracer(spans), recordingMeter(recorded));
    const conn = await pool.get();
    await expect(pool.get({ timeoutMs: 10 })).rejects.toBeInstanceOf(PoolTimeoutError);
    expect(spans.map((s) => [s.name, s.ended])).toEqual([
      ['shared-mysql-pool.get', true], ['shared-mysql-pool.dial', true],
      ['shared-mysql-pool.get', true], ['shared-mysql-pool.wait', true],
    ]);
    expect(spans[1].attributes).toEqual({ 'shared_mysql_pool.thread': pool.client.threadIndex, 'shared_mysql_pool.slot': conn.slot });
    expect(spans[2].status).toBe(2); // SpanStatusCode.ERROR
    expect(spans[2].exceptions[0]).toBeInstanceOf(PoolTimeoutError);
    expect(recorded.get('db.client.connection.wait_time')).toHaveLength(2);

    meterSharedPool(pool, { poolName: 'p', meter: recordingMeter(recorded) });
    const observed: [string, number, object][] = [];
    (recorded.get('callback')![0] as (r: object) => void)({ observe: (i: { name: string }, v: number, a: object) => observed.push([i.name, v, a]) });
    expect(observed).toEqual([
      ['db.client.connection.count', 1, { 'db.client.connection.pool.name': 'p', 'db.client.connection.state': 'used' }],
      ['db.client.connection.count', 0, { 'db.client.connection.pool.name': 'p', 'db.client.connection.state': 'idle' }],
      ['db.client.connection.max', 1, { 'db.client.connection.pool.name': 'p' }],
      ['db.client.connection.pending_requests', 0, { 'db.client.connection.pool.name': 'p' }],
    ]);
    conn.recycle();
  });
});
