import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';
import { tempDirs } from '../support/temp-dirs.js';

const tmp = tempDirs('dr-input-file-');

/**
 * Each reader of an operator's or a run's file, given `process.argv[1]` in place of its file (the
 * scenario's folder holds it as scenario.yaml). Run in a child, so a read that blocks on a FIFO
 * ends in the child's timeout instead of stalling the suite.
 */
const SCRIPT = `
  const { loadScenario } = await import(${JSON.stringify(join(ROOT, 'src/rehearsal/scenario.ts'))});
  const { RunLock } = await import(${JSON.stringify(join(ROOT, 'src/engine/run/lock.ts'))});
  const { createEsClient } = await import(${JSON.stringify(join(ROOT, 'src/systems/elasticsearch/elasticsearch.ts'))});
  const { Redactor } = await import(${JSON.stringify(join(ROOT, 'src/core/redact.ts'))});
  const [file, scenarioDir] = process.argv.slice(1);
  const reads = [
    () => loadScenario(scenarioDir),
    () => RunLock.acquire(file, { clock: { now: () => new Date() } }),
    () => createEsClient({ url: 'https://es.example:9200', caFile: file, redactor: new Redactor() }),
  ];
  for (const read of reads) {
    try { read(); console.log('read'); } catch (e) { console.log(e.name + ': ' + e.message + ' | ' + e.hint); }
  }`;

function readAll(file: string, scenarioDir: string): string[] {
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT, file, scenarioDir], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect(child.signal, child.stderr.slice(0, 2000)).toBeNull();
  return child.stdout.trim().split('\n');
}

describe('the scenario file, the run lock and the --es-ca-file are read only when they are files', () => {
  it.each([
    ['a FIFO', 'a FIFO (named pipe)'],
    ['a folder', 'a folder'],
  ])('%s in their place is refused at once, naming the path, never waited on', (kind, said) => {
    const dir = tmp();
    const file = join(dir, 'scenario.yaml');
    if (kind === 'a FIFO') expect(spawnSync('mkfifo', [file]).status).toBe(0);
    else mkdirSync(file);
    const lines = readAll(file, dir);
    expect(lines.map((l) => l.split(' | ')[0])).toEqual([
      `UsageError: cannot read scenario ${file}: it is ${said}, not a file`,
      `UsageError: cannot read run lock ${file}: it is ${said}, not a file`,
      `UsageError: cannot read CA file ${file}: it is ${said}, not a file`,
    ]);
    expect(lines[1]).toContain(`move ${file} aside`);
  });

  it('a device is refused as a CA file, not read without end', () => {
    expect(readAll('/dev/zero', tmp()).at(-1)).toMatch(
      /^UsageError: cannot read CA file \/dev\/zero: it is a device, not a file \| Pass the PEM/,
    );
  });
});
