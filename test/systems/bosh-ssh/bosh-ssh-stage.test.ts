/**
 * A command's input larger than the cell's /tmp, through a `bosh ssh` of its own per command (always
 * v1's way): the bosh double's cell has the /tmp bosh-agent mounts there, which a copy fills as the
 * real disk does (test/support/fake-cli/bosh-session.ts, CELL_TMP_FREE_BYTES), and its v1 `bosh ssh`
 * never hands the command its input. The input goes in pieces through /tmp and is put together in a
 * folder of the cell's ephemeral disk (here one of the test's), whose room is checked first; a /tmp
 * that fills is said for what it is. The /tmp modelled here is a few MiB, the pieces one, so that little
 * is copied: the product's own piece is held to the real one's room.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBoshCellAccess } from '../../../src/systems/bosh-ssh/index.js';
import { STAGE_PIECE_BYTES } from '../../../src/systems/bosh-ssh/bosh-ssh-stage.js';
import { LocalRunner } from '../../../src/systems/local-runner.js';
import { StepFailed } from '../../../src/core/errors.js';
import { stopUndos } from '../../../src/core/stop-undo.js';
import { Redactor } from '../../../src/core/redact.js';
import type { CellAccess } from '../../../src/core/seams.js';
import { setUpFakeClis, type FakeClis } from '../../support/fake-cli/install.js';
import { BOSH_VERSIONS, boshWorld } from '../../support/fake-cli/worlds.js';
import { CELL_TMP_FREE_BYTES, type BoshSshWorld } from '../../support/fake-cli/bosh-session.js';
import { sshdAvailable, startSshd, type Sshd } from '../../support/sshd.js';
import { ifStarted } from '../../support/started.js';

const IP = '10.58.111.150';
const MiB = 1024 * 1024;
/** The modelled /tmp's free room, and the piece the session copies through it. */
const TMP_FREE = 3 * MiB;
const PIECE = MiB;

interface Cell {
  fake: FakeClis;
  env: Record<string, string>;
  /** The folder standing for the cell's /var/vcap/data/tmp. */
  stage: string;
  warned: string[];
  access: CellAccess;
}

/** The bosh double of `version` whose one cell is `sshd`, with a /tmp of TMP_FREE free, and the cell access over it. */
async function cellOf(version: string, sshd: Sshd): Promise<Cell> {
  const fake = await setUpFakeClis({ bosh: boshWorld(version) });
  const world: BoshSshWorld = {
    cells: { [IP]: { port: sshd.port, user: sshd.user, identityFile: sshd.clientKeyFile, hostPublicKey: sshd.hostPublicKey } },
    gateways: {},
    sessionsLog: join(fake.dir, 'sessions.ndjson'),
    cellTmpFreeBytes: TMP_FREE,
  };
  writeFileSync(join(fake.dir, 'bosh-ssh.json'), JSON.stringify(world));
  writeFileSync(world.sessionsLog, '');
  const stage = join(fake.dir, 'ephemeral-tmp');
  for (const dir of [join(fake.dir, 'scratch'), stage]) mkdirSync(dir, { mode: 0o755 });
  const env = { ...fake.env, FAKE_BOSH_SSH: join(fake.dir, 'bosh-ssh.json'), FAKE_CLI_LOG: join(fake.dir, 'cli.ndjson') };
  const warned: string[] = [];
  const access = createBoshCellAccess({
    redactor: new Redactor(),
    runner: new LocalRunner({ env: { ...process.env, ...env } }),
    binary: join(fake.binDir, 'bosh'),
    gateway: { disable: true },
    scratch: join(fake.dir, 'scratch'),
    share: false,
    warn: (t) => warned.push(t),
    stagePieceBytes: PIECE,
    stageFolder: stage,
  });
  return { fake, env, stage, warned, access };
}

/**
 * The cell of a bosh double of `version` for the tests of the describe this is called in: its own sshd standing
 * for the cell, started before them and stopped after, with the double.
 */
function cellFor(version: string): () => Cell {
  let sshd: Sshd | undefined;
  let made: Cell | undefined;
  beforeAll(async () => {
    sshd = await startSshd({ user: 'dingoboshstage', sudo: 'nopasswd' });
    made = await cellOf(version, sshd);
  });
  afterAll(async () => {
    await ifStarted(made?.fake)?.cleanup();
    await ifStarted(sshd)?.stop();
  });
  return () => made!;
}

/** The bosh commands the double ran (`ssh`, `scp`), in order. */
const boshCommands = (c: Cell): string[] =>
  readFileSync(c.env.FAKE_CLI_LOG!, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { argv: string[] }).argv)
    .map((argv) => argv.find((a) => a === 'ssh' || a === 'scp') ?? '')
    .filter(Boolean);

