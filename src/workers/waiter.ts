/**
 * One waiting get(): a plain object with its promise's two settle functions, served with the
 * handle itself (no promise resolved with a promise, no closures of its own). Its caller's
 * AbortSignal, if any, calls the waiter directly (an EventListener object with handleEvent), and
 * its deadline is kept by the thread's single deadline timer. What serving and failing do to the
 * pool is the agent's part (WaiterHost: agent/waiting.ts); the waiter only settles its promise once.
 */
import type { Deadline } from './deadline.ts';
import type { YieldingDial } from './yielding-dials.ts';
import type { LocalWaiter } from './local-waitlist.ts';
import type { PooledConnection } from './pooled-connection.ts';
import type { Setting } from './setting.ts';

export interface WaiterHost {
  /**
   * The waiter got `slot` at pool-clock `nowMs` (-1: unknown, read the clock): returns the handle,
   * or a promise of it when the setting must change first.
   */
  served(waiter: Waiter, slot: number, nowMs: number): PooledConnection | Promise<PooledConnection>;
  /** The waiter fails (the agent's bookkeeping before the rejection). */
  failed(waiter: Waiter): void;
  /** The caller's signal ended while the waiter waited. */
  aborted(waiter: Waiter): void;
}

export class Waiter implements LocalWaiter {
  readonly setting: number;
  cell = -1;
  age = 0;
  readonly startMs: number;
  dialing = false;
  dial: YieldingDial | null = null;
  granted = false;
  readonly signal: AbortSignal | null;
  readonly deadlineMs: number;
  /** The setting wanted (its id is `setting`). */
  readonly want: Setting | null;
  /** The get's deadline: disposed when the waiter is settled, or used to fit the setting. */
  readonly deadline: Deadline;
  private readonly host: WaiterHost;
  private resolve!: (conn: PooledConnection | Promise<PooledConnection>) => void;
  private reject!: (error: Error) => void;
  readonly promise: Promise<PooledConnection>;

  constructor(host: WaiterHost, want: Setting | null, setting: number, startMs: number, deadline: Deadline) {
    this.host = host;
    this.want = want;
    this.setting = setting;
    this.startMs = startMs;
    this.deadline = deadline;
    const signal = (this.signal = deadline.caller ?? null);
    this.deadlineMs = deadline.deadlineMs;
    this.promise = new Promise<PooledConnection>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    if (signal) signal.addEventListener('abort', this, { once: true });
  }

  /** The caller's signal ended. */
  handleEvent(): void {
    this.host.aborted(this);
  }

  /** Served with `slot`; `nowMs` when the server has just read the clock (else it is read here). */
  serve(slot: number, nowMs = -1): void {
    if (this.signal) this.signal.removeEventListener('abort', this);
    this.resolve(this.host.served(this, slot, nowMs));
  }

  fail(error: Error): void {
    if (this.signal) this.signal.removeEventListener('abort', this);
    this.host.failed(this);
    this.reject(error);
  }
}
