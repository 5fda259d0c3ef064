/**
 * A test file of the majors matrix points the tool at the matrix's server binaries
 * (DINGO_RECOVER_PG_ROOT: `<major>/bin` for 10, 12, 14, 15 and 17) for its own run, and gives the
 * variable back as it found it afterwards. Its scratch folder, where clusters are made and started
 * as the postgres account, is readable by all and removed after the file.
 */
import { chmodSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { pgBinRoot } from './pg-majors.js';
import { tempDirForAll } from './temp-dirs.js';

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

/** The file's scratch folder (`<tmp>/<prefix>XXXXXX`, mode 755), removed after its tests. */
export function useMajorsScratch(prefix: string): string {
  const scratch = tempDirForAll(prefix);
  chmodSync(scratch, 0o755);
  return scratch;
}
