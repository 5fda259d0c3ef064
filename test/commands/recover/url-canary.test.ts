/** A canary secret in every flag that takes a URL never reaches the journal, the run folder or the screen. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runCli, runIdOf } from '../../support/cli.js';

const dirs: string[] = [];
afterAll(() => {
  dirs.splice(0).forEach((d) => {
    rmSync(d, { recursive: true, force: true });
  });
});

function everything(dir: string): string {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(join(e.parentPath, e.name), 'utf8'))
    .join('\n');
}

it('recover and resume strip credentials from --es-url, --s3-endpoint and --clusterdata before journaling', async () => {
  const state = mkdtempSync(join(tmpdir(), 'dr-canary-'));
  dirs.push(state);
  const canaries = ['Es-Canary-Pw-7f3a', 'S3-Canary-Secret-91bd', 'Cd-Canary-Pw-44e0', 'Query-Canary-Token-5c2e', 'Resume-Canary-Pw-0b9d'];
  const answers = join(state, 'answers.yaml');
  writeFileSync(answers, 'inputs: { org: acme, space: s, serviceName: important-db, plan: cluster, apps: [] }\n');
  const first = await runCli([
    'recover',
    '--state-dir',
    state,
    '--answers',
    answers,
    '--yes',
    // Past the checks before the run, which would stop it before it has a journal to look at.
    '--skip-checks',
    '--cf-bin',
    '/bin/false',
    '--logs',
    state,
    '--es-url',
    `http://elastic:${canaries[0]}@127.0.0.1:9/?token=${canaries[3]}`,
    '--s3-endpoint',
    `http://AKIA:${canaries[1]}@127.0.0.1:9`,
    '--clusterdata',
    `s3://user:${canaries[2]}@clusterdata-bucket`,
  ]);
  expect(first.code, first.stdout + first.stderr).toBe(1);
  const runId = runIdOf(first.stdout);
  expect(first.stderr).toContain('--es-url: took');
  const resumed = await runCli([
    'resume',
    runId,
    '--state-dir',
    state,
    '--yes',
    '--skip-checks',
    '--cf-bin',
    '/bin/false',
    '--es-url',
    `https://elastic:${canaries[4]}@127.0.0.1:9`,
  ]);
  expect(resumed.code).toBe(1);
  const journal = readFileSync(join(state, 'runs', runId, 'journal.ndjson'), 'utf8');
  expect(journal).toContain('"esUrl":"http://127.0.0.1:9/"');
  expect(journal).toContain('"to":"https://127.0.0.1:9"');
  const seen = everything(state) + first.stdout + first.stderr + resumed.stdout + resumed.stderr;
  for (const c of canaries) expect(seen).not.toContain(c);
});
