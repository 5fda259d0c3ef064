import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DingoError } from '../../src/core/errors.js';
import { printableJson } from '../../src/core/display.js';
import { findDeletedInstance, findInstance } from '../../src/logs/find.js';
import { renderCandidates, renderInstance } from '../../src/commands/logs/render.js';
import { MAX_PROBLEMS, MAX_SKIPPED, type SearchReport } from '../../src/core/log-source.js';
import { runCli } from '../support/cli.js';
import { folderSpec, materialize } from '../support/hostile-logs.js';
import { RAW_CONTROL } from '../support/control-chars.js';
import { openLogSource } from '../../src/systems/log-source.js';
import { Redactor } from '../../src/core/redact.js';

const SEED = 20261123;
/** A search of a few small files answers in milliseconds; this bound only catches a hang. */
const BOUND_MS = 5_000;

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fuzz-finder-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`${what} did not answer within ${ms} ms`));
    }, ms);
  });
  return Promise.race([p, late]).finally(() => {
    clearTimeout(timer);
  });
}

/** Either an answer or a DingoError with a message: anything else escaping is a bug. */
async function answerOrDingoError<T>(what: string, run: () => Promise<T>): Promise<T | null> {
  try {
    return await within(BOUND_MS, what, run());
  } catch (err) {
    if (!(err instanceof DingoError) || err.message === '') throw err;
    return null;
  }
}

function checkReport(r: SearchReport): void {
  expect(r.skipped.length).toBeLessThanOrEqual(MAX_SKIPPED);
  expect(r.problems.length).toBeLessThanOrEqual(MAX_PROBLEMS);
  expect(r.skippedTotal).toBeGreaterThanOrEqual(r.skipped.length);
  for (const s of r.skipped) {
    expect(typeof s.path).toBe('string');
    expect(s.why.length).toBeGreaterThan(0);
    expect(r.badInput[s.kind]).toBeGreaterThan(0);
    if (s.line !== undefined) expect(Number.isInteger(s.line) && s.line >= 1).toBe(true);
  }
}

function checkJson(value: unknown): void {
  const text = printableJson(value, 2);
  expect(text).not.toMatch(RAW_CONTROL);
  expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
}

describe('the log finder on hostile folders (property)', () => {
  it('answers in bounded time, throws nothing but DingoError, reports what it skipped, and its output is valid JSON and display-safe', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(folderSpec, fc.constantFrom('important-db', 'other-db', '\u001b[2J'), fc.boolean(), async (spec, name, direct) => {
        const dir = join(root, `run-${run++}`);
        try {
          const top = await materialize(dir, spec);
          // The folder, and sometimes its entries given one by one as well (FIFOs and links included).
          const sources = openLogSource({ paths: direct ? [dir, ...top] : [dir] });
          const found = await answerOrDingoError('findDeletedInstance', () =>
            findDeletedInstance({ redactor: new Redactor(), sources, serviceName: name }),
          );
          if (found) {
            checkReport(found.searched);
            checkJson(found);
            for (const c of found.candidates) {
              for (const t of [c.deletedAt, c.lastWalUploadAt]) if (t !== null) expect(Number.isNaN(Date.parse(t))).toBe(false);
            }
            expect(renderCandidates(found.candidates, found.searched)).not.toMatch(RAW_CONTROL);
          }
          const facts = await answerOrDingoError('findInstance', () =>
            findInstance({ redactor: new Redactor(), sources, instanceGuid: '6e101b27-ee1b-4f4d-a032-4401a3709ec3' }),
          );
          if (facts) {
            checkReport(facts.searched);
            checkJson(facts);
            expect(renderInstance(facts)).not.toMatch(RAW_CONTROL);
          }
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      }),
      // A hang makes every shrinking step wait BOUND_MS: stop shrinking after a while and report the
      // failure found. A slow machine that runs fewer cases in that time is not a failure.
      { seed: SEED, numRuns: 60, interruptAfterTimeLimit: 40_000, markInterruptAsFailure: false },
    );
  }, 90_000);

  it('the real CLI prints valid JSON and no stack trace on hostile folders, and exits 2 on a --since out of range', async () => {
    const specs = fc.sample(folderSpec, { seed: SEED + 1, numRuns: 3 });
    for (const [i, spec] of specs.entries()) {
      const dir = join(root, `cli-${i}`);
      await materialize(dir, spec);
      for (const args of [
        ['find', '--service-name', 'important-db'],
        ['instance', '6e101b27-ee1b-4f4d-a032-4401a3709ec3'],
      ]) {
        const r = await within(30_000, 'the CLI', runCli(['logs', ...args, '--json', '--logs', dir]));
        expect(r.stderr).not.toMatch(/\n\s+at /);
        expect([0, 1]).toContain(r.code);
        const json = JSON.parse(r.stdout) as { searched: SearchReport };
        checkReport(json.searched);
        expect(r.stdout).not.toMatch(RAW_CONTROL);
      }
    }
    const r = await runCli(['logs', 'find', '--service-name', 'x', '--logs', join(root, 'cli-0'), '--since', '99999999999d']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--since 99999999999d: an age goes back at most 100 years/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
