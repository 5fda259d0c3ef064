/**
 * One value, one source: a value given on the command line (--deleted-instance, a target's flags,
 * resume --set) that disagrees with the answers file or with what the journal decided stops the run
 * before anything runs, naming both and which to drop; a value that agrees is taken once.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJournal } from '../../../src/engine/journal/index.js';
import { ROOT, runCli, runIdOf } from '../../support/cli.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs('dr-one-source-');
const USER = '6e101b27-ee1b-4f4d-a032-4401a3709ec3';
const OTHER = '6e101b27-ee1b-4f4d-a032-4401a3709ec4';
const SEED_ANSWERS = resolve(ROOT, 'fixtures/seed-003/answers.yaml');
const SPACE = 'important-space-and-all-databases';

/** The seed incident's answers as the operator's own file, without its choice (or with `edit` applied). */
function ownAnswers(dir: string, edit: (text: string) => string = (t) => t): string {
  const file = join(dir, 'answers.yaml');
  writeFileSync(file, edit(readFileSync(SEED_ANSWERS, 'utf8').replace(/^choose:[\s\S]*$/m, '')));
  return file;
}

const flat = (text: string): string => text.replace(/\s+/g, ' ');
/** `FILE:LINE` of the first line of `file` that holds `key:`, as the refusal names the answer. */
const at = (file: string, key: string): string =>
  `${file}:${
    readFileSync(file, 'utf8')
      .split('\n')
      .findIndex((l) => l.trim().startsWith(`${key}:`)) + 1
  }`;
const noRuns = (state: string): boolean => !existsSync(join(state, 'runs')) || readdirSync(join(state, 'runs')).length === 0;

describe('a value given on the command line and in the answers file', () => {
  it('--deleted-instance that is not the answers file’s choice is refused before any run exists, naming both', async () => {
    const state = tmp();
    const r = await runCli(['rehearse', '--yes', '--deleted-instance', OTHER, '--state-dir', state]);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(flat(r.stderr)).toContain(
      `--deleted-instance ${OTHER} and choose.deletedInstance: ${USER} in the answers file ${at(SEED_ANSWERS, 'deletedInstance')} disagree: one value, given twice`,
    );
    // The scenario's answers file is the package's: the way out is the operator's own file, never an edit of it.
    expect(flat(r.stderr)).toContain("drop --deleted-instance to take the answers file's");
    expect(flat(r.stderr)).toContain('give an answers file of your own without choose.deletedInstance (--answers FILE');
    expect(noRuns(state)).toBe(true);
  });

  it('--deleted-instance the operator’s own answers file agrees with is taken once, journaled as chosen by the answers file', async () => {
    const state = tmp();
    const answers = ownAnswers(state, (t) => `${t}\nchoose:\n  deletedInstance: ${USER.toUpperCase()}\n`);
    const r = await runCli(['rehearse', '--answers', answers, '--deleted-instance', USER, '--plan', '--state-dir', state]);
    expect(r.stderr).not.toContain('disagree');
    const events = readJournal(join(state, 'runs', runIdOf(r.stdout), 'journal.ndjson'));
    expect(events.filter((e) => e.type === 'choice')).toEqual([
      expect.objectContaining({
        step: 'find-deleted-instance',
        key: 'deletedInstance',
        value: USER,
        by: 'choose.deletedInstance in the answers file',
      }),
    ]);
  });

  it('a target flag the answers file names otherwise is refused, naming the flag and the input', async () => {
    const state = tmp();
    const answers = ownAnswers(state, (t) => t.replace('inputs:', 'inputs:\n  targetXid: 5007'));
    const r = await runCli(['rehearse', '--yes', '--answers', answers, '--target-time', '2016-03-17T05:00:00Z', '--state-dir', state]);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(flat(r.stderr)).toContain(
      `the command line's --target-time 2016-03-17T05:00:00Z (without --target-xid) and inputs.targetXid: 5007 in the answers file ${at(answers, 'targetXid')} disagree`,
    );
    expect(flat(r.stderr)).toContain(
      `drop --target-time 2016-03-17T05:00:00Z to take the answers file's, or drop inputs.targetXid from ${answers}`,
    );
    expect(noRuns(state)).toBe(true);
    // The same target in both is one value.
    const same = ownAnswers(state, (t) => t.replace('inputs:', 'inputs:\n  targetXid: 5007\n  targetExclusive: true'));
    const agreed = await runCli([
      'rehearse',
      '--answers',
      same,
      '--target-xid',
      '5007',
      '--target-exclusive',
      '--plan',
      '--state-dir',
      state,
    ]);
    expect(agreed.stderr).not.toContain('disagree');
    expect(agreed.code).not.toBe(2);
  });
});