/** `bytes` random bytes as a stream in chunks of 300 KiB, and their SHA-256. */
function randomInput(bytes: number): { stream: Readable; sha: string } {
  const data = randomBytes(bytes);
  const chunks = Array.from({ length: Math.ceil(bytes / (300 * 1024)) }, (_, i) => data.subarray(i * 300 * 1024, (i + 1) * 300 * 1024));
  return { stream: Readable.from(chunks), sha: createHash('sha256').update(data).digest('hex') };
}

/** The copies of ours the cell's /tmp still holds (this machine's /tmp, where other tests copy theirs: ours by name). */
const leftInTmp = (names: string[]): string[] => readdirSync('/tmp').filter((f) => names.some((n) => f.startsWith(n)));

/** The input files' names the double copied to the cell. */
const copiedNames = (c: Cell): string[] => [
  ...new Set(readFileSync(c.env.FAKE_CLI_LOG!, 'utf8').match(/dingo-recover-input-[0-9a-f]{24}/g) ?? []),
];

const INSTANCE = 'cell_z1-partition-cac94a070a81fd8f3931/0';

/** v1's bosh run by hand on the cell's instance, with the manifest of the session open on it (there is one). */
function v1Bosh(c: Cell, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const [folder] = readdirSync(join(c.fake.dir, 'scratch'));
  const manifest = join(c.fake.dir, 'scratch', folder!, 'manifest.yml');
  return spawnSync(join(c.fake.binDir, 'bosh'), ['-n', '-d', manifest, ...args, '--no_gateway'], {
    env: { ...process.env, ...c.env },
    encoding: 'utf8',
  });
}

async function refusal(p: Promise<unknown>): Promise<StepFailed> {
  const err: unknown = await p.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(StepFailed);
  return err as StepFailed;
}

it('copies through /tmp pieces that leave two fifths of what the real one has free to the cell’s jobs', () => {
  expect(CELL_TMP_FREE_BYTES - STAGE_PIECE_BYTES).toBeGreaterThanOrEqual(0.4 * CELL_TMP_FREE_BYTES);
});

