import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal, readJournal, type EventBody, type JournalEvent } from '../../../src/engine/journal/index.js';
import { Redactor } from '../../../src/core/redact.js';
import { JOURNAL_FILE, createRunDir, loadRun } from '../../../src/engine/run/index.js';
import { buildTranscript, renderTranscript, renderTranscriptJson } from '../../../src/engine/report/index.js';
import { tempDirs } from '../../support/temp-dirs.js';
import { processRuntime } from '../../../src/core/runtime.js';

const tmp = tempDirs('dr-transcript-');

// eslint-disable-next-line no-control-regex -- the text is checked for the very control characters a terminal acts on
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

/** A run folder whose journal holds `bodies` after run.created; returns the state folder and the events as read back. */
function run(bodies: EventBody[]): { stateDir: string; events: JournalEvent[] } {
  const stateDir = tmp();
  const file = join(createRunDir(stateDir, 'r1'), JOURNAL_FILE);
  const journal = new Journal(file, processRuntime(new Redactor()));
  journal.append({ type: 'run.created', runId: 'r1', runbook: { file: 'rb.yaml', name: 'rb', sha256: 'x' }, mode: 'live', options: {} });
  for (const b of bodies) journal.append(b);
  journal.close();
  return { stateDir, events: readJournal(file) };
}

describe('show', () => {
  it('keeps remote control bytes exactly in the journal and shows them as escapes', () => {
    const output = 'pg_xlog\0base\0\x1b]0;owned\x07\x1b[2Jcleared\rover \x9b31mred\u202e';
    const { stateDir, events } = run([
      { type: 'step.started', step: 'list', params: {}, plan: {} },
      {
        type: 'command',
        step: 'list',
        system: 'cell',
        where: 'cell 10.0.0.1',
        argv: ['find', '/data', '-printf', '%f\\0'],
        writes: false,
        exitCode: 0,
        durationMs: 7,
        output,
      },
      { type: 'note', step: 'list', text: 'container said \x1b[31mhello\x1b[0m' },
      { type: 'step.failed', step: 'list', error: 'docker: \x1b[2J gone\0' },
    ]);
    const command = events.find((e) => e.type === 'command');
    expect(command?.type === 'command' && command.output).toBe(output);

    const t = buildTranscript(loadRun(stateDir, 'r1'), null);
    expect(t.steps[0]!.commands[0]!.output).toBe(output);
    const text = renderTranscript(t);
    expect(text).not.toMatch(RAW_CONTROL);
    expect(text).toContain('        pg_xlog\\0base\\0\\x1b]0;owned\\x07\\x1b[2Jcleared\\rover \\x9b31mred\\u202e\n');
    expect(text).toContain('    container said \\x1b[31mhello\\x1b[0m\n');
    expect(text).toContain('    error: docker: \\x1b[2J gone\\0\n');

    const json = renderTranscriptJson(t);
    expect(json).not.toMatch(RAW_CONTROL);
    expect(JSON.parse(json)).toEqual(t);
  });

  it('renders journal repairs, lock take-overs, changed settings, re-established ambient state and abandonment', () => {
    const previous = { host: 'far-away', pid: 4242, by: 'ann@far-away', startedAt: '2026-03-17T18:05:20.000Z' };
    const { stateDir, events } = run([
      { type: 'step.started', step: 'target-space', params: {}, plan: {} },
      { type: 'step.finished', step: 'target-space', outputs: {}, durationMs: 12 },
      { type: 'journal.repaired', keptAt: '/state/runs/r1/journal.ndjson.torn-20260318T101500.000Z', tornBytes: 37, truncatedTo: 2048 },
      { type: 'lock.taken', how: 'stale', previous },
      { type: 'lock.taken', how: 'steal', previous: null },
      { type: 'run.resumed' },
      {
        type: 'settings.changed',
        changes: {
          esUrl: { from: 'https://old:9200', to: 'https://new:9200' },
          containerStoreRoot: { from: undefined, to: '/srv/store/' },
        },
      },
      { type: 'ambient.reasserted', step: 'target-space', summary: 'cf target -o acme -s important-space (space guid 5a1f… verified)' },
      { type: 'run.abandoned', reason: 'the space was recreated' },
    ]);
    const at = (type: string, n = 0): JournalEvent => events.filter((e) => e.type === type)[n]!;
    const t = buildTranscript(loadRun(stateDir, 'r1'), null);

    expect(t.status).toBe('abandoned');
    expect(t.repairs).toEqual([
      {
        seq: at('journal.repaired').seq,
        at: at('journal.repaired').at,
        by: at('journal.repaired').by,
        keptAt: '/state/runs/r1/journal.ndjson.torn-20260318T101500.000Z',
        tornBytes: 37,
        truncatedTo: 2048,
      },
    ]);
    expect(t.lockTakeovers).toEqual([
      { seq: at('lock.taken').seq, at: at('lock.taken').at, by: at('lock.taken').by, how: 'stale', previous },
      { seq: at('lock.taken', 1).seq, at: at('lock.taken', 1).at, by: at('lock.taken', 1).by, how: 'steal', previous: null },
    ]);
    expect(t.settingsChanges).toEqual([
      {
        seq: at('settings.changed').seq,
        at: at('settings.changed').at,
        by: at('settings.changed').by,
        changes: { esUrl: { from: 'https://old:9200', to: 'https://new:9200' }, containerStoreRoot: { to: '/srv/store/' } },
      },
    ]);
    expect(t.steps[0]!.reasserted).toEqual([
      { at: at('ambient.reasserted').at, summary: 'cf target -o acme -s important-space (space guid 5a1f… verified)' },
    ]);
    expect(t.abandoned).toEqual({
      seq: at('run.abandoned').seq,
      at: at('run.abandoned').at,
      by: at('run.abandoned').by,
      reason: 'the space was recreated',
    });

    const by = at('run.abandoned').by;
    const lines = renderTranscript(t).split('\n');
    expect(lines.slice(3, 10)).toEqual([
      `started at ${at('run.created').at} by ${by}`,
      `journal repaired at ${at('journal.repaired').at} by ${by}: a torn last event (37 bytes) was kept at /state/runs/r1/journal.ndjson.torn-20260318T101500.000Z; the journal was cut back to 2048 bytes`,
      `lock taken over (stale) at ${at('lock.taken').at} by ${by} from ann@far-away pid 4242, holding it since 2026-03-17T18:05:20.000Z`,
      `lock taken over (--steal-lock) at ${at('lock.taken', 1).at} by ${by} from a lock file that named no holder`,
      `resumed at ${at('run.resumed').at} by ${by}`,
      `settings changed at ${at('settings.changed').at} by ${by}: esUrl "https://old:9200" → "https://new:9200"; containerStoreRoot (unset) → "/srv/store/"`,
      `abandoned at ${at('run.abandoned').at} by ${by}: the space was recreated`,
    ]);
    expect(lines).toContain(
      `    re-established on resume at ${at('ambient.reasserted').at}: cf target -o acme -s important-space (space guid 5a1f… verified)`,
    );

    const json = JSON.parse(renderTranscriptJson(t)) as typeof t;
    expect(json.lockTakeovers[0]!.previous).toEqual(previous);
    expect(json.abandoned?.reason).toBe('the space was recreated');
  });
});
