/** PoolLifecycle (src/core/lifecycle.ts): the pool's state, the lifetime flag and the idle timeout. */
import { describe, expect, it } from 'vitest';
import { PoolLifecycle, SharedCore } from '../../src/core/index.ts';
import { SMALL } from '../support/core.ts';

describe('PoolLifecycle', () => {
  it('a new buffer is not open and its lifetime is cancelled (nothing dials before open)', () => {
    const { lifecycle } = SharedCore.create(SMALL);
    expect(lifecycle.isOpen).toBe(false);
    expect(lifecycle.lifetimeCancelled).toBe(true);
    expect(lifecycle.idleTimeoutMs).toBe(0);
  });

  it('open: renewLifetime publishes the idle timeout, markOpen opens; close: cancelLifetime, then markClosed', () => {
    const { lifecycle } = SharedCore.create(SMALL);
    lifecycle.renewLifetime(600_000);
    expect(lifecycle.lifetimeCancelled).toBe(false);
    expect(lifecycle.idleTimeoutMs).toBe(600_000);
    expect(lifecycle.isOpen).toBe(false);
    lifecycle.markOpen();
    expect(lifecycle.isOpen).toBe(true);
    lifecycle.cancelLifetime();
    expect(lifecycle.lifetimeCancelled).toBe(true);
    expect(lifecycle.isOpen).toBe(true); // still open while it drains
    lifecycle.markClosed();
    expect(lifecycle.isOpen).toBe(false);
  });

  it('every view of the buffer sees the same lifecycle (it lives in the shared header)', () => {
    const core = SharedCore.create(SMALL);
    const other = new PoolLifecycle(SharedCore.attach(core.buffer).memory.header);
    core.lifecycle.renewLifetime(5);
    core.lifecycle.markOpen();
    expect(other.isOpen).toBe(true);
    other.idleTimeoutMs = 7;
    expect(core.lifecycle.idleTimeoutMs).toBe(7);
  });
});
