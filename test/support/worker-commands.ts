/**
 * The commands that the command-driven pool workers (threads/pool-worker.ts, mysql/mysql-worker.ts)
 * answer alike: borrow and hold a connection under an id, and give it back. Not a test file.
 */
import type { MessagePort } from 'node:worker_threads';
import type { PooledConnection, SharedPoolClient } from '../../src/index.ts';

export interface HoldCommand {
  cmd: string;
  id?: number;
  timeoutMs?: number;
  setting?: string;
}

/**
 * get {id, timeoutMs?, setting?}: borrows a connection and holds it under `id`. Replies
 * {type:'got', id, ...describe(conn)} or {type:'error', id, code, message}.
 */
export async function getAndHold(
  port: MessagePort, db: SharedPoolClient, held: Map<number, PooledConnection>, m: HoldCommand,
  describe: (conn: PooledConnection) => Record<string, unknown>,
): Promise<void> {
  try {
    const conn = await db.get({ timeoutMs: m.timeoutMs, setting: m.setting ? db.setting(m.setting) : null });
    held.set(m.id!, conn);
    port.postMessage({ type: 'got', id: m.id, ...describe(conn) });
  } catch (error) {
    const e = error as Error & { code?: string };
    port.postMessage({ type: 'error', id: m.id, code: e.code, message: e.message });
  }
}

/** recycle {id} / taint {id}: gives back the connection held under `id`. Replies {type:'done', id}. */
export function putBack(port: MessagePort, held: Map<number, PooledConnection>, m: HoldCommand): void {
  const conn = held.get(m.id!);
  held.delete(m.id!);
  if (m.cmd === 'recycle') conn?.recycle();
  else conn?.taint();
  port.postMessage({ type: 'done', id: m.id });
}
