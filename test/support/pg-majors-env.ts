/**
 * A test file of the majors matrix points the tool at the matrix's server binaries
 * (DINGO_RECOVER_PG_ROOT: `<major>/bin` for 10, 12, 14, 15 and 17) for its own run, and gives the
 * variable back as it found it afterwards.
 */
import { afterAll, beforeAll } from 'vitest';
import { pgBinRoot } from './pg-majors.js';

export function useMajorsBinaries(): void {
  const saved = process.env.DINGO_RECOVER_PG_ROOT;
  beforeAll(() => {
    process.env.DINGO_RECOVER_PG_ROOT = pgBinRoot();
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.DINGO_RECOVER_PG_ROOT;
    else process.env.DINGO_RECOVER_PG_ROOT = saved;
  });
}
