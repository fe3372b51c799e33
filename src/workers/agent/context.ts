/**
 * AgentContext: the state the parts of one thread's agent share, and the parts themselves.
 *
 * Owns: this thread's sockets (`conns`, one per held slot), the handles it has lent, the local
 * waitlist, the lifetime signal (aborted by close() or detach(): every connect of this thread
 * listens to it), the detached flag, and the background work the agent must await in settled().
 * Each part keeps its own private state; what two or more parts read or write lives here.
 *
 * Parts call each other through the fields at the bottom (set once by ThreadAgent's constructor,
 * before any of them runs): checkout → waiting → units → dialling → return path, and the doorbell
 * and idle sweep into all of them.
 *
 * Touches: no shared memory itself (the parts do); it reads the lifecycle's lifetime flag once, at
 * construction. Nothing here does I/O.
 */
import { PoolClosedError } from '../../core/errors.ts';
import { type SharedCore } from '../../core/shared-core.ts';
import type { PoolConnection } from '../connector.ts';
import { HandoffPolicy } from '../handoff-policy.ts';
import { IdleValidation } from '../idle-validation.ts';
import { LocalWaitlist } from '../local-waitlist.ts';
import type { HandleOwner, PooledConnection } from '../pooled-connection.ts';
import { RecentDemand } from '../recent-demand.ts';
import { RecycleGuard } from '../recycle-guard.ts';
import type { HandleConfig } from '../types.ts';
import { YieldingDials } from '../yielding-dials.ts';
import type { Checkout } from './checkout.ts';
import type { Dialling } from './dialling.ts';
import type { DoorbellRequests } from './doorbell-requests.ts';
import type { IdleSweep } from './idle-sweep.ts';
import type { LocalSettings } from './local-settings.ts';
import type { ReturnPath } from './return-path.ts';
import type { HeldUnits } from './held-units.ts';
import type { Waiting } from './waiting.ts';

export class AgentContext {
  readonly core: SharedCore;
  /** This thread's registry index. */
  readonly index: number;
  readonly config: HandleConfig;
  /** This thread's clean (no setting) stack of idle connections. */
  readonly cleanStack: number;
  /** The connection of each slot this thread holds (undefined while dialling or free). */
  readonly conns: (PoolConnection | undefined)[];
  /** The handle of each borrowed slot of this thread (close() at its deadline revokes them). */
  readonly lent: (PooledConnection | undefined)[];
  /** When each slot's connection was dialled (pool-clock ns, a plain number; see return-path.ts). */
  readonly createdNs: Float64Array;
  readonly waitlist = new LocalWaitlist();
  /** Aborted once, by close() (fix 2) or detach(): every connect of this thread listens to it. */
  readonly lifetime = new AbortController();
  readonly handoff: HandoffPolicy;
  readonly dials: YieldingDials;
  readonly guard: RecycleGuard;
  readonly validation: IdleValidation;
  readonly demand = new RecentDemand();
  readonly clock = (): number => this.core.memory.nowMs();
  /** What lent handles report back to (the ThreadAgent). */
  readonly owner: HandleOwner;
  detached = false;
  /** Set once this thread has pushed to a setting stack (nothing else ever does). */
  usedSettingStacks = false;
  /**
   * Slots held but neither idle nor lent: dials, setting fits and validation pings in flight.
   * They count in slotsHeld, not in RecentDemand: the surplus check leaves them out.
   */
  inTransit = 0;
  private readonly background = new Set<Promise<unknown>>();

  // The parts (see the header): assigned once by ThreadAgent's constructor.
  settings!: LocalSettings;
  checkout!: Checkout;
  waiting!: Waiting;
  units!: HeldUnits;
  dialling!: Dialling;
  returns!: ReturnPath;
  requests!: DoorbellRequests;
  sweep!: IdleSweep;

  constructor(core: SharedCore, index: number, config: HandleConfig, owner: HandleOwner) {
    this.core = core;
    this.owner = owner;
    this.index = index;
    this.config = config;
    const maxCapacity = core.memory.layout.maxCapacity;
    this.conns = new Array(maxCapacity);
    this.lent = new Array(maxCapacity);
    this.createdNs = new Float64Array(maxCapacity);
    this.cleanStack = core.cleanStack(index);
    this.handoff = new HandoffPolicy(core, index, config.handoffDelayMs);
    this.dials = new YieldingDials(core.threads, index);
    this.guard = new RecycleGuard(config.resetOnRecycle ?? 'auto', config.validationTimeoutMs ?? 1000);
    this.validation = new IdleValidation(maxCapacity, config.aliveBypassWindowMs ?? 500, config.validationTimeoutMs ?? 1000);
    if (core.lifecycle.lifetimeCancelled) this.lifetime.abort(new PoolClosedError());
  }

  /** Keeps a background promise (reopen, refill, close, cleanup) until it settles; see settled(). */
  track<T>(promise: Promise<T>): void {
    const p = promise.catch(() => {}).finally(() => this.background.delete(p));
    this.background.add(p);
  }

  /** Resolves when this thread's background work (reopens, refills, closes) has finished. */
  async settled(): Promise<void> {
    while (this.background.size > 0) await Promise.all([...this.background]);
  }
}

/** Closes a connection the pool no longer accounts for, later and without letting it throw. */
export function closeQuietly(conn: PoolConnection): void {
  void Promise.resolve().then(() => conn.close()).catch(() => {});
}
