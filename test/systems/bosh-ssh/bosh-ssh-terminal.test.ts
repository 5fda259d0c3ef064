/**
 * `bosh ssh` under the terminal bosh-cli v2 always forces (`ssh -tt`, ssh/provider.go), against the
 * bosh double whose ssh asks a real sshd for a real pseudo-terminal, on a cell that talks when it
 * has one: its sshd shows a banner, and its login writes a line and a line without its end
 * before the command when standard output is a terminal. The double is held to what the terminal makes
 * of a command (its error inside `Stdout`, CRLF, ssh's own closing line in `Stderr`) in each era's
 * table shape; the seam, for each era, gives the command's streams, bytes and exit code exactly,
 * feeds it input no terminal touched, and reads etcd from the cell over it.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redactor } from '../../../src/core/redact.js';
import type { CellSession } from '../../../src/core/seams.js';
import { createBoshCellAccess } from '../../../src/systems/bosh-ssh/index.js';
import { LocalRunner } from '../../../src/systems/local-runner.js';
import type { BoshSshWorld } from '../../support/fake-cli/bosh-session.js';
import { setUpFakeClis, type FakeClis } from '../../support/fake-cli/install.js';
import { BOSH_VERSIONS, boshWorld } from '../../support/fake-cli/worlds.js';
import { etcdAvailable, startEtcd, type Etcd } from '../../support/etcd.js';
import { sshdAvailable, startSshd, type Sshd } from '../../support/sshd.js';
import { ifStarted } from '../../support/started.js';

const CELL_IP = '10.58.111.150';
const DEPLOYMENT = 'dingo-postgresql-98b09c4b36af74181ee1';
const INSTANCE = 'cell_z1-partition-cac94a070a81fd8f3931/14ddd22e-719e-4aca-b318-7f291c97fbba';
const BANNER = 'Unauthorized use is strictly prohibited. All access and activity\nis subject to logging and monitoring.\n';
/**
 * What the cell's login runs before the command (sshd's ForceCommand, as a profile or bashrc would):
 * it writes only to a terminal, as many do, so under bosh's forced terminal it writes.
 */
const LOGIN = `#!/bin/sh
if [ -t 1 ]; then printf 'Last login: Tue Mar 17 18:05:20 2026 from 10.0.0.5\\n'; printf 'a line without its end'; fi
exec /bin/bash -c "$SSH_ORIGINAL_COMMAND"
`;

/** Every byte, and the keys a terminal would act on (^C, ^D, ^Z, ^\, a lone CR, DEL) had they been typed. */
const ALL_BYTES = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from('\x03\x04\x1a\x1c\r\x7f\n')]);

/** A stream that keeps every byte written to it. */
function sink(): { stream: PassThrough; bytes: () => Buffer } {
  const got: Buffer[] = [];
  const stream = new PassThrough().on('data', (b: Buffer) => got.push(b));
  return { stream, bytes: () => Buffer.concat(got) };
}

