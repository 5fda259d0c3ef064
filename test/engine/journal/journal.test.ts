import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Journal, openJournalForAppend, readJournal, type JournalEvent, replay } from '../../../src/engine/journal/index.js';
import { Redactor } from '../../../src/core/redact.js';
import { processRuntime } from '../../../src/core/runtime.js';
import { EXIT, UsageError } from '../../../src/core/errors.js';
import { tempDirs } from '../../support/temp-dirs.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const tmp = tempDirs('dr-journal-');

function created(j: Journal): void {
  j.append({ type: 'run.created', runId: 'r1', runbook: { file: 'f', name: 'n', sha256: 'x' }, mode: 'rehearsal', options: {} });
}

describe('journal', () => {
  it('keeps the run state as events are appended, equal to a replay, without changing a step state read earlier', () => {
    const j = new Journal(join(tmp(), 'journal.ndjson'), processRuntime(new Redactor()));
    created(j);
    j.append({ type: 'step.started', step: 'a', params: {}, plan: {} });
    const before = j.state().steps.get('a')!;
    j.append({ type: 'step.finished', step: 'a', outputs: { guid: 'g' }, durationMs: 3 });
    j.append({ type: 'input', name: 'org', value: 'acme', source: 'answers' });
    expect(before).toMatchObject({ status: 'started', attempts: 1 });
    expect(j.state().steps.get('a')).toMatchObject({ status: 'finished', outputs: { guid: 'g' }, attempts: 1 });
    expect(j.state()).toEqual(replay(j.events()));
    j.close();
  });

  it('appends versioned, numbered events and replays them into step states', () => {
    const file = join(tmp(), 'journal.ndjson');
    const j = new Journal(file, processRuntime(new Redactor()));
    created(j);
    j.append({ type: 'input', name: 'org', value: 'acme', source: 'answers' });
    j.append({ type: 'step.started', step: 'a', params: {}, plan: { stamp: 's' } });
    j.append({ type: 'step.finished', step: 'a', outputs: { guid: 'g' }, durationMs: 3 });
    j.append({ type: 'step.started', step: 'b', params: { x: 1 }, plan: {} });
    j.close();
    const events = readJournal(file);
    expect(events.map((e) => [e.seq, e.v])).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
      [4, 1],
      [5, 1],
    ]);
    const state = replay(events);
    expect(state.inputs).toEqual({ org: 'acme' });
    expect(state.steps.get('a')).toMatchObject({ status: 'finished', outputs: { guid: 'g' }, plan: { stamp: 's' } });
    expect(state.steps.get('b')).toMatchObject({ status: 'started', params: { x: 1 }, attempts: 1 });
    expect(state.finished).toBe(false);
  });

  it('ignores a torn last line (the process died mid-write) but refuses damage in the middle', () => {
    const file = join(tmp(), 'journal.ndjson');
    const j = new Journal(file, processRuntime(new Redactor()));
    created(j);
    j.close();
    appendFileSync(file, '{"v":1,"seq":2,"type":"step.sta');
    expect(readJournal(file)).toHaveLength(1);
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, 'garbage\n' + text + '\n');
    expect(() => readJournal(file)).toThrow(/journal\.ndjson:1: damaged journal line/);
  });

  it('continues numbering after a resume and redacts secrets before writing', () => {
    const file = join(tmp(), 'journal.ndjson');
    const r = new Redactor();
    const j = new Journal(file, processRuntime(r));
    created(j);
    j.close();
    r.register('s3cr3t-value');
    const j2 = new Journal(file, processRuntime(r), readJournal(file));
    j2.append({ type: 'note', text: 'password is s3cr3t-value' });
    j2.close();
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('s3cr3t-value');
    expect(readJournal(file).map((e) => e.seq)).toEqual([1, 2]);
    expect(text).toContain('password is [REDACTED]');
  });

  it('refuses to replay a journal newer than this version', () => {
    const file = join(tmp(), 'journal.ndjson');
    writeFileSync(file, JSON.stringify({ v: 99, seq: 1, type: 'run.created' }) + '\n');
    expect(() => readJournal(file)).toThrow(/journal version 99 is newer/);
  });
});

