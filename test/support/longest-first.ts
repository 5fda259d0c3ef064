/**
 * The order the suite's files start in: the longest first. A pass is a few files of minutes (the
 * majors matrix, the live recoveries through bosh ssh, the crash sweeps) among hundreds of seconds;
 * started last, one of them ran alone for four minutes at the end of a pass while the other workers
 * had nothing left, and started first, the short ones fill the workers around them.
 *
 * How long a file takes is what vitest's cache holds of its last run here (a pass of `.ci/run` after
 * the first takes the first's), else durations.json: seconds a file took in a whole pass on a
 * quiet 2-core machine, written at the end of a pass by durations-reporter.ts. A file neither
 * knows runs first, as vitest's own order has it: it may be long.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** A test file's path from the project's root → the seconds it took. */
export type Durations = Record<string, number>;

export const DURATIONS_FILE = new URL('./durations.json', import.meta.url);

export default class LongestFirst extends BaseSequencer {
  override sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const recorded = JSON.parse(readFileSync(DURATIONS_FILE, 'utf8')) as Durations;
    const seconds = (spec: TestSpecification): number => {
      const path = relative(this.ctx.config.root, spec.moduleId);
      const cached = this.ctx.cache.getFileTestResults(`${spec.project.name}:${path}`);
      return cached ? cached.duration / 1000 : (recorded[path] ?? Infinity);
    };
    return Promise.resolve([...files].sort((a, b) => seconds(b) - seconds(a)));
  }
}
