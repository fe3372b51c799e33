/**
 * Leak detection (HikariCP's leakDetectionThreshold): a connection borrowed for longer than
 * leakDetectionMs is reported once, with the stack of the get() that borrowed it, and reported
 * again if it comes back later. Reports go to the diagnostics channel `shared-mysql-pool:leak`
 * (node:diagnostics_channel); with no subscriber they become a process warning
 * (code SHARED_MYSQL_POOL_LEAK), Node's usual way for a library to warn. The stack is captured only
 * while the option is on; one unref'd timer per borrow.
 */
import { channel } from 'node:diagnostics_channel';

export const LEAK_CHANNEL = 'shared-mysql-pool:leak';
const leaks = channel(LEAK_CHANNEL);

/** A message on `shared-mysql-pool:leak`. */
export interface LeakReport {
  /** 'leak': held past the threshold; 'returned': a reported connection came back. */
  event: 'leak' | 'returned';
  /** How long it has been borrowed (ms). */
  heldMs: number;
  thresholdMs: number;
  /** Registry index of the borrowing thread, and the connection's slot. */
  threadIndex: number;
  slot: number;
  /** Stack of the get() that borrowed it. */
  stack: string;
}

/** Where the handle keeps its watch (a symbol: not part of PooledConnection's API). */
export const LEAK_WATCH = Symbol('leakWatch');

export class LeakWatch {
  private timer: NodeJS.Timeout | null;
  private reported = false;
  private readonly since = performance.now();

  constructor(private readonly detector: LeakDetector, private readonly slot: number, private readonly origin: Error) {
    this.timer = setTimeout(() => this.fire(), detector.thresholdMs);
    this.timer.unref();
  }

  private fire(): void {
    this.timer = null;
    this.reported = true;
    this.detector.report('leak', this.held(), this.slot, this.origin);
  }

  /** The connection came back (recycle or taint). */
  returned(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.reported) this.detector.report('returned', this.held(), this.slot, this.origin);
  }

  private held(): number {
    return Math.round(performance.now() - this.since);
  }
}

export class LeakDetector {
  readonly thresholdMs: number;
  private readonly threadIndex: number;

  constructor(thresholdMs: number, threadIndex: number) {
    this.thresholdMs = thresholdMs;
    this.threadIndex = threadIndex;
  }

  /** Call synchronously inside get(): the stack of the borrower. */
  capture(get: (...args: never[]) => unknown): Error {
    const origin = new Error('connection borrowed here');
    Error.captureStackTrace(origin, get);
    return origin;
  }

  watch(slot: number, origin: Error): LeakWatch {
    return new LeakWatch(this, slot, origin);
  }

  report(event: LeakReport['event'], heldMs: number, slot: number, origin: Error): void {
    const stack = (origin.stack ?? '').replace(/^Error: connection borrowed here\n?/, '');
    const report: LeakReport = { event, heldMs, thresholdMs: this.thresholdMs, threadIndex: this.threadIndex, slot, stack };
    if (leaks.hasSubscribers) {
      leaks.publish(report);
      return;
    }
    const text = event === 'leak'
      ? `connection borrowed ${heldMs} ms ago (leakDetectionMs = ${this.thresholdMs}) is still not returned: possible leak; borrowed at:\n${stack}`
      : `connection reported as a possible leak was returned after ${heldMs} ms; borrowed at:\n${stack}`;
    process.emitWarning(text, { type: 'SharedMysqlPoolLeakWarning', code: 'SHARED_MYSQL_POOL_LEAK' });
  }
}
