import { mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal, readJournal, replay } from '../../src/engine/journal.js';
import { Redactor } from '../../src/engine/redact.js';
import { RunLock } from '../../src/engine/lock.js';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'dr-journal-'));
  dirs.push(d);
  return d;
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function created(j: Journal): void {
  j.append({ type: 'run.created', runId: 'r1', runbook: { file: 'f', name: 'n', sha256: 'x' }, mode: 'rehearsal', options: {} });
}

describe('journal', () => {
  it('appends versioned, numbered events and replays them into step states', () => {
    const file = join(tmp(), 'journal.ndjson');
    const j = new Journal(file, new Redactor());
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
    const j = new Journal(file, new Redactor());
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
    const j = new Journal(file, r);
    created(j);
    j.close();
    r.register('s3cr3t-value');
    const j2 = new Journal(file, r, readJournal(file));
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

describe('run lock', () => {
  it('refuses a second driver, naming the holder, and takes over a dead holder on this host', () => {
    const file = join(tmp(), 'lock');
    const lock = RunLock.acquire(file);
    expect(() => RunLock.acquire(file)).toThrow(/being driven by .* \(host .*, pid \d+, since \d{4}-/);
    lock.release();
    const again = RunLock.acquire(file);
    again.release();
    writeFileSync(file, JSON.stringify({ host: hostname(), pid: 2 ** 22 + 7, by: 'x', startedAt: 'then' }));
    const taken = RunLock.acquire(file);
    taken.release();
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
