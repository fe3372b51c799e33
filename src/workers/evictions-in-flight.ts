/**
 * Evictions this thread has requested that their owner has not carried out yet. The owner closes
 * an evicted connection only when its event loop next runs; while it computes, the waiter that
 * asked keeps waiting and the starvation tick (every few ms) would claim another of its idle
 * connections on every turn: one waiting get() closed 3 connections of a thread busy for 20 ms.
 * Bounding the evictions in flight by the waiters that wait (one each) ends that. Instead of a new
 * claim, the tick rings the owners again: a doorbell missed for any reason costs one tick, not
 * the waiter's whole timeout.
 *
 * An eviction is in flight while its slot is still EVICTED under the same owner; once the owner
 * closed it (or the host reclaimed the owner) the slot moves on. A slot reused and evicted again
 * by someone else in between only keeps the count one higher for a moment: no extra close.
 */
import { SLOT_STATE, type SlotTable } from '../core/slot-table.ts';

export class EvictionsInFlight {
  private readonly slots: SlotTable;
  /** Pairs slot, owner. */
  private readonly claimed: number[] = [];

  constructor(slots: SlotTable) {
    this.slots = slots;
  }

  add(slot: number, owner: number): void {
    this.claimed.push(slot, owner);
  }

  /** Calls `ring` with the owner of each eviction still in flight (after pending()). */
  forEachOwner(ring: (owner: number) => void): void {
    for (let i = 1; i < this.claimed.length; i += 2) ring(this.claimed[i]);
  }

  /** Evictions still waiting for their owner (finished ones are forgotten here). */
  pending(): number {
    const claimed = this.claimed;
    for (let i = 0; i < claimed.length; i += 2) {
      const slot = claimed[i];
      if (this.slots.state(slot) === SLOT_STATE.EVICTED && this.slots.owner(slot) === claimed[i + 1]) continue;
      claimed.splice(i, 2);
      i -= 2;
    }
    return claimed.length >> 1;
  }
}
