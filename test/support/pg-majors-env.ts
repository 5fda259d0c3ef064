/**
 * A test file of the majors matrix points the tool at the matrix's server binaries
 * (DINGO_RECOVER_PG_ROOT: `<major>/bin` for 10, 12, 14, 15 and 17) for its own run, and gives the
 * variable back as it found it afterwards. Its scratch folder, where clusters are made and started
 * as the postgres account, is readable by all and removed after the file.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** The file's scratch folder (`<tmp>/<prefix>XXXXXX`, mode 755), made before its tests and removed after them. */
export function useMajorsScratch(prefix: string): () => string {
  let scratch: string | undefined;
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), prefix));
    execFileSync('chmod', ['755', scratch]);
  });
  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });
  return () => {
    if (!scratch) throw new Error('the scratch folder is made in beforeAll: read it inside a hook or a test');
    return scratch;
  };
}
