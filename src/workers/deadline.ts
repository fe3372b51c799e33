/**
 * The end of one get(): the caller's AbortSignal and/or a time on the pool clock. Nothing is
 * allocated for it unless a dial or a reset/apply needs an AbortSignal: a get that waits is timed
 * out by its thread's single deadline timer (see ThreadAgent), not by a timer of its own.
 */
import { PoolClosedError, PoolError, PoolTimeoutError } from '../core/errors.ts';

export class Deadline {
  readonly caller: AbortSignal | undefined;
  /** Pool-clock ms at which the get times out; Infinity for none. */
  readonly deadlineMs: number;
  private readonly clock: () => number;
  private controller: AbortController | null = null;
  private timer: NodeJS.Timeout | null = null;
  private onCallerAbort: (() => void) | null = null;
  private timedOut = false;

  /** Pool-clock ms when the get began (the clock is read once per get that misses the fast path). */
  readonly startMs: number;

  constructor(caller: AbortSignal | undefined, timeoutMs: number, clock: () => number) {
    this.caller = caller;
    this.clock = clock;
    this.startMs = clock();
    this.deadlineMs = timeoutMs > 0 ? this.startMs + timeoutMs : Number.POSITIVE_INFINITY;
  }

  /** An AbortSignal that ends with the caller's signal or the deadline (made on first use). */
  get signal(): AbortSignal {
    if (this.controller) return this.controller.signal;
    if (this.deadlineMs === Number.POSITIVE_INFINITY && this.caller) return this.caller;
    const controller = new AbortController();
    this.controller = controller;
    if (this.deadlineMs !== Number.POSITIVE_INFINITY) {
      const expire = (): void => {
        this.timedOut = true;
        controller.abort(new PoolTimeoutError());
      };
      const remaining = this.deadlineMs - this.clock();
      if (remaining <= 0) expire();
      // Ref'd on purpose: a get dialling or resetting under a deadline keeps the process alive.
      else this.timer = setTimeout(expire, remaining);
    }
    const caller = this.caller;
    if (caller) {
      if (caller.aborted) controller.abort(caller.reason);
      else {
        this.onCallerAbort = () => controller.abort(caller.reason);
        caller.addEventListener('abort', this.onCallerAbort, { once: true });
      }
    }
    return controller.signal;
  }

  /** This deadline combined with the pool's lifetime signal, for dials. */
  withLifetime(lifetime: AbortSignal): AbortSignal {
    return AbortSignal.any([this.signal, lifetime]);
  }

  /**
   * Maps a dial/reset error: our deadline → timed out; the lifetime → closed; the caller's abort →
   * timed out too (the same PoolTimeoutError a caller's abort gives while waiting, its reason as
   * `cause`); else verbatim.
   */
  translate(error: unknown, lifetime: AbortSignal): Error {
    if (error instanceof PoolError) return error;
    if (this.timedOut || this.deadlineMs <= this.clock()) return new PoolTimeoutError('connection pool timed out', { cause: error });
    if (lifetime.aborted && !this.caller?.aborted) return new PoolClosedError();
    if (this.caller?.aborted) return new PoolTimeoutError('connection pool timed out (the caller aborted)', { cause: this.caller.reason });
    return asError(error);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.caller && this.onCallerAbort) this.caller.removeEventListener('abort', this.onCallerAbort);
  }
}

export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
