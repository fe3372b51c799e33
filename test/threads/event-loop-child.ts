/**
 * Run as a child process: proves a waiting get() keeps the process alive, and nothing else does.
 *   mode "timeout": the only pending thing is a get() with a 300 ms deadline → prints "timed out".
 *   mode "served": a get() with no deadline, served by a recycle from an unref'd timer → "served".
 */
import { createSharedPool } from '../../src/index.ts';
import { fakeConnector } from '../support/fake-connector.ts';

const mode = process.argv[2];
const { connector } = fakeConnector();
const pool = await createSharedPool({ connector, capacity: 1 });
const held = await pool.get();
if (mode === 'timeout') {
  pool.get({ timeoutMs: 300 }).then(
    () => console.log('served?!'),
    (error: Error & { code?: string }) => console.log(error.code === 'POOL_TIMEOUT' ? 'timed out' : `error ${error.code}`),
  );
} else {
  setTimeout(() => held.recycle(), 200).unref();
  pool.get({ timeoutMs: 0 }).then((conn) => {
    console.log('served');
    conn.recycle();
  });
}
