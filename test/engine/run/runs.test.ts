import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkStateDir, createRunDir, JOURNAL_FILE, listRunIds, loadRun, unfinishedRuns } from '../../../src/engine/run/index.js';
import { writePlan } from '../../../src/commands/archive/swap-plan-file.js';
import type { SwapPlan } from '../../../src/archive/swap.js';
import { Journal } from '../../../src/engine/journal/index.js';
import { Redactor } from '../../../src/core/redact.js';
import { EXIT, UsageError } from '../../../src/core/errors.js';
import { tempDirs, thrown } from '../../support/temp-dirs.js';
import { processRuntime } from '../../../src/core/runtime.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const tmp = tempDirs('dr-runs-');

/** Every way into a state folder: creating a run, listing, loading, and finding the one to resume. */
const USES: [string, (stateDir: string) => unknown][] = [
  ['createRunDir', (s) => createRunDir(s, '20260101-000000-abcd')],
  ['listRunIds', (s) => listRunIds(s)],
  ['loadRun', (s) => loadRun(s, '20260101-000000-abcd')],
  ['unfinishedRuns', (s) => unfinishedRuns(s)],
];

describe('the state folder', () => {
  it.each(USES)('%s: a --state-dir that is a regular file is a usage error naming it (exit 2)', (_, use) => {
    const state = join(tmp(), 'state');
    writeFileSync(state, 'not a folder');
    const err = thrown(() => use(state));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.exitCode).toBe(EXIT.badInput);
    expect(err.message).toBe(`cannot use the state folder ${state}: it exists and is not a folder`);
    expect(err.hint).toBe(
      `${state} is a file where a folder belongs: give --state-dir a folder (it is created when missing), or move that file away`,
    );
  });

  it.each(USES)('%s: a --state-dir under a regular file (not writable as a folder) is a usage error naming the file', (_, use) => {
    const file = join(tmp(), 'notes.txt');
    writeFileSync(file, 'not a folder');
    const state = join(file, 'state');
    const err = thrown(() => use(state));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toBe(`cannot use the state folder ${state}: a part of the path is a file, not a folder`);
    expect(err.hint).toContain(`${file} is a file where a folder belongs`);
  });

  it.each(USES)('%s: a "runs" entry that is a file is a usage error naming it', (_, use) => {
    const state = tmp();
    writeFileSync(join(state, 'runs'), '');
    const err = thrown(() => use(state));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toBe(`cannot use the state folder ${join(state, 'runs')}: it exists and is not a folder`);
  });

  it('a state folder that does not exist yet holds no runs, and creating a run makes it, private', () => {
    const state = join(tmp(), 'new', 'state');
    expect(listRunIds(state)).toEqual([]);
    expect(unfinishedRuns(state)).toEqual([]);
    const dir = createRunDir(state, '20260101-000000-abcd');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const journal = new Journal(join(dir, JOURNAL_FILE), processRuntime(new Redactor()));
    journal.append({
      type: 'run.created',
      runId: '20260101-000000-abcd',
      runbook: { file: 'f', name: 'n', sha256: 'x' },
      mode: 'rehearsal',
      options: {},
    });
    journal.close();
    expect(listRunIds(state)).toEqual(['20260101-000000-abcd']);
    expect(unfinishedRuns(state).map((r) => r.runId)).toEqual(['20260101-000000-abcd']);
    expect(loadRun(state, '20260101-000000-abcd').status).toBe('in progress');
  });

  it.skipIf(process.getuid?.() !== 0 || !existsSync('/usr/sbin/runuser'))(
    'a state folder the user may not write (mode 0555) is a usage error naming it, not a stack trace',
    () => {
      const dir = tmp();
      chmodSync(dir, 0o755);
      const state = join(dir, 'state');
      mkdirSync(state, { mode: 0o555 });
      chmodSync(state, 0o555);
      const script = join(dir, 'create.ts');
      writeFileSync(
        script,
        `import { createRunDir } from ${JSON.stringify(join(ROOT, 'src/engine/run/runs.ts'))};
try {
  createRunDir(process.argv[2]!, '20260101-000000-abcd');
  console.log(JSON.stringify({ created: true }));
} catch (err) {
  console.log(JSON.stringify({ name: (err as Error).name, message: (err as Error).message, hint: (err as { hint?: string }).hint }));
}
`,
      );
      const child = spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, '--import', 'tsx', script, state], {
        cwd: ROOT,
        encoding: 'utf8',
      });
      expect(child.status, child.stderr.slice(0, 2000)).toBe(0);
      expect(JSON.parse(child.stdout)).toEqual({
        name: 'UsageError',
        message: `cannot create the run folder ${join(state, 'runs', '20260101-000000-abcd')}: permission denied`,
        hint: `user nobody lacks permission on ${state} or its folder: run dingo-recover as the user who owns them (ls -ld ${dir} ${state}), or give another --state-dir`,
      });
    },
  );
});

describe('run ids', () => {
  const NOT_RUN_IDS = ['.', '..', '', '/', '../runs', 'a/b', 'ab\0cd', '-rf', `a${'b'.repeat(200)}`];

  it.each(NOT_RUN_IDS)('%j is refused as a run id (exit 2) before it names a folder, saying what to give', (id) => {
    const state = tmp();
    for (const use of [() => loadRun(state, id), () => createRunDir(state, id)]) {
      const err = thrown(use);
      expect(err).toBeInstanceOf(UsageError);
      expect(err.exitCode).toBe(EXIT.badInput);
      expect(err.message).toBe(`${JSON.stringify(id)} is not a run id: a run id is one name like 20260317-180520-ab12`);
      expect(err.hint).toContain('dingo-recover runs');
    }
    expect(existsSync(join(state, 'runs'))).toBe(false);
  });
});

describe('a state folder others may write', () => {
  it('is refused, naming it and the chmod that fixes it; a private one is not', () => {
    const state = join(tmp(), "ops' state");
    mkdirSync(join(state, 'runs'), { recursive: true });
    chmodSync(state, 0o777);
    const err = thrown(() => {
      checkStateDir(state);
    });
    expect(err.message).toBe(
      `refusing the state folder ${state}: it may be written by its group and other users (mode 0777); another user could have written what it holds`,
    );
    expect(err.hint).toBe(`check what it holds, then take their write access away: chmod go-w '${state.replace("'", "'\\''")}'`);
    expect(err.exitCode).toBe(EXIT.badInput);
    const mine = tmp();
    chmodSync(mine, 0o700);
    expect(() => {
      checkStateDir(mine);
    }).not.toThrow();
  });

  it('a state folder the tool creates (for a run, or a swap plan) is private (0700)', () => {
    const runState = join(tmp(), 'a', 'state');
    createRunDir(runState, '20260101-000000-abcd');
    expect([runState, join(runState, 'runs')].map((d) => statSync(d).mode & 0o777)).toEqual([0o700, 0o700]);
    const swapState = join(tmp(), 'b', 'state');
    writePlan(join(swapState, 'swaps', 'plan.json'), {} as SwapPlan);
    expect([swapState, join(swapState, 'swaps')].map((d) => statSync(d).mode & 0o777)).toEqual([0o700, 0o700]);
  });
});
