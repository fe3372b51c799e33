/**
 * Deadline (src/workers/deadline.ts): the end of one get() — the caller's signal and/or a time on
 * the pool clock — and how a dial's error is named once it ended. A fake clock drives it; the
 * one real timer is only ever armed with a deadline already in the past or far in the future.
 */
import { describe, expect, it } from 'vitest';
import { PoolClosedError, PoolOptionError, PoolTimeoutError } from '../../src/core/errors.ts';
import { asError, Deadline } from '../../src/workers/deadline.ts';

function clock(start = 1_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

const live = (): AbortSignal => new AbortController().signal;

describe('Deadline', () => {
  it('timeoutMs 0 means no deadline; without a caller the signal never ends', () => {
    const c = clock();
    const d = new Deadline(undefined, 0, c.now);
    expect(d.deadlineMs).toBe(Number.POSITIVE_INFINITY);
    c.advance(1e9);
    expect(d.signal.aborted).toBe(false);
    d.dispose();
  });

  it('the deadline is a time on the pool clock: now + timeoutMs', () => {
    const c = clock(5_000);
    const d = new Deadline(undefined, 250, c.now);
    expect(d.deadlineMs).toBe(5_250);
    d.dispose();
  });

  it("with only the caller's signal, that signal itself is used (nothing allocated)", () => {
    const caller = live();
    const d = new Deadline(caller, 0, clock().now);
    expect(d.signal).toBe(caller);
    d.dispose();
  });

  it('a deadline already passed when the signal is first asked for ends it at once with PoolTimeoutError', () => {
    const c = clock();
    const d = new Deadline(undefined, 100, c.now);
    c.advance(100);
    const signal = d.signal;
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(PoolTimeoutError);
    expect(d.signal).toBe(signal); // made once
    d.dispose();
  });

  it("the signal follows the caller's abort, with the caller's reason", () => {
    const caller = new AbortController();
    const d = new Deadline(caller.signal, 60_000, clock().now);
    const signal = d.signal;
    expect(signal.aborted).toBe(false);
    const reason = new Error('user gave up');
    caller.abort(reason);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(reason);
    d.dispose();
  });

  it('dispose() stops following the caller', () => {
    const caller = new AbortController();
    const d = new Deadline(caller.signal, 60_000, clock().now);
    const signal = d.signal;
    d.dispose();
    caller.abort(new Error('late'));
    expect(signal.aborted).toBe(false);
  });

  describe('translate(error, lifetime)', () => {
    it('a PoolError passes through as it is', () => {
      const d = new Deadline(undefined, 0, clock().now);
      const e = new PoolOptionError('x', 1, 'y');
      expect(d.translate(e, live())).toBe(e);
    });

    it('past the deadline: PoolTimeoutError with the dial error as cause', () => {
      const c = clock();
      const d = new Deadline(undefined, 10, c.now);
      c.advance(10);
      const e = new Error('ECONNREFUSED');
      const t = d.translate(e, live());
      expect(t).toBeInstanceOf(PoolTimeoutError);
      expect((t as Error & { cause?: unknown }).cause).toBe(e);
    });

    it('the lifetime ended (close) and the caller did not abort: PoolClosedError', () => {
      const lifetime = new AbortController();
      lifetime.abort();
      const d = new Deadline(live(), 0, clock().now);
      expect(d.translate(new Error('aborted'), lifetime.signal)).toBeInstanceOf(PoolClosedError);
    });

    it("the caller aborted: PoolTimeoutError saying so, with the caller's reason as cause", () => {
      const caller = new AbortController();
      const reason = new Error('user gave up');
      caller.abort(reason);
      const d = new Deadline(caller.signal, 0, clock().now);
      const t = d.translate(new Error('aborted'), live());
      expect(t).toBeInstanceOf(PoolTimeoutError);
      expect(t.message).toMatch(/caller aborted/);
      expect((t as Error & { cause?: unknown }).cause).toBe(reason);
    });

    it('otherwise the error comes back verbatim (a non-Error wrapped in one)', () => {
      const d = new Deadline(undefined, 60_000, clock().now);
      const e = new Error('Access denied');
      expect(d.translate(e, live())).toBe(e);
      expect(d.translate('boom', live()).message).toBe('boom');
      expect(asError(42)).toBeInstanceOf(Error);
    });
  });
});
