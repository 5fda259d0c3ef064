/**
 * `drill --on-cell` as an operator or cron runs it: the built command line (no terminal) against moto
 * holding a real PostgreSQL 15 wal-e archive, and a cell that is a private OpenSSH server whose user
 * runs the docker client under sudo against a private dockerd holding the stand-in of the service's
 * image (test/support/patroni-image.ts) and a running Dingo container of it (`cf-<uuid>`, with
 * PATRONI_SCOPE), from which the drill takes its image. The cell's docker client is wrapped as a
 * cell kernel without the pids cgroup answers: Docker 1.11's daemon discards `--pids-limit` and
 * its client prints `WARNING: Your kernel does not support pids limit capabilities, pids limit
 * discarded.` (daemon/daemon_unix.go verifyPlatformContainerSettings), running the container
 * without the limit.
 */
import { chmodSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRILL_EXIT } from '../../src/drill/exit-codes.js';
import { CELL_DRILL_LABEL } from '../../src/systems/cell-leftovers.js';
import { runCli } from '../support/cli.js';
import { runOnTerminal } from '../support/terminal.js';
import { setUpDrill, tearDownDrill, type DrillFixtures } from '../support/drill-fixtures.js';
import { skipWithoutDockerd, startDockerd, type Dockerd } from '../support/dockerd.js';
import { importPatroniStandIn } from '../support/patroni-image.js';
import { sshdAvailable, startSshd, type Sshd } from '../support/sshd.js';
import { ifStarted } from '../support/started.js';

const skip = skipWithoutDockerd() || !sshdAvailable;
const BUCKET = 'cell-drill-cli';
const GUID = '6e101b27-ee1b-4f4d-a032-4401a3709ec3';
const PREFIX = `backups/${GUID}/wal/`;
const SECRET = 'cell-drill-cli-secret-Hq27';
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'AKIACELLDRILL0001', AWS_SECRET_ACCESS_KEY: SECRET };
const CELL = '10.58.111.150';
const IMAGE = 'cfcommunity/postgresql-patroni:standin-15';
const DINGO = 'cf-52167ceb-bd3d-4bff-8699-a239d21c5379';
/** The stand-in without the WAL reader. */
const BARE = 'cfcommunity/postgresql-patroni:standin-15-no-waldump';

let fixtures: Partial<DrillFixtures> = {};
let d: Dockerd;
let cell: Sshd;
/** The cell's store, where the drill's scratch folder goes (the parent of the broker's container store). */
let store = '';
let flags: string[] = [];

