/**
 * The handle a caller holds while a connection is borrowed. It is valid until recycle() or taint();
 * any use after that throws StaleHandleError and changes nothing. Handles never cross threads.
 */
import { StaleHandleError } from '../core/errors.ts';
import type { PoolConnection } from './connector.ts';
import type { Setting } from './setting.ts';

/** What a handle needs from its thread's agent. */
export interface HandleOwner {
  recycleSlot(slot: number, conn: PoolConnection): void;
  taintSlot(slot: number, conn: PoolConnection): void;
  settingById(id: number): Setting | null;
}

export class PooledConnection {
  readonly #owner: HandleOwner;
  readonly #slot: number;
  readonly #conn: PoolConnection;
  readonly #setting: number;
  #live = true;

  constructor(owner: HandleOwner, slot: number, conn: PoolConnection, setting: number) {
    this.#owner = owner;
    this.#slot = slot;
    this.#conn = conn;
    this.#setting = setting;
  }

  /** The slot this connection occupies (diagnostics). */
  get slot(): number {
    return this.#slot;
  }

  /** False once returned. */
  get live(): boolean {
    return this.#live;
  }

  /** The setting applied on this connection, or null. */
  get setting(): Setting | null {
    return this.#setting === 0 ? null : this.#owner.settingById(this.#setting);
  }

  /** The connector's connection object (for mysql2: a promise Connection). */
  get connection(): PoolConnection {
    this.check('connection');
    return this.#conn;
  }

  query<T = unknown>(sql: string, params?: unknown): Promise<T> {
    this.check('query');
    if (!this.#conn.query) throw new TypeError('this connector offers no query()');
    return this.#conn.query(sql, params) as Promise<T>;
  }

  execute<T = unknown>(sql: string, params?: unknown): Promise<T> {
    this.check('execute');
    if (!this.#conn.execute) throw new TypeError('this connector offers no execute()');
    return this.#conn.execute(sql, params) as Promise<T>;
  }

  beginTransaction(): Promise<void> {
    return this.pass('beginTransaction');
  }

  commit(): Promise<void> {
    return this.pass('commit');
  }

  rollback(): Promise<void> {
    return this.pass('rollback');
  }

  private pass(what: 'beginTransaction' | 'commit' | 'rollback'): Promise<void> {
    this.check(what);
    const fn = this.#conn[what];
    if (!fn) throw new TypeError(`this connector offers no ${what}()`);
    return fn.call(this.#conn);
  }

  /** Gives the connection back to the pool. */
  recycle(): void {
    this.check('recycle');
    this.#live = false;
    this.#owner.recycleSlot(this.#slot, this.#conn);
  }

  /**
   * Takes the connection out of the pool: it is closed (never reused) and its slot is refilled with
   * a fresh connection, which may go straight to a waiter.
   */
  taint(): void {
    this.check('taint');
    this.#live = false;
    this.#owner.taintSlot(this.#slot, this.#conn);
  }

  /** `await using conn = await db.get()` recycles at the end of the scope (if still borrowed). */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#live) this.recycle();
  }

  [Symbol.dispose](): void {
    if (this.#live) this.recycle();
  }

  private check(what: string): void {
    if (!this.#live) throw new StaleHandleError(what, this.#slot);
  }
}