describe.skipIf(!sshdAvailable)('an input larger than the cell’s /tmp, through a bosh ssh per command', () => {
  describe.each([
    ['v1 (Ruby)', BOSH_VERSIONS.v1],
    ['v2 (Go), a session per command', BOSH_VERSIONS.v2],
  ])('%s', (_, version) => {
    const cell = cellFor(version);

    it('reaches the command whole, in pieces put together on the ephemeral disk, and leaves none of them', async () => {
      const c = cell();
      // What a killed copy left two hours ago goes first; a copy of now (another run's, in progress) stays.
      const [old, recent] = ['a', 'b'].map((x) => join(c.stage, `dingo-recover-input-${x.repeat(24)}`)) as [string, string];
      writeFileSync(old, 'a piece of a killed copy');
      writeFileSync(recent, 'a piece of a copy in progress');
      const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
      utimesSync(old, twoHoursAgo, twoHoursAgo);
      const bytes = 3.5 * MiB;
      const { stream, sha } = randomInput(bytes);
      const session = await c.access.open(IP);
      try {
        const r = await session.run({ argv: ['sha256sum'], stdin: stream, stdinBytes: bytes, writes: false });
        expect(r).toMatchObject({ exitCode: 0, stdout: `${sha}  -\n` });
      } finally {
        await session.close();
      }
      // What killed copies left and the room looked at first, then four pieces: each copied, the first three
      // appended as they came; the last read with them.
      expect(boshCommands(c).slice(-10)).toEqual(['ssh', 'ssh', 'scp', 'ssh', 'scp', 'ssh', 'scp', 'ssh', 'scp', 'ssh']);
      expect(c.warned).toEqual([
        expect.stringMatching(
          new RegExp(
            `: removed 1 file\\(s\\) of a copy of a command's input that a killed session left, untouched for 60 minutes: ${old}$`,
          ),
        ),
        expect.stringMatching(/input \(about 3\.5 MiB\) goes to the cell in pieces of 1\.0 MiB, 4 of them, .*128 MB.*--ssh-via direct/),
      ]);
      expect(leftInTmp(copiedNames(c))).toEqual([]);
      expect(readdirSync(c.stage)).toEqual([basename(recent)]);
      rmSync(recent);
    });
  });

  describe('v1 (Ruby)', () => {
    const cell = cellFor(BOSH_VERSIONS.v1);

    it('refuses an input whose stated size the folder it is put together in has no room for, before copying any', async () => {
      const c = cell();
      const session = await c.access.open(IP);
      const before = boshCommands(c).length;
      try {
        const err = await refusal(session.run({ argv: ['cat'], stdin: randomInput(2 * MiB).stream, stdinBytes: 2 ** 50, writes: false }));
        expect(err.message).toMatch(
          new RegExp(`^${c.stage} on cell .* has .* free; the command's input \\(about 1024\\.0 TiB\\) is put together there`),
        );
        expect(err.hint).toMatch(/^nothing was copied; free space on the cell's ephemeral disk/);
      } finally {
        await session.close();
      }
      // The one look for what killed copies left and at the room: nothing was copied, so nothing is removed.
      expect(boshCommands(c).slice(before)).toEqual(['ssh', 'ssh']);
    });

    it('says the cell’s /tmp is the 128 MB bosh-agent makes when a copy fills it, and removes what was copied', async () => {
      const c = cell();
      // Something else holds most of the cell's /tmp: what the double copied there before counts against its room.
      const held = join(c.fake.dir, 'held');
      writeFileSync(held, Buffer.alloc(TMP_FREE - MiB / 2));
      const session = await c.access.open(IP);
      const heldOnCell = `/tmp/dingo-bosh-stage-held-${randomBytes(6).toString('hex')}`;
      try {
        expect(v1Bosh(c, ['scp', INSTANCE, '--upload', held, heldOnCell]).status).toBe(0);
        const err = await refusal(session.run({ argv: ['cat'], stdin: Buffer.alloc(MiB - 1), writes: true }));
        expect(err.message).toMatch(
          /^the cell's \/tmp filled while the command's input \(1024\.0 KiB\) was copied there on cell .*: the cell's \/tmp is 128 MB \(bosh-agent/,
        );
        expect(err.hint).toMatch(/^nothing ran; see what fills \/tmp on the cell/);
        expect(leftInTmp(copiedNames(c))).toEqual([]);
      } finally {
        await session.close();
        await new LocalRunner().run({ argv: ['rm', '-f', heldOnCell], writes: true });
      }
    });
  });

  describe('v1 (Ruby), a session stopped by a signal', () => {
    const cell = cellFor(BOSH_VERSIONS.v1);

    it('removes, as it stops, what was copied of an input so far: the pieces put together and the piece in /tmp', async () => {
      const c = cell();
      const session = await c.access.open(IP);
      // Two and a half pieces come, then the input waits (a tar still reading the archive) until it fails.
      let fail: (err: Error) => void = () => undefined;
      const waiting = new Promise<never>((_, reject) => {
        fail = reject;
      });
      const input = Readable.from(
        (async function* () {
          yield randomBytes(MiB);
          yield randomBytes(MiB);
          yield randomBytes(MiB / 2);
          await waiting;
        })(),
      );
      input.on('error', () => undefined);
      const run = session.run({ argv: ['cat'], stdin: input, writes: false }).catch((e: unknown) => e);
      try {
        await expect.poll(() => readdirSync(c.stage).length, { timeout: 60_000, interval: 200 }).toBe(1);
        const [name] = readdirSync(c.stage) as [string];
        const pending = stopUndos.whatIsPending();
        expect(pending).toEqual([
          `the copy of a command's input in ${c.stage}/${name} and /tmp/${name}.* on cell ${IP} (bosh ssh ${INSTANCE})`,
        ]);
        const said: string[] = [];
        await stopUndos.stop((l) => said.push(l), 60_000);
        expect(said).toEqual([`removing ${pending[0]!}`, `removed ${pending[0]!}`]);
        expect(readdirSync(c.stage)).toEqual([]);
        expect(leftInTmp([name])).toEqual([]);
      } finally {
        fail(new Error('the input failed'));
        await run;
        await session.close();
      }
    });
  });

  describe('the double, v1', () => {
    const cell = cellFor(BOSH_VERSIONS.v1);

    it('refuses a copy past its /tmp as the full disk does, leaving what fit, and never ends a command’s input', async () => {
      const c = cell();
      const session = await c.access.open(IP);
      const onCell = `/tmp/dingo-bosh-stage-big-${randomBytes(6).toString('hex')}`;
      const big = join(c.fake.dir, 'big');
      writeFileSync(big, Buffer.alloc(TMP_FREE + MiB));
      try {
        const copy = v1Bosh(c, ['scp', INSTANCE, '--upload', big, onCell]);
        expect(copy.status).toBe(1);
        // The `scp -t`'s error reply, its first byte (1) and all.
        expect(copy.stderr).toContain(`in \`await_response_state': \u0001scp: ${onCell}: No space left on device (RuntimeError)`);
        expect(copy.stdout).toMatch(/Cleaning up ssh artifacts\n$/);
        expect(readFileSync(onCell).length).toBe(TMP_FREE);
        // Net::SSH's exec! sends the command nothing, not even the end of its input: a `cat` of it waits.
        const ran = v1Bosh(c, ['ssh', INSTANCE, 'timeout 2 cat; echo "cat ended $?"']);
        expect(ran.stdout).toContain('cat ended 124');
      } finally {
        await session.close();
        await new LocalRunner().run({ argv: ['rm', '-f', onCell], writes: true });
      }
    });
  });
});