beforeAll(async () => {
  if (skip) return;
  [fixtures, d, cell] = await Promise.all([
    setUpDrill({
      scratch: 'cell-drill-cli-',
      bucket: BUCKET,
      // A mass UPDATE after the backup, for archive mistakes to point out; the row count stays.
      archive: {
        rowsBefore: 200,
        rowsAfter: 80,
        partitions: 1,
        extraWalSwitches: 1,
        mistakes: ['update drill_rows set note = note where id <= 150'],
      },
      prefix: PREFIX,
      env: CREDENTIALS,
    }),
    startDockerd(),
    startSshd({ user: 'dingodrillcli', sudo: 'nopasswd' }),
  ]);
  const dir = fixtures.dir!;
  // The cell's user reads the ssh-free files of the test here, and root (sudo) runs the client wrapper.
  chmodSync(dir, 0o755);
  store = join(dir, 'store');
  mkdirSync(store);
  importPatroniStandIn(d, '15', IMAGE);
  d.docker(['run', '-d', '--name', DINGO, '-e', `PATRONI_SCOPE=${GUID}`, '--entrypoint', 'sleep', IMAGE, 'infinity']);
  writeFileSync(join(dir, 'ssh_config'), `Host ${CELL}\n  HostName 127.0.0.1\n  Port ${cell.port}\n`);
  writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${cell.port} ${cell.hostPublicKey}\n`);
  const docker = join(dir, 'docker');
  writeFileSync(
    docker,
    [
      '#!/bin/bash',
      '# A cell kernel without the pids cgroup: the daemon discards the limit and its client warns.',
      'args=(); skip=0; warn=0',
      'for a in "$@"; do',
      '  if [ $skip = 1 ]; then skip=0; continue; fi',
      '  if [ "$a" = --pids-limit ]; then skip=1; warn=1; continue; fi',
      '  args+=("$a")',
      'done',
      '[ $warn = 1 ] && echo "WARNING: Your kernel does not support pids limit capabilities, pids limit discarded." >&2',
      'exec /usr/bin/docker "${args[@]}"',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  flags = [
    '--on-cell',
    CELL,
    '--ssh-config',
    join(dir, 'ssh_config'),
    '--known-hosts',
    join(dir, 'known_hosts'),
    '--ssh-user',
    cell.user,
    '--ssh-key',
    cell.clientKeyFile,
    '--docker-bin',
    docker,
    '--cell-docker-host',
    d.host,
    '--container-store-root',
    `${store}/cf-containers-broker/`,
    '--s3-endpoint',
    fixtures.moto!.endpoint,
    '--s3-path-style',
  ];
}, 300_000);

afterAll(async () => {
  await Promise.all([ifStarted(cell)?.stop(), ifStarted(d)?.stop()]);
  await tearDownDrill(fixtures);
});

async function drill(args: string[]) {
  const r = await runCli(['drill', ...args, ...flags], { env: { ...CREDENTIALS, SSH_AUTH_SOCK: '' } });
  expect(r.stdout + r.stderr).not.toContain(SECRET);
  return r;
}

/** Our containers on the cell's Docker, running or not. */
const ours = (): string[] =>
  d
    .docker(['ps', '-aq', '--filter', `label=${CELL_DRILL_LABEL}`])
    .split(/\s+/)
    .filter(Boolean);

interface CellJson {
  ok: boolean;
  report: {
    rows: number;
    tables: number;
    image: string;
    cell: string;
    replayedTo: string;
    ranOn: { cell: string; image: string; imageFrom: string; without: string[] };
  };
}

describe.skipIf(skip)('drill --on-cell through the command line (real sshd, dockerd, moto, PostgreSQL)', () => {
  it('without a terminal, a hardening option the cell discards stops the drill naming --allow-without (exit 7), leaving nothing', async () => {
    const r = await drill([`s3://${BUCKET}/${PREFIX}`, '--json']);
    expect(r.code, r.stderr).toBe(DRILL_EXIT.couldNotRun);
    const failure = JSON.parse(r.stdout) as { ok: boolean; outcome: string; message: string; hint: string };
    expect(failure).toMatchObject({ ok: false, outcome: 'could-not-run' });
    expect(failure.message).toBe(
      `the Docker on cell ${CELL} refused the hardening option --pids-limit: WARNING: Your kernel does not support pids limit capabilities, pids limit discarded.`,
    );
    expect(failure.hint).toMatch(/^nothing was written to the cell\. To go on there without it .*add --allow-without pids-limit/);
    expect(ours()).toEqual([]);
    expect(readdirSync(store)).toEqual([]);
  }, 120_000);

  it('allowed without it, drills in the image the Dingo container runs and --json says where and how it ran', async () => {
    const r = await drill([`s3://${BUCKET}/${PREFIX}`, '--allow-without', 'pids-limit', '--json']);
    expect(r.code, r.stderr).toBe(DRILL_EXIT.ok);
    const { ok, report } = JSON.parse(r.stdout) as CellJson;
    expect(ok).toBe(true);
    expect(report.rows).toBe(fixtures.archive!.rowsAfter);
    expect(report.tables).toBe(1);
    expect(report.ranOn).toEqual({ cell: CELL, image: IMAGE, imageFrom: 'docker ps', without: ['--pids-limit'] });
    expect(report.replayedTo).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(ours()).toEqual([]);
    expect(readdirSync(store)).toEqual([]);
  }, 180_000);

  it('at a terminal, asks before going on without the option: no stops naming it, leaving nothing; yes drills and says what it went without', async () => {
    const question = 'pids limit discarded. Go on without --pids-limit?';
    const env = { ...CREDENTIALS, SSH_AUTH_SOCK: '' };
    const no = await runOnTerminal(['drill', `s3://${BUCKET}/${PREFIX}`, ...flags], [{ when: question, type: '' }], env);
    expect(no.code, no.screen.slice(-2000)).toBe(DRILL_EXIT.couldNotRun);
    expect(no.screen).toContain(
      `the Docker on cell ${CELL} refused the hardening option --pids-limit: WARNING: Your kernel does not support`,
    );
    expect(no.screen).toContain('No: stop the drill (nothing was written to the cell)');
    expect(no.screen).toMatch(/nothing was written to the cell\. To go on there without it .*add --allow-without pids-limit/);
    expect(ours()).toEqual([]);
    expect(readdirSync(store)).toEqual([]);

    const yes = await runOnTerminal(['drill', `s3://${BUCKET}/${PREFIX}`, ...flags], [{ when: question, type: '\x1b[B' }], env);
    expect(yes.code, yes.screen.slice(-2000)).toBe(DRILL_EXIT.ok);
    expect(yes.stdout).not.toContain(SECRET);
    expect(yes.screen).toContain(`restore drill passed: drilled in ${IMAGE} on ${CELL} without --pids-limit: consistent, 1 tables,`);
    expect(yes.screen).toMatch(/hardening\s+without --pids-limit \(the cell's Docker refused it; you allowed it\)/);
    expect(ours()).toEqual([]);
    expect(readdirSync(store)).toEqual([]);
  }, 420_000);

  it('drill --all on the cell: the table says where it ran, and each archive passed', async () => {
    const r = await drill(['--all', `s3://${BUCKET}/backups/`, '--image', IMAGE, '--allow-without', 'pids-limit']);
    expect(r.code, r.stderr).toBe(DRILL_EXIT.ok);
    expect(r.stdout).toMatch(
      new RegExp(
        `^drill --all of s3://${BUCKET}/backups/ on cell ${CELL.replace(/\./g, '\\.')} in ${IMAGE}: 1 of 1 archive\\(s\\) drilled, 0 failed`,
      ),
    );
    expect(r.stdout).toMatch(new RegExp(`^  ${PREFIX} .* passed `, 'm'));
    expect(ours()).toEqual([]);
  }, 180_000);

  it('refuses to choose among several images the Dingo containers run, naming them and --image', async () => {
    const other = 'cfcommunity/postgresql-patroni:standin-15b';
    d.docker(['tag', IMAGE, other]);
    const second = 'cf-0b1e9e5d-7f2c-4c57-9a38-2a6f0f3c1e11';
    d.docker(['run', '-d', '--name', second, '-e', 'PATRONI_SCOPE=other', '--entrypoint', 'sleep', other, 'infinity']);
    try {
      const r = await drill([`s3://${BUCKET}/${PREFIX}`]);
      expect(r.code).toBe(DRILL_EXIT.couldNotRun);
      expect(r.stderr).toContain(`the Dingo containers on cell ${CELL} run 2 images: `);
      expect(r.stderr).toContain(`${IMAGE} (${DINGO})`);
      expect(r.stderr).toContain(`${other} (${second})`);
      expect(r.stderr).toMatch(/what to do: name the one of the archive's PostgreSQL version with --image/);
    } finally {
      d.docker(['rm', '-f', second]);
    }
  }, 60_000);
});

describe.skipIf(skip)('archive mistakes --on-cell (real sshd, dockerd, moto, PostgreSQL)', () => {
  const mistakes = (args: string[]) =>
    runCli(['archive', 'mistakes', `s3://${BUCKET}/${PREFIX}`, ...args, ...flags], { env: { ...CREDENTIALS, SSH_AUTH_SOCK: '' } });

  it("restores the backup in the image and reads the WAL with the image's pg_waldump, pointing out the mass UPDATE", async () => {
    const r = await mistakes(['--mass-rows', '100', '--allow-without', 'pids-limit', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
    const { report } = JSON.parse(r.stdout) as {
      report: { readIn: string; suspects: { xid: string; flags: string[] }[]; commits: unknown[]; warnings: string[] };
    };
    expect(report.readIn).toBe(`${IMAGE} on ${CELL}`);
    expect(report.suspects.map((x) => x.xid)).toEqual([fixtures.archive!.mistakes[0]!.xid]);
    expect(report.suspects[0]!.flags).toEqual([expect.stringMatching(/^UPDATE 150 rows of .*drill_rows$/)]);
    expect(report.warnings).toContain("read without the hardening option(s) --pids-limit, which the cell's Docker refused");
    expect(ours()).toEqual([]);
    expect(readdirSync(store)).toEqual([]);
  }, 180_000);

  it("refuses an image without the WAL reader of the archive's major before anything is written, naming both (exit 7)", async () => {
    // A docker import of the stand-in's 100 MB: slow on a loaded machine.
    importPatroniStandIn(d, '15', BARE, ['./usr/lib/postgresql/15/bin/pg_waldump']);
    const r = await mistakes(['--image', BARE, '--allow-without', 'pids-limit']);
    expect(r.code).toBe(DRILL_EXIT.couldNotRun);
    expect(r.stderr).toContain(
      `the image ${BARE} on ${CELL} has no pg_waldump, PostgreSQL 15's WAL reader, with which archive mistakes reads the archived WAL`,
    );
    expect(r.stderr).toMatch(
      /what to do: nothing was written to the cell; name an image of PostgreSQL 15 that holds pg_waldump \(--image\)/,
    );
    expect(ours()).toEqual([]);
    expect(readdirSync(store)).toEqual([]);
  }, 180_000);
});

describe('drill flags for a cell', () => {
  it('refuses what a drill in the image cannot honour, and the cell flags without --on-cell (exit 2)', async () => {
    const q = await runCli(['drill', 's3://bucket/backups/x/wal/', '--on-cell', CELL, '--query', 'select 1']);
    expect(q.code).toBe(2);
    expect(q.stderr).toContain('--query is not taken with --on-cell: it counts every table of every database');
    const i = await runCli(['drill', 's3://bucket/backups/x/wal/', '--image', IMAGE]);
    expect(i.code).toBe(2);
    expect(i.stderr).toContain('--image is for a drill on a cell: give --on-cell CELL too');
    const w = await runCli(['drill', 's3://bucket/backups/x/wal/', '--on-cell', CELL, '--allow-without', 'seccomp']);
    expect(w.code).toBe(2);
    expect(w.stderr).toMatch(/Invalid values:\s+Argument: allow-without, Given: "seccomp"/);
  });
});
