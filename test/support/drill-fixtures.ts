/**
 * The parts of a drill test file: moto with a bucket, a generated PostgreSQL 15 archive, a scratch
 * folder; the drill command run with the suite's S3 and database flags; and the teardown.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { runDrillCommand, type DrillArgs } from '../../src/commands/drill/drill.js';
import { startMoto, type Moto } from './moto.js';
import {
  DRILL_TABLE,
  generateWaleArchive,
  removeArchive,
  uploadArchive,
  type GenerateOptions,
  type GeneratedArchive,
} from './wale-archive.js';
import { runDrill, type DrillOptions, type DrillReport } from '../../src/drill/drill.js';
import type { RestoredCopy } from '../../src/drill/restored-copy.js';
import { Redactor } from '../../src/core/redact.js';
import { localProcesses } from '../../src/systems/local-processes.js';
import { readTable, type TableReadout } from '../../src/volumes/table-readout.js';

export interface DrillFixtures {
  moto: Moto;
  archive: GeneratedArchive;
  dir: string;
}

export interface DrillSetup {
  /** The scratch folder's name prefix in the system's temporary folder. */
  scratch: string;
  bucket: string;
  /** What to generate (the scratch folder is its `dir`). */
  archive: Omit<GenerateOptions, 'dir'>;
  /** Where in the bucket to upload the archive; none: the test uploads its own variants. */
  prefix?: string;
  /** Put into process.env beside moto's endpoint, for the drill's own S3 client. */
  env: Record<string, string>;
}

/** Starts moto and generates the archive side by side, creates the bucket, uploads the archive to `prefix`. */
export async function setUpDrill(s: DrillSetup): Promise<DrillFixtures> {
  const dir = await mkdtemp(join(tmpdir(), s.scratch));
  const [moto, archive] = await Promise.all([startMoto(), generateWaleArchive({ dir, ...s.archive })]);
  await moto.createBucket(s.bucket);
  if (s.prefix !== undefined) await uploadArchive(moto.store, archive.root, s.bucket, s.prefix);
  Object.assign(process.env, moto.env, s.env);
  return { moto, archive, dir };
}

/** Stops and removes whatever was started: setup may have failed before some of it was. */
export async function tearDownDrill(started: Partial<DrillFixtures>): Promise<void> {
  await started.moto?.stop();
  if (started.archive) await removeArchive(started.archive);
  if (started.dir) await rm(started.dir, { recursive: true, force: true });
}

/** The `drill` command's flags for an archive at `url` in moto, restored as the local `postgres` user. */
export function drillArgs(url: string, moto: Moto, extra: Partial<DrillArgs> = {}): DrillArgs {
  return {
    url,
    s3Endpoint: moto.endpoint,
    s3PathStyle: true,
    deadline: '2m',
    dbUser: 'postgres',
    dbName: 'postgres',
    concurrency: 4,
    ...extra,
  };
}

export interface DrillRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the `drill` command in process, keeping what it writes, which must never show the S3 secret key. */
export async function captureDrill(args: DrillArgs, secret: string): Promise<DrillRun> {
  let stdout = '';
  let stderr = '';
  const code = await runDrillCommand(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  expect(stdout + stderr).not.toContain(secret);
  return { code, stdout, stderr };
}

/** The drill table's rows in a restored copy (paused or not), read as a look reads a table (volumes/table-readout.ts). */
export function pausedRows(copy: RestoredCopy): Promise<TableReadout> {
  const query = async (database: string, sql: string): Promise<string[][]> =>
    (await copy.cluster.query(sql, { ...copy.conn, database })).rows;
  return readTable({ query, lines: copy.lines }, 'postgres', 'public', DRILL_TABLE, { count: true, newest: false, estimate: -1 });
}

/** What a drill on this machine is handed beside its archive: this machine's programs, a redactor of its own, the system's temporary folder and clock. */
type HereOptions = Omit<DrillOptions, 'workdir' | 'now' | 'processes' | 'redactor'> &
  Partial<Pick<DrillOptions, 'workdir' | 'now' | 'processes' | 'redactor'>>;

/** runDrill on this machine, as the drill command runs it; `o` names the archive and what varies. */
export function drillHere(o: HereOptions): Promise<DrillReport> {
  return runDrill({ workdir: tmpdir(), now: () => new Date(), processes: localProcesses, redactor: new Redactor(), ...o });
}