/** A journal of a few events, one with multi-byte text, as Journal writes it. */
function sampleJournal(file: string): { bytes: Buffer; events: JournalEvent[] } {
  const j = new Journal(file, processRuntime(new Redactor()));
  created(j);
  j.append({ type: 'input', name: 'space', value: 'café → prod', source: 'answers' });
  j.append({ type: 'step.started', step: 'stop-container', params: { cell: '10.0.0.1' }, plan: {} });
  j.append({ type: 'note', step: 'stop-container', text: 'Ünïcode at the end: ✓' });
  j.close();
  return { bytes: readFileSync(file), events: readJournal(file) };
}

const tornFiles = (dir: string): string[] => readdirSync(dir).filter((f) => f.startsWith('journal.ndjson.torn-'));

describe('a torn journal', () => {
  it('cut at every byte offset: read-only reads leave it alone, opening to append keeps the torn bytes aside and every whole event survives', () => {
    const root = tmp();
    const { bytes, events } = sampleJournal(join(root, 'whole.ndjson'));
    for (let cut = 0; cut <= bytes.length; cut++) {
      const dir = join(root, `cut-${cut}`);
      mkdirSync(dir);
      const file = join(dir, 'journal.ndjson');
      const given = bytes.subarray(0, cut);
      writeFileSync(file, given);
      const lineStart = given.lastIndexOf(0x0a) + 1;
      const wholeWithoutNewline = cut > lineStart && bytes[cut] === 0x0a;
      const torn = cut > lineStart && !wholeWithoutNewline;
      const kept = given.filter((b) => b === 0x0a).length + (wholeWithoutNewline ? 1 : 0);
      const at = `cut at byte ${cut}`;

      expect(readJournal(file), at).toEqual(events.slice(0, kept));
      expect(readFileSync(file).equals(given), at).toBe(true);

      const journal = openJournalForAppend(file, processRuntime(new Redactor()));
      journal.append({ type: 'note', text: 'appended after the cut' });
      journal.close();

      const text = readFileSync(file, 'utf8');
      expect(text.endsWith('\n'), at).toBe(true);
      for (const line of text.slice(0, -1).split('\n')) expect(() => JSON.parse(line), `${at}: ${line}`).not.toThrow();
      const after = readJournal(file);
      expect(after.slice(0, kept), at).toEqual(events.slice(0, kept));
      expect(
        after.map((e) => e.seq),
        at,
      ).toEqual(after.map((_, i) => i + 1));
      const added = after.slice(kept);
      if (torn) {
        const [keptFile] = tornFiles(dir);
        expect(tornFiles(dir), at).toHaveLength(1);
        expect(keptFile, at).toMatch(/^journal\.ndjson\.torn-\d{8}T\d{6}\.\d{3}Z$/);
        expect(readFileSync(join(dir, keptFile!)).equals(bytes.subarray(lineStart, cut)), at).toBe(true);
        expect(added, at).toMatchObject([
          { type: 'journal.repaired', keptAt: join(dir, keptFile!), tornBytes: cut - lineStart, truncatedTo: lineStart },
          { type: 'note', text: 'appended after the cut' },
        ]);
      } else {
        expect(tornFiles(dir), at).toEqual([]);
        expect(added, at).toMatchObject([{ type: 'note', text: 'appended after the cut' }]);
      }
    }
  });

  it('a resume that appends onto a torn last line no longer damages the journal, even through new Journal(readJournal(...))', () => {
    const dir = tmp();
    const file = join(dir, 'journal.ndjson');
    const { bytes } = sampleJournal(file);
    writeFileSync(file, bytes.subarray(0, bytes.length - 20));
    const journal = new Journal(file, processRuntime(new Redactor()), readJournal(file));
    journal.append({ type: 'run.resumed' });
    journal.close();
    const events = readJournal(file);
    expect(events.map((e) => e.type)).toEqual(['run.created', 'input', 'step.started', 'journal.repaired', 'run.resumed']);
    expect(replay(events).steps.get('stop-container')?.status).toBe('started');
    expect(tornFiles(dir)).toHaveLength(1);
  });

  it('a whole last event without its newline is kept as an event: the newline is added before the next one', () => {
    const dir = tmp();
    const file = join(dir, 'journal.ndjson');
    const { bytes, events } = sampleJournal(file);
    writeFileSync(file, bytes.subarray(0, bytes.length - 1));
    const journal = openJournalForAppend(file, processRuntime(new Redactor()));
    expect(journal.events()).toEqual(events);
    journal.append({ type: 'run.resumed' });
    journal.close();
    expect(readJournal(file).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(tornFiles(dir)).toEqual([]);
  });

  it('damage before the last line is refused with FILE:LINE (exit 2) and the journal is left as it was', () => {
    const dir = tmp();
    const file = join(dir, 'journal.ndjson');
    const { bytes } = sampleJournal(file);
    const lines = bytes.toString('utf8').split('\n');
    lines[1] = lines[1]!.slice(0, 30);
    const damaged = lines.join('\n').slice(0, -5); // and a torn tail
    writeFileSync(file, damaged);
    let err: unknown;
    try {
      openJournalForAppend(file, processRuntime(new Redactor()));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(EXIT.badInput);
    expect((err as UsageError).message).toBe(`${file}:2: damaged journal line`);
    expect(readFileSync(file, 'utf8')).toBe(damaged);
    expect(tornFiles(dir)).toEqual([]);
  });

  it('a journal that cannot be read is a usage error naming it, not a stack trace', () => {
    const dir = tmp();
    const file = join(dir, 'journal.ndjson');
    mkdirSync(file);
    expect(() => readJournal(file)).toThrow(UsageError);
    expect(() => readJournal(file)).toThrow(`cannot read the journal ${file}: it is a folder, not a file`);
  });

  it('a write cut short by a full disk is cut back: the journal stays whole and the next event starts on its own line', () => {
    const dir = tmp();
    const file = join(dir, 'journal.ndjson');
    const script = join(dir, 'fill.ts');
    // The file size limit (ulimit -f, 1 MiB) makes a write stop part-way as a full disk does.
    writeFileSync(
      script,
      `import { Journal } from ${JSON.stringify(join(ROOT, 'src/engine/journal/journal.ts'))};
import { Redactor } from ${JSON.stringify(join(ROOT, 'src/core/redact.ts'))};
import { processRuntime } from ${JSON.stringify(join(ROOT, 'src/core/runtime.ts'))};
import { tempDirs } from '../support/temp-dirs.js';
process.on('SIGXFSZ', () => undefined);
const journal = new Journal(process.argv[2]!, processRuntime(new Redactor()));
const seen: unknown[] = [];
for (let i = 0; i < 20; i++) {
  try {
    journal.append({ type: 'note', text: String(i).padEnd(100_000, '.') });
    seen.push('written');
  } catch (err) {
    seen.push({ name: (err as Error).name, message: (err as Error).message, hint: (err as { hint?: string }).hint });
    break;
  }
}
journal.append({ type: 'note', text: 'after the failed write' });
seen.push('written');
journal.close();
console.log(JSON.stringify(seen));
`,
    );
    const child = spawnSync('bash', ['-c', 'ulimit -f 1024 && exec "$0" --import tsx "$1" "$2"', process.execPath, script, file], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    const why = child.stderr
      .split('\n')
      .filter((l) => !/^\s+at /.test(l))
      .join('\n')
      .slice(0, 2000);
    expect(child.status, why).toBe(0);
    const seen = JSON.parse(child.stdout) as unknown[];
    expect(seen).toEqual([
      ...Array(10).fill('written'),
      {
        name: 'StepFailed',
        message: expect.stringMatching(new RegExp(`^could not write the journal ${file}: `)),
        hint: expect.stringContaining('then resume; the journal is whole up to its last event'),
      },
      'written',
    ]);
    const bytes = readFileSync(file);
    expect(bytes[bytes.length - 1]).toBe(0x0a);
    const events = readJournal(file);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(events[10]).toMatchObject({ type: 'note', text: 'after the failed write' });
  });
});

describe('redactor', () => {
  it('redacts registered secrets, their URL and JSON encodings, and env values with secret names', () => {
    const r = new Redactor();
    r.registerEnv(['AWS_SECRET_ACCESS_KEY=ab/cd+ef"gh', 'PATRONI_SCOPE=visible-guid', 'APPUSER_PASSWORD=pw-1234']);
    const text = `key ab/cd+ef"gh url ${encodeURIComponent('ab/cd+ef"gh')} json ${JSON.stringify('ab/cd+ef"gh')} pw-1234 visible-guid`;
    const out = r.redact(text);
    expect(out).not.toMatch(/ab\/cd|ab%2Fcd|pw-1234/);
    expect(out).toContain('visible-guid');
  });
});
