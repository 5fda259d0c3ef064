/**
 * The order the suite's files start in: the longest first, while keeping the cores busy. A pass is a
 * few files of minutes (the majors matrix, the live recoveries through bosh ssh, the crash sweeps)
 * among hundreds of seconds; started last, one of them ran alone for four minutes at the end of a pass
 * while the other workers had nothing left, and started first, the short ones fill the workers around
 * them. But the longest are not alike: the recoveries through bosh ssh wait on the director's tasks and
 * cost a core a few percent of their minutes, the crash sweeps and the majors matrix a core or more.
 * Started together, the longest left a 2-core machine half idle for the first two and a half minutes of
 * a pass (three files of bosh ssh in four workers), then CPU-bound to the end. So the order is planned
 * as the pool will run it (./planned-order.ts).
 *
 * How long a file takes is what vitest's cache holds of its last run here (a pass of `.ci/run` after
 * the first takes the first's), else durations.json: seconds a file took in a whole pass on a quiet
 * 2-core machine, and the CPU-seconds it cost, written at the end of a pass by durations-reporter.ts. A
 * file neither knows runs first, as vitest's own order has it: it may be long.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { plannedOrder, type FileCost } from './planned-order.js';

/** A test file's path from the project's root → the seconds it took, and the CPU-seconds it cost. */
export type Durations = Record<string, { wall: number; cpu: number }>;

export const DURATIONS_FILE = new URL('./durations.json', import.meta.url);

export default class LongestFirst extends BaseSequencer {
  override sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const recorded = JSON.parse(readFileSync(DURATIONS_FILE, 'utf8')) as Durations;
    const cost = (spec: TestSpecification): FileCost<TestSpecification> => {
      const path = relative(this.ctx.config.root, spec.moduleId);
      const cached = this.ctx.cache.getFileTestResults(`${spec.project.name}:${path}`);
      const known = recorded[path];
      const wall = cached ? cached.duration / 1000 : (known?.wall ?? Infinity);
      return { file: spec, wall, cores: known && known.wall > 0 ? known.cpu / known.wall : 1 };
    };
    const workers = this.ctx.config.maxWorkers || availableParallelism();
    return Promise.resolve(plannedOrder(files.map(cost), workers, availableParallelism()));
  }
}
