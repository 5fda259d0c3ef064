import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionRegistry } from '../../../src/actions/index.js';
import { UsageError } from '../../../src/core/errors.js';
import { Redactor } from '../../../src/core/redact.js';
import { loadAnswers, type Answers } from '../../../src/engine/operator/index.js';
import { loadRunbook, parseRunbook } from '../../../src/engine/runbook/index.js';
import { ROOT } from '../../support/cli.js';

const SEED = 20261124;
const actions = actionRegistry();
const RUNBOOK = readFileSync(join(ROOT, 'runbooks', 'recover-deleted-service.yaml'), 'utf8');
const LINES = RUNBOOK.split('\n');
const FUZZ_FILE = join(ROOT, 'runbooks', 'fuzz.yaml');
/** YAML that has tripped parsers: anchors, aliases, tags, merge keys, flow collections, odd scalars. */
const SNIPPETS = [
  ' *a',
  ' &a',
  ' &a [*a]',
  '<<: *a',
  ' !!binary aGVsbG8=',
  ' !!set',
  ' !!float 1e400',
  ' 99999999999999999999999999',
  '? ',
  '- ',
  '{',
  '[',
  '"',
  "'",
  ': ',
  '${{',
  '}}',
  '${{ inputs.org }}',
  '${{ steps.x.outputs.y }}',
  '%YAML 1.2\n---\n',
  '---\n',
  '...\n',
  '\t',
  '\u0000',
  '\u001b[2J',
  '~',
  '.nan',
  '__proto__',
  'constructor',
  '\n  ',
  '\n- ',
  'id: x',
  'action: logs.find-deleted',
  'confirm: {typed: x, message: y}',
  'with: *a',
];

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fuzz-loaders-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Texts a runbook loader may be given: random, the real runbook mutated or cut, JSON. */
const runbookText = fc.oneof(
  fc.string({ maxLength: 400 }),
  fc.string({ unit: 'binary', maxLength: 400 }),
  fc.nat(RUNBOOK.length).map((cut) => RUNBOOK.slice(0, cut)),
  fc.array(fc.tuple(fc.nat(RUNBOOK.length), fc.constantFrom(...SNIPPETS)), { minLength: 1, maxLength: 6 }).map((edits) => {
    let t = RUNBOOK;
    for (const [at, s] of edits) t = t.slice(0, at) + s + t.slice(at);
    return t;
  }),
  fc.tuple(fc.nat(LINES.length), fc.nat(LINES.length), fc.string({ unit: 'binary', maxLength: 40 })).map(([drop, at, junk]) => {
    const l = [...LINES];
    l.splice(drop, 1);
    l.splice(at, 0, junk);
    return l.join('\n');
  }),
  fc.array(fc.constantFrom(...SNIPPETS, 'version: 1\n', 'steps:\n', 'inputs:\n'), { maxLength: 30 }).map((a) => a.join('')),
  fc.jsonValue().map((v) => JSON.stringify(v)),
);

function expectOnlyUsageErrors(run: () => unknown, file: string): void {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    const e = err as UsageError;
    expect(e.message).not.toBe('');
    expect(e.hint).toBeTruthy();
    expect(e.message).toContain(file);
  }
}

describe('the runbook loader on hostile text (property)', () => {
  it('returns a runbook or throws a UsageError whose every line is FILE:LINE: message, in bounded time', () => {
    fc.assert(
      fc.property(runbookText, (text) => {
        const t0 = Date.now();
        try {
          // Beside the bundled runbooks, so that its use steps find the runbooks they inline.
          const rb = parseRunbook(FUZZ_FILE, text, actions);
          expect(rb.steps.length).toBeGreaterThan(0);
        } catch (err) {
          expect(err).toBeInstanceOf(UsageError);
          for (const line of (err as Error).message.split('\n')) {
            expect(line.slice(0, FUZZ_FILE.length)).toBe(FUZZ_FILE);
            expect(line.slice(FUZZ_FILE.length)).toMatch(/^:\d+: \S/);
          }
        }
        expect(Date.now() - t0).toBeLessThan(2_000);
      }),
      { seed: SEED, numRuns: 250 },
    );
  });
});

