/**
 * The shell around the container's pg_restore (PG_RESTORE_VIA_STDIN), run by the machine's own `sh`
 * (dash, as the Dingo image's): the password reaches pg_restore in its environment only, the dump
 * ids before the empty line in its -L file, the rest of standard input as the dump; and the -L file
 * goes whether pg_restore ends, fails or the shell is terminated or hung up on.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PG_RESTORE_VIA_STDIN } from '../../src/adapters/container-database.js';
import { tempDirForAll } from '../support/temp-dirs.js';

const work = tempDirForAll('pg-restore-wrapper-');

/**
 * A pg_restore that writes down its arguments, password, -L file and standard input, then exits with
 * $EXIT_WITH, after sending $SIGNAL to the shell that started it when one is named.
 */
const FAKE = `#!/bin/sh
out=$OUT
printf '%s\\n' "$@" > "$out/args"
printf '%s' "$PGPASSWORD" > "$out/password"
while [ $# -gt 0 ]; do if [ "$1" = -L ]; then cat "$2" > "$out/list"; fi; shift; done
cat > "$out/dump"
if [ -n "$SIGNAL" ]; then kill -s "$SIGNAL" $PPID; fi
exit "\${EXIT_WITH:-0}"
`;

function run(name: string, input: string, env: Record<string, string> = {}) {
  const dir = join(work, name);
  const [bin, tmp, out] = ['bin', 'tmp', 'out'].map((d) => join(dir, d));
  for (const d of [bin!, tmp!, out!]) mkdirSync(d, { recursive: true });
  writeFileSync(join(bin!, 'pg_restore'), FAKE);
  chmodSync(join(bin!, 'pg_restore'), 0o755);
  const r = spawnSync('sh', ['-c', PG_RESTORE_VIA_STDIN, 'sh', 'appuser', '--single-transaction', '-d', 'shop'], {
    input,
    env: { PATH: `${bin}:/usr/bin:/bin`, TMPDIR: tmp!, OUT: out!, ...env },
  });
  const read = (f: string): string => readFileSync(join(out!, f), 'utf8');
  return { status: r.status, signal: r.signal, stderr: r.stderr.toString(), read, left: readdirSync(tmp!) };
}

describe("the shell around the container's pg_restore", () => {
  it('hands pg_restore the password in its environment, the ids in a -L file and the rest as the dump, and removes the file', () => {
    const r = run('listed', 'pw-Lk72\n3\n5\n\nPGDMP the dump\nits second line\n');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.read('password')).toBe('pw-Lk72');
    const args = r.read('args').trim().split('\n');
    expect(args.slice(0, 6)).toEqual(['-h', '127.0.0.1', '-p', '5432', '-U', 'appuser']);
    expect(args.slice(6, 7)).toEqual(['-L']);
    expect(args.slice(8)).toEqual(['--single-transaction', '-d', 'shop']);
    expect(args.join(' ')).not.toContain('pw-Lk72');
    expect(r.read('list')).toBe('3\n5\n');
    expect(r.read('dump')).toBe('PGDMP the dump\nits second line\n');
    expect(r.left).toEqual([]);
  });

  it('restores everything without -L when no id is listed', () => {
    const r = run('whole', 'pw\n\nPGDMP');
    expect(r.status).toBe(0);
    expect(r.read('args')).not.toContain('-L');
    expect(r.read('dump')).toBe('PGDMP');
    expect(r.left).toEqual([]);
  });

  it("exits with pg_restore's status, the file removed", () => {
    const r = run('failed', 'pw\n7\n\nPGDMP', { EXIT_WITH: '1' });
    expect(r.status).toBe(1);
    expect(r.left).toEqual([]);
  });

  it.each([
    ['TERM', 143],
    ['HUP', 129],
    ['INT', 130],
  ])('removes the file when the shell gets SIG%s while pg_restore runs, and exits %i', (signal, status) => {
    const r = run(`signal-${signal}`, 'pw\n7\n\nPGDMP', { SIGNAL: signal });
    expect(r.read('list')).toBe('7\n');
    expect(r.status).toBe(status);
    expect(r.left).toEqual([]);
  });
});
