/**
 * ThreadAgent: the pool as seen from one thread. It owns this thread's sockets, keeps its idle
 * connections in its own shared-memory stacks, and follows smartconnpool's order of lookups,
 * return path, idle sweep and starvation re-offer (docs/smartconnpool.md).
 *
 * What crosses threads is capacity, never a socket: a returner with no local waiter closes its
 * connection and grants the unit to a waiting thread; a waiter facing capacity held by idle
 * connections elsewhere evicts one, and the owner closes it and passes the unit on. Other threads
 * and the host reach this agent through its doorbell (Atomics.waitAsync, which keeps no event loop
 * alive). A waiting get() holds a ref'd timer so the process does not exit under it.
 *
 * This file only wires the parts (src/workers/agent/) and is the face the rest of the library
 * sees: pool clients and the host call it, lent handles return through it (HandleOwner).
 *
 *   agent/checkout.ts           get(): lend an idle connection, dial a free unit, or wait
 *   agent/waiting.ts            the waitlist: deadlines, publishing to other threads, starvation tick
 *   agent/held-units.ts         slots and units this thread holds: take, close, free, pass a unit on
 *   agent/dialling.ts           every connect (caller's, waiter's, background) and fitting a setting
 *   agent/return-path.ts        recycle/taint and where a returned connection goes
 *   agent/doorbell-requests.ts  what other threads and the host ask (evict, grant, drain, yield, close)
 *   agent/idle-sweep.ts         the idle timeout sweep
 *   agent/local-settings.ts     this thread's Setting objects
 *   agent/context.ts            the state they share
 */
import { PoolClosedError } from '../core/errors.ts';
import { reclaimThread } from '../core/reclaim.ts';
import { type SharedCore } from '../core/shared-core.ts';
import type { PoolConnection } from './connector.ts';
import { Doorbell } from './doorbell.ts';
import { type HandleOwner, type PooledConnection } from './pooled-connection.ts';
import type { Setting } from './setting.ts';
import type { GetOptions, HandleConfig } from './types.ts';
import { Checkout } from './agent/checkout.ts';
import { AgentContext, closeQuietly } from './agent/context.ts';
import { Dialling } from './agent/dialling.ts';
import { DoorbellRequests } from './agent/doorbell-requests.ts';
import { HeldUnits } from './agent/held-units.ts';
import { IdleSweep } from './agent/idle-sweep.ts';
import { LocalSettings } from './agent/local-settings.ts';
import { ReturnPath } from './agent/return-path.ts';
import { Waiting } from './agent/waiting.ts';

export class ThreadAgent implements HandleOwner {
  readonly core: SharedCore;
  /** This thread's registry index. */
  readonly index: number;
  readonly config: HandleConfig;
  /** The parts and their shared state (tests reach the parts through it). */
  readonly ctx: AgentContext;
  private readonly doorbell: Doorbell;

  constructor(core: SharedCore, index: number, config: HandleConfig) {
    this.core = core;
    this.index = index;
    this.config = config;
    const ctx = (this.ctx = new AgentContext(core, index, config, this));
    ctx.settings = new LocalSettings(core);
    ctx.checkout = new Checkout(ctx);
    ctx.waiting = new Waiting(ctx);
    ctx.units = new HeldUnits(ctx);
    ctx.dialling = new Dialling(ctx);
    ctx.returns = new ReturnPath(ctx);
    ctx.requests = new DoorbellRequests(ctx);
    ctx.sweep = new IdleSweep(ctx);
    this.doorbell = new Doorbell(core.threads, index, ctx.requests);
    // Started on a later turn: a pending request must not be handled inside this constructor.
    queueMicrotask(() => this.doorbell.start());
  }

  /** Borrows a connection (agent/checkout.ts). */
  get(options?: GetOptions): Promise<PooledConnection> {
    return this.ctx.checkout.get(options);
  }

  /** get() that returns an idle connection of this thread as the handle itself (pool.query's path). */
  getNow(options?: GetOptions): PooledConnection | Promise<PooledConnection> {
    return this.ctx.checkout.getNow(options);
  }

  /** The interned setting for this SQL (same text ⇒ same setting, in every thread). */
  setting(applySql: string, resetSql: string | null = null): Setting {
    return this.ctx.settings.setting(applySql, resetSql);
  }

  /** HandleOwner: the setting with this id (0 = none). */
  settingById(id: number): Setting | null {
    return this.ctx.settings.settingById(id);
  }

  /** HandleOwner: the pool's queryTimeoutMs (0 = none). */
  get queryTimeoutMs(): number {
    return this.config.queryTimeoutMs ?? 0;
  }

  /** HandleOwner: the holder recycled the connection of `slot` (agent/return-path.ts). */
  recycleSlot(slot: number, conn: PoolConnection): void {
    this.ctx.returns.recycleSlot(slot, conn);
  }

  /** HandleOwner: the holder tainted the connection of `slot`: closed and refilled. */
  taintSlot(slot: number, conn: PoolConnection): void {
    this.ctx.returns.taintSlot(slot, conn);
  }

  /** MaxLifetime plus jitter (agent/return-path.ts, §3.8). */
  extendedMaxLifetimeMs(): number {
    return this.ctx.returns.extendedMaxLifetimeMs();
  }

  /** Runs one idle sweep now (agent/idle-sweep.ts; its timer runs it every idleTimeout/10). */
  sweep(): void {
    this.ctx.sweep.sweep();
  }

  /** Handles REQUEST bits now (the host calls this directly for its own thread). */
  handleRequests(requests: number): void {
    this.ctx.requests.handleRequests(requests);
  }

  /** Closes this thread's idle connections while the pool is over capacity (setCapacity). */
  drainIdle(): void {
    this.ctx.requests.drainIdle();
  }

  /** Resolves when this thread's background work (reopens, refills, closes) has finished. */
  settled(): Promise<void> {
    return this.ctx.settled();
  }

  /** Local waiters (tests, stats). */
  get waiting(): number {
    return this.ctx.waitlist.length;
  }

  /**
   * Leaves the pool (an explicit detach): rejects this thread's waiters, aborts its connects,
   * closes every connection it holds (handles still borrowed become stale), and reclaims its slots
   * and units exactly as the host does for a thread that died.
   */
  detach(): void {
    const ctx = this.ctx;
    if (ctx.detached) return;
    ctx.waiting.failAll(() => new PoolClosedError('connection pool is closed (this thread detached)'));
    ctx.detached = true;
    this.doorbell.stop();
    ctx.dials.clear();
    ctx.sweep.stop();
    ctx.waiting.stop();
    if (!ctx.lifetime.signal.aborted) ctx.lifetime.abort(new PoolClosedError());
    // Close the sockets but leave slot states alone: reclaimThread reads them (BORROWED → borrowed--).
    for (let slot = 0; slot < ctx.conns.length; slot++) {
      const conn = ctx.conns[slot];
      ctx.conns[slot] = undefined;
      if (conn) closeQuietly(conn);
    }
    reclaimThread(this.core, this.index, this.core.memory.layout.maxThreads);
  }
}
