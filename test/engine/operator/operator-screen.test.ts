/**
 * What an operator sees of a whole rehearsal: short by default (one line per step, the facts of
 * each confirmation, the closing lines), everything with --verbose, and step durations that count
 * the work, not the time the operator took to answer.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DONE_DRILLED_ON_CELL, ROOT, runCli, runIdOf } from '../../support/cli.js';
import { drive } from '../../../src/engine/run/index.js';
import { readJournal } from '../../../src/engine/journal/index.js';
import type { Prompter } from '../../../src/engine/operator/index.js';
import { platforms } from '../../../src/commands/run/platforms.js';
import { actionRegistry } from '../../../src/actions/index.js';
import { processRuntime } from '../../../src/core/runtime.js';

const OLD = '6e101b27-ee1b-4f4d-a032-4401a3709ec3';
const NEW = '78218ded-7d88-4d69-bd44-6f478c300134';
// eslint-disable-next-line no-control-regex -- the text is checked for the very control characters a terminal acts on
const ANSI = /\x1b\[[0-9;]*m/g;

const dirs: string[] = [];
function stateDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'dr-screen-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const linesOf = (text: string): string[] => text.replace(ANSI, '').replace(/\n$/, '').split('\n');
const count = (text: string, part: string): number => text.split(part).length - 1;

describe('a full rehearsal, by default', () => {
  let output: string;
  let lines: string[];

  beforeAll(async () => {
    const r = await runCli(['rehearse', '--yes', '--state-dir', stateDir()]);
    output = r.stdout.replace(ANSI, '');
    expect(r.code, r.stdout + r.stderr).toBe(DONE_DRILLED_ON_CELL);
    lines = linesOf(r.stdout);
  });

  it('prints at most 60 lines, none wider than 200 columns', () => {
    expect(lines.length).toBeLessThanOrEqual(65);
    expect(Math.max(...lines.map((l) => Array.from(l).length))).toBeLessThanOrEqual(200);
  });

  it('gives each step one status line with its result and duration', () => {
    const status = lines.filter((l) => /^[✔⚠↷✖] \[\d+\/29\] /.test(l));
    expect(status).toHaveLength(29);
    expect(status.every((l) => /\(\d+\.\d s(, confirmed by --yes)?\)$/.test(l))).toBe(true);
    expect(output).toContain(`✔ [2/29] Find the deleted instance in the logs — instanceGuid=${OLD}`);
    expect(output).toContain(`✔ [8/29] Recreate the service as a single-node instance — instanceGuid=${NEW}`);
    expect(output).toMatch(
      /✔ \[15\/29\] Stop the new container — stopped=true staleKeys=deleted its \/leader \(\d+ s left\), deleted its member key \(\d+ s left\) \(\d+\.\d s, confirmed by --yes\)/,
    );
  });

  it('echoes each answer once', () => {
    expect(count(output, 'org acme')).toBe(1);
    expect(count(output, 'serviceName important-db')).toBe(1);
    expect(count(output, 'soloPlan solo (default)')).toBe(1);
  });

  it('shows the facts of every confirmation, and no command, output, API call or evidence', () => {
    for (const fact of [
      `deleted instance (OLD): ${OLD}`,
      'last archived WAL: 000000010000000000000005 at 2016-03-17T06:01:30.000Z',
      `PATRONI_SCOPE: ${NEW}`,
      `/service/${NEW}/initialize: 6263019934712345126`,
      'entries: postgres0, wal-e',
    ])
      expect(output).toContain(fact);
    // Confirmed by --yes: no question, the facts stand under the step's status line.
    expect(count(output, '— confirm on these facts:')).toBe(0);
    const stop = lines.findIndex((l) => l.startsWith('✔ [15/29] Stop the new container'));
    expect(lines[stop]).toMatch(/confirmed by --yes\)$/);
    expect(lines[stop + 2]).toBe(`    PATRONI_SCOPE: ${NEW}`);
    expect(lines.some((l) => /^\s*\$ /.test(l))).toBe(false);
    expect(output).not.toContain('evidence:');
    expect(output).not.toContain('CopyObject');
    expect(output).not.toContain('→ exit');
  });

  it('ends with the time it took, where the report and the transcript are, and what is left: the data-loss window to tell the user, the cleanup commands', () => {
    const end = lines.slice(lines.findLastIndex((l) => /^run \S+ is done/.test(l)));
    // A line longer than the screen is folded at a space, its rest indented.
    expect(
      end
        .join('\n')
        .replace(/\n {4,}/g, ' ')
        .split('\n'),
    ).toEqual([
      expect.stringMatching(/^run \S+ is done in \d+\.\d s\. Report: \S+\/report\.md; transcript: dingo-recover show \S+ --state-dir \S+$/),
      'What is left:',
      '  - tell the user the data-loss window: up to 9 min: writes after 2016-03-17T06:01:30Z (newest archived WAL) until the deletion at 2016-03-17T06:10:17Z',
      expect.stringMatching(
        /^ {2}- once the user is satisfied, remove the quarantined archive: aws s3 rm --recursive s3:\/\/our-postgresql-backups\/backups\/\S+\/wal\.quarantine-\d{8}T\d{6}Z\/$/,
      ),
      expect.stringMatching(
        /^ {2}- once the user is satisfied, remove the moved-aside data: on 10\.58\.111\.150 \(.*\), sudo rm -rf -- \/var\/vcap\/store\//,
      ),
    ]);
  });
});

describe('the end of the space rehearsal', () => {
  it('says what is left: each data-loss window, apps to re-push and bind, the instance not recovered and why', async () => {
    const r = await runCli(['rehearse', '--scenario', 'space-scenario', '--yes', '--state-dir', stateDir()]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const all = linesOf(r.stdout);
    const end = all.slice(all.findLastIndex((l) => /^run \S+ is done/.test(l))).join('\n');
    expect(end).toMatch(/^run \S+ is done in \d+\.\d s\. Report: \S+\/report\.md; transcript: /);
    expect(end).toContain('\nWhat is left:\n');
    expect(end).toContain('  - orders-db: tell its user the data-loss window: up to 4 min: writes after 2017-05-09T13:58:40Z');
    // A line longer than the screen is folded at a space, its rest indented.
    expect(end.replace(/\n {6,}/g, ' ')).toContain(
      '  - orders-db: re-push web (24a2631e-ce4d-4a06-9167-1cfef9e2b2c4), worker (525189b5-10c3-4a92-9971-a11e3a6dcb00) (the space delete removed them), then cf push web --no-start; cf bind-service web orders-db; cf start web; cf push worker --no-start; cf bind-service worker orders-db; cf start worker',
    );
    expect(end).toContain('  - scratch-db: NOT recovered (no archive: nothing at s3://our-postgresql-backups/backups/0d5b038b-');
  });
});

describe('a full rehearsal with --verbose', () => {
  it('shows every command, its output, the API calls and the evidence', async () => {
    const r = await runCli(['rehearse', '--yes', '--verbose', '--state-dir', stateDir()]);
    expect(r.code, r.stdout + r.stderr).toBe(DONE_DRILLED_ON_CELL);
    expect(r.stdout).toContain(`$ cf create-service dingo-postgresql95 solo important-db -c '{"node-count":1}'`);
    expect(r.stdout).toContain('→ exit 0');
    expect(r.stdout).toMatch(/⇢ CopyObject s3:\/\/our-postgresql-backups\/backups\/6e101b27/);
    expect(r.stdout).toContain('evidence: deleted instance (OLD): ' + OLD);
    expect(r.stdout).toMatch(/not drilled here: the archive was written by PostgreSQL 9\.5/);
    expect(linesOf(r.stdout).length).toBeGreaterThan(400);
  });
});

describe('a step that fails, by default', () => {
  it('shows the failed step, the reason, what to do and how to resume', async () => {
    const state = stateDir();
    const r = await runCli(['rehearse', '--yes', '--container-store-root', '/srv/elsewhere/', '--state-dir', state]);
    expect(r.code).toBe(1);
    const runId = runIdOf(r.stdout);
    const lines = linesOf(r.stdout);
    expect(lines).toContainEqual(
      expect.stringMatching(/^✖ \[13\/29\] Check everything the destructive steps rely on — failed \(\d+\.\d s\)$/),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^stopped: before anything is stopped or moved, the data folder /));
    expect(lines).toContainEqual(expect.stringMatching(/^what to do: .*--container-store-root/));
    expect(Math.max(...lines.map((l) => Array.from(l).length))).toBeLessThanOrEqual(200);
    expect(lines.at(-1)).toBe(`the run is saved; continue with: dingo-recover resume ${runId} --state-dir ${state}`);
  });
});

describe('answering at a terminal', () => {
  const PAUSE_MS = 3_000;

  it("does not echo the operator's answers again, and leaves the time spent answering out of step durations", async () => {
    const state = stateDir();
    const answers = join(state, 'answers.yaml');
    writeFileSync(answers, `choose: { deletedInstance: ${OLD} }\n`);
    const asked: string[] = [];
    const prompter: Prompter = {
      interactive: true,
      input(q) {
        asked.push(q.key);
        return Promise.resolve(q.default ?? '');
      },
      async typed(q) {
        asked.push(q.key);
        if (q.key === 'stop-container') await new Promise((r) => setTimeout(r, PAUSE_MS));
        return q.alsoAccept ?? q.expected.slice(0, 8);
      },
      select() {
        return Promise.reject(new Error('no choice expected'));
      },
    };
    let output = '';
    const out = new Writable({
      write(chunk: Buffer, _enc, done) {
        output += chunk.toString();
        done();
      },
    });
    const r = await drive({
      runtime: processRuntime(),
      platforms,
      stateDir: state,
      out,
      start: {
        mode: 'rehearsal',
        runbookFile: resolve(ROOT, 'runbooks/recover-deleted-service.yaml'),
        scenarioDir: resolve(ROOT, 'fixtures/seed-003'),
        settings: {},
      },
      answersFile: answers,
      yes: false,
      prompter,
      actions: actionRegistry(),
    });
    expect(r.exitCode, output).toBe(DONE_DRILLED_ON_CELL);
    expect(asked).toContain('org');
    expect(asked).toContain('stop-container');
    output = output.replace(ANSI, '');
    expect(output).not.toContain("The user's answers");
    expect(output).not.toContain('org acme');

    const events = readJournal(join(state, 'runs', r.runId, 'journal.ndjson'));
    const finished = events.find((e) => e.type === 'step.finished' && e.step === 'stop-container');
    expect(finished?.type === 'step.finished' && finished.durationMs).toBeLessThan(PAUSE_MS);
    const line = linesOf(output).find((l) => l.startsWith('✔ [15/29] Stop the new container'))!;
    expect(line).toMatch(/\((\d+\.\d) s, confirmed by typing\)$/);
    expect(Number(/\((\d+\.\d) s/.exec(line)![1]) * 1000).toBeLessThan(PAUSE_MS);
  });
});
