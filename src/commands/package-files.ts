/** Where the installed package keeps its files: package.json, the bundled runbooks and scenario. */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../core/errors.js';
import { stringAt } from '../core/json.js';

/** The bundled runbook, by name: found in the package whatever the working folder. */
export const DEFAULT_RUNBOOK = 'recover-deleted-service';
export const DEFAULT_SCENARIO = 'fixtures/seed-003';

function packageField(file: string, field: string): string | undefined {
  return stringAt(JSON.parse(readFileSync(file, 'utf8')), field);
}

/** The folder holding package.json, runbooks/ and fixtures/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && packageField(pkg, 'name') === 'dingo-recover') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the dingo-recover package folder');
    dir = up;
  }
}

export function packageVersion(): string {
  return packageField(join(packageRoot(), 'package.json'), 'version') ?? 'unknown';
}

/** A runbook given by path, or by name from the bundled runbooks/. */
export function runbookPath(nameOrFile: string): string {
  if (existsSync(nameOrFile)) return resolve(nameOrFile);
  const bundled = join(packageRoot(), 'runbooks', nameOrFile.endsWith('.yaml') ? nameOrFile : `${nameOrFile}.yaml`);
  if (existsSync(bundled)) return bundled;
  throw new UsageError(`no runbook "${nameOrFile}" (neither a file nor a bundled runbook)`, {
    hint: `the bundled runbooks: ${bundledRunbooks().join(', ')} (in ${join(packageRoot(), 'runbooks')})`,
  });
}

/** Whether a runbook of that name is bundled (a scenario may name it). */
export function isBundledRunbook(name: string): boolean {
  return bundledRunbooks().includes(name);
}

/** The names of the bundled runbooks, for `explain`, `recover --runbook` and a Tab. */
export function bundledRunbooks(): string[] {
  return readdirSync(join(packageRoot(), 'runbooks'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
}
