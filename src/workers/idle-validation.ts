/**
 * Validation before lending (HikariCP's aliveBypassWindowMs): a connection that sat idle longer
 * than the window is pinged (COM_PING) under validationTimeoutMs before a caller gets it. This
 * catches what the pool cannot see while idle: a flow a middlebox dropped without FIN or RST, a
 * session the server closed while this thread's event loop was blocked (its FIN not yet read).
 * A connection used within the window is lent without a round trip.
 */
import type { PoolConnection } from './connector.ts';

export class IdleValidation {
  private readonly windowMs: number;
  private readonly timeoutMs: number;
  /** 1 = popped after more than the window idle: ping before lending. Per slot of this thread. */
  private readonly due: Uint8Array;
  /**
   * When each slot's connection last proved alive (a return or a dial), pool-clock ms as a plain
   * number: the hot path compares numbers, never BigInts (which allocate), and converts none.
   */
  private readonly aliveAt: Float64Array;

  constructor(maxCapacity: number, windowMs: number, timeoutMs: number) {
    this.windowMs = windowMs;
    this.timeoutMs = timeoutMs;
    this.due = new Uint8Array(maxCapacity);
    this.aliveAt = new Float64Array(maxCapacity);
  }

  /** The connection in `slot` was just used (returned, dialled) at `nowNs`. */
  used(slot: number, nowNs: bigint): void {
    this.aliveAt[slot] = Number(nowNs) / 1e6;
  }

  /** used() for a pool-clock time in ms the caller has read already (the return path). */
  usedAt(slot: number, nowMs: number): void {
    this.aliveAt[slot] = nowMs;
  }

  /** A connection popped from an idle stack at pool-clock `nowMs`: due for a ping if idle past the window. */
  popped(slot: number, nowMs: number): void {
    if (nowMs - this.aliveAt[slot] >= this.windowMs) this.due[slot] = 1;
  }

  /** Its last round trip started at `sinceNs` and ended now (a cleanup): due if that took past the window. */
  slow(slot: number, sinceNs: bigint, nowNs: bigint): void {
    if ((Number(nowNs) - Number(sinceNs)) / 1e6 >= this.windowMs) this.due[slot] = 1;
  }

  /** Whether `slot` must be pinged before it is lent. */
  isDue(slot: number): boolean {
    return this.due[slot] === 1;
  }

  /** The slot is being lent (or validated): the mark is used up. */
  clear(slot: number): void {
    this.due[slot] = 0;
  }

  /** True when the connection answered within the validation timeout and the caller's `signal`. */
  async alive(conn: PoolConnection, signal: AbortSignal): Promise<boolean> {
    if (conn.isClosed()) return false;
    if (!conn.validate) return true;
    try {
      await conn.validate(AbortSignal.any([signal, AbortSignal.timeout(this.timeoutMs)]));
      return !conn.isClosed();
    } catch {
      return false;
    }
  }
}
