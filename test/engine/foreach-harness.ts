/**
 * A small world for for-each runs: in-memory actions that log when they start and end, runbooks
 * written to a temporary folder, and `execute` driven against a journal file there (a second call resumes).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { defineAction, loadRunbook, type ActionRegistry, DEFAULT_SETTINGS } from '../../src/engine/runbook/index.js';
import { createRunDir, JOURNAL_FILE } from '../../src/engine/run/index.js';
import { execute } from '../../src/engine/executor/index.js';
import { Journal, openJournalForAppend, readJournal, type JournalEvent } from '../../src/engine/journal/index.js';
import { type Prompter, Reporter } from '../../src/engine/operator/index.js';
import { Redactor } from '../../src/core/redact.js';
import type { Platform } from '../../src/core/seams.js';
import { processRuntime } from '../../src/core/runtime.js';

export interface World {
  instances: Record<string, unknown>[];
  /** `start NAME` / `end NAME` / `destroy NAME`, in the order they happened. */
  log: string[];
  /** Names whose work fails. */
  failing: Set<string>;
  /** Names whose work happened (what the probe looks at). */
  worked: Set<string>;
  delayMs: number;
}

export function newWorld(instances: Record<string, unknown>[]): World {
  return { instances, log: [], failing: new Set(), worked: new Set(), delayMs: 20 };
}

export function worldActions(world: World): ActionRegistry {
  const list = [
    defineAction({
      name: 't.plan',
      summary: 'lists the instances',
      effect: 'read',
      params: {},
      outputs: {
        instances: { type: 'object[]', description: 'instances' },
        names: { type: 'string[]', description: 'their names' },
      },
      run: () => Promise.resolve({ instances: world.instances, names: world.instances.map((i) => String(i.name)) }),
    }),
    defineAction({
      name: 't.work',
      summary: 'works on an instance',
      effect: 'write',
      params: { name: { type: 'string', required: true, description: 'name' } },
      outputs: { worked: { type: 'string', description: 'what it worked on' } },
      async run(_ctx, p) {
        world.log.push(`start ${p.name}`);
        await new Promise((r) => setTimeout(r, world.delayMs));
        world.log.push(`end ${p.name}`);
        if (world.failing.has(p.name)) throw new Error(`${p.name} is broken`);
        world.worked.add(p.name);
        return { worked: p.name };
      },
      probe: (_ctx, p) =>
        Promise.resolve(
          world.worked.has(p.name)
            ? { done: true, outputs: { worked: p.name }, why: `${p.name} shows the work` }
            : { done: false, why: `${p.name} shows no work` },
        ),
    }),
    defineAction({
      name: 't.destroy',
      summary: 'destroys an instance',
      effect: 'destructive',
      params: { name: { type: 'string', required: true, description: 'name' } },
      outputs: { gone: { type: 'boolean', description: 'gone' } },
      run(_ctx, p) {
        world.log.push(`destroy ${p.name}`);
        return Promise.resolve({ gone: true });
      },
      probe: () => Promise.resolve({ done: false, why: 'not yet' }),
      evidence: (_ctx, p) => Promise.resolve({ target: p.name }),
    }),
  ];
  return new Map(list.map((a) => [a.name, a]));
}

/**
 * The steps of a runbook taking `name` and `cell`: `work` on the instance (one at a time per cell),
 * then `destroy` it, given `destroyName` and confirmed by typing the name, the prompt saying `message`.
 */
export function workThenDestroy(o: { destroyName: string; message: string }): string {
  return `  - id: work
    title: Work on it
    why: w
    action: t.work
    exclusive: cell-\${inputs.cell}
    with:
      name: \${inputs.name}
  - id: destroy
    title: Destroy it
    why: w
    action: t.destroy
    with:
      name: ${o.destroyName}
    confirm:
      typed: \${inputs.name}
      message: ${o.message}
`;
}

/** A runbook called `name` taking the inputs `name` (lower-case letters) and `cell` (c0 unless given), with `steps`. */
export function nameAndCellRunbook(name: string, steps: string): string {
  return `version: 1
name: ${name}
inputs:
  - name: name
    prompt: Name
    type: string
    pattern: '^[a-z]+$'
  - name: cell
    prompt: Cell
    type: string
    default: c0
steps:
${steps}`;
}

