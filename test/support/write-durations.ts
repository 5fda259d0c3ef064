/**
 * Writes durations.json (./longest-first.ts) from a whole pass's JSON report:
 *   npx vitest run --reporter=default --reporter=json --outputFile.json=/tmp/pass.json
 *   npx tsx test/support/write-durations.ts /tmp/pass.json
 * Each file's wall time from its start to its end, in whole seconds, by its path in this checkout
 * (the report may come from a checkout elsewhere).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DURATIONS_FILE, type Durations } from './longest-first.js';

interface Report {
  testResults: { name: string; startTime: number; endTime: number }[];
}

const [reportPath] = process.argv.slice(2);
if (!reportPath) throw new Error('usage: write-durations.ts <vitest JSON report of a whole pass>');
const report = JSON.parse(readFileSync(reportPath, 'utf8')) as Report;
const root = fileURLToPath(new URL('../../', import.meta.url));

/** The report's path of a file as this checkout's: its tail from the first `test/` that names a file here. */
function here(path: string): string {
  for (let at = path.indexOf('/test/'); at >= 0; at = path.indexOf('/test/', at + 1)) {
    if (existsSync(join(root, path.slice(at + 1)))) return path.slice(at + 1);
  }
  throw new Error(`${path}, of the report, is no test file of this checkout`);
}

const durations: Durations = Object.fromEntries(
  report.testResults
    .map((f) => [here(f.name), Math.max(1, Math.round((f.endTime - f.startTime) / 1000))] as const)
    .sort(([a], [b]) => a.localeCompare(b)),
);
writeFileSync(DURATIONS_FILE, `${JSON.stringify(durations, null, 2)}\n`);
console.log(`${Object.keys(durations).length} files' durations written to ${fileURLToPath(DURATIONS_FILE)}`);
