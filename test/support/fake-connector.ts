/**
 * A fake connector for making faults deterministic. Its behaviour and counters live in a small
 * SharedArrayBuffer, so tests in the main thread can steer (and count) connects made in any thread.
 *
 * Modes: delay every connect; fail connects ("failed to connect: forced failure"); block connects
 * until released or until their AbortSignal fires; or block while ignoring the signal (a connector
 * that does not honour cancellation). ApplySetting / ResetSetting can be told to fail. Its query()
 * is promise-only (no send()); FAKE_SQL texts make it hang, reject or throw.
 */
import type { PoolConnection } from '../../src/workers/connector.ts';
import { threadId } from 'node:worker_threads';
import { type SharedPool } from '../../src/index.ts';
import { scaled } from './time-scale.ts';

export const FAKE_FIELD = {
  LAST_ID: 0,
  OPENED: 1,
  CLOSED: 2,
  OPEN_NOW: 3,
  PEAK_OPEN: 4,
  ATTEMPTS: 5,
  DELAY_MS: 6,
  FAIL_CONNECT: 7,
  BLOCK: 8,
  IGNORE_SIGNAL: 9,
  GATE: 10,
  BLOCKED_NOW: 11,
  FAIL_APPLY: 12,
  FAIL_RESET: 13,
  APPLIES: 14,
  RESETS: 15,
  ABORTED: 16,
  QUERIES: 17,
  /** Connections still counted open by a thread when it exited (counted closed by threadExited). */
  DIED_OPEN: 18,
} as const;
/** Query texts the fake connection acts on instead of answering. */
export const FAKE_SQL = {
  /** Never answered. */
  HANG: 'FAKE HANG',
  /** Rejected with an Error whose code is ER_FAKE (not fatal). */
  REJECT: 'FAKE REJECT',
  /** query() throws a TypeError synchronously. */
  THROW: 'FAKE THROW',
} as const;
const WORDS = 32;
/**
 * Per-thread open counts after the fields: THREADS entries of [threadId + 1, open]. A thread that
 * exits takes its sockets with it (Node closes its handles; close() is never called): without these
 * counts openNow and peakOpen would keep its connections open forever, and the dials made with the
 * units reaped from it would read as a capacity breach.
 */
const THREADS = 256;
const TABLE = WORDS;

export interface FakeOptions {
  control: SharedArrayBuffer;
  /** Methods the connections do not offer (a custom connector with less than the mysql2 one). */
  without?: string[];
}

