/**
 * restore-to-time's dumps: pg_dump -Fc of the chosen databases of the copy restored to the target,
 * into the run's folder (files 0600), then the copy removed once the dumps are proven.
 */
import { access, mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { defineAction, type ActionDef, output, required } from '../../engine/runbook/index.js';
import type { StepContext } from '../../engine/executor/index.js';
import { StepFailed } from '../../core/errors.js';
import { formatBytes } from '../../core/format.js';
import { DrillFailed } from '../../drill/exit-codes.js';
import { describeTarget, targetOfFlags } from '../../drill/recovery-target.js';
import { dumpDatabases, localClientOf } from '../../volumes/look.js';
import { restoreOnce, scratchFolder, stopLeftoverServer, stopLeftoversIn } from '../support/restore-copy.js';
import { scratchEngine } from '../support/scratch-engine.js';
import { DUMP } from '../support/records.js';

/**
 * The copy restored to the target; restored again when it is gone (a resume after the temp folder
 * was cleared, a reboot): the same archive to the same target gives the same database.
 */
async function copyAt(ctx: StepContext, p: { dataDir: string; url: string; target: string[] }): Promise<string> {
  const there = await access(p.dataDir).then(
    () => true,
    () => false,
  );
  if (there) {
    // A dump interrupted with its server running left that server on the copy: it would refuse another.
    await stopLeftoverServer(ctx, dirname(p.dataDir));
    return p.dataDir;
  }
  const t = targetOfFlags(p.target);
  ctx.note(`the copy ${p.dataDir} is gone: restoring the archive again, the database ${describeTarget(t)}`);
  const r = await restoreOnce(ctx, p.url, t);
  if (r instanceof DrillFailed) {
    throw new StepFailed(`the archive no longer restores the database ${describeTarget(t)}: ${r.message}`, {
      hint: r.hint ?? 'nothing was changed',
    });
  }
  return join(r.workdir!, 'data');
}

/**
 * The client of the archive's own major, whose pg_dump makes dumps a new service of that major loads:
 * its pg_restore reads no archive of a newer pg_dump, nor does its server run all such a pg_dump writes.
 */
async function serviceDumpClient(ctx: StepContext, major: string): Promise<string> {
  // Where server binaries are looked for ($DINGO_RECOVER_PG_ROOT), then Debian's folder.
  const given = ctx.runtime.env.DINGO_RECOVER_PG_ROOT;
  const roots = given ? [given, undefined] : [undefined];
  const looked: string[] = [];
  for (const root of roots) {
    const client = await localClientOf(major, root);
    if ('bin' in client) return client.bin;
    looked.push(client.missing);
  }
  throw new StepFailed(
    `the copy goes into a new service, which runs the archive's PostgreSQL ${major}: its pg_restore reads no dump of a newer pg_dump, and there is no pg_dump ${major} here (looked in ${looked.join(' and ')})`,
    {
      hint: `nothing was dumped; install PostgreSQL ${major}'s client here (postgresql-client-${major}, from apt.postgresql.org for an old major), then resume; or start a new run with into: dumps`,
    },
  );
}

const dump = defineAction({
  name: 'pitr.dump',
  summary: "pg_dump -Fc each chosen database of the restored copy into the run's folder (files 0600)",
  effect: 'write',
  params: {
    restored: required('boolean', 'the copy was restored here'),
    dataDir: required('string', 'the restored data folder'),
    url: required('string', 'the archive (restored again to the moment when the copy is gone)'),
    target: required('string[]', "the target kept, as the drill's flags"),
    major: required('string', "the archive's PostgreSQL major version"),
    databases: required('string[]', 'databases to dump (empty: every database holding data)'),
    found: required('string[]', 'databases holding data'),
    copyName: required('string', "the name of the copy (the dumps' folder)"),
    into: required(
      'string',
      '"dumps", or "service": the dumps are loaded into a new service, of the archive\'s major, and made by its pg_dump',
    ),
  },
  outputs: {
    outDir: output('string', 'the folder of the dumps (empty when nothing was restored)'),
    dataDir: output('string', 'the copy dumped (restored again when the first was gone)'),
    dumps: output('object[]', 'each dump: database, file, bytes, row counts', DUMP),
  },
  safeToRepeat: 'a repeated dump writes new files beside the earlier ones (never over them) from the same copy',
  result: (o) => (o.outDir ? `${o.dumps.length} dump(s) in ${o.outDir}` : 'nothing to dump: the copy was not restored here'),
  async run(ctx, p) {
    if (!p.restored) {
      ctx.warn('nothing dumped: the copy was not restored here');
      return { outDir: '', dataDir: '', dumps: [] };
    }
    const wanted = p.databases.length ? p.databases : p.found;
    if (!wanted.length) {
      throw new StepFailed('the copy holds no database besides an empty postgres', {
        hint: 'at this moment the database held no data: start a new run with another moment',
      });
    }
    const dumpBin = p.into === 'service' ? await serviceDumpClient(ctx, p.major) : undefined;
    const dataDir = await copyAt(ctx, p);
    const outDir = join(ctx.runDir, 'dumps', p.copyName);
    await mkdir(outDir, { recursive: true, mode: 0o700 });
    const dumps = await dumpDatabases({
      dataDir,
      major: p.major,
      workDir: dirname(dataDir),
      engine: scratchEngine(ctx),
      databases: wanted,
      outDir,
      ...(dumpBin ? { dumpBin } : {}),
      progress: (m) => {
        ctx.progress(m);
      },
    });
    for (const d of dumps) ctx.evidence(`${d.database} → ${d.file} (${formatBytes(d.bytes)}, ${Object.keys(d.rowCounts).length} table(s))`);
    return { outDir, dataDir, dumps: dumps.map((d) => ({ ...d })) };
  },
});

const removeScratch = defineAction({
  name: 'pitr.remove-scratch',
  summary: "Remove the run's scratch copies restored to the moment, once the dumps are proven",
  effect: 'write',
  params: {},
  outputs: { removed: output('string', 'the scratch folder removed (empty when there was none)') },
  safeToRepeat: 'removing a folder already removed changes nothing',
  result: (o) => (o.removed ? `removed ${o.removed}` : 'no scratch copy'),
  async run(ctx) {
    // The run's copies of the user's database, not to be left in the temp folder.
    const dir = scratchFolder(ctx.runtime.scratch, ctx.runId);
    const there = await access(dir).then(
      () => true,
      () => false,
    );
    if (!there) return { removed: '' };
    await stopLeftoversIn(ctx, dir);
    await rm(dir, { recursive: true, force: true });
    ctx.evidence(`removed the scratch copies in ${dir}: the dumps hold what they held`);
    return { removed: dir };
  },
});

export const restoreTimeDumpActions: ActionDef[] = [dump, removeScratch];
