/**
 * Prometheus metrics for a shared pool, on prom-client (an optional peer dependency: install it to
 * use this module). Import from 'shared-mysql-pool/prometheus'.
 *
 *   import { registerPoolMetrics } from 'shared-mysql-pool/prometheus';
 *   registerPoolMetrics(pool);                  // prom-client's default registry
 *   app.get('/metrics', async () => register.metrics());
 *
 * Values are read from pool.stats() at scrape time (once per scrape), so they cover every thread
 * whichever thread registers them (the counters live in shared memory). Names follow Prometheus
 * conventions: `_total` counters, `_seconds` units, a `wait_duration_seconds` histogram of
 * served waits; per-thread gauges carry a `thread_id` label (worker_threads threadId).
 */
import { Counter, Gauge, type Registry, register as defaultRegistry } from 'prom-client';
import type { PoolStats } from './core/stats-snapshot.ts';

export interface PoolMetricsOptions {
  /** Where the metrics are registered. Default: prom-client's default registry. */
  registry?: Registry;
  /** Prefix of every metric name. Default 'shared_mysql_pool_'. */
  prefix?: string;
  /** Constant labels on every series (e.g. `{ pool: 'orders' }` when a process has several pools). */
  labels?: Record<string, string>;
}

export interface PoolMetrics {
  /** The registered metric names. */
  readonly names: readonly string[];
  /** Removes these metrics from the registry. */
  unregister(): void;
}

type Stat = keyof Omit<PoolStats, 'WaitHistogram' | 'PerThread'>;
type ThreadStat = keyof PoolStats['PerThread'][number];

/** [name, help, stat, scale] — scale turns the stats' milliseconds into seconds. */
const GAUGES: [string, string, Stat, number][] = [
  ['capacity', 'Connections the whole process may hold', 'Capacity', 1],
  ['max_capacity', 'Upper bound of capacity', 'MaxCapacity', 1],
  ['connections_active', 'Open, opening or closing connections', 'Active', 1],
  ['connections_in_use', 'Borrowed connections', 'InUse', 1],
  ['connections_available', 'Capacity minus borrowed connections', 'Available', 1],
  ['waiting', 'get() calls waiting for a connection, over all threads', 'Waiting', 1],
  ['threads', 'Threads attached to the pool', 'Threads', 1],
  ['idle_timeout_seconds', 'Idle connections unused this long are closed (0 = never)', 'IdleTimeout', 1e-3],
];

const COUNTERS: [string, string, Stat, number][] = [
  ['gets_total', 'get() calls without a setting', 'Get', 1],
  ['gets_with_setting_total', 'get() calls with a setting', 'GetSetting', 1],
  ['waits_total', 'get() calls that had to wait', 'WaitCount', 1],
  ['wait_seconds_total', 'Time served waiters waited', 'WaitTime', 1e-3],
  ['cross_thread_waits_total', 'Waits served with a unit granted by another thread', 'CrossThreadWaitCount', 1],
  ['cross_thread_wait_seconds_total', 'Time those waits took', 'CrossThreadWaitTime', 1e-3],
  ['grants_total', 'Units handed to a waiter of another thread', 'Grants', 1],
  ['evictions_total', 'Idle connections of another thread claimed for a waiter', 'Evictions', 1],
  ['dials_total', 'Connects started', 'Dials', 1],
  ['dial_failures_total', 'Connects that failed', 'DialFailures', 1],
  ['closed_total', 'Connections closed', 'Closed', 1],
  ['idle_closed_total', 'Connections closed for being idle', 'IdleClosed', 1],
  ['max_lifetime_closed_total', 'Connections closed at their max lifetime', 'MaxLifetimeClosed', 1],
  ['diff_setting_total', 'Connections whose setting was changed for a get()', 'DiffSetting', 1],
  ['reset_setting_total', 'Connections whose setting was reset for a get()', 'ResetSetting', 1],
  ['waiter_cap_rejected_total', 'get() calls rejected at maxWaiters', 'WaiterCapRejected', 1],
  ['reaped_threads_total', 'Threads reclaimed after they exited', 'ReapedThreads', 1],
];

const THREAD_GAUGES: [string, string, ThreadStat][] = [
  ['thread_connections_active', 'Connections a thread holds (open, opening or closing)', 'Active'],
  ['thread_connections_in_use', 'Connections a thread has borrowed', 'InUse'],
  ['thread_connections_idle', 'Idle connections a thread keeps', 'Idle'],
  ['thread_waiting', 'get() calls waiting in a thread', 'Waiting'],
];

/** Registers the pool's metrics; they read `pool.stats()` (a SharedPool or any thread's client). */
export function registerPoolMetrics(pool: { stats(): PoolStats }, options: PoolMetricsOptions = {}): PoolMetrics {
  const registry = options.registry ?? defaultRegistry;
  const prefix = options.prefix ?? 'shared_mysql_pool_';
  const labels = { ...options.labels };
  const labelNames = Object.keys(labels);
  // Every metric's collect() runs in the same tick of a scrape: read the stats once for all of them.
  let cached: PoolStats | null = null;
  const stats = (): PoolStats => {
    if (cached === null) {
      cached = pool.stats();
      queueMicrotask(() => {
        cached = null;
      });
    }
    return cached;
  };
  const names: string[] = [];
  const registers = [registry];
  for (const [name, help, stat, scale] of GAUGES) {
    names.push(prefix + name);
    new Gauge({ name: prefix + name, help, labelNames, registers, collect() {
      this.set(labels, stats()[stat] * scale);
    } });
  }
  for (const [name, help, stat, scale] of COUNTERS) {
    names.push(prefix + name);
    new Counter({ name: prefix + name, help, labelNames, registers, collect() {
      this.reset();
      this.inc(labels, stats()[stat] * scale);
    } });
  }
  for (const [name, help, stat] of THREAD_GAUGES) {
    names.push(prefix + name);
    new Gauge({ name: prefix + name, help, labelNames: [...labelNames, 'thread_id'], registers, collect() {
      this.reset();
      for (const t of stats().PerThread) this.set({ ...labels, thread_id: String(t.ThreadId) }, t[stat]);
    } });
  }
  const histogram = prefix + 'wait_duration_seconds';
  names.push(histogram);
  registry.registerMetric(waitHistogram(histogram, labels, stats) as never);
  return {
    names,
    unregister() {
      for (const name of names) registry.removeSingleMetric(name);
    },
  };
}

/**
 * The histogram is kept in shared memory by the pool (every thread counts its own waits), so it is
 * exported from those buckets as a collector object rather than observed through prom-client's
 * Histogram.
 */
function waitHistogram(name: string, labels: Record<string, string>, stats: () => PoolStats): object {
  const help = 'Time get() calls waited before being served';
  return {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    get() {
      const { WaitHistogram, WaitTime } = stats();
      const values = WaitHistogram.map(([leMs, count]) => ({
        metricName: `${name}_bucket`,
        labels: { ...labels, le: leMs === Number.POSITIVE_INFINITY ? '+Inf' : String(leMs / 1000) },
        value: count,
      }));
      values.push({ metricName: `${name}_sum`, labels: { ...labels }, value: WaitTime / 1000 } as never);
      values.push({ metricName: `${name}_count`, labels: { ...labels }, value: WaitHistogram.at(-1)![1] } as never);
      return Promise.resolve({ name, help, type: 'histogram', values, aggregator: 'sum' });
    },
    reset() {},
  };
}
