/**
 * OpenTelemetry for a shared pool, with @opentelemetry/api only (bring your own SDK/exporter):
 *
 *   traceSharedPool()       spans `shared-mysql-pool.get` / `.wait` / `.dial` from the pool's
 *                           diagnostics_channel tracing channels (children of the active span),
 *                           and the `db.client.connection.wait_time` histogram. Call it in EVERY
 *                           thread that uses the pool: diagnostics_channel is per thread.
 *   meterSharedPool(pool)   the pool-wide connection gauges of OpenTelemetry's database client
 *                           semantic conventions, read from pool.stats() (one thread is enough:
 *                           the counts are in shared memory).
 *
 * E.g. in each piscina task module, after your SDK's setup:
 *   traceSharedPool();
 * and in the main thread:
 *   meterSharedPool(pool, { poolName: 'orders' });
 */
import diagnostics from 'node:diagnostics_channel';
import { metrics, type Meter, type Span, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import type { PoolStats } from '../../src/index.ts';

const TRACED = ['get', 'wait', 'dial'] as const;

/** Subscribes; returns a function that unsubscribes. */
export function traceSharedPool(tracer: Tracer = trace.getTracer('shared-mysql-pool'), meter: Meter = metrics.getMeter('shared-mysql-pool')): () => void {
  const waitTime = meter.createHistogram('db.client.connection.wait_time', { unit: 's', description: 'Time it took to obtain an open connection from the pool' });
  const spans = new WeakMap<object, { span: Span; start: number }>();
  const unsubscribers: (() => void)[] = [];
  for (const name of TRACED) {
    const channel = diagnostics.tracingChannel(`shared-mysql-pool:${name}`);
    const handlers = {
      start(message: unknown) {
        const ctx = message as { thread: number; slot?: number; setting?: number | null };
        const attributes: Record<string, number> = { 'shared_mysql_pool.thread': ctx.thread };
        if (ctx.slot !== undefined) attributes['shared_mysql_pool.slot'] = ctx.slot;
        if (ctx.setting != null) attributes['shared_mysql_pool.setting'] = ctx.setting;
        spans.set(ctx, { span: tracer.startSpan(`shared-mysql-pool.${name}`, { attributes }), start: performance.now() });
      },
      end() {},
      asyncStart() {},
      asyncEnd(message: unknown) {
        const entry = spans.get(message as object);
        if (!entry) return;
        spans.delete(message as object);
        entry.span.end();
        if (name === 'get') waitTime.record((performance.now() - entry.start) / 1000);
      },
      error(message: unknown) {
        const entry = spans.get(message as object);
        const error = (message as { error?: unknown }).error;
        entry?.span.recordException(error instanceof Error ? error : String(error));
        entry?.span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      },
    };
    channel.subscribe(handlers);
    unsubscribers.push(() => channel.unsubscribe(handlers));
  }
  return () => unsubscribers.forEach((off) => off());
}

/** Observable instruments read from `pool.stats()` at each collection. */
export function meterSharedPool(pool: { stats(): PoolStats }, options: { poolName?: string; meter?: Meter } = {}): void {
  const meter = options.meter ?? metrics.getMeter('shared-mysql-pool');
  const poolName = { 'db.client.connection.pool.name': options.poolName ?? 'shared-mysql-pool' };
  const count = meter.createObservableUpDownCounter('db.client.connection.count', { unit: '{connection}', description: 'Connections by state' });
  const max = meter.createObservableUpDownCounter('db.client.connection.max', { unit: '{connection}', description: 'Most open connections allowed (capacity)' });
  const pending = meter.createObservableUpDownCounter('db.client.connection.pending_requests', { unit: '{request}', description: 'Requests waiting for a connection' });
  meter.addBatchObservableCallback((result) => {
    const s = pool.stats();
    result.observe(count, s.InUse, { ...poolName, 'db.client.connection.state': 'used' });
    const idle = s.PerThread.reduce((n, t) => n + t.Idle, 0);
    result.observe(count, idle, { ...poolName, 'db.client.connection.state': 'idle' });
    result.observe(max, s.Capacity, poolName);
    result.observe(pending, s.Waiting, poolName);
  }, [count, max, pending]);
}
