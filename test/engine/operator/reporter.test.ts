import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { colourWanted } from '../../../src/core/colours.js';
import { MAX_COLUMNS, fold, truncate } from '../../../src/core/screen-lines.js';
import { formatDuration } from '../../../src/core/duration.js';
import { REDACTED, Redactor } from '../../../src/core/redact.js';
import { Reporter, type ReporterOptions, headline } from '../../../src/engine/operator/index.js';

/** Any control character a terminal would act on (newline and tab are text). */
// eslint-disable-next-line no-control-regex -- the screen is checked for the very control characters a terminal acts on
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;
// eslint-disable-next-line no-control-regex -- the screen is checked for the very control characters a terminal acts on
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

function screen(opts: { tty?: boolean; columns?: number } = {}): { out: Writable; text: () => string } {
  let text = '';
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  if (opts.tty) Object.assign(out, { isTTY: true, columns: opts.columns ?? 80 });
  return { out, text: () => text };
}

function compact(extra: ReporterOptions = {}, redactor = new Redactor()) {
  const s = screen();
  let clock = 0;
  const reporter = new Reporter(s.out, redactor, false, { verbose: false, color: false, now: () => clock, ...extra });
  return { reporter, text: s.text, tick: (ms: number) => (clock += ms) };
}

const SPEC = { argv: ['docker', 'inspect', 'cf-52167ceb'], writes: false };
const RESULT = { exitCode: 0, stdout: '[{"Id": "0abe"}]', stderr: '', durationMs: 3 };

/** What one step of a run reports, from header to status line. */
function oneStep(reporter: Reporter): void {
  reporter.stepHeader(14, 25, 'Stop the new container', 'A running container keeps archiving WAL.');
  reporter.command('cell', 'cell 10.58.111.150', SPEC);
  reporter.commandResult(RESULT, '[\n  {"Id": "0abe"}\n]');
  reporter.api('CopyObject s3://b/a → s3://b/c (5 bytes)');
  reporter.evidence('docker inspect: cf-52167ceb State.Running=false');
  reporter.note("the new instance's local data is kept at /var/vcap/store/x.moved-aside");
  reporter.confirmation({ container: 'cf-52167ceb (0abe124b987d) on 10.58.111.150', PATRONI_SCOPE: '78218ded' });
  reporter.confirmedBy('confirmed by --yes');
  reporter.done('stopped=true', 1234);
}

afterEach(() => {
  vi.useRealTimers();
});

