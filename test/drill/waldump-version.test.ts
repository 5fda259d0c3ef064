/**
 * The WAL reader `archive mistakes` runs is its archive's major's own: pg_xlogdump before PostgreSQL
 * 10 (Dingo's 9.5 among them), pg_waldump from 10 on, each told by what its --version prints, as the
 * server binaries beside it are. Programs here print what those of each major print.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waldumpOf } from '../../src/drill/mistakes.js';
import { localProcesses } from '../../src/systems/local-processes.js';
import { tempDirForAll } from '../support/temp-dirs.js';

const work = tempDirForAll('waldump-version-');

/** A bin folder whose programs print `pg_ctl (PostgreSQL) <version>` and so on for --version. */
function binOf(name: string, programs: Record<string, string>): string {
  const bin = join(work, name);
  mkdirSync(bin);
  for (const [program, version] of Object.entries(programs)) {
    writeFileSync(join(bin, program), `#!/bin/sh\necho '${program} (PostgreSQL) ${version}'\n`);
    chmodSync(join(bin, program), 0o755);
  }
  return bin;
}

describe("archive mistakes' WAL reader", () => {
  it.each([
    ['9.5', '9.5.19', 'pg_xlogdump'],
    ['9.6', '9.6.24', 'pg_xlogdump'],
    ['10', '10.23', 'pg_waldump'],
    ['15', '15.14 (Debian 15.14-0+deb12u1)', 'pg_waldump'],
  ])('for PostgreSQL %s (printing %s) is its %s', async (major, version, program) => {
    const bin = binOf(`v${major}`, { pg_ctl: version, [program]: version });
    await expect(waldumpOf(major, { pgBin: bin }, localProcesses)).resolves.toBe(join(bin, program));
  });

  it("refuses another major's, naming its version", async () => {
    const bin = binOf('mixed', { pg_ctl: '9.5.19', pg_xlogdump: '9.6.24' });
    await expect(waldumpOf('9.5', { pgBin: bin }, localProcesses)).rejects.toThrow(
      `${join(bin, 'pg_xlogdump')} is PostgreSQL 9.6.24's, and the archive was written by PostgreSQL 9.5: WAL is read only by its own major's pg_waldump`,
    );
  });

  it('refuses a folder without one, naming the package that ships it', async () => {
    const bin = binOf('none', { pg_ctl: '9.5.19' });
    await expect(waldumpOf('9.5', { pgBin: bin }, localProcesses)).rejects.toMatchObject({
      message: `no pg_waldump of PostgreSQL 9.5 beside its server binaries in ${bin}`,
      hint: expect.stringContaining('postgresql-9.5'),
    });
  });
});