describe.skipIf(!sshdAvailable)('bosh ssh under the forced terminal (bosh double, real sshd and pseudo-terminal)', () => {
  let cell: Sshd;
  let etcd: Etcd | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'dingo-bosh-tty-'));
  beforeAll(async () => {
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'login.sh'), LOGIN, { mode: 0o755 });
    writeFileSync(join(dir, 'banner'), BANNER, { mode: 0o644 });
    cell = await startSshd({
      user: 'dingoboshtty',
      sudo: 'nopasswd',
      config: [`Banner ${join(dir, 'banner')}`, `ForceCommand ${join(dir, 'login.sh')}`],
    });
    if (etcdAvailable) etcd = await startEtcd();
  });
  afterAll(async () => {
    await Promise.all([ifStarted(cell)?.stop(), ifStarted(etcd)?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [era, version, share] of [
    ['bosh-cli 2.0.1', BOSH_VERSIONS.v2old, false],
    ['a current bosh-cli', BOSH_VERSIONS.v2, false],
    // Its commands over the one session's connection, which bosh opened under its terminal: they have none.
    ['a current bosh-cli, its commands sharing one session', BOSH_VERSIONS.v2, true],
    ['the Ruby CLI (v1)', BOSH_VERSIONS.v1, false],
  ] as const) {
    describe(era, () => {
      const v1 = version.startsWith('1.');
      let fake: FakeClis;
      let env: Record<string, string>;
      let session: CellSession;
      beforeAll(async () => {
        fake = await setUpFakeClis({ bosh: boshWorld(version) });
        const world: BoshSshWorld = {
          cells: { [CELL_IP]: { port: cell.port, user: cell.user, identityFile: cell.clientKeyFile, hostPublicKey: cell.hostPublicKey } },
          gateways: {},
          sessionsLog: join(fake.dir, 'sessions.ndjson'),
        };
        writeFileSync(join(fake.dir, 'bosh-ssh.json'), JSON.stringify(world));
        mkdirSync(join(fake.dir, 'scratch'));
        env = { ...fake.env, FAKE_BOSH_SSH: join(fake.dir, 'bosh-ssh.json') };
        session = await createBoshCellAccess({
          redactor: new Redactor(),
          runner: new LocalRunner({ env: { ...process.env, ...env } }),
          binary: join(fake.binDir, 'bosh'),
          gateway: { disable: true },
          scratch: join(fake.dir, 'scratch'),
          share,
        }).open(CELL_IP);
      });
      afterAll(async () => {
        await ifStarted(session)?.close();
        await ifStarted(fake)?.cleanup();
      });

      const bosh = (...args: string[]) => spawnSync(join(fake.binDir, 'bosh'), args, { env: { ...process.env, ...env }, encoding: 'utf8' });

      it.skipIf(v1 || share)(
        'the double answers as bosh-cli does: the command’s error inside Stdout, CRLF, ssh’s own lines in Stderr',
        () => {
          const command = "printf 'a\\nb'; echo oops >&2; exit 3";
          const r = bosh('-d', DEPLOYMENT, 'ssh', INSTANCE, '-c', command, '-r', '--json', '--gw-disable');
          expect(r.status).toBe(1);
          const doc = JSON.parse(r.stdout) as { Tables: { Content: string; Header: unknown; Rows: unknown[] }[] };
          const table = doc.Tables[0]!;
          expect(table.Content).toBe('results');
          const row =
            version === BOSH_VERSIONS.v2old
              ? Object.fromEntries((table.Header as string[]).map((h, i) => [h, (table.Rows[0] as string[])[i]!]))
              : Object.fromEntries(
                  Object.entries(table.Header as Record<string, string>).map(([k, h]) => [
                    h,
                    (table.Rows[0] as Record<string, string>)[k]!,
                  ]),
                );
          expect(Array.isArray(table.Header)).toBe(version === BOSH_VERSIONS.v2old);
          expect(row).toMatchObject({ Instance: INSTANCE, 'Exit Code': '3' });
          expect(row.Stdout).toBe('Last login: Tue Mar 17 18:05:20 2026 from 10.0.0.5\r\na line without its enda\r\nboops\r\n');
          // The banner is the ssh client's, before any terminal; its closing line ends as a terminal's (clientloop.c).
          expect(row.Stderr).toBe(`${BANNER}Connection to 127.0.0.1 closed.\r\n`);

          const streamed = bosh('-d', DEPLOYMENT, 'ssh', INSTANCE, '-c', command, '--gw-disable');
          expect(streamed.stdout.split('\n').filter((l) => l.startsWith(`${INSTANCE}: `))).toEqual([
            ...BANNER.trimEnd()
              .split('\n')
              .map((l) => `${INSTANCE}: stderr | ${l}`),
            `${INSTANCE}: stdout | Last login: Tue Mar 17 18:05:20 2026 from 10.0.0.5\r`,
            `${INSTANCE}: stdout | a line without its enda\r`,
            `${INSTANCE}: stdout | boops\r`,
            `${INSTANCE}: stderr | Connection to 127.0.0.1 closed.\r`,
          ]);
        },
      );

      it('gives the command’s output, error and exit code exactly, whatever the terminal and the startup file wrote', async () => {
        const out = 'crlf\r\nlone\rcr\n\u0001\u001b[2J tab\t é';
        const r = await session.run({
          argv: ['sh', '-c', `printf '%s' "$1"; printf 'err\\r\\n' >&2; exit 7`, 'sh', out],
          writes: false,
        });
        expect(r).toMatchObject({ exitCode: 7, stdout: out, stderr: 'err\r\n' });
        expect((await session.run({ argv: ['true'], writes: false })).stdout).toBe('');
      });

      it('feeds input that no terminal touched: its ^C, ^D, carriage returns and every byte reach the command as they were', async () => {
        if (v1) {
          const text = 'line\r\n\u0003\u0004\u001a end\r';
          expect(await session.run({ argv: ['cat'], stdin: text, writes: false })).toMatchObject({ exitCode: 0, stdout: text });
          return;
        }
        const s = sink();
        const r = await session.run({ argv: ['cat'], stdin: ALL_BYTES, writes: false, stdout: s.stream });
        expect(r).toMatchObject({ exitCode: 0, stderr: '' });
        expect(s.bytes().equals(ALL_BYTES)).toBe(true);
      });

      it.skipIf(!etcdAvailable)(
        'reads and deletes etcd keys from the cell, as the recovery does (an HTTP exchange over bosh ssh)',
        async () => {
          const key = `/service/${version.replace(/\W/g, '')}/leader`;
          await etcd!.put(key, 'patroni-node-a');
          const keys = await session.etcd(etcd!.hostPort);
          expect(await keys.get(key)).toBe('patroni-node-a');
          expect(await keys.delete(key)).toBe('deleted');
          expect(await keys.get(key)).toBeNull();
        },
      );
    });
  }
});
