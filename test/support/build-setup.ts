/**
 * Vitest's global setup: the tests run the command line as operators do, the built
 * bin/dingo-recover.js over dist/, so the build is made again (`npm run build`) when a source it is
 * made from is newer than it: `npm test` after an edit, or a single file run with `npx vitest run FILE`,
 * gets the edit. After `npm ci` (which builds) it finds nothing to do: a build takes 15 s.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { oncePerRun } from './once-per-run.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** What the build reads: the TypeScript it compiles and the scripts that write the help and completion files. */
const SOURCES = ['src', 'bench', 'bin', 'tsconfig.json', 'package.json'];
/** Written last by the build (bin/write-top-level-help.js), so its age is the build's. */
const BUILT = join(ROOT, 'dist', 'src', 'completion-tree.json');

function newest(path: string): number {
  const s = statSync(path, { throwIfNoEntry: false });
  if (!s) return 0;
  if (!s.isDirectory()) return s.mtimeMs;
  return readdirSync(path).reduce((m, name) => Math.max(m, newest(join(path, name))), s.mtimeMs);
}

function setup(): undefined {
  const built = statSync(BUILT, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  if (SOURCES.reduce((m, p) => Math.max(m, newest(join(ROOT, p))), 0) <= built) return;
  process.stderr.write('the build is older than its sources: npm run build\n');
  const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`npm run build failed (exit ${String(r.status ?? r.signal)}): the tests run the built command line`);
}

export default oncePerRun('build', setup);
