/**
 * Scenarios for `rehearse --scenario`: a folder, or a scenario bundled with the package by its name
 * (`space-scenario`) or by the README's path (`fixtures/space-scenario`), from any working folder.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, normalize, resolve, sep } from 'node:path';
import { UsageError } from '../core/errors.js';
import { packageRoot } from './package-files.js';

const SCENARIO_FILE = 'scenario.yaml';

function isScenarioDir(dir: string): boolean {
  return existsSync(join(dir, SCENARIO_FILE)) && statSync(dir).isDirectory();
}

/** The bundled scenarios' names. */
export function bundledScenarios(): string[] {
  const fixtures = join(packageRoot(), 'fixtures');
  return readdirSync(fixtures)
    .filter((name) => isScenarioDir(join(fixtures, name)))
    .sort();
}

/** The bundled scenario a name or a `fixtures/NAME` path means, if there is one. */
function bundled(nameOrDir: string): string | undefined {
  const parts = normalize(nameOrDir).split(sep).filter(Boolean);
  const name = parts.length === 2 && parts[0] === 'fixtures' ? parts[1] : parts.length === 1 ? parts[0] : undefined;
  if (name === undefined || name === '.' || name === '..') return undefined;
  const dir = join(packageRoot(), 'fixtures', name);
  return isScenarioDir(dir) ? dir : undefined;
}

/** The scenario folder: the folder given when it is one, else the bundled scenario of that name. */
export function scenarioDir(nameOrDir: string): string {
  const given = resolve(nameOrDir);
  if (existsSync(given)) return given;
  const found = bundled(nameOrDir);
  if (found !== undefined) return found;
  throw new UsageError(`no scenario "${nameOrDir}": neither a folder nor a scenario bundled with dingo-recover`, {
    hint: `give a scenario folder (holding ${SCENARIO_FILE}), or the name of a bundled one: ${bundledScenarios().join(', ')}`,
  });
}