export class FakeControl {
  readonly buffer: SharedArrayBuffer;
  readonly words: Int32Array;
  constructor(buffer = new SharedArrayBuffer((WORDS + 2 * THREADS) * 4)) {
    this.buffer = buffer;
    this.words = new Int32Array(buffer);
  }
  get(field: number): number {
    return Atomics.load(this.words, field);
  }
  set(field: number, value: number | boolean): void {
    Atomics.store(this.words, field, Number(value));
  }
  get lastId(): number { return this.get(FAKE_FIELD.LAST_ID); }
  get opened(): number { return this.get(FAKE_FIELD.OPENED); }
  get closed(): number { return this.get(FAKE_FIELD.CLOSED); }
  get openNow(): number { return this.get(FAKE_FIELD.OPEN_NOW); }
  get peakOpen(): number { return this.get(FAKE_FIELD.PEAK_OPEN); }
  get attempts(): number { return this.get(FAKE_FIELD.ATTEMPTS); }
  get blockedNow(): number { return this.get(FAKE_FIELD.BLOCKED_NOW); }
  get applies(): number { return this.get(FAKE_FIELD.APPLIES); }
  get resets(): number { return this.get(FAKE_FIELD.RESETS); }
  get aborted(): number { return this.get(FAKE_FIELD.ABORTED); }
  set delayMs(v: number) { this.set(FAKE_FIELD.DELAY_MS, v); }
  set failConnect(v: boolean) { this.set(FAKE_FIELD.FAIL_CONNECT, v); }
  set failApply(v: boolean) { this.set(FAKE_FIELD.FAIL_APPLY, v); }
  set failReset(v: boolean) { this.set(FAKE_FIELD.FAIL_RESET, v); }
  /** Block connects until unblock() (or their signal, unless ignoreSignal). */
  set block(v: boolean) { this.set(FAKE_FIELD.BLOCK, v); }
  set ignoreSignal(v: boolean) { this.set(FAKE_FIELD.IGNORE_SIGNAL, v); }
  /** Lets every blocked connect continue. */
  unblock(): void {
    this.set(FAKE_FIELD.BLOCK, 0);
    Atomics.add(this.words, FAKE_FIELD.GATE, 1);
    Atomics.notify(this.words, FAKE_FIELD.GATE);
  }
  /** This thread's open count (its entry is claimed on first use). */
  openOf(tid: number): number {
    const w = this.words;
    let free = -1;
    for (let i = 0; i < THREADS; i++) {
      const key = Atomics.load(w, TABLE + 2 * i);
      if (key === tid + 1) return TABLE + 2 * i + 1;
      if (key === 0 && free < 0) free = i;
    }
    // Only `tid` itself claims its entry, so a lost CAS means another thread took this one: rescan.
    if (free >= 0 && Atomics.compareExchange(w, TABLE + 2 * free, 0, tid + 1) === 0) return TABLE + 2 * free + 1;
    if (free >= 0) return this.openOf(tid);
    throw new Error(`fake connector: more than ${THREADS} threads hold connections at once`);
  }
  /**
   * Thread `tid` has exited: the connections it still had open died with it. Counted closed here
   * (openNow, diedOpen), not in `closed` (close() never ran). Call it before its units move on:
   * countReaped() does so when the pool reaps the thread.
   */
  threadExited(tid: number): number {
    const w = this.words;
    for (let i = 0; i < THREADS; i++) {
      if (Atomics.load(w, TABLE + 2 * i) !== tid + 1) continue;
      const open = Atomics.exchange(w, TABLE + 2 * i + 1, 0);
      Atomics.sub(w, FAKE_FIELD.OPEN_NOW, open);
      Atomics.add(w, FAKE_FIELD.DIED_OPEN, open);
      Atomics.store(w, TABLE + 2 * i, 0);
      return open;
    }
    return 0;
  }
  get diedOpen(): number { return this.get(FAKE_FIELD.DIED_OPEN); }
  /** Resolves once at least `n` connects are blocked. */
  async untilBlocked(n: number, timeoutMs = 10_000): Promise<void> {
    await until(() => this.blockedNow >= n, timeoutMs, `${n} blocked connects (now ${this.blockedNow})`);
  }
}

/** Polls a condition on shared counters that have no bell of their own (tests only); timeoutMs is scaled by TEST_TIME_SCALE. */
export async function until(condition: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + scaled(timeoutMs);
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

export class FakeConnection implements PoolConnection {
  readonly id: number;
  private readonly control: FakeControl;
  private closedFlag = false;
  applied: string | null = null;
  constructor(id: number, control: FakeControl) {
    this.id = id;
    this.control = control;
  }
  async applySetting(sql: string): Promise<void> {
    Atomics.add(this.control.words, FAKE_FIELD.APPLIES, 1);
    if (this.control.get(FAKE_FIELD.FAIL_APPLY)) throw new Error('ApplySetting failed');
    this.applied = sql;
  }
  async resetSetting(): Promise<void> {
    Atomics.add(this.control.words, FAKE_FIELD.RESETS, 1);
    if (this.control.get(FAKE_FIELD.FAIL_RESET)) throw new Error('ResetSetting failed');
    this.applied = null;
  }
  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    Atomics.add(this.control.words, FAKE_FIELD.CLOSED, 1);
    Atomics.sub(this.control.words, FAKE_FIELD.OPEN_NOW, 1);
    Atomics.sub(this.control.words, this.control.openOf(threadId), 1);
  }
  isClosed(): boolean {
    return this.closedFlag;
  }
  /** A promise-only query() (no send()): FAKE_SQL texts make it hang, reject or throw. */
  query(sql: string): Promise<unknown> {
    Atomics.add(this.control.words, FAKE_FIELD.QUERIES, 1);
    if (sql === FAKE_SQL.HANG) return new Promise(() => {});
    if (sql === FAKE_SQL.REJECT) return Promise.reject(Object.assign(new Error('fake query failed'), { code: 'ER_FAKE' }));
    if (sql === FAKE_SQL.THROW) throw new TypeError('fake query threw');
    return Promise.resolve([[{ id: this.id, sql, setting: this.applied }], []]);
  }
}

