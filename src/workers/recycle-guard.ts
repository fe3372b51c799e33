/**
 * What a returned connection goes through before anyone else may borrow it. The server's own word
 * decides (see mysql2-session-state.ts): a connection inside a transaction is rolled back (or reset),
 * never put back as it is; one whose session state changed is reset with COM_RESET_CONNECTION in
 * 'auto' mode; 'always' resets every connection returned without a setting (mysql2's
 * resetOnRelease), 'never' resets none (but a session left with autocommit off is reset in every
 * mode). A clean connection in 'auto' costs no round trip. When the
 * cleanup fails or outlasts its deadline, the connection is closed and its slot refilled.
 */
import { type PoolConnection, SESSION_FLAGS } from './connector.ts';

export const RESET_MODES = ['auto', 'always', 'never'] as const;
export type ResetOnRecycle = (typeof RESET_MODES)[number];

export const CLEANUP = { NONE: 0, ROLLBACK: 1, RESET: 2 } as const;
export type Cleanup = (typeof CLEANUP)[keyof typeof CLEANUP];

/** SESSION_FLAGS from a connector that offers the separate checks only. */
function legacyFlags(conn: PoolConnection): number {
  return (conn.inTransaction?.() === true ? SESSION_FLAGS.IN_TRANSACTION : 0) |
    (conn.sessionDirty?.() === true ? SESSION_FLAGS.DIRTY : 0) |
    (conn.autocommitOff?.() === true ? SESSION_FLAGS.AUTOCOMMIT_OFF : 0);
}

export class RecycleGuard {
  readonly mode: ResetOnRecycle;
  private readonly timeoutMs: number;

  constructor(mode: ResetOnRecycle, timeoutMs: number) {
    this.mode = mode;
    this.timeoutMs = timeoutMs;
  }

  /** Whether dialled connections must ask the server to report session state changes. */
  get tracks(): boolean {
    return this.mode !== 'never';
  }

  /** What a connection returned carrying `settingId` (0 = none) needs. */
  needed(conn: PoolConnection, settingId: number): Cleanup {
    const flags = conn.sessionFlags ? conn.sessionFlags() : legacyFlags(conn);
    // Left with autocommit off, a session would open a transaction for the next borrower's every
    // write, which the rollback on return would then undo: reset it in every mode.
    if (flags & SESSION_FLAGS.AUTOCOMMIT_OFF) return CLEANUP.RESET;
    if (this.mode !== 'never') {
      if (this.mode === 'always' && settingId === 0) return CLEANUP.RESET;
      if (flags & SESSION_FLAGS.DIRTY) return CLEANUP.RESET;
    }
    return flags & SESSION_FLAGS.IN_TRANSACTION ? CLEANUP.ROLLBACK : CLEANUP.NONE;
  }

  /**
   * Runs the cleanup under the validation timeout (and the pool's lifetime). True when the
   * connection is clean now; a RESET leaves it without its setting.
   */
  async run(conn: PoolConnection, cleanup: Cleanup, lifetime: AbortSignal): Promise<boolean> {
    const signal = AbortSignal.any([lifetime, AbortSignal.timeout(this.timeoutMs)]);
    try {
      if (cleanup === CLEANUP.RESET) await conn.resetSetting(null, signal);
      else if (conn.abortTransaction) await conn.abortTransaction(signal);
      else return false;
    } catch {
      return false;
    }
    return conn.inTransaction?.() !== true && !conn.isClosed();
  }
}
