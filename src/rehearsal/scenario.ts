/**
 * A rehearsal scenario: a folder with scenario.yaml (the platform's starting world), its
 * syslog files, and the answers the bundled scenario ships with.
 */
import { existsSync, readdirSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { UsageError } from '../core/errors.js';
import { checkTrusted } from '../core/file-trust.js';
import { readInputFile } from '../core/input-file.js';
import { auditEventsProblem, isScenarioWorld, scalarText, type ScenarioWorld } from './world-shape.js';
import { isRecord } from '../core/json.js';
import type { WorldState } from './world-state.js';
import type { SimBuckets } from './memory-store.js';

export interface Scenario {
  dir: string;
  title: string;
  description: string;
  /** The runbook the scenario names (`runbook:`), which a rehearsal runs when none is given. */
  runbook?: string;
  /** Answers the bundled scenario ships with (the user's questions). */
  answersFile?: string;
  syslogPaths: string[];
  initial: WorldState;
}

export function loadScenario(dir: string): Scenario {
  const abs = resolve(dir);
  const file = join(abs, 'scenario.yaml');
  if (!existsSync(file)) {
    throw new UsageError(`no scenario at ${abs} (expected ${file})`, { hint: 'pass --scenario with a folder like fixtures/seed-003' });
  }
  // A rehearsal runs the scenario's runbook with what it holds: only a folder no other user may have written.
  checkTrusted(file, 'scenario');
  const doc = readScenarioFile(file);
  const world = doc.world;
  if (!isScenarioWorld(world)) {
    throw new UsageError(`${file}: needs world.cf, world.bosh, world.cells and world.s3`);
  }
  const eventsProblem = auditEventsProblem(world);
  if (eventsProblem) throw new UsageError(`${file}: ${eventsProblem}`);
  const syslogDir = join(abs, 'syslog');
  const syslogPaths = existsSync(syslogDir)
    ? readdirSync(syslogDir)
        .sort()
        .map((f) => join(syslogDir, f))
    : [];
  const answers = join(abs, 'answers.yaml');
  for (const f of [syslogDir, ...syslogPaths, answers]) checkTrusted(f, 'scenario file');
  return {
    dir: abs,
    title: scalarText(doc.title, abs),
    description: scalarText(doc.description, ''),
    runbook: namedRunbook(doc),
    answersFile: existsSync(answers) ? answers : undefined,
    syslogPaths,
    initial: initialState(world, abs),
  };
}

/** The runbook a scenario names (its top-level `runbook:`, e.g. `recover-space`), or undefined. */
function namedRunbook(doc: Record<string, unknown>): string | undefined {
  return typeof doc.runbook === 'string' && doc.runbook.trim() ? doc.runbook.trim() : undefined;
}

/** A scenario is a page of YAML; far more is not one. */
const MAX_SCENARIO_BYTES = 16 * 1024 * 1024;

function readScenarioFile(file: string): Record<string, unknown> {
  const text = readInputFile(file, {
    what: 'scenario',
    maxBytes: MAX_SCENARIO_BYTES,
    hint: 'pass --scenario with a folder holding a scenario.yaml file, like fixtures/seed-003',
  });
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new UsageError(`${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return isRecord(doc) ? doc : {};
}

/** A body file of the scenario: inside its folder, and no other user's. */
function bodyFileIn(dir: string, named: string): string {
  const file = resolve(dir, named);
  const inside = relative(dir, file);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
    throw new UsageError(`${join(dir, 'scenario.yaml')}: the body file ${JSON.stringify(named)} is outside the scenario's folder`, {
      hint: 'keep the bodies of the simulated objects in the scenario folder and name them relative to it',
    });
  }
  checkTrusted(file, 'scenario file');
  return file;
}

/** The objects' body files, named relative to the scenario's folder, by their whole path. */
function bodyFilesIn(s3: SimBuckets, dir: string): SimBuckets {
  return Object.fromEntries(
    Object.entries(s3).map(([bucket, objects]) => [
      bucket,
      Object.fromEntries(
        Object.entries(objects).map(([key, o]) => [key, o.bodyFile === undefined ? o : { ...o, bodyFile: bodyFileIn(dir, o.bodyFile) }]),
      ),
    ]),
  );
}

function initialState(world: ScenarioWorld, dir: string): WorldState {
  return {
    version: 1,
    clock: world.clock ?? '2016-03-17T18:00:00.000Z',
    cf: world.cf,
    bosh: world.bosh,
    cells: world.cells,
    cellHosts: world.cellHosts ?? {},
    etcd: world.etcd ?? {},
    s3: bodyFilesIn(world.s3, dir),
    databases: world.databases ?? {},
    placements: world.placements ?? [],
    serving: world.serving ?? {},
    syslogAppended: 0,
    history: [],
  };
}
