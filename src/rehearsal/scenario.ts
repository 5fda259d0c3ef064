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
import { parsedOnce } from '../core/parsed-once.js';
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
    // A copy of what the text parsed to: the world it holds becomes a run's, which changes it.
    doc = structuredClone(scenarioYaml(text));
  } catch (err) {
    throw new UsageError(`${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return isRecord(doc) ? doc : {};
}

/** A scenario's YAML parsed once per text (core/parsed-once.ts): a rehearsal reads it to choose its runbook, then for its platform. */
const scenarioYaml = parsedOnce((text: string): unknown => parseYaml(text), 8);

/** A file of the scenario (an object's body, a container's seed): inside its folder, and no other user's. */
function bodyFileIn(dir: string, named: string, what = 'body file'): string {
  const file = resolve(dir, named);
  const inside = relative(dir, file);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
    throw new UsageError(`${join(dir, 'scenario.yaml')}: the ${what} ${JSON.stringify(named)} is outside the scenario's folder`, {
      hint: "keep the scenario's files in its folder and name them relative to it",
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

/** A container's `postgres:` names its seed, a file of the scenario's. */
function seedOf(postgres: unknown, name: string, dir: string): string {
  const { seed, nextXid } = (postgres ?? {}) as { seed?: unknown; nextXid?: unknown };
  const xidOk = nextXid === undefined || (typeof nextXid === 'number' && Number.isInteger(nextXid) && nextXid > 0 && nextXid < 32768);
  if (typeof seed === 'string' && seed !== '' && xidOk) return seed;
  throw new UsageError(
    `${join(dir, 'scenario.yaml')}: container ${name} has postgres: without a seed, or with a nextXid not a whole number from 1 to 32767`,
    {
      hint: 'give postgres: { seed: FILE, nextXid: N }, FILE the SQL its database starts from, in the scenario folder, N the transaction id its first statement gets (optional)',
    },
  );
}

/** The containers' seeds (`postgres: { seed: live.sql }`), named relative to the scenario's folder, by their whole path. */
function seedsIn(cells: WorldState['cells'], dir: string): WorldState['cells'] {
  return Object.fromEntries(
    Object.entries(cells).map(([ip, cell]) => [
      ip,
      {
        ...cell,
        containers: Object.fromEntries(
          Object.entries(cell.containers).map(([name, c]) => [
            name,
            c.postgres === undefined
              ? c
              : { ...c, postgres: { ...c.postgres, seed: bodyFileIn(dir, seedOf(c.postgres, name, dir), `seed of container ${name}`) } },
          ]),
        ),
      },
    ]),
  );
}

function initialState(world: ScenarioWorld, dir: string): WorldState {
  return {
    version: 1,
    clock: world.clock ?? '2016-03-17T18:00:00.000Z',
    cf: world.cf,
    bosh: world.bosh,
    cells: seedsIn(world.cells, dir),
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