/** The outputs a runbook of `workThenDestroy` steps declares. */
export const WORK_OUTPUTS = `outputs:
  - name: worked
    type: string
    description: what it worked on
    from: \${steps.work.outputs.worked}
  - name: gone
    type: boolean
    description: gone
    from: \${steps.destroy.outputs.gone}
`;

export const ITEM_RUNBOOK = `${nameAndCellRunbook(
  'item',
  workThenDestroy({ destroyName: '${inputs.name}', message: 'Destroy ${inputs.name}' }),
)}${WORK_OUTPUTS}`;

export function parentRunbook(o: { concurrency?: number; confirmedBy?: boolean } = {}): string {
  return `version: 1
name: parent
steps:
  - id: plan
    title: Plan
    why: w
    action: t.plan
    confirm:
      typed: go
      message: Go ahead
  - id: each
    title: Each instance
    why: w
    forEach:
      items: \${steps.plan.outputs.instances}
      key: name
      concurrency: ${o.concurrency ?? 2}
      runbook: item${o.confirmedBy === false ? '' : '\n      confirmedBy: plan'}
      inputs:
        name: \${item.name}
        cell: \${item.cell}
`;
}

export interface Outcome {
  error?: Error & { hint?: string };
  events: JournalEvent[];
  screen: string;
  outputs: Record<string, Record<string, unknown>>;
}

const noPlatform = {
  mode: 'rehearsal',
  cf: { where: 'local', run: () => Promise.reject(new Error('no cf here')) },
  bosh: { where: 'local', run: () => Promise.reject(new Error('no bosh here')) },
  cells: { open: () => Promise.reject(new Error('no cells here')) },
  s3: { where: 'nowhere' },
  openLogs: () => {
    throw new Error('no logs here');
  },
  close: () => Promise.resolve(),
} as unknown as Platform;

const refusingPrompter: Prompter = {
  interactive: false,
  input: () => Promise.reject(new Error('no input expected')),
  typed: () => Promise.reject(new Error('no confirmation prompt expected')),
  select: () => Promise.reject(new Error('no choice expected')),
};

/** Runs (or, when the journal exists, resumes) `parent.yaml` of `dir`. */
export async function runParent(
  dir: string,
  actions: ActionRegistry,
  o: { yes?: boolean; confirm?: Record<string, string | true>; prompter?: Prompter; inputs?: Record<string, unknown> } = {},
): Promise<Outcome> {
  const runbook = loadRunbook(join(dir, 'parent.yaml'), actions);
  const file = journalPath(dir);
  const resuming = existsSync(file);
  if (!resuming) createRunDir(dir, 'r1');
  const runtime = processRuntime(new Redactor());
  const journal = resuming ? openJournalForAppend(file, runtime) : new Journal(file, runtime);
  if (resuming) journal.append({ type: 'run.resumed' });
  else
    journal.append({
      type: 'run.created',
      runId: 'r1',
      runbook: { file: runbook.file, name: runbook.name, sha256: runbook.sha256 },
      mode: 'rehearsal',
      options: {},
    });
  let screen = '';
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      screen += chunk.toString();
      done();
    },
  });
  const reporter = new Reporter(out, new Redactor(), true, { verbose: false, live: false, color: false });
  const result: Outcome = { events: [], screen: '', outputs: {} };
  try {
    const r = await execute({
      runbook,
      actions,
      platform: noPlatform,
      runId: 'r1',
      runDir: join(dir, 'runs', 'r1'),
      journal,
      events: journal.events(),
      answers: { inputs: o.inputs ?? {}, confirm: o.confirm ?? {}, choose: {}, secrets: {} },
      yes: o.yes ?? false,
      prompts: o.prompter ?? refusingPrompter,
      reporter,
      runtime,
      settings: DEFAULT_SETTINGS,
      sleep: () => Promise.resolve(),
    });
    result.outputs = r.outputs;
  } catch (err) {
    result.error = err as Error;
  } finally {
    reporter.close();
    journal.close();
  }
  result.events = readJournal(file);
  result.screen = screen;
  return result;
}

/** The journal of the run `runParent` drives in `dir` (its state folder). */
export function journalPath(dir: string): string {
  return join(dir, 'runs', 'r1', JOURNAL_FILE);
}

export function writeRunbooks(dir: string, parent: string, item = ITEM_RUNBOOK): void {
  writeFileSync(join(dir, 'parent.yaml'), parent);
  writeFileSync(join(dir, 'item.yaml'), item);
}