describe('the default screen: one line per step', () => {
  it('shows the status, title, result and duration, and the facts of a confirmation; commands, outputs, API calls, evidence and notes only when verbose', () => {
    const { reporter, text } = compact();
    oneStep(reporter);
    expect(text()).toBe(
      [
        '? [14/25] Stop the new container — confirm on these facts:',
        '    container: cf-52167ceb (0abe124b987d) on 10.58.111.150',
        '    PATRONI_SCOPE: 78218ded',
        '✔ [14/25] Stop the new container — stopped=true (1.2 s, confirmed by --yes)',
        '',
      ].join('\n'),
    );
  });

  it('shows facts confirmed without asking (--yes, the answers file) under the status line, not under a question', () => {
    const { reporter, text } = compact();
    reporter.stepHeader(14, 25, 'Stop the new container', 'why');
    reporter.confirmation({ container: 'cf-52167ceb', PATRONI_SCOPE: '78218ded' }, false);
    reporter.confirmedBy('confirmed by --yes');
    reporter.done('stopped=true', 1234);
    expect(text()).toBe(
      [
        '✔ [14/25] Stop the new container — stopped=true (1.2 s, confirmed by --yes)',
        '    container: cf-52167ceb',
        '    PATRONI_SCOPE: 78218ded',
        '',
      ].join('\n'),
    );
  });

  it('verbose shows everything, in the transcript format', () => {
    const s = screen();
    const reporter = new Reporter(s.out, new Redactor(), false, { verbose: true, color: false });
    oneStep(reporter);
    const shown = s.text();
    for (const line of [
      '[14/25] Stop the new container',
      '      A running container keeps archiving WAL.',
      '      $ docker inspect cf-52167ceb [cell 10.58.111.150]',
      '        → exit 0, 3 ms',
      '      ⇢ CopyObject s3://b/a → s3://b/c (5 bytes)',
      '      evidence: docker inspect: cf-52167ceb State.Running=false',
      "      the new instance's local data is kept at /var/vcap/store/x.moved-aside",
      '      evidence: container: cf-52167ceb (0abe124b987d) on 10.58.111.150',
      '      confirmed by --yes',
      '      ✔ stopped=true (1.2 s)',
    ])
      expect(shown).toContain(line);
  });

  it('a Reporter made without options hides nothing', () => {
    const s = screen();
    new Reporter(s.out, new Redactor(), false).command('cf', 'local', { argv: ['cf', 'version'], writes: false });
    expect(s.text()).toBe('      $ cf version\n');
  });

  it('always shows warnings and notices, under a line naming the step', () => {
    const { reporter, text } = compact();
    reporter.stepHeader(2, 25, 'Find the deleted instance in the logs', 'why');
    reporter.note('3 lines read');
    reporter.note('warning: syslog.2.gz is truncated');
    reporter.notice('resuming an interrupted attempt: safe to run again');
    reporter.done('instanceGuid=6e101b27', 10);
    expect(text()).toBe(
      [
        '› [2/25] Find the deleted instance in the logs',
        '    warning: syslog.2.gz is truncated',
        '    resuming an interrupted attempt: safe to run again',
        '✔ [2/25] Find the deleted instance in the logs — instanceGuid=6e101b27 (0.0 s)',
        '',
      ].join('\n'),
    );
  });

  it("shows a step's notes when it asks the operator something or stops, so they see what they decide on", () => {
    const { reporter, text } = compact();
    reporter.stepHeader(2, 25, 'Find the deleted instance in the logs', 'why');
    reporter.note('2 deleted instance(s) considered for "important-db":');
    reporter.note('  6e101b27, name not proven by any evidence');
    reporter.evidence('syslog @ byte 16013: remove-node');
    reporter.pause();
    reporter.resume();
    reporter.note('chosen at the prompt');
    reporter.done('instanceGuid=6e101b27', 10);
    reporter.stepHeader(3, 25, 'Prove the old archive restorable', 'why');
    reporter.note('LATEST names a base backup that is not there');
    reporter.stopped();
    expect(text()).toBe(
      [
        '› [2/25] Find the deleted instance in the logs',
        '    2 deleted instance(s) considered for "important-db":',
        '      6e101b27, name not proven by any evidence',
        '✔ [2/25] Find the deleted instance in the logs — instanceGuid=6e101b27 (0.0 s)',
        '› [3/25] Prove the old archive restorable',
        '    LATEST names a base backup that is not there',
        '✖ [3/25] Prove the old archive restorable — stopped (0.0 s)',
        '',
      ].join('\n'),
    );
  });

  it('a step done earlier says what a resume re-established on a line of its own', () => {
    const { reporter, text } = compact();
    reporter.stepHeader(1, 25, "Target the user's org and space", 'why');
    reporter.skipped('done earlier: spaceGuid=5a84d315', 're-established: cf targets acme/important-space again');
    expect(text()).toBe(
      [
        "↷ [1/25] Target the user's org and space — done earlier: spaceGuid=5a84d315 (0.0 s)",
        '    re-established: cf targets acme/important-space again',
        '',
      ].join('\n'),
    );
  });

  it('a failed step shows its status line; a run stopped inside a step closes the step', () => {
    const { reporter, text, tick } = compact();
    reporter.stepHeader(13, 25, 'Check everything', 'why');
    tick(2500);
    reporter.failed('the data folder is outside --container-store-root', 'resume with the right one');
    reporter.stepHeader(14, 25, 'Stop the new container', 'why');
    reporter.stopped();
    reporter.stopped();
    expect(text()).toBe(
      ['✖ [13/25] Check everything — failed (2.5 s)', '✖ [14/25] Stop the new container — stopped (0.0 s)', ''].join('\n'),
    );
  });

  it("leaves out of a step's duration the time spent at a prompt", () => {
    const { reporter, text, tick } = compact();
    reporter.stepHeader(5, 25, 'Confirm which deleted instance comes back', 'why');
    tick(400);
    reporter.pause();
    tick(90_000);
    reporter.resume();
    tick(600);
    reporter.confirmedBy('confirmed by typing', true);
    reporter.done('instanceGuid=6e101b27');
    expect(text()).toBe('✔ [5/25] Confirm which deleted instance comes back — instanceGuid=6e101b27 (1.0 s, confirmed by typing)\n');
  });

  it('echoes each answer once: one typed at a prompt is not echoed again', () => {
    const { reporter, text } = compact();
    reporter.answers([
      { name: 'org', prompt: 'Organization', value: 'acme', source: 'prompt' },
      { name: 'space', prompt: 'Space', value: 'important-space', source: 'answers' },
      { name: 'apps', prompt: 'Apps', value: [], source: 'answers' },
      { name: 'soloPlan', prompt: 'Single-node plan', value: 'solo', source: 'default' },
    ]);
    reporter.answers([{ name: 'org', prompt: 'Organization', value: 'acme', source: 'prompt' }]);
    expect(text()).toBe("The user's answers (answers file): space important-space, apps (none), soloPlan solo (default)\n");
  });

  it('without a terminal, a long wait shows a plain progress line now and then, not one per poll', () => {
    const { reporter, text, tick } = compact({ progressEveryMs: 30_000 });
    reporter.stepHeader(21, 25, 'Wait for PostgreSQL to replay the archive', 'why');
    for (let poll = 1; poll <= 100; poll++) {
      reporter.progress(`replaying the archive (pg_is_in_recovery() = t), poll ${poll}`);
      tick(1000);
    }
    reporter.done('promoted=true', 100_000);
    const lines = text().trimEnd().split('\n');
    expect(lines).toEqual([
      '› [21/25] Wait for PostgreSQL to replay the archive',
      '    … 30.0 s: replaying the archive (pg_is_in_recovery() = t), poll 31',
      '    … 1m00s: replaying the archive (pg_is_in_recovery() = t), poll 61',
      '    … 1m30s: replaying the archive (pg_is_in_recovery() = t), poll 91',
      '✔ [21/25] Wait for PostgreSQL to replay the archive — promoted=true (1m40s)',
    ]);
  });

  it('a newline inside a remote value never starts a line: status lines, facts and item keys stay one line each', () => {
    const { reporter, text } = compact();
    const forged = '\n✔ [28/28] Report — reportFile=/tmp/forged (0.0 s)';
    reporter.stepHeader(14, 25, 'Stop the new container', 'why');
    reporter.confirmation({ container: `cf-52167ceb${forged}` });
    reporter.confirmedBy('confirmed by --yes');
    reporter.done(`stopped=true container=cf-52167ceb${forged}`, 1000);
    const item = reporter.item(`orders-db${forged}`);
    item.stepHeader(1, 2, 'Find it');
    item.notice('found');
    item.done('found=yes', 10);
    const lines = text().trimEnd().split('\n');
    expect(lines.filter((l) => l.startsWith('✔ [28/28]'))).toEqual([]);
    expect(lines).toContain('    container: cf-52167ceb\\n✔ [28/28] Report — reportFile=/tmp/forged (0.0 s)');
    expect(lines.every((l) => !l.trimStart().startsWith('✔ [28/28]'))).toBe(true);
    expect(lines.filter((l) => l.includes('found')).every((l) => l.includes('[orders-db\\n✔ [28/28] Report'))).toBe(true);
  });

  it('fits every line in 200 columns at spaces, and never cuts a word: one longer than a line ends its line whole', () => {
    const { reporter, text } = compact();
    const long = 'x'.repeat(150);
    reporter.line(`REHEARSAL against ${long} ${long}`);
    reporter.stepHeader(1, 1, `A step ${long}`, 'why');
    reporter.confirmation({ archive: `s3://bucket/${long}${long}` });
    reporter.note(`warning: ${long} ${long}`);
    reporter.done(headline({ url: `s3://${long}${long}`, other: long }), 5);
    const lines = text().trimEnd().split('\n');
    const wider = lines.filter((l) => Array.from(l).length > MAX_COLUMNS);
    expect(wider.length).toBeGreaterThan(0);
    for (const l of wider)
      expect(
        l
          .trim()
          .split(' ')
          .some((w) => Array.from(w).length > MAX_COLUMNS - 8),
        l,
      ).toBe(true);
    expect(lines.some((l) => l.includes(`s3://bucket/${long}${long}`))).toBe(true);
  });
});

