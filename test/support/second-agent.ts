/**
 * More agents in the test's own thread, each on its own view of a pool's buffer (so its registry or
 * counters can be wrapped alone) and registered under a made-up threadId (one threadId registered
 * twice is what verify() reports as a leak). useAgents() detaches them and closes the pool after
 * each test. Not a test file.
 */
import { threadId } from 'node:worker_threads';
import { afterEach } from 'vitest';
import { type SharedPool } from '../../src/index.ts';
import { SharedCore } from '../../src/core/index.ts';
import { ThreadAgent } from '../../src/workers/agent.ts';

export interface AgentsFixture {
  pool: SharedPool | null;
  /** A new agent on `p`'s buffer, with its own core view. */
  add(p: SharedPool): { agent: ThreadAgent; core: SharedCore };
}

export function useAgents(): AgentsFixture {
  const agents: ThreadAgent[] = [];
  const fixture: AgentsFixture = {
    pool: null,
    add(p) {
      const core = SharedCore.attach(p.core.buffer);
      const agent = new ThreadAgent(core, core.threads.attach(threadId + 1000 + agents.length), p.handle.config);
      agents.push(agent);
      return { agent, core };
    },
  };
  afterEach(async () => {
    for (const a of agents.splice(0)) a.detach();
    await fixture.pool?.close({ timeoutMs: 2000 }).catch(() => {});
    fixture.pool = null;
  });
  return fixture;
}
