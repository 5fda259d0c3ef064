/**
 * Volumes an operator who is not root cannot read (moby makes the volumes folder root's alone,
 * volume/local/local.go): the answer must not read as "no PostgreSQL data". The command line and the
 * runbook's step run as nobody, the account of an operator without root's powers.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT } from '../support/cli.js';
import { pgControl96 } from '../support/pg-volumes.js';

const NOBODY = 65534;
let root: string;

/** A folder of volumes anyone may list, holding `locked` (root's alone) and `readable` volumes. */
function volumesFolder(name: string, readable: Record<string, 'pg' | 'empty'>): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'locked', '_data', 'global'), { recursive: true });
  writeFileSync(join(dir, 'locked', '_data', 'PG_VERSION'), '9.6\n');
  chmodSync(join(dir, 'locked'), 0o700);
  for (const [volume, holds] of Object.entries(readable)) {
    const data = join(dir, volume, '_data');
    mkdirSync(join(data, 'global'), { recursive: true });
    if (holds === 'pg') {
      writeFileSync(join(data, 'PG_VERSION'), '9.6\n');
      writeFileSync(join(data, 'global', 'pg_control'), pgControl96(6400000000000000042n, new Date('2018-03-04T05:06:07Z')));
    }
  }
  return dir;
}

function asNobody(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, args, {
    cwd: ROOT,
    uid: NOBODY,
    gid: NOBODY,
    env: { PATH: process.env.PATH, HOME: root, CI: 'true' },
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'volumes-denied-'));
  chmodSync(root, 0o755);
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('volumes find as an operator who is not root', () => {
  it('fails, saying how many volumes could not be read and to run as root, rather than that there is no data', () => {
    const dir = volumesFolder('none', { empty: 'empty' });
    const r = asNobody([BIN, 'volumes', 'find', '--volumes-root', dir]);
    expect(r.stdout).toContain('No PostgreSQL data folder found among the volumes that could be read.');
    expect(r.stdout).toContain(
      "WARNING: 1 volume(s) could not be read (permission denied): the PostgreSQL data may be among them. Docker's volumes are root's alone: run as root (sudo)",
    );
    expect(r.stderr).toContain(
      `dingo-recover volumes find: no PostgreSQL data folder among the 1 volume(s) of ${dir} that could be read; 1 could not be read (permission denied), and the data may be among them`,
    );
    expect(r.stderr).toContain("what to do: Docker's volumes are root's alone: run as root (sudo)");
    expect(r.status).toBe(2);
  });

  it('warns beside the data folders it could read, and succeeds', () => {
    const dir = volumesFolder('some', { found: 'pg' });
    const r = asNobody([BIN, 'volumes', 'find', '--volumes-root', dir]);
    expect(r.stdout).toContain('1. found');
    expect(r.stdout).toContain('WARNING: 1 volume(s) could not be read (permission denied): the PostgreSQL data may be among them.');
    expect(r.status).toBe(0);
  });

  it("gives the runbook's step the same hint", () => {
    const dir = volumesFolder('step', { empty: 'empty' });
    const script = `
      const { volumesActions } = await import(${JSON.stringify(join(ROOT, 'dist/src/actions/volumes.js'))});
      const step = volumesActions.find((a) => a.name === 'volumes.find');
      const notes = [];
      const ctx = { evidence: () => undefined, note: (t) => notes.push(t), progress: () => undefined };
      const err = await step.run(ctx, { volumesRoot: [${JSON.stringify(dir)}], dockerHost: 'unix:///var/run/docker.sock', volume: [] }, {}).catch((e) => e);
      process.stdout.write(JSON.stringify({ name: err.name, message: err.message, hint: err.hint, notes }));`;
    const r = asNobody(['--input-type=module', '-e', script]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      name: 'StepFailed',
      message: `no PostgreSQL data folder among the 1 volume(s) of ${dir} that could be read; 1 could not be read (permission denied), and the data may be among them`,
      hint: "Docker's volumes are root's alone: run as root (sudo)",
      notes: [
        "warning: 1 volume(s) could not be read (permission denied): the PostgreSQL data may be among them. Docker's volumes are root's alone: run as root (sudo)",
      ],
    });
  });
});
