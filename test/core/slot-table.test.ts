import { describe, expect, it } from 'vitest';
import { BUSY, EXPIRED, SLOT_STATE, SLOT_STATE_NAMES, EMPTY, PoolInvariantError } from '../../src/core/index.ts';
import { makeCore } from '../support/core.ts';

function idleSlot(timeNs = 1_000n) {
  const core = makeCore();
  const slot = core.stacks.pop(core.freeStack);
  core.slots.claim(slot, 2);
  core.slots.stampNew(slot, timeNs);
  core.slots.setState(slot, SLOT_STATE.IDLE);
  return { core, t: core.slots, slot };
}

describe('SlotTable', () => {
  it('starts every slot FREE with generation 0', () => {
    const core = makeCore();
    for (let s = 0; s < core.slots.size; s++) {
      expect(core.slots.state(s)).toBe(SLOT_STATE.FREE);
      expect(core.slots.generation(s)).toBe(0);
    }
    expect(SLOT_STATE_NAMES[SLOT_STATE.EVICTED]).toBe('EVICTED');
  });

  it('claim makes a slot DIALING for its owner and bumps the generation; free frees it', () => {
    const core = makeCore();
    const t = core.slots;
    const slot = core.stacks.pop(core.freeStack);
    t.setSetting(slot, 5);
    expect(t.claim(slot, 3)).toBe(1);
    expect(t.state(slot)).toBe(SLOT_STATE.DIALING);
    expect(t.owner(slot)).toBe(3);
    expect(t.setting(slot)).toBe(0);
    t.stampNew(slot, 77n);
    expect(t.timeCreatedOf(slot)).toBe(77n);
    expect(t.timeUsedOf(slot)).toBe(77n);
    t.setTimeUsed(slot, 99n);
    expect(t.timeUsedOf(slot)).toBe(99n);
    expect(t.timeCreatedOf(slot)).toBe(77n);
    t.setSetting(slot, 4);
    t.free(slot);
    expect(t.state(slot)).toBe(SLOT_STATE.FREE);
    expect(t.owner(slot)).toBe(-1);
    expect(t.setting(slot)).toBe(0);
    expect(t.timeUsedOf(slot)).toBe(0n);
    expect(t.timeCreatedOf(slot)).toBe(0n);
    expect(t.generation(slot)).toBe(1);
    expect(t.claim(slot, 1)).toBe(2);
  });

  it('casState transitions only from the expected state', () => {
    const { t, slot } = idleSlot();
    expect(t.casState(slot, SLOT_STATE.BORROWED, SLOT_STATE.IDLE)).toBe(false);
    expect(t.casState(slot, SLOT_STATE.IDLE, SLOT_STATE.EVICTED)).toBe(true);
    expect(t.casState(slot, SLOT_STATE.IDLE, SLOT_STATE.EVICTED)).toBe(false);
    expect(t.state(slot)).toBe(SLOT_STATE.EVICTED);
  });

  it('borrow CASes the time to BUSY once', () => {
    const { t, slot } = idleSlot(123n);
    expect(t.borrow(slot)).toBe(true);
    expect(t.timeUsedOf(slot)).toBe(BUSY);
  });

  it('borrow of a BUSY slot throws (a connection was pushed idle without a time)', () => {
    const { t, slot } = idleSlot();
    t.setTimeUsed(slot, BUSY);
    expect(() => t.borrow(slot)).toThrow(/slot \d+ is BUSY while idle/);
    expect(() => t.borrow(slot)).toThrow(PoolInvariantError);
  });

  it('borrow of an EXPIRED slot fails and leaves it EXPIRED', () => {
    const { t, slot } = idleSlot();
    expect(t.claimForEviction(slot)).toBe(true);
    expect(t.borrow(slot)).toBe(false);
    expect(t.timeUsedOf(slot)).toBe(EXPIRED);
  });

  it('expired claims only connections idle for longer than the timeout', () => {
    const { t, slot } = idleSlot(1_000n);
    expect(t.expired(slot, 1_500n, 500n)).toBe(false); // exactly the timeout: still fresh
    expect(t.expired(slot, 1_200n, 500n)).toBe(false);
    expect(t.timeUsedOf(slot)).toBe(1_000n);
    expect(t.expired(slot, 1_501n, 500n)).toBe(true);
    expect(t.timeUsedOf(slot)).toBe(EXPIRED);
    expect(t.expired(slot, 10_000n, 0n)).toBe(false); // already expired: nobody else wins
  });

  it('expired with timeout 0 claims anything used before now, but never a BUSY slot', () => {
    const { t, slot } = idleSlot(1_000n);
    expect(t.expired(slot, 1_000n, 0n)).toBe(false);
    expect(t.borrow(slot)).toBe(true);
    expect(t.expired(slot, 10n ** 15n, 0n)).toBe(false);
    expect(t.timeUsedOf(slot)).toBe(BUSY);
  });

  it('claimForEviction claims regardless of age, exactly once, and never a BUSY slot', () => {
    const { t, slot } = idleSlot(1_000n);
    expect(t.claimForEviction(slot)).toBe(true);
    expect(t.claimForEviction(slot)).toBe(false);
    expect(t.expired(slot, 10n ** 15n, 0n)).toBe(false);
    const other = idleSlot();
    expect(other.t.borrow(other.slot)).toBe(true);
    expect(other.t.claimForEviction(other.slot)).toBe(false);
  });

  it('exactly one of borrow / expired / claimForEviction wins, in any order', () => {
    type Op = 'borrow' | 'expired' | 'evict';
    const orders: Op[][] = [
      ['borrow', 'expired', 'evict'], ['borrow', 'evict', 'expired'], ['expired', 'borrow', 'evict'],
      ['expired', 'evict', 'borrow'], ['evict', 'borrow', 'expired'], ['evict', 'expired', 'borrow'],
      ['expired', 'expired', 'borrow'], ['evict', 'evict', 'expired'],
    ];
    for (const order of orders) {
      const { t, slot } = idleSlot(1_000n);
      const results = order.map((op) => (op === 'borrow' ? t.borrow(slot) : op === 'expired' ? t.expired(slot, 5_000n, 0n) : t.claimForEviction(slot)));
      expect(results.filter(Boolean), order.join(',')).toHaveLength(1);
      expect(results[0]).toBe(true);
      expect(t.timeUsedOf(slot)).toBe(order[0] === 'borrow' ? BUSY : EXPIRED);
    }
  });

  it('a stale time snapshot loses: the winner\'s CAS changed the word', () => {
    // Simulate a borrower that read the time, then lost the CAS to an expirer.
    const { core, t, slot } = idleSlot(1_000n);
    const seen = t.timeUsedOf(slot);
    expect(t.expired(slot, 9_000n, 0n)).toBe(true);
    expect(Atomics.compareExchange(core.memory.timeUsed, slot, seen, BUSY)).toBe(EXPIRED);
    expect(t.borrow(slot)).toBe(false);
  });

  it('a returned connection (new time) can be borrowed again', () => {
    const { t, slot } = idleSlot(1_000n);
    expect(t.borrow(slot)).toBe(true);
    t.setTimeUsed(slot, 2_000n);
    expect(t.borrow(slot)).toBe(true);
    expect(t.timeUsedOf(slot)).toBe(BUSY);
    expect(EMPTY).toBe(-1);
  });
});