describe('a value given to a resume and what the journal decided', () => {
  it('refuses --deleted-instance and --set that would change what a finished step used, naming that step and the flag', async () => {
    const state = tmp();
    const answers = ownAnswers(state);
    // No terminal, no --yes: the run stops at the confirmation, its finding and targeting steps finished.
    const first = await runCli(['rehearse', '--answers', answers, '--deleted-instance', USER, '--state-dir', state]);
    expect(first.code, first.stdout + first.stderr).toBe(3);
    const runId = runIdOf(first.stdout);
    const journal = join(state, 'runs', runId, 'journal.ndjson');
    expect(readJournal(journal).filter((e) => e.type === 'choice')).toEqual([
      expect.objectContaining({ key: 'deletedInstance', value: USER, by: '--deleted-instance' }),
    ]);
    const before = readFileSync(journal, 'utf8');

    const other = await runCli(['resume', runId, '--deleted-instance', OTHER, '--state-dir', state]);
    expect(other.code, other.stdout + other.stderr).toBe(2);
    expect(flat(other.stderr)).toContain(
      `--deleted-instance is ${OTHER}, but step "find-deleted-instance" of run ${runId} chose ${USER} (by --deleted-instance) and finished`,
    );
    expect(flat(other.stderr)).toContain('drop --deleted-instance to resume, or end this run');

    const set = await runCli(['resume', runId, '--set', 'space=other-space', '--state-dir', state]);
    expect(set.code, set.stdout + set.stderr).toBe(2);
    expect(flat(set.stderr)).toContain(
      `--set space=other-space: input "space" was "${SPACE}" when step "target-space" ran, and that step finished`,
    );
    expect(set.stderr).not.toContain('the answers file now says');

    // --set and an answers file given with it that says a third thing.
    const third = ownAnswers(state, (t) => t.replace(`space: ${SPACE}`, 'space: third-space'));
    const both = await runCli(['resume', runId, '--answers', third, '--set', 'space=other-space', '--state-dir', state]);
    expect(both.code).toBe(2);
    expect(flat(both.stderr)).toContain(
      `--set space=other-space and inputs.space: third-space in the answers file ${at(third, 'space')} disagree`,
    );

    const typo = await runCli(['resume', runId, '--set', 'spcae=x', '--state-dir', state]);
    expect(typo.stderr).toContain('--set spcae: runbook recover-deleted-service asks no input "spcae" (did you mean "space"?)');
    // A key without its value is a typo all the same: the nearest input is named before the missing value.
    const bare = await runCli(['resume', runId, '--set', 'spcae', '--state-dir', state]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('--set spcae: runbook recover-deleted-service asks no input "spcae" (did you mean "space"?)');
    // A --set value of the wrong kind is --set's to correct, not the answers file's (here the operator's, unchanged).
    const bad = await runCli(['resume', runId, '--set', 'nodeCount=abc', '--state-dir', state]);
    expect(bad.code).toBe(2);
    expect(flat(bad.stderr)).toContain('--set nodeCount=abc: input "nodeCount" must be text matching ^(plan|[1-9][0-9]?)$');
    expect(flat(bad.stderr)).toContain('correct it on the command line: --set nodeCount=VALUE');
    expect(bad.stderr).not.toContain('answers file');
    // Nothing of these refusals reached the journal: the run resumes as it stopped.
    expect(readFileSync(journal, 'utf8')).toBe(before);
  });
});
