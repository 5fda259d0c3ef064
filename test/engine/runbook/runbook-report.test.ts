/**
 * A runbook's `report:` lists the declared outputs its incident report shows, and the loader checks
 * them against what the report reads (engine/runbook/report-reads.ts): an output renamed in a bundled
 * runbook, or in the action it is taken from, is refused when the runbook loads, naming FILE:LINE,
 * where it used to drop its line from the report without a word.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../support/cli.js';
import { tempDirs, thrown } from '../../support/temp-dirs.js';
import { actionRegistry } from '../../../src/actions/index.js';
import { loadRunbook, type ActionDef, type ActionRegistry } from '../../../src/engine/runbook/index.js';

const tmp = tempDirs('dr-runbook-report-');
const actions = actionRegistry();

/** The bundled runbooks copied aside, `recover-deleted-service.yaml` changed by `edit`; its path. */
function edited(edit: (text: string) => string): string {
  const dir = tmp();
  cpSync(resolve(ROOT, 'runbooks'), dir, { recursive: true });
  const file = join(dir, 'recover-deleted-service.yaml');
  const before = readFileSync(file, 'utf8');
  const after = edit(before);
  expect(after).not.toBe(before);
  writeFileSync(file, after);
  return file;
}

/** The 1-based line of `file` that `pattern` first matches. */
function lineOf(file: string, pattern: RegExp): number {
  return (
    readFileSync(file, 'utf8')
      .split('\n')
      .findIndex((l) => pattern.test(l)) + 1
  );
}

/** The problems `loadRunbook` refuses `file` with, one a line. */
function refused(file: string, registry: ActionRegistry = actions): string[] {
  const err = thrown(() => loadRunbook(file, registry));
  expect(err.exitCode).toBe(2);
  return err.message.split('\n');
}

describe("a runbook's report: against what the incident report reads", () => {
  it("lists under report: the outputs the single recovery's report shows, and only those", () => {
    const rb = loadRunbook(resolve(ROOT, 'runbooks/recover-deleted-service.yaml'), actions);
    expect(rb.report).toEqual(expect.arrayContaining(['newGuid', 'quarantineUrl', 'dataAside', 'drilled', 'deletedAt']));
    expect(rb.report).not.toContain('nodes');
  });

  it('refuses an output renamed in the runbook, at the report: line that still names it', () => {
    const file = edited((t) => t.replace('  - name: quarantineUrl\n', '  - name: archiveAside\n'));
    expect(refused(file)).toEqual([
      `${file}:${lineOf(file, /^report:/)}: report: quarantineUrl is no declared output of this runbook: the report reads it for the new instance's original archive kept aside, and the command that removes it; declare it under outputs: by that name, or drop it here`,
    ]);
  });

  it('refuses a name the report does not read, with the nearest it does', () => {
    const file = edited((t) =>
      t.replace('  - name: quarantineUrl\n', '  - name: quarantineURL\n').replace(/^(report: \[.*)\bquarantineUrl\b/m, '$1quarantineURL'),
    );
    const [problem, ...rest] = refused(file);
    expect(rest).toEqual([]);
    expect(problem).toMatch(
      new RegExp(
        `^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${lineOf(file, /^report:/)}: report: the incident report reads no output "quarantineURL" \\(did you mean "quarantineUrl"\\?\\)`,
      ),
    );
  });

  it('refuses an output the report reads that report: leaves out, at the output', () => {
    const file = edited((t) => t.replace(/^(report: \[.*)\bdataAside, /m, '$1'));
    expect(refused(file)).toEqual([
      `${file}:${lineOf(file, /^ {2}- name: dataAside$/)}: output "dataAside" is one the incident report reads (the new container's original data kept aside, and the command that removes it): list it under report:, or give it another name`,
    ]);
  });

  it('refuses an output of another type than the report reads', () => {
    const file = edited((t) =>
      t.replace(
        /( {2}- name: deletedAt\n {4}type: )string(\n.*\n {4}from: )\$\{steps\.deleted\.outputs\.deletedAt\}/,
        '$1string[]$2${steps.recover.outputs.bound}',
      ),
    );
    expect(refused(file)).toEqual([
      `${file}:${lineOf(file, /^report:/)}: report: deletedAt is declared a string[] (line ${lineOf(file, /^ {2}- name: deletedAt$/)}), but the report reads a string`,
    ]);
  });

  it("refuses an output renamed in the action the report reads a step's outputs of", () => {
    const drill = actions.get('archive.drill')!;
    const { lastTransactionAt, ...rest } = drill.outputs;
    const renamed: ActionDef = { ...drill, outputs: { ...rest, lastReplayedAt: lastTransactionAt! } };
    const registry = new Map([...actions, [drill.name, renamed]]);
    const file = resolve(ROOT, 'runbooks/recover-deleted-service.yaml');
    expect(refused(file, registry)).toEqual([
      `${file}:${lineOf(file, /^report:/)}: report: drilled is taken from step "drill-old-archive" (action archive.drill), which has no output "lastTransactionAt" (string) that the report reads of it`,
    ]);
  });
});
