/**
 * A run's `bosh ssh` sessions keep their files (v1's manifest, a command's staged input) in a folder of
 * the run: made private here, refused when another account made it (the scratch folder may be
 * /tmp), each session's own folder gone when it closes. Every bosh they run is given a signal, so
 * that one still running when the process exits is stopped gently and has the director remove its
 * temporary user (child-processes.ts).
 */
import { chownSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StepFailed } from '../../../src/core/errors.js';
import { Redactor } from '../../../src/core/redact.js';
import type { CommandResult, CommandRunner, CommandSpec } from '../../../src/core/seams.js';
import { renderJsonUi } from '../../../src/rehearsal/bosh-formats.js';
import { simulateBosh } from '../../../src/rehearsal/bosh-sim.js';
import { createBoshCellAccess } from '../../../src/systems/bosh-ssh/index.js';
import { BOSH_VERSIONS, boshWorld } from '../../support/fake-cli/worlds.js';
import { tempDirForAll } from '../../support/temp-dirs.js';

const CELL_IP = '10.58.111.150';
const root = tempDirForAll('dingo-bosh-files-');
const VERSION = BOSH_VERSIONS.v2;

/** bosh v2 answering each `ssh -c … --results --json` with the command's frame ending 0; every call kept. */
function boshAnswering(calls: CommandSpec[]): CommandRunner {
  const world = boshWorld(VERSION);
  return {
    where: 'local',
    run(spec: CommandSpec): Promise<CommandResult> {
      calls.push(spec);
      if (!spec.argv.includes('ssh')) return Promise.resolve(simulateBosh(world, spec));
      const command = spec.argv[spec.argv.indexOf('-c') + 1]!;
      const m = /dingo-recover-[0-9a-f]{24}/.exec(command)![0];
      const stdout = ['', `${m} out`, Buffer.from('ok\n').toString('base64'), `${m} err`, `${m} exit 0`].join('\r\n');
      const table = {
        content: 'results',
        headers: ['Instance', 'Stdout', 'Stderr', 'Exit Code', 'Error'],
        rows: [[spec.argv[spec.argv.indexOf('ssh') + 1]!, stdout, '', '0', '']],
      };
      return Promise.resolve({ ...renderJsonUi(VERSION, [table], ['Succeeded'], 0), durationMs: 1 });
    },
  };
}

describe("a run's bosh ssh session files", () => {
  it('go in a private folder of the run, the session’s own removed when it closes; every bosh gets a signal to stop it gently', async () => {
    const folder = join(root, 'dingo-bosh-ssh-run-1');
    const calls: CommandSpec[] = [];
    const access = createBoshCellAccess({
      runner: boshAnswering(calls),
      redactor: new Redactor(),
      gateway: {},
      scratch: folder,
      runFolder: true,
      share: false,
    });
    const session = await access.open(CELL_IP);
    expect(lstatSync(folder).mode & 0o777).toBe(0o700);
    expect(readdirSync(folder)).toEqual([expect.stringMatching(/^dingo-bosh-ssh-/)]);
    const r = await session.run({ argv: ['true'], writes: false });
    expect(r.stdout).toBe('ok\n');
    const ssh = calls.filter((c) => c.argv.includes('ssh'));
    expect(ssh.length).toBeGreaterThan(0);
    for (const c of ssh) expect(c.abort).toBeInstanceOf(AbortSignal);
    await session.close();
    expect(readdirSync(folder)).toEqual([]);
  });

  it.runIf(process.getuid?.() === 0)('are never put in a folder of that name another account made', async () => {
    const folder = join(root, 'dingo-bosh-ssh-run-2');
    mkdirSync(folder, { mode: 0o777 });
    chownSync(folder, 65534, 65534);
    const access = createBoshCellAccess({
      runner: boshAnswering([]),
      redactor: new Redactor(),
      gateway: {},
      scratch: folder,
      runFolder: true,
      share: false,
    });
    const err: unknown = await access.open(CELL_IP).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailed);
    expect((err as StepFailed).message).toBe(
      `${folder} is not a folder this account made: the bosh ssh session's files (a manifest, a command's input) do not go there`,
    );
    expect(readdirSync(folder)).toEqual([]);
  });
});
