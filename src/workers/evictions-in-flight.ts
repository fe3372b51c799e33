/**
 * Evictions this thread has requested that their owner has not carried out yet. The owner closes
 * an evicted connection only when its event loop next runs; while it computes, the waiter that
 * asked keeps waiting and the starvation tick (every few ms) would claim another of its idle
 * connections on every turn: one waiting get() closed 3 connections of a thread busy for 20 ms.
 * Bounding the evictions in flight by the waiters that wait (one each) ends that. Instead of a new
 * claim, the tick rings the owners again: a doorbell missed for any reason costs one tick, not
 * the waiter's whole timeout.
 *
 * An eviction is in flight until its owner has passed the unit on: while its slot is still
 * EVICTED under the same owner, and after that until the owner has answered the doorbell value
 * rung for it (the owner answers only once the turn that closed the slot, freed it and granted its
 * unit has ended). Watching the slot alone ended it as soon as the owner began closing (CLOSING,
 * then FREE): a waiter's tick in the owner's few steps before the grant evicted a second
 * connection (arm64 emulated, every run). An owner that detached or was reaped ends it too. A slot
 * reused and evicted again by someone else in between only keeps the count one higher for a
 * moment: no extra close.
 */
import { SLOT_STATE, type SlotTable } from '../core/slot-table.ts';
import { type ThreadRegistry } from '../core/thread-registry.ts';

export class EvictionsInFlight {
  private readonly slots: SlotTable;
  private readonly threads: ThreadRegistry;
  /** Triples slot, owner, the owner's doorbell value once rung for this eviction. */
  private readonly claimed: number[] = [];

  constructor(slots: SlotTable, threads: ThreadRegistry) {
    this.slots = slots;
    this.threads = threads;
  }

  /** Call after ringing `owner` for the eviction of `slot`. */
  add(slot: number, owner: number): void {
    this.claimed.push(slot, owner, this.threads.doorbell(owner));
  }

  /** Calls `ring` with the owner of each eviction still in flight (after pending()). */
  forEachOwner(ring: (owner: number) => void): void {
    for (let i = 1; i < this.claimed.length; i += 3) ring(this.claimed[i]);
  }

  /** Evictions whose unit their owner has not passed on yet (finished ones are forgotten here). */
  pending(): number {
    const claimed = this.claimed;
    for (let i = 0; i < claimed.length; i += 3) {
      const slot = claimed[i];
      const owner = claimed[i + 1];
      if (this.slots.state(slot) === SLOT_STATE.EVICTED && this.slots.owner(slot) === owner) continue;
      if (this.threads.isAttached(owner) && !this.threads.answeredUpTo(owner, claimed[i + 2])) continue;
      claimed.splice(i, 3);
      i -= 3;
    }
    return claimed.length / 3;
  }
}
