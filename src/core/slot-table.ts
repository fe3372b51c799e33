/**
 * The slot table: one slot per unit of maxCapacity, each describing one connection's place.
 *
 * state    where the slot is (SLOT_STATE); exactly one place at a time (verify() checks it)
 * owner    registry index of the thread that owns the socket (-1 when free)
 * gen      bumped each time the slot is taken from the free stack, so stale references are caught
 * setting  id of the setting applied on the connection (0 = none)
 *
 * timeUsed doubles as an ownership token (smartconnpool's trick): taking an idle connection CASes
 * it from a time to BUSY, expiring or evicting CASes it to EXPIRED; of two racers exactly one wins.
 */
import { SLOT_FIELD, SLOT_WORDS, THREAD_FIELD, THREAD_WORDS } from './layout.ts';
import { PoolInvariantError } from './errors.ts';

export const SLOT_STATE = {
  /** On the free stack. */
  FREE: 0,
  /** Taken by a thread that is dialling a connection into it. */
  DIALING: 1,
  /** On one of its owner's idle stacks (or detached by its owner's sweep). */
  IDLE: 2,
  /** Handed to a caller in its owner thread. */
  BORROWED: 3,
  /** Its owner is closing the connection; the slot is freed afterwards. */
  CLOSING: 4,
  /** Claimed by another thread (or the host) for closing; the owner closes it on its next turn. */
  EVICTED: 5,
} as const;
export type SlotState = (typeof SLOT_STATE)[keyof typeof SLOT_STATE];
export const SLOT_STATE_NAMES = ['FREE', 'DIALING', 'IDLE', 'BORROWED', 'CLOSING', 'EVICTED'] as const;

/** Sentinels of timeUsed. */
export const BUSY = -(2n ** 63n);
export const EXPIRED = 2n ** 63n - 1n;

export class SlotTable {
  private readonly slots: Int32Array;
  private readonly timeUsed: BigInt64Array;
  private readonly timeCreated: BigInt64Array;
  /** Thread registry words: each thread's count of slots held is kept there (THREAD_FIELD.SLOTS). */
  private readonly threads: Int32Array | null;
  readonly size: number;

  constructor(slots: Int32Array, timeUsed: BigInt64Array, timeCreated: BigInt64Array, threads: Int32Array | null = null) {
    this.slots = slots;
    this.timeUsed = timeUsed;
    this.timeCreated = timeCreated;
    this.threads = threads;
    this.size = timeUsed.length;
  }

  state(slot: number): SlotState {
    return Atomics.load(this.slots, slot * SLOT_WORDS + SLOT_FIELD.STATE) as SlotState;
  }
  setState(slot: number, state: SlotState): void {
    Atomics.store(this.slots, slot * SLOT_WORDS + SLOT_FIELD.STATE, state);
  }
  /** CAS of the state word; true if this caller made the transition. */
  casState(slot: number, from: SlotState, to: SlotState): boolean {
    return Atomics.compareExchange(this.slots, slot * SLOT_WORDS + SLOT_FIELD.STATE, from, to) === from;
  }
  owner(slot: number): number {
    return Atomics.load(this.slots, slot * SLOT_WORDS + SLOT_FIELD.OWNER);
  }
  generation(slot: number): number {
    return Atomics.load(this.slots, slot * SLOT_WORDS + SLOT_FIELD.GEN);
  }
  setting(slot: number): number {
    return Atomics.load(this.slots, slot * SLOT_WORDS + SLOT_FIELD.SETTING);
  }
  setSetting(slot: number, setting: number): void {
    Atomics.store(this.slots, slot * SLOT_WORDS + SLOT_FIELD.SETTING, setting);
  }

  /** A slot just popped from the free stack becomes DIALING for `owner`; returns its new generation. */
  claim(slot: number, owner: number): number {
    const base = slot * SLOT_WORDS;
    Atomics.store(this.slots, base + SLOT_FIELD.OWNER, owner);
    Atomics.store(this.slots, base + SLOT_FIELD.SETTING, 0);
    if (this.threads && owner >= 0) Atomics.add(this.threads, owner * THREAD_WORDS + THREAD_FIELD.SLOTS, 1);
    Atomics.store(this.slots, base + SLOT_FIELD.STATE, SLOT_STATE.DIALING);
    return Atomics.add(this.slots, base + SLOT_FIELD.GEN, 1) + 1;
  }

  /** Marks a slot FREE before it goes back on the free stack. */
  free(slot: number): void {
    const base = slot * SLOT_WORDS;
    const owner = Atomics.exchange(this.slots, base + SLOT_FIELD.OWNER, -1);
    if (this.threads && owner >= 0) Atomics.sub(this.threads, owner * THREAD_WORDS + THREAD_FIELD.SLOTS, 1);
    Atomics.store(this.slots, base + SLOT_FIELD.SETTING, 0);
    Atomics.store(this.timeUsed, slot, 0n);
    Atomics.store(this.timeCreated, slot, 0n);
    Atomics.store(this.slots, base + SLOT_FIELD.STATE, SLOT_STATE.FREE);
  }

  // ---- timestamps (ns since the pool origin) ----

  timeUsedOf(slot: number): bigint {
    return Atomics.load(this.timeUsed, slot);
  }
  timeCreatedOf(slot: number): bigint {
    return Atomics.load(this.timeCreated, slot);
  }
  setTimeUsed(slot: number, ns: bigint): void {
    Atomics.store(this.timeUsed, slot, ns);
  }
  /** A fresh connection: created = used = now. */
  stampNew(slot: number, ns: bigint): void {
    Atomics.store(this.timeCreated, slot, ns);
    Atomics.store(this.timeUsed, slot, ns);
  }

  /**
   * Takes an idle connection: CAS timeUsed from its time to BUSY. False if it was EXPIRED (its
   * expirer owns it) or another taker won. BUSY on a stack is a broken invariant, so it throws.
   */
  borrow(slot: number): boolean {
    // One exchange instead of load + CAS (half the BigInt allocations on the hot path). Taking
    // EXPIRED by mistake is undone at once: an expirer only ever CASes from a time, so it cannot
    // act on the slot while it reads BUSY.
    const value = Atomics.exchange(this.timeUsed, slot, BUSY);
    if (value === EXPIRED) {
      Atomics.store(this.timeUsed, slot, EXPIRED);
      return false;
    }
    if (value === BUSY) throw new PoolInvariantError(`slot ${slot} is BUSY while idle: a connection was pushed without a time`);
    return true;
  }


  /**
   * Claims an idle connection that has been unused for more than `timeoutNs` by CASing its time to
   * EXPIRED. False if it is fresh, already EXPIRED, BUSY, or someone else won the race.
   */
  expired(slot: number, nowNs: bigint, timeoutNs: bigint): boolean {
    const value = Atomics.load(this.timeUsed, slot);
    if (value === EXPIRED || value === BUSY) return false;
    if (nowNs - value <= timeoutNs) return false;
    return Atomics.compareExchange(this.timeUsed, slot, value, EXPIRED) === value;
  }

  /** Claims an idle connection for eviction regardless of age (CAS to EXPIRED). */
  claimForEviction(slot: number): boolean {
    const value = Atomics.load(this.timeUsed, slot);
    if (value === EXPIRED || value === BUSY) return false;
    return Atomics.compareExchange(this.timeUsed, slot, value, EXPIRED) === value;
  }
}
