/**
 * Writes durations.json (./longest-first.ts) at the end of a whole pass:
 *   npx vitest run --reporter=default --reporter=./test/support/durations-reporter.ts
 * Each file's seconds in its worker, whole: preparing it, importing it, the setup files, and its tests
 * with their hooks. A file whose work is in a `beforeAll` (a whole recovery run once, then read by its
 * tests) takes that long, not the few seconds its tests alone take. Beside them, the CPU-seconds the file
 * cost (./file-cpu.ts): a file of minutes that mostly waits (on a director's tasks, say) needs a worker
 * but hardly a core. A pass that ran only some files, or where one failed, writes nothing: its durations
 * are no pass's.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Reporter, TestModule } from 'vitest/node';
import { DURATIONS_FILE, type Durations } from './longest-first.js';

/** The suite's files, as vitest.config.ts finds them (interrupted/'s are no part of it). */
function suiteFiles(root: string): number {
  return readdirSync(`${root}test`, { recursive: true, encoding: 'utf8' }).filter(
    (f) => f.endsWith('.test.ts') && !f.startsWith('support/interrupted/'),
  ).length;
}

export default class DurationsReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    if (modules.length < suiteFiles(root) || modules.some((m) => m.state() === 'failed')) {
      console.log(`durations.json kept: ${String(modules.length)} files ran, some failing or not a whole pass`);
      return;
    }
    const durations: Durations = Object.fromEntries(
      modules
        .map((m) => {
          const d = m.diagnostic();
          const ms = d.environmentSetupDuration + d.prepareDuration + d.collectDuration + d.setupDuration + d.duration;
          const cpu = Math.round((m.meta().cpuSeconds ?? 0) * 10) / 10;
          return [relative(root, m.moduleId), { wall: Math.max(1, Math.round(ms / 1000)), cpu }] as const;
        })
        .sort(([a], [b]) => a.localeCompare(b)),
    );
    writeFileSync(DURATIONS_FILE, `${JSON.stringify(durations, null, 2)}\n`);
    console.log(`${String(modules.length)} files' durations written to ${fileURLToPath(DURATIONS_FILE)}`);
  }
}
