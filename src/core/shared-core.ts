/**
 * SharedCore bundles the pieces that live in one pool buffer, and names the stacks:
 * stack 0 is the free-slot stack; thread t owns stacks 1 + 9t (clean) and 2 + 9t + b (setting
 * bucket b, 0..7).
 */
import { type LayoutLimits, FREE_STACK, STACK_MASK, STACKS_PER_THREAD } from './layout.ts';
import { SharedPoolMemory } from './memory.ts';
import { CapacityCounters } from './capacity.ts';
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
  readonly threads: ThreadRegistry;
  readonly waiters: WaiterCells;
  readonly settings: SettingsRegistry;
  readonly stats: ThreadStats;

  constructor(memory: SharedPoolMemory) {
    this.memory = memory;
    this.stacks = new TreiberStacks(memory.heads, memory.next);
    this.slots = new SlotTable(memory.slots, memory.timeUsed, memory.timeCreated, memory.threads);
    this.counters = new CapacityCounters(memory.header);
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
    return 1 + thread * STACKS_PER_THREAD;
  }

  /** The setting stack of `thread` for a setting id (bucket = id & 7). */
  settingStack(thread: number, settingId: number): number {
    return 2 + thread * STACKS_PER_THREAD + (settingId & STACK_MASK);
  }

  /** The stack of a thread's ring index 0..7. */
  settingStackAt(thread: number, bucket: number): number {
    return 2 + thread * STACKS_PER_THREAD + (bucket & STACK_MASK);
  }

  private lastTick = -1;
  private lastTickNs = 0n;

  /**
   * Time in ns since the pool origin (smartconnpool's monotonic timestamps), at 100 µs resolution:
   * the BigInt for the current tick is made once and reused, since every return stamps a time.
   */
  nowNs(): bigint {
    const tick = Math.floor(this.memory.nowMs() * 10);
    if (tick !== this.lastTick) {
      this.lastTick = tick;
      this.lastTickNs = BigInt(tick) * 100_000n;
    }
    return this.lastTickNs;
  }
}

