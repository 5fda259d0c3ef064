/**
 * The cell seam through `bosh ssh`, against the bosh double (test/support/fake-cli) whose ssh and
 * scp run with OpenSSH on a real private sshd standing for the cell: for each CLI era (v2's commands over
 * the one `bosh ssh` whose connection they share, and a session per command as when it cannot be set up), the
 * command's own output, error and exit code come back whole, input and environment reach it
 * without touching a command line, an output read as it comes reaches a slow reader as it comes
 * (v2) or whole (v1), a deadline ends it on the cell, and bosh's refusals are
 * worded for the operator, an agent that does not answer the director in each era among them. The double itself is held to the real CLIs' refusals.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBoshCellAccess } from '../../../src/systems/bosh-ssh/index.js';
import type { BoshSshOptions } from '../../../src/systems/bosh-ssh/bosh-ssh.js';
import { LocalRunner } from '../../../src/systems/local-runner.js';
import { StepFailed } from '../../../src/core/errors.js';
import type { CellAccess, CellSession, CommandResult, CommandRunner } from '../../../src/core/seams.js';
import { setUpFakeClis, type FakeClis } from '../../support/fake-cli/install.js';
import { BOSH_VERSIONS, boshWorld } from '../../support/fake-cli/worlds.js';
import type { BoshSshWorld } from '../../support/fake-cli/bosh-session.js';
import { sshdAvailable, startSshd, type Sshd } from '../../support/sshd.js';
import { ifStarted } from '../../support/started.js';
import { expectSeqStreamed } from '../../support/slow-reader.js';
import { Redactor } from '../../../src/core/redact.js';
import { ROOT } from '../../support/cli.js';
import { COMMAND_CLIENT } from '../../support/client-setup.js';

/** The bosh double run as the operator would, with `env` over this process's. */
function boshRun(bosh: string, args: string[], env: Record<string, string>): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(bosh, args, { env: { ...process.env, ...env }, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const CELL_IP = '10.58.111.150';

/** The temporary users the double's director made and removed, in order. */
const sessionsOf = (fake: FakeClis): { event: string; user: string }[] =>
  readFileSync(join(fake.dir, 'sessions.ndjson'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { event: string; user: string });

/** What the double's director did with temporary users since `made` of them were logged. */
const eventsSince = (fake: FakeClis, made: number): string[] =>
  sessionsOf(fake)
    .slice(made)
    .map((e) => e.event);

/** Two commands (`echo one`, `echo two`) in a session of `access`, each answered; what the double's director did with temporary users meanwhile. */
async function twoCommands(fake: FakeClis, access: CellAccess): Promise<string[]> {
  const session = await access.open(CELL_IP);
  const made = sessionsOf(fake).length;
  try {
    for (const word of ['one', 'two']) expect((await session.run({ argv: ['echo', word], writes: false })).stdout).toBe(`${word}\n`);
  } finally {
    await session.close();
  }
  return eventsSince(fake, made);
}

/**
 * The cell access over the bosh double `fake`, as a run builds it: bosh run with `env` over this process's
 * (and `runnerEnv` over that), no gateway, the double's scratch folder; `o` gives the rest.
 */
function accessOver(
  fake: FakeClis,
  env: Record<string, string>,
  o: Partial<Omit<BoshSshOptions, 'runner'>> & {
    runnerEnv?: Record<string, string>;
    /** The runner as the session sees it, around the one that runs the programs. */
    over?: (runner: CommandRunner) => CommandRunner;
  } = {},
): CellAccess {
  const { runnerEnv, over = (r) => r, ...rest } = o;
  return createBoshCellAccess({
    redactor: new Redactor(),
    runner: over(new LocalRunner({ env: { ...process.env, ...env, ...runnerEnv } })),
    binary: join(fake.binDir, 'bosh'),
    gateway: { disable: true },
    scratch: join(fake.dir, 'scratch'),
    ...rest,
  });
}

/** The bosh double of an era whose one cell is `cell`, reached without a gateway, and the cell access over it. */
async function boshCell(
  version: string,
  cell: Sshd,
  share?: boolean,
): Promise<{ fake: FakeClis; env: Record<string, string>; access: CellAccess }> {
  const fake = await setUpFakeClis({ bosh: boshWorld(version) });
  const world: BoshSshWorld = {
    cells: { [CELL_IP]: { port: cell.port, user: cell.user, identityFile: cell.clientKeyFile, hostPublicKey: cell.hostPublicKey } },
    gateways: {},
    sessionsLog: join(fake.dir, 'sessions.ndjson'),
  };
  writeFileSync(join(fake.dir, 'bosh-ssh.json'), JSON.stringify(world));
  writeFileSync(world.sessionsLog, '');
  mkdirSync(join(fake.dir, 'scratch'));
  const env = { ...fake.env, FAKE_BOSH_SSH: join(fake.dir, 'bosh-ssh.json'), FAKE_CLI_LOG: join(fake.dir, 'cli.ndjson') };
  return { fake, env, access: accessOver(fake, env, share === undefined ? {} : { share }) };
}

interface Era {
  name: string;
  version: string;
  /** v2: false runs each command in a `bosh ssh` of its own (the results table, the terminal), as when a shared one cannot be set up. */
  share?: boolean;
}

const ERAS: Era[] = [
  { name: 'v1 (Ruby)', version: BOSH_VERSIONS.v1 },
  { name: 'v2 (Go)', version: BOSH_VERSIONS.v2 },
  // Its array rows are those of the results table, which only a session per command reads.
  { name: 'v2 before 2.0.13 (array rows), a session per command', version: BOSH_VERSIONS.v2old, share: false },
];
/** The era's commands share one `bosh ssh` (v2's default). */
const shares = (era: Era): boolean => !era.version.startsWith('1.') && era.share !== false;

describe.skipIf(!sshdAvailable)('cell access through bosh ssh (bosh double, real sshd)', () => {
  let cell: Sshd;
  beforeAll(async () => {
    cell = await startSshd({ user: 'dingoboshcell', sudo: 'nopasswd' });
  });
  afterAll(async () => {
    await ifStarted(cell)?.stop();
  });

  for (const era of ERAS) {
    describe(era.name, () => {
      let fake: FakeClis;
      let env: Record<string, string>;
      let session: CellSession;
      let access: CellAccess;
      beforeAll(async () => {
        ({ fake, env, access } = await boshCell(era.version, cell, era.share));
        session = await access.open(CELL_IP);
      });
      afterAll(async () => {
        await ifStarted(session)?.close();
        await ifStarted(fake)?.cleanup();
      });

      it('carries the command’s stdout, stderr and exit code, each apart', async () => {
        const r = await session.run({ argv: ['sh', '-c', 'printf "a b\\nc"; echo "it failed" >&2; exit 3'], writes: false });
        expect(r).toMatchObject({ exitCode: 3, stdout: 'a b\nc', stderr: 'it failed\n' });
        expect(session.where).toMatch(/^cell 10\.58\.111\.150 \(bosh ssh cell_z1-partition-cac94a070a81fd8f3931\/\S+\)$/);
      });

      it("takes the director's time: a task to make the session's user, waited a poll at the least, and (v1) one to remove it", async () => {
        // bosh-cli polls a task every 500 ms and leaves the removal unwaited, the Ruby CLI every second (test/support/fake-cli/bosh-session.ts).
        const floor = era.version.startsWith('1.') ? 2 * 1000 : 500;
        const fresh = await access.open(CELL_IP);
        const made = sessionsOf(fake).length;
        try {
          const started = performance.now();
          expect((await fresh.run({ argv: ['true'], writes: false })).exitCode).toBe(0);
          expect(performance.now() - started).toBeGreaterThanOrEqual(floor);
          expect((await fresh.run({ argv: ['true'], writes: false })).exitCode).toBe(0);
        } finally {
          await fresh.close();
        }
        // Shared, the session's commands made one user, removed when it closed; else a user each.
        const events = sessionsOf(fake).slice(made);
        expect(events.map((e) => e.event)).toEqual(shares(era) ? ['setup', 'cleanup'] : ['setup', 'cleanup', 'setup', 'cleanup']);
      });

      it('keeps its private folder in the run’s scratch folder, and removes it when the session closes', async () => {
        const scratch = join(fake.dir, 'scratch');
        const folders = readdirSync(scratch).filter((f) => f.startsWith('dingo-bosh-ssh-'));
        expect(folders).toHaveLength(1);
        if (era.version.startsWith('1.')) expect(readdirSync(join(scratch, folders[0]!))).toContain('manifest.yml');
        const other = await access.open(CELL_IP);
        expect(readdirSync(scratch).filter((f) => f.startsWith('dingo-bosh-ssh-'))).toHaveLength(2);
        await other.close();
        expect(readdirSync(scratch).filter((f) => f.startsWith('dingo-bosh-ssh-'))).toEqual(folders);
      });

      it('runs as the cell user, through sudo when asked', async () => {
        expect((await session.run({ argv: ['id', '-un'], writes: false })).stdout.trim()).toBe(cell.user);
        expect((await session.run({ argv: ['id', '-un'], writes: false, sudo: true })).stdout.trim()).toBe('root');
      });

      it('feeds input and environment never on a command line: on standard input (shared) or through a copied file, removed', async () => {
        const secret = `pw-${Math.random().toString(36).slice(2)}`;
        const r = await session.run({
          argv: ['sh', '-c', 'cat; printf "%s\\n" "$SECRET_X"'],
          env: { SECRET_X: secret },
          stdin: `${secret}-on-stdin\n`,
          writes: false,
        });
        expect(r).toMatchObject({ exitCode: 0, stdout: `${secret}-on-stdin\n${secret}\n` });
        const calls = readFileSync(env.FAKE_CLI_LOG!, 'utf8');
        expect(calls).not.toContain(secret);
        // Shared, the input goes on ssh's standard input, which no terminal holds.
        if (shares(era)) {
          expect(calls).not.toContain('"scp"');
          return;
        }
        expect(calls).toContain('"scp"');
        // The file bosh copied to the cell (this machine's /tmp, where other tests copy theirs) is gone.
        const copied = [...new Set(calls.match(/\/tmp\/dingo-recover-input-[0-9a-f]{24}/g) ?? [])];
        expect(copied.length).toBeGreaterThan(0);
        expect(copied.filter((f) => existsSync(f))).toEqual([]);
      });

      it('ends a command past its deadline on the cell (exit 124, timed out), and bosh still cleans up', async () => {
        const fresh = await access.open(CELL_IP);
        const made = sessionsOf(fake).length;
        try {
          const r = await fresh.run({ argv: ['sleep', '30'], writes: false, timeoutMs: 1000 });
          expect(r).toMatchObject({ exitCode: 124, timedOut: true });
          expect((await fresh.run({ argv: ['true'], writes: false })).exitCode).toBe(0);
        } finally {
          await fresh.close();
        }
        const events = sessionsOf(fake).slice(made);
        const setups = events.filter((e) => e.event === 'setup').length;
        expect(setups).toBeGreaterThan(0);
        expect(events.filter((e) => e.event === 'cleanup')).toHaveLength(setups);
      });

      it('gives a command’s own exit 255 as its exit code, not as a lost session', async () => {
        expect(await session.run({ argv: ['sh', '-c', 'echo out; echo err >&2; exit 255'], writes: true })).toMatchObject({
          exitCode: 255,
          stdout: 'out\n',
          stderr: 'err\n',
        });
      });

      it.runIf(shares(era))('runs commands at once over the one session, and sets it up again once it ended', async () => {
        const fresh = await access.open(CELL_IP);
        const made = sessionsOf(fake).length;
        // The session's socket is made in the temporary folder: this test's own, to find it there.
        const own = mkdtempSync(join(fake.dir, 't'));
        const tmp = process.env.TMPDIR;
        process.env.TMPDIR = own;
        try {
          const at = await Promise.all(
            [1, 2, 3].map((n) => fresh.run({ argv: ['sh', '-c', `sleep 0.3; echo ${String(n)}`], writes: false })),
          );
          expect(at.map((r) => r.stdout)).toEqual(['1\n', '2\n', '3\n']);
          expect(eventsSince(fake, made)).toEqual(['setup']);
          // The session ends (its master told to exit, as a lost connection ends it): the next command sets one up again.
          const [folder] = readdirSync(own);
          expect(spawnSync('ssh', ['-S', join(own, folder!, 'm'), '-O', 'exit', 'x'], { encoding: 'utf8' }).status).toBe(0);
          // At once, while bosh may still be removing the user: the socket takes no session, and the command is sent on a new one.
          expect((await fresh.run({ argv: ['echo', 'again'], writes: true })).stdout).toBe('again\n');
        } finally {
          process.env.TMPDIR = tmp;
          await fresh.close();
        }
        expect(eventsSince(fake, made)).toEqual(['setup', 'cleanup', 'setup', 'cleanup']);
        // Each session's folder went with it.
        expect(readdirSync(own)).toEqual([]);
      });

      it.runIf(shares(era))(
        'shares its session whatever BOSH_NON_INTERACTIVE the operator set, which bosh-cli refuses an ssh without a command under',
        async () => {
          const bosh = join(fake.binDir, 'bosh');
          const refused = boshRun(
            bosh,
            ['-d', 'dingo-postgresql-98b09c4b36af74181ee1', 'ssh', 'cell_z1-partition-cac94a070a81fd8f3931/0', '--opts=-N'],
            {
              ...env,
              BOSH_NON_INTERACTIVE: 'true',
            },
          );
          expect(refused).toMatchObject({ code: 1, stdout: expect.stringContaining('Non-interactive SSH requires non-empty command') });
          const theirs = accessOver(fake, env, { runnerEnv: { BOSH_NON_INTERACTIVE: 'true' } });
          expect(await twoCommands(fake, theirs)).toEqual(['setup', 'cleanup']);
        },
      );

      it.runIf(shares(era))(
        'runs each command in a bosh ssh of its own where no socket can be made, and tells the operator once why',
        async () => {
          const warnings: string[] = [];
          const theirs = accessOver(fake, env, { warn: (text) => warnings.push(text) });
          // A socket's path in it would be longer than a Unix socket takes.
          const long = join(fake.dir, 'a-temporary-folder-whose-path-is-longer-than-any-unix-socket-path-may-be-and-then-some');
          mkdirSync(long);
          const tmp = process.env.TMPDIR;
          process.env.TMPDIR = long;
          try {
            expect(await twoCommands(fake, theirs)).toEqual(['setup', 'cleanup', 'setup', 'cleanup']);
          } finally {
            process.env.TMPDIR = tmp;
          }
          expect(warnings).toEqual([
            expect.stringMatching(
              /^cell 10\.58\.111\.150 \(bosh ssh .*\): each command runs in a `bosh ssh` of its own .*: the one shared session could not be set up, as its socket's path in the temporary folder \(.*then-some\) would be longer than the 90 characters a Unix socket takes; a shorter TMPDIR lets it$/,
            ),
          ]);
          expect(readdirSync(long)).toEqual([]);
        },
      );

      it.runIf(shares(era))(
        'stops a shared bosh ssh that has shared no connection when its setup time is up, says so, and runs each command in a bosh ssh of its own',
        async () => {
          const warnings: string[] = [];
          let master: Promise<CommandResult> | undefined;
          // bosh's place in the master's lifeline held by a program that only waits: its ssh never shares a connection.
          const theirs = accessOver(fake, env, {
            warn: (text) => warnings.push(text),
            shareSetupMs: 1500,
            over: (runner) => ({
              where: runner.where,
              run: (spec) => {
                if (!spec.argv.includes('--opts=-oControlMaster=yes')) return runner.run(spec);
                master = runner.run({ ...spec, argv: [...spec.argv.slice(0, 4), 'sleep', '600'] });
                return master;
              },
            }),
          });
          expect(await twoCommands(fake, theirs)).toEqual(['setup', 'cleanup', 'setup', 'cleanup']);
          // Stopped at the end of its setup time: the program in bosh's place is gone (it held the master's output open).
          expect(master).toBeDefined();
          expect((await master!).durationMs).toBeLessThan(60_000);
          expect(warnings).toEqual([
            expect.stringMatching(
              /^cell 10\.58\.111\.150 \(bosh ssh .*\): each command runs in a `bosh ssh` of its own .*: the one shared session could not be set up, as its ssh had shared no connection 2 s after bosh started \(bosh was stopped, which has the director remove its user\)$/,
            ),
          ]);
        },
      );

      it.runIf(shares(era))('ends its shared bosh ssh when the tool is killed outright (SIGKILL), which no exit handler sees', async () => {
        const own = mkdtempSync(join(fake.dir, 'k'));
        const script = join(fake.dir, 'killed-tool.mjs');
        const dist = (rel: string): string => JSON.stringify(join(ROOT, 'dist/src', rel));
        writeFileSync(
          script,
          `import { createBoshCellAccess } from ${dist('systems/bosh-ssh/index.js')};
import { LocalRunner } from ${dist('systems/local-runner.js')};
import { Redactor } from ${dist('core/redact.js')};
const access = createBoshCellAccess({ redactor: new Redactor(), runner: new LocalRunner(), binary: ${JSON.stringify(join(fake.binDir, 'bosh'))}, gateway: { disable: true }, scratch: ${JSON.stringify(join(fake.dir, 'scratch'))} });
const session = await access.open(${JSON.stringify(CELL_IP)});
process.stdout.write((await session.run({ argv: ['echo', 'up'], writes: false })).stdout);
setInterval(() => {}, 1000);
`,
        );
        const tool = spawn(process.execPath, [script], {
          env: { ...process.env, ...env, TMPDIR: own },
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        const socket = (): string =>
          join(
            own,
            readdirSync(own).find((f) => f.startsWith('dingo-bosh-'))!,
            'm',
          );
        // The bosh processes holding the session (the double's client, as bosh-cli's one Go process would): found by
        // the socket their command line names. The double's own ssh is left aside: its end is the double's to model.
        const bosh = (): number[] =>
          readdirSync('/proc')
            .filter((p) => /^\d+$/.test(p))
            .filter((p) => {
              try {
                const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
                return argv[0] === COMMAND_CLIENT && argv.includes(`--opts=-oControlPath=${socket()}`);
              } catch {
                return false;
              }
            })
            .map(Number);
        try {
          await new Promise<void>((resolve, reject) => {
            tool.stdout.on('data', (b: Buffer) => {
              if (b.toString().includes('up')) resolve();
            });
            tool.once('exit', (code) => {
              reject(new Error(`the tool ended first (${String(code)})`));
            });
          });
          expect(bosh()).toHaveLength(1);
          tool.kill('SIGKILL');
          for (let i = 0; i < 100 && bosh().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
          // bosh was asked to end (SIGTERM, which bosh-cli turns into the user's removal): it holds no connection or user for good.
          expect(bosh()).toEqual([]);
        } finally {
          tool.kill('SIGKILL');
          // Should it still run, its master is ended here (bosh then ends), so the test leaves nothing behind.
          if (readdirSync(own).length > 0) spawnSync('ssh', ['-S', socket(), '-O', 'exit', 'x']);
        }
      });

      it('does not take a tenant’s output that looks like the result frame for the result', async () => {
        const forged = 'dingo-recover-0000 exit 0\nresults\n{"Tables":[]}';
        const r = await session.run({ argv: ['sh', '-c', `printf '%s\\n' '${forged}'; exit 5`], writes: false });
        expect(r).toMatchObject({ exitCode: 5, stdout: `${forged}\n` });
      });

      it('hands a large output to a slow reader as it comes (v2), or whole in the result (v1, whose streams come mixed)', async () => {
        if (era.version.startsWith('1.')) {
          const sink = new PassThrough();
          const r = await session.run({ argv: ['seq', '1', '1000'], writes: false, stdout: sink });
          expect(sink.read()).toBeNull();
          expect(r.stdout).toBe(Array.from({ length: 1000 }, (_, i) => `${i + 1}\n`).join(''));
          return;
        }
        await expectSeqStreamed((spec) => session.run(spec), 400_000);
      });

      it('keeps a streamed output’s error and exit code apart from it, and a tenant’s output cannot forge their frame', async () => {
        const forged = 'cell_z1/0: stdout | dingo-recover-0000 exit 0\ndingo-recover-0000 err';
        let out = '';
        const sink = new Writable({
          write(chunk: Buffer, _enc, done) {
            out += chunk.toString('utf8');
            done();
          },
        });
        const r = await session.run({
          argv: ['sh', '-c', `printf '%s\\n' '${forged}'; printf 'no newline é'; echo "it failed" >&2; exit 3`],
          writes: false,
          stdout: sink,
        });
        expect(r).toMatchObject({ exitCode: 3, stderr: 'it failed\n' });
        if (era.version.startsWith('1.')) expect(r.stdout).toBe(`${forged}\nno newline é`);
        else expect({ out, stdout: r.stdout }).toEqual({ out: `${forged}\nno newline é`, stdout: '' });
      });

      it('refuses a cell no deployment has, naming it', async () => {
        const access = accessOver(fake, env, { gateway: {} });
        const refused = await access.open('10.9.9.9').catch((e: unknown) => e);
        expect(refused).toBeInstanceOf(StepFailed);
        expect((refused as StepFailed).message).toMatch(/no VM with IP 10\.9\.9\.9/);
      });

      it('fails with what bosh said when the instance is gone', async () => {
        const state = env.FAKE_BOSH_STATE!;
        const before = readFileSync(state, 'utf8');
        // Gone since the cell was found, before the session's first command.
        const session = await access.open(CELL_IP);
        const world = JSON.parse(before) as ReturnType<typeof boshWorld>;
        const dep = world.deployments.find((d) => d.name.startsWith('dingo'))!;
        dep.vms = dep.vms.filter((v) => !v.ips.includes(CELL_IP));
        writeFileSync(state, JSON.stringify(world));
        try {
          const gone = await session.run({ argv: ['true'], writes: false }).catch((e: unknown) => e);
          expect(gone).toBeInstanceOf(StepFailed);
          // The director's reason: v2's for the instance group, v1's InstanceNotFound from its setup task.
          expect((gone as StepFailed).message).toMatch(
            era.name.startsWith('v1')
              ? /`bosh ssh` on cell 10\.58\.111\.150 .* failed: Failed to set up SSH: see task \d+ log for details\nError 70001: No instances matched \{:deployment_id=>\d+, :index=>\[0\], :job=>"cell_z1-partition-\w+"\}$/
              : /`bosh ssh` on cell 10\.58\.111\.150 .* failed: [\s\S]*Instance group 'cell_z1-partition-\w+\/[\w-]+' doesn't exist or has no instances/,
          );
          expect((gone as StepFailed).hint).toBe('the cell may have been recreated: check `bosh vms` for its IP and resume');
          // An output read as it comes fails the same way, with what bosh said and none of its lines that tell nothing.
          const streamed = session.run({ argv: ['true'], writes: false, stdout: new PassThrough() });
          await expect(streamed).rejects.toThrow(
            /`bosh ssh` on cell 10\.58\.111\.150 .* failed: [\s\S]*(doesn't exist|Failed to set up SSH)/,
          );
          await expect(streamed).rejects.not.toThrow(/Using environment/);
        } finally {
          writeFileSync(state, before);
          await session.close();
        }
      });

      it('the double refuses an unknown flag, as the real CLI does', () => {
        const bosh = join(fake.binDir, 'bosh');
        const r = boshRun(bosh, ['-d', 'x', 'ssh', 'a/0', '--bogus', '-c', 'true'], env);
        expect(r).toMatchObject({ code: 1 });
        expect(`${r.stdout}${r.stderr}`).toMatch(/unknown flag `bogus'|invalid option: --bogus/);
      });

      it.runIf(era.name.startsWith('v1'))(
        'the double refuses a job its manifest file lacks before asking the director, as ssh.rb does',
        () => {
          const bosh = join(fake.binDir, 'bosh');
          const manifest = join(fake.dir, 'one-job-manifest.yml');
          writeFileSync(manifest, '---\nname: dingo-postgresql-98b09c4b36af74181ee1\njobs:\n- name: router_z1\n  instances: 1\n');
          const r = boshRun(bosh, ['-n', '-d', manifest, 'ssh', 'cell_z1-partition-cac94a070a81fd8f3931/0', 'true'], env);
          expect(r).toMatchObject({ code: 1, stderr: "Job `cell_z1-partition-cac94a070a81fd8f3931' doesn't exist" });
          expect(r.stdout).not.toMatch(/Director task/);
        },
      );
    });
  }

  // The director waits 45 s for the agent in each era: the eras wait at once.
  describe.concurrent("a cell whose BOSH agent does not answer the director's setup task", () => {
    // v1's task tracker; v2's --json (the results table, the shared session), and v2's own text (an output read as it comes).
    const v2Text =
      /failed: [\s\S]*Task \d+ \| \d\d:\d\d:\d\d \| Error: Timed out sending 'ssh' to instance: [\s\S]*Setting up SSH in deployment/;
    const v2Json =
      /^`bosh ssh` on cell 10\.58\.111\.150 .* failed: Setting up SSH in deployment 'dingo-[^']+':\n {2}Expected task '\d+' to succeed but state is 'error'\nError: Timed out sending 'ssh' to instance: 'cell_z1-[^/]+\/[^']+', agent-id: '[0-9a-f-]{36}' after 45 seconds$/;
    const timedOut: Record<string, { refused: RegExp; streamed: RegExp }> = {
      [ERAS[0]!.name]: {
        refused:
          /^`bosh ssh` on cell 10\.58\.111\.150 .* failed: Failed to set up SSH: see task \d+ log for details\nError 450002: Timed out sending `ssh' to [0-9a-f-]{36} after 45 seconds$/,
        streamed:
          /^`bosh ssh` on cell 10\.58\.111\.150 .* failed: Failed to set up SSH: see task \d+ log for details\nError 450002: Timed out sending `ssh' to [0-9a-f-]{36} after 45 seconds$/,
      },
      [ERAS[1]!.name]: { refused: v2Json, streamed: v2Json },
      [ERAS[2]!.name]: { refused: v2Json, streamed: v2Text },
    };
    for (const era of ERAS) {
      it(`${era.name}: says the agent did not answer, and that nothing ran, after the director's wait`, async ({ expect }) => {
        const { fake, access } = await boshCell(era.version, cell, era.share);
        let session: CellSession | undefined;
        try {
          session = await access.open(CELL_IP);
          const file = join(fake.dir, 'bosh-ssh.json');
          writeFileSync(
            file,
            JSON.stringify({ ...(JSON.parse(readFileSync(file, 'utf8')) as BoshSshWorld), unresponsiveAgents: [CELL_IP] }),
          );
          const sessions = readFileSync(join(fake.dir, 'sessions.ndjson'), 'utf8');
          const started = performance.now();
          // Its results table (v2's --json), and an output read as it comes (v2's own text), at once.
          const [refused, streamed] = await Promise.all([
            session.run({ argv: ['true'], writes: true }).catch((err: unknown) => err),
            session.run({ argv: ['true'], writes: false, stdout: new PassThrough() }).catch((err: unknown) => err),
          ]);
          expect(refused).toBeInstanceOf(StepFailed);
          expect((refused as StepFailed).message).toMatch(timedOut[era.name]!.refused);
          expect(streamed).toBeInstanceOf(StepFailed);
          expect((streamed as StepFailed).message).toMatch(timedOut[era.name]!.streamed);
          for (const err of [refused, streamed])
            expect((err as StepFailed).hint).toMatch(/BOSH agent did not answer the director, so nothing ran on the cell: `bosh vms`/);
          // The director waited for the agent as long as it does; no user was made on the cell.
          expect(performance.now() - started).toBeGreaterThanOrEqual(45_000);
          expect(readFileSync(join(fake.dir, 'sessions.ndjson'), 'utf8')).toBe(sessions);
        } finally {
          await session?.close();
          await fake.cleanup();
        }
      }, 90_000);
    }
  });

  describe('through a gateway (v2)', () => {
    let gateway: Sshd;
    let fake: FakeClis;
    let env: Record<string, string>;
    beforeAll(async () => {
      gateway = await startSshd({ user: 'dingoboshgw', config: ['LogLevel VERBOSE'] });
      fake = await setUpFakeClis({ bosh: boshWorld(BOSH_VERSIONS.v2) });
      const world: BoshSshWorld = {
        cells: { [CELL_IP]: { port: cell.port, user: cell.user, identityFile: cell.clientKeyFile, hostPublicKey: cell.hostPublicKey } },
        gateways: { 'dingo-gw': { port: gateway.port } },
        directorGateway: { host: 'dingo-gw', user: gateway.user },
        sessionsLog: join(fake.dir, 'sessions.ndjson'),
      };
      writeFileSync(join(fake.dir, 'bosh-ssh.json'), JSON.stringify(world));
      writeFileSync(world.sessionsLog, '');
      env = { ...fake.env, FAKE_BOSH_SSH: join(fake.dir, 'bosh-ssh.json') };
    });
    afterAll(async () => {
      await Promise.all([ifStarted(gateway)?.stop(), ifStarted(fake)?.cleanup()]);
    });
    const open = (privateKey: string): Promise<CellSession> =>
      accessOver(fake, env, { gateway: { privateKey }, scratch: fake.dir }).open(CELL_IP);

    it('goes through the gateway the director names, with the key given for it', async () => {
      const session = await open(gateway.clientKeyFile);
      try {
        expect(await session.run({ argv: ['id', '-un'], writes: false })).toMatchObject({ exitCode: 0, stdout: `${cell.user}\n` });
      } finally {
        await session.close();
      }
      expect(readFileSync(join(gateway.dir, 'sshd.log'), 'utf8')).toMatch(new RegExp(`Accepted publickey for ${gateway.user}`));
    });

    it('says the cell could not be reached, and that a write’s outcome is unknown, when the gateway refuses the key', async () => {
      const session = await open(cell.clientKeyFile);
      try {
        const refused = await session.run({ argv: ['touch', '/tmp/never'], writes: true }).catch((e: unknown) => e);
        expect(refused).toBeInstanceOf(StepFailed);
        // The shared session's ssh never got in: no command ran, so no outcome is in doubt.
        expect((refused as StepFailed).message).toMatch(/^`bosh ssh` could not reach cell 10\.58\.111\.150 \([^;]*\): /);
        expect((refused as StepFailed).hint).toMatch(/^check the gateway/);
        // An output read as it comes, whose frame never came, says the same of the ssh client's error.
        const unread = await session.run({ argv: ['seq', '1', '10'], writes: false, stdout: new PassThrough() }).catch((e: unknown) => e);
        expect(unread).toBeInstanceOf(StepFailed);
        expect((unread as StepFailed).message).toMatch(/^`bosh ssh` could not reach cell 10\.58\.111\.150 \([^;]*\): Connection closed/);
      } finally {
        await session.close();
      }
    });
  });

  it('the double answers an unknown deployment with each era’s error', async () => {
    for (const version of [BOSH_VERSIONS.v1, BOSH_VERSIONS.v2]) {
      const fake = await setUpFakeClis({ bosh: boshWorld(version) });
      try {
        const ssh = join(fake.dir, 'bosh-ssh.json');
        writeFileSync(ssh, JSON.stringify({ cells: {}, gateways: {}, sessionsLog: join(fake.dir, 's') }));
        const args = version.startsWith('1.')
          ? ['-n', 'download', 'manifest', 'nope', join(fake.dir, 'm.yml')]
          : ['-d', 'nope', 'ssh', 'a/0', '-c', 'true', '--json'];
        const r = boshRun(join(fake.binDir, 'bosh'), args, { ...fake.env, FAKE_BOSH_SSH: ssh });
        expect(r).toMatchObject({ code: 1, stdout: expect.stringContaining("Deployment 'nope' doesn't exist") });
      } finally {
        await fake.cleanup();
        rmSync(join(fake.dir), { recursive: true, force: true });
      }
    }
  });
});
