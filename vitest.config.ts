import { defineConfig } from 'vitest/config';
import { scaled } from './test/support/time-scale.ts';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Suites spawn their own worker_threads; run files one at a time so 2 cores are not oversubscribed.
    fileParallelism: false,
    // TEST_TIME_SCALE (test/support/time-scale.ts) stretches these on slow or emulated machines.
    testTimeout: scaled(60_000),
    hookTimeout: scaled(60_000),
    // The JSON report lets .ci/run print a plain 'N passed, N failed' line.
    reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
  },
});
