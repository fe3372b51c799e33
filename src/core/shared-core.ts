/**
 * SharedCore bundles the pieces that live in one pool buffer, and names the stacks (stack-ids.ts).
 */
import { type LayoutLimits } from './layout.ts';
import { cleanStackId, FREE_STACK, settingBucket, settingStackId } from './stack-ids.ts';
import { SharedPoolMemory } from './memory.ts';
import { CapacityCounters } from './capacity.ts';
import { PoolLifecycle } from './lifecycle.ts';
import { SettingsRegistry } from './settings-registry.ts';
import { SlotTable } from './slot-table.ts';
import { ThreadStats } from './stats.ts';
import { ThreadRegistry } from './thread-registry.ts';
import { TreiberStacks } from './treiber-stack.ts';
import { WaiterCells } from './waiter-cells.ts';

export class SharedCore {
  readonly memory: SharedPoolMemory;
  readonly stacks: TreiberStacks;
  readonly slots: SlotTable;
  readonly counters: CapacityCounters;
  /** Open / cancelled / closed and the shared idle timeout. */
  readonly lifecycle: PoolLifecycle;
  readonly threads: ThreadRegistry;
  readonly waiters: WaiterCells;
  readonly settings: SettingsRegistry;
  readonly stats: ThreadStats;

  constructor(memory: SharedPoolMemory) {
    this.memory = memory;
    this.stacks = new TreiberStacks(memory.heads, memory.next);
    this.slots = new SlotTable(memory.slots, memory.timeUsed, memory.timeCreated, memory.threads);
    this.counters = new CapacityCounters(memory.header);
    this.lifecycle = new PoolLifecycle(memory.header);
    this.threads = new ThreadRegistry(memory.threads, memory.header);
    this.waiters = new WaiterCells(memory.waiters, memory.header, memory.threads);
    this.settings = new SettingsRegistry(memory.settings, memory.settingText, memory.header);
    this.stats = new ThreadStats(memory.threadStats, memory.layout.maxThreads);
  }

  static create(limits: LayoutLimits): SharedCore {
    return new SharedCore(SharedPoolMemory.create(limits));
  }

  static attach(buffer: unknown): SharedCore {
    return new SharedCore(SharedPoolMemory.attach(buffer));
  }

  get buffer(): SharedArrayBuffer {
    return this.memory.buffer;
  }

  /** The free-slot stack. */
  get freeStack(): number {
    return FREE_STACK;
  }

  cleanStack(thread: number): number {
    return cleanStackId(thread);
  }

  /** The setting stack of `thread` for a setting id (its bucket: settingBucket). */
  settingStack(thread: number, settingId: number): number {
    return settingStackId(thread, settingBucket(settingId));
  }

  /** The stack of a thread's ring index 0..7. */
  settingStackAt(thread: number, bucket: number): number {
    return settingStackId(thread, bucket);
  }

  private lastTick = -1;
  private lastTickNs = 0n;

  /**
   * Time in ns since the pool origin (smartconnpool's monotonic timestamps), at 100 µs resolution:
   * the BigInt for the current tick is made once and reused, since every return stamps a time.
   */
  nowNs(): bigint {
    return this.nsAt(this.memory.nowMs());
  }

  /** nowNs() for a pool-clock time `ms` the caller has read already (one clock read per return). */
  nsAt(ms: number): bigint {
    const tick = Math.floor(ms * 10);
    if (tick !== this.lastTick) {
      this.lastTick = tick;
      this.lastTickNs = BigInt(tick) * 100_000n;
    }
    return this.lastTickNs;
  }
}