const controls = new Map<SharedArrayBuffer, FakeControl>();

export async function connect(options: unknown, signal: AbortSignal): Promise<PoolConnection> {
  const { control: buffer, without } = options as FakeOptions;
  let control = controls.get(buffer);
  if (!control) controls.set(buffer, (control = new FakeControl(buffer)));
  const w = control.words;
  Atomics.add(w, FAKE_FIELD.ATTEMPTS, 1);
  const delay = control.get(FAKE_FIELD.DELAY_MS);
  if (delay > 0) await sleep(delay, control.get(FAKE_FIELD.IGNORE_SIGNAL) ? undefined : signal, control);
  if (control.get(FAKE_FIELD.BLOCK)) await blocked(control, control.get(FAKE_FIELD.IGNORE_SIGNAL) ? undefined : signal);
  if (control.get(FAKE_FIELD.FAIL_CONNECT)) throw new Error('failed to connect: forced failure');
  const id = Atomics.add(w, FAKE_FIELD.LAST_ID, 1) + 1;
  Atomics.add(w, FAKE_FIELD.OPENED, 1);
  Atomics.add(w, control.openOf(threadId), 1);
  const now = Atomics.add(w, FAKE_FIELD.OPEN_NOW, 1) + 1;
  for (;;) {
    const peak = Atomics.load(w, FAKE_FIELD.PEAK_OPEN);
    if (now <= peak || Atomics.compareExchange(w, FAKE_FIELD.PEAK_OPEN, peak, now) === peak) break;
  }
  const conn = new FakeConnection(id, control);
  for (const name of without ?? []) Object.defineProperty(conn, name, { value: undefined });
  return conn;
}

function sleep(ms: number, signal: AbortSignal | undefined, control: FakeControl): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      Atomics.add(control.words, 16, 1);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

async function blocked(control: FakeControl, signal: AbortSignal | undefined): Promise<void> {
  const w = control.words;
  Atomics.add(w, FAKE_FIELD.BLOCKED_NOW, 1);
  // A pending waitAsync keeps nothing alive: hold a ref'd timer while blocked.
  const keepAlive = setInterval(() => {}, 1 << 30);
  try {
    while (Atomics.load(w, FAKE_FIELD.BLOCK)) {
      const gate = Atomics.load(w, FAKE_FIELD.GATE);
      if (!Atomics.load(w, FAKE_FIELD.BLOCK)) break;
      const wait = Atomics.waitAsync(w, FAKE_FIELD.GATE, gate);
      const woke = wait.async ? wait.value : Promise.resolve('not-equal');
      if (signal) {
        let onAbort: () => void = () => {};
        const aborted = new Promise<never>((_, reject) => {
          onAbort = () => reject(signal.reason);
          if (signal.aborted) onAbort();
          else signal.addEventListener('abort', onAbort, { once: true });
        });
        try {
          await Promise.race([woke, aborted]);
        } catch (error) {
          Atomics.add(w, FAKE_FIELD.ABORTED, 1);
          throw error;
        } finally {
          signal.removeEventListener('abort', onAbort);
        }
      } else {
        await woke;
      }
    }
  } finally {
    clearInterval(keepAlive);
    Atomics.sub(w, FAKE_FIELD.BLOCKED_NOW, 1);
  }
}

/** A connector spec for pools under test, with its control. */
export function fakeConnector(without?: string[]): { control: FakeControl; connector: { module: string; options: FakeOptions } } {
  const control = new FakeControl();
  const options: FakeOptions = without ? { control: control.buffer, without } : { control: control.buffer };
  return { control, connector: { module: new URL('./fake-connector.ts', import.meta.url).href, options } };
}

/**
 * Counts the connections of every thread `pool` reaps as closed (threadExited) just before the pool
 * moves its units on. The pool reaps a thread only once it has exited (watch(): the Worker's 'exit'),
 * so its sockets are gone by then.
 */
export function countReaped(pool: SharedPool, control: FakeControl): void {
  const reap = pool.reap.bind(pool);
  pool.reap = (deadThreadId: number) => {
    control.threadExited(deadThreadId);
    return reap(deadThreadId);
  };
}