describe('on a terminal', () => {
  function live(columns = 60) {
    vi.useFakeTimers();
    const s = screen({ tty: true, columns });
    let clock = 0;
    const reporter = new Reporter(s.out, new Redactor(), false, { verbose: false, color: false, now: () => clock, tickMs: 100 });
    return { reporter, text: s.text, advance: (ms: number) => ((clock += ms), vi.advanceTimersByTime(ms)) };
  }
  /** The lines a terminal shows once every carriage return and line erase has acted. */
  function rendered(raw: string): string[] {
    const lines: string[] = [];
    let cur = '';
    // eslint-disable-next-line no-control-regex -- the live line is cut where the terminal is told to clear it
    for (const part of raw.split(/(\r\x1b\[2K|\n)/)) {
      if (part === '\n') {
        lines.push(cur);
        cur = '';
      } else if (part === '\r\x1b[2K') cur = '';
      else cur += part;
    }
    return [...lines, cur];
  }

  it("rewrites the working step's line in place with the time at work and the wait's progress, never wider than the screen", () => {
    const { reporter, text, advance } = live(80);
    reporter.stepHeader(9, 25, 'Wait until the new instance is created', 'why');
    reporter.command('cf', 'local', { argv: ['cf', 'curl', '/v2/service_instances/78218ded'], writes: false });
    advance(1000);
    reporter.progress('create in progress');
    advance(64_000);
    const raw = text();
    expect(raw).toContain('\r\x1b[2K');
    const frames = raw.split('\r\x1b[2K').filter(Boolean);
    expect(frames.length).toBeGreaterThan(100);
    for (const f of frames) expect(Array.from(f).length).toBeLessThan(80);
    expect(frames[1]).toMatch(/^\S \[9\/25\] Wait until the new instance is created · 1\.0 s · \$ cf curl \/v2\/servic…$/);
    expect(frames.at(-1)).toMatch(/^\S \[9\/25\] Wait until the new instance is created · 1m05s · create in progress$/);
    // Polls do not add lines: the screen holds one line, rewritten.
    expect(raw).not.toContain('\n');
    reporter.done('state=create succeeded', 65_000);
    expect(rendered(text())).toEqual(['✔ [9/25] Wait until the new instance is created — state=create succeeded (1m05s)', '']);
  });

  it('takes the live line off for a prompt and draws nothing until the prompt is answered', () => {
    const { reporter, text, advance } = live();
    reporter.stepHeader(14, 25, 'Stop the new container', 'why');
    reporter.confirmation({ container: 'cf-52167ceb' });
    advance(500);
    reporter.pause();
    const before = text();
    expect(before.endsWith('\r\x1b[2K')).toBe(true);
    advance(30_000);
    expect(text()).toBe(before);
    reporter.resume();
    advance(200);
    reporter.done('stopped=true', 700);
    expect(rendered(text()).filter(Boolean)).toEqual([
      '? [14/25] Stop the new container — confirm on these facts:',
      '    container: cf-52167ceb',
      '✔ [14/25] Stop the new container — stopped=true (0.7 s)',
    ]);
    reporter.close();
    const after = text();
    advance(5000);
    expect(text()).toBe(after);
  });

  it('redacts and escapes the live line too', () => {
    const r = new Redactor();
    r.register('hunter2-secret');
    vi.useFakeTimers();
    const s = screen({ tty: true, columns: 120 });
    const reporter = new Reporter(s.out, r, false, { verbose: false, color: false, tickMs: 100 });
    reporter.stepHeader(1, 1, 'Wait', 'why');
    reporter.progress('PGPASSWORD=hunter2-secret \x1b]0;owned\x07\u202e');
    vi.advanceTimersByTime(300);
    reporter.close();
    const frames = s.text().split('\r\x1b[2K').filter(Boolean);
    expect(frames.at(-1)).toContain(`PGPASSWORD=${REDACTED} \\x1b]0;owned\\x07\\u202e`);
    for (const f of frames) expect(f).not.toMatch(RAW_CONTROL);
  });
});

describe('secrets and remote bytes on the default screen', () => {
  it('redacts, then escapes, every kind of line it shows', () => {
    const r = new Redactor();
    r.register('hunter2-secret');
    const { reporter, text } = compact({}, r);
    reporter.line('journal: hunter2-secret\x1b[2J');
    reporter.answers([{ name: 'org', prompt: 'Org', value: 'hunter2-secret\x9b1m', source: 'answers' }]);
    reporter.stepHeader(1, 1, 'Title \x1b]0;t\x07', 'why');
    reporter.confirmation({ 'key\r': 'hunter2-secret\0' });
    reporter.note('warning: hunter2-secret \u202e');
    reporter.notice('notice hunter2-secret\x07');
    reporter.done('out=hunter2-secret\x1b[0m', 1);
    const shown = text();
    expect(shown).not.toContain('hunter2-secret');
    expect(shown).not.toMatch(RAW_CONTROL);
    expect(shown).toContain(`journal: ${REDACTED}\\x1b[2J`);
    expect(shown).toContain(`✔ [1/1] Title \\x1b]0;t\\x07 — out=${REDACTED}\\x1b[0m (0.0 s)`);
  });
});

describe('colour', () => {
  it('goes to a terminal unless NO_COLOR or a dumb terminal; FORCE_COLOR forces it either way', () => {
    expect(colourWanted({}, true)).toBe(true);
    expect(colourWanted({}, false)).toBe(false);
    expect(colourWanted({ NO_COLOR: '1' }, true)).toBe(false);
    expect(colourWanted({ NO_COLOR: '' }, true)).toBe(true);
    expect(colourWanted({ TERM: 'dumb' }, true)).toBe(false);
    expect(colourWanted({ FORCE_COLOR: '1' }, false)).toBe(true);
    expect(colourWanted({ FORCE_COLOR: '' }, false)).toBe(true);
    expect(colourWanted({ FORCE_COLOR: '0' }, true)).toBe(false);
    expect(colourWanted({ FORCE_COLOR: 'false', NO_COLOR: '1' }, true)).toBe(false);
    expect(colourWanted({ FORCE_COLOR: '1', NO_COLOR: '1' }, false)).toBe(true);
  });

  it('colours only the status marks, and the text reads the same without the colour codes', () => {
    const plain = compact();
    const coloured = compact({ color: true });
    for (const { reporter } of [plain, coloured]) oneStep(reporter);
    // eslint-disable-next-line no-control-regex -- the colour is the SGR sequence itself
    expect(coloured.text()).toMatch(/\x1b\[32m✔\x1b\[39m/);
    expect(coloured.text().replace(ANSI, '')).toBe(plain.text());
    expect(plain.text()).not.toMatch(ANSI);
  });

  it('writes plain text to a stream that is not a terminal', () => {
    const s = screen();
    const reporter = new Reporter(s.out, new Redactor(), false, { verbose: false });
    oneStep(reporter);
    if (!process.env.FORCE_COLOR) expect(s.text()).not.toMatch(ANSI);
    expect(s.text()).not.toContain('\r');
  });
});

describe('display helpers', () => {
  it("a step's result: the outputs that hold something, in order, cut short", () => {
    expect(headline({ instanceGuid: '6e101b27', archiveUrl: 's3://b/backups/6e101b27/wal/' })).toBe(
      'instanceGuid=6e101b27 archiveUrl=s3://b/backups/6e101b27/wal/',
    );
    expect(headline({ free: true, adoptGuid: '', others: [], record: { a: 1 }, gone: null })).toBe('free=true');
    expect(headline({ a: 'x'.repeat(60), b: 'y'.repeat(60) })).toBe(`a=${'x'.repeat(60)} …`);
    expect(headline({})).toBe('done');
    expect(Array.from(headline({ url: 'z'.repeat(500) })).length).toBe(160);
  });

  it('folds at spaces with a hanging indent, keeps every character, and never cuts a word longer than the line', () => {
    expect(fold('short', 20)).toEqual(['short']);
    const lines = fold('    key: ' + 'word '.repeat(30).trim(), 40);
    expect(lines.every((l) => l.length <= 40)).toBe(true);
    expect(lines.slice(1).every((l) => l.startsWith('        '))).toBe(true);
    expect(lines.map((l) => l.trim()).join(' ')).toBe('key: ' + 'word '.repeat(30).trim());
    expect(fold('a'.repeat(95), 40)).toEqual(['a'.repeat(95)]);
    // At 80 columns an archive URL longer than a line stays whole beside its name, as a copy from the screen needs it.
    const url = 's3://our-postgresql-backups/backups/6e101b27-ee1b-4f4d-a032-4401a3709ec3/wal/';
    expect(fold(`    archive: ${url} (from the broker)`, 80)).toEqual([`    archive: ${url}`, '        (from the broker)']);
    expect(fold(`    ${url}`, 40)).toEqual([`    ${url}`]);
  });

  it('moves a path that fits on a line of its own to the next line whole, rather than cutting it', () => {
    const path = `/tmp/${'a'.repeat(60)}/${'b'.repeat(60)}/dingo-recover/fixtures/space-scenario`;
    const lines = fold(`REHEARSAL against the simulated platform of ${path}: its commands are shown`, 200);
    expect(lines.every((l) => l.length <= 200)).toBe(true);
    expect(lines.some((l) => l.includes(path))).toBe(true);
    // A word longer than any line is never cut: it ends its line.
    expect(fold(`see ${'c'.repeat(300)} then`, 150)).toEqual([`see ${'c'.repeat(300)}`, '    then']);
  });

  it('truncates and formats durations', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abc', 4)).toBe('abc');
    expect(formatDuration(0)).toBe('0.0 s');
    expect(formatDuration(12_345)).toBe('12.3 s');
    expect(formatDuration(59_960)).toBe('1m00s');
    expect(formatDuration(125_000)).toBe('2m05s');
    expect(formatDuration(3_720_000)).toBe('1h02m');
    expect(formatDuration(3 * 86_400_000 + 4 * 3_600_000)).toBe('3d04h');
  });
});