/** Contents an answers file may hold: random bytes, truncated JSON, YAML of every type in every section, huge lines. */
const answersText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc
    .tuple(
      fc.record(
        {
          inputs: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 })),
          confirm: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 })),
          choose: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 })),
          secrets: fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 1 }))),
        },
        { requiredKeys: [] },
      ),
      fc.option(fc.nat(200)),
    )
    .map(([obj, cut]) => {
      const json = JSON.stringify(obj);
      return cut === null ? json : json.slice(0, cut);
    }),
  fc
    .array(fc.constantFrom(...SNIPPETS, 'inputs:', 'confirm:', 'choose:', 'secrets:', ' 12345678', ' null', ' [a, b]', ' {x: 1}', ' yes'), {
      maxLength: 20,
    })
    .map((a) => a.join('')),
  fc.constantFrom('x'.repeat(2 * 1024 * 1024), `inputs: {org: "${'a'.repeat(100_000)}"}`),
);

function checkAnswersShape(a: Answers): void {
  const sections: unknown[] = [a.inputs, a.confirm, a.choose, a.secrets];
  for (const section of sections) expect(section !== null && typeof section === 'object' && !Array.isArray(section)).toBe(true);
  for (const v of Object.values(a.confirm)) expect(v === true || typeof v === 'string').toBe(true);
  for (const v of Object.values(a.choose)) expect(typeof v).toBe('string');
  for (const v of Object.values(a.secrets)) expect(typeof v).toBe('string');
}

describe('the answers loader on hostile files (property)', () => {
  it('returns answers of the declared types or throws a UsageError naming the file, in bounded time', async () => {
    const file = join(root, 'answers.yaml');
    await fc.assert(
      fc.asyncProperty(answersText, async (text) => {
        await writeFile(file, text);
        const t0 = Date.now();
        try {
          checkAnswersShape(loadAnswers(file, new Redactor()));
        } catch (err) {
          expect(err).toBeInstanceOf(UsageError);
          expect((err as Error).message).toContain(file);
        }
        expect(Date.now() - t0).toBeLessThan(2_000);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('takes a GUID prefix of digits as text, and refuses a confirmation or choice that is not one', async () => {
    const file = join(root, 'digits.yaml');
    await writeFile(file, 'confirm: {stop-container: 78218123}\nchoose: {deletedInstance: 12345678}\n');
    expect(loadAnswers(file, new Redactor())).toMatchObject({
      confirm: { 'stop-container': '78218123' },
      choose: { deletedInstance: '12345678' },
    });
    await writeFile(file, 'choose: {deletedInstance: [a, b]}\n');
    expect(() => loadAnswers(file, new Redactor())).toThrow(/choose\.deletedInstance must be the value chosen, as text \(found a list\)/);
    await writeFile(file, 'confirm: {stop-container: null}\n');
    expect(() => loadAnswers(file, new Redactor())).toThrow(/confirm\.stop-container must be the text to type, or true \(found nothing\)/);
  });
});

describe('the loaders on files that are not files', () => {
  it('refuse folders, devices, unreadable and oversized files with a UsageError', async () => {
    const dir = join(root, 'folder');
    await mkdir(dir, { recursive: true });
    const big = join(root, 'big.yaml');
    await writeFile(big, `# ${'x'.repeat(5 * 1024 * 1024)}\n`);
    const cases: [string, RegExp][] = [
      [dir, /it is a folder, not a file/],
      ['/dev/zero', /it is a device, not a file/],
      [join(root, 'missing.yaml'), /ENOENT/],
      [big, /it is over \d+ MiB/],
    ];
    if (existsSync('/proc/self/mem')) cases.push(['/proc/self/mem', /EIO|EACCES|EPERM/]);
    for (const [file, why] of cases) {
      expectOnlyUsageErrors(() => loadRunbook(file, actions), file);
      expect(() => loadRunbook(file, actions)).toThrow(why);
      if (file !== big) expect(() => loadAnswers(file, new Redactor())).toThrow(why);
    }
  });

  it('refuse a FIFO at once instead of waiting for a writer (in a child, so a hang cannot stall the suite)', () => {
    const fifo = join(root, 'answers.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const script = `
      const { loadAnswers } = await import(${JSON.stringify(join(ROOT, 'src/engine/operator/answers.ts'))});
      const { loadRunbook } = await import(${JSON.stringify(join(ROOT, 'src/engine/runbook/runbook.ts'))});
      for (const load of [() => loadAnswers(process.argv[1], { register: () => undefined }), () => loadRunbook(process.argv[1], new Map())]) {
        try { load(); console.log('loaded'); } catch (e) { console.log(e.name + ': ' + e.message); }
      }`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, fifo], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(child.signal).toBeNull();
    expect(child.stdout.trim().split('\n')).toEqual([
      `UsageError: cannot read answers file ${fifo}: it is a FIFO (named pipe), not a file`,
      `UsageError: cannot read runbook ${fifo}: it is a FIFO (named pipe), not a file`,
    ]);
  });
});
