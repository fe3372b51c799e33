/**
 * The pool's lifecycle, in one place: its state (NEW → OPEN → CLOSED), the lifetime cancel flag
 * every thread checks before it dials (smartconnpool §3.2; PR #20122 fixes 2 and 3), and the idle
 * timeout shared so that setIdleTimeout reaches every thread. Only these functions touch those
 * header words.
 *
 * Order at open: the lifetime is renewed first, then capacity is set, then the state says OPEN.
 * Order at close: the lifetime is cancelled first, capacity drains to 0, then the state says CLOSED.
 */
import { HEADER, POOL_STATE } from './layout.ts';

export class PoolLifecycle {
  private readonly header: Int32Array;

  constructor(header: Int32Array) {
    this.header = header;
  }

  /** A fresh buffer: state NEW, lifetime cancelled (nothing may dial before open). */
  static initialize(header: Int32Array): void {
    header[HEADER.STATE] = POOL_STATE.NEW;
    header[HEADER.LIFETIME_CANCELLED] = 1;
  }

  /** Open, first step: the idle timeout is published and the lifetime is live again. */
  renewLifetime(idleTimeoutMs: number): void {
    this.idleTimeoutMs = idleTimeoutMs;
    Atomics.store(this.header, HEADER.LIFETIME_CANCELLED, 0);
  }

  /** Open, last step (after capacity is set): waiters may be granted units from now on. */
  markOpen(): void {
    Atomics.store(this.header, HEADER.STATE, POOL_STATE.OPEN);
  }

  /** Close, first step: every thread's dials and waits end (each agent reads it on its doorbell). */
  cancelLifetime(): void {
    Atomics.store(this.header, HEADER.LIFETIME_CANCELLED, 1);
  }

  /** Close, last step (after the drain): no unit is granted to a waiter any more. */
  markClosed(): void {
    Atomics.store(this.header, HEADER.STATE, POOL_STATE.CLOSED);
  }

  /** True between markOpen() and markClosed(). */
  get isOpen(): boolean {
    return Atomics.load(this.header, HEADER.STATE) === POOL_STATE.OPEN;
  }

  /** True before open and from close on: no new dial may start. */
  get lifetimeCancelled(): boolean {
    return Atomics.load(this.header, HEADER.LIFETIME_CANCELLED) !== 0;
  }

  /** Idle timeout in ms (0 = connections never time out idle). */
  get idleTimeoutMs(): number {
    return Atomics.load(this.header, HEADER.IDLE_TIMEOUT_MS);
  }

  set idleTimeoutMs(ms: number) {
    Atomics.store(this.header, HEADER.IDLE_TIMEOUT_MS, ms);
  }
}
