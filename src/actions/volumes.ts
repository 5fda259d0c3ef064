/**
 * The steps of recover-docker-volume: find the PostgreSQL data folders among a host's Docker volumes,
 * have the operator choose one with its evidence, copy it, look inside the copy, dump the chosen
 * databases, prove each dump restores, and check the original is exactly as it was.
 */
import { access, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  defineAction,
  type ActionDef,
  type ParamsOf,
  type RecordOf,
  defaulted,
  isShaped,
  output,
  required,
  shape,
} from '../engine/runbook/index.js';
import { failpoint } from '../core/failpoints.js';
import { StepFailed } from '../core/errors.js';
import { formatBytes } from '../core/format.js';
import {
  deniedWarning,
  findVolumes,
  volumeShownName,
  listWarnings,
  nothingReadable,
  RUN_AS_ROOT,
  type VolumeReport,
} from '../volumes/find.js';
import { describeUserData } from '../volumes/user-data.js';
import { AS_THE_COPY_SAYS, dumpDatabases, foreignTablesLine, lookInside, newestOf } from '../volumes/look.js';
import { chooseVolume, copyFolderName, copyVolume, dataDirOf } from '../volumes/session.js';
import { DUMP, VOLUME_CANDIDATE } from './support/records.js';
import { askedEngine, dockerHostOf } from '../volumes/docker-host.js';
import { invocation } from '../core/invocation.js';
import type { StepContext } from '../engine/executor/index.js';

const source = {
  volumesRoot: defaulted('string[]', [], 'a folder of volumes to read instead of the Docker Engine (none: ask the Engine)'),
  dockerHost: defaulted('string', '', 'the Docker Engine socket (empty: DOCKER_HOST, else unix:///var/run/docker.sock)'),
} as const;

/** The first element of an optional one-element list parameter, or ''. */
function firstOf(v: readonly string[]): string {
  return v[0] ?? '';
}

/** The Engine the dockerHost input names, else DOCKER_HOST, else the default, saying which and why. */
function askEngine(ctx: StepContext, p: ParamsOf<typeof source>) {
  const choice = dockerHostOf(p.dockerHost, invocation().env, 'the dockerHost input');
  return askedEngine(ctx.platform.dockerEngine(choice.host), choice);
}

function engineOf(ctx: StepContext, p: ParamsOf<typeof source>) {
  return firstOf(p.volumesRoot) ? undefined : askEngine(ctx, p);
}

async function find(ctx: StepContext, p: ParamsOf<typeof source>) {
  const root = firstOf(p.volumesRoot);
  return root ? findVolumes({ volumesRoot: resolve(root) }) : findVolumes({ engine: askEngine(ctx, p) });
}

function summary(v: VolumeReport): RecordOf<typeof VOLUME_CANDIDATE> {
  const c = v.postgres?.control;
  return {
    rank: v.rank,
    name: v.name,
    major: v.postgres?.major,
    sizeBytes: v.postgres?.sizeBytes,
    userData: v.postgres ? describeUserData(v.postgres.userData) : null,
    checkpointAt: c?.checkpointAt ?? null,
    state: c?.state ?? null,
    cleanShutdown: c?.cleanShutdown ?? null,
    compose: [v.compose.project, v.compose.volume].filter(Boolean).join('/') || null,
    usedBy: v.usedBy.map((u) => `${u.name} (${u.state})`).join(', ') || null,
    binaries: v.postgres && 'missing' in v.postgres.binaries ? `missing: ${v.postgres.binaries.missing}` : 'installed',
  };
}

const findStep = defineAction({
  name: 'volumes.find',
  onThisHost: true,
  summary: 'List the Docker volumes and rank the PostgreSQL data folders in them, reading files only',
  effect: 'read',
  params: { ...source, volume: defaulted('string[]', [], 'the volume the operator named (none: the best-ranked)') },
  outputs: {
    best: output('string', 'the name of the best-ranked PostgreSQL volume'),
    chosen: output('string', 'the volume the operator named (whole name), else the best-ranked one'),
    candidates: output('object[]', 'every PostgreSQL volume, best first, with its evidence', VOLUME_CANDIDATE),
  },
  async run(ctx, p) {
    const r = await find(ctx, p);
    ctx.evidence(`${r.volumes.length} volume(s) read in ${(r.durationMs / 1000).toFixed(1)} s from ${r.source}`);
    for (const w of listWarnings(r)) ctx.note(`warning: ${w}`);
    for (const c of r.candidates.slice(0, 10)) {
      const s = summary(c);
      ctx.evidence(
        `${c.rank}. ${volumeShownName(c.name)}: PostgreSQL ${s.major ?? '?'}, ${formatBytes(s.sizeBytes ?? 0)}, ${s.userData ?? '?'}, last checkpoint ${s.checkpointAt ?? 'unknown'}, ${s.state ?? 'unknown'}${s.compose ? `, compose ${s.compose}` : ''}${s.usedBy ? `, used by ${s.usedBy}` : ''}`,
      );
    }
    for (const c of r.candidates)
      if (c.postgres?.versionProblem) ctx.note(`warning: ${volumeShownName(c.name)}: ${c.postgres.versionProblem}`);
    if (r.passedOver.length) ctx.evidence(`passed over: ${r.passedOver.map((x) => `${x.count} ${x.kind}`).join(', ')}`);
    const denied = deniedWarning(r);
    if (denied) ctx.note(`warning: ${denied}`);
    const best = r.candidates[0];
    if (!best && r.denied) throw new StepFailed(nothingReadable(r), { hint: RUN_AS_ROOT });
    if (!best) {
      throw new StepFailed(`no PostgreSQL data folder in any of the ${r.volumes.length} volume(s) of ${r.source}`, {
        hint: 'check the Docker host (--docker-host) or point volumesRoot at /var/lib/docker/volumes',
      });
    }
    const chosen = firstOf(p.volume) ? chooseVolume(r, firstOf(p.volume)).name : best.name;
    if (chosen !== best.name) ctx.note(`the operator named ${chosen}; the best-ranked is ${best.name}`);
    return { best: best.name, chosen, candidates: r.candidates.map(summary) };
  },
});

const choose = defineAction({
  name: 'volumes.choose',
  onThisHost: true,
  summary: 'Show the volume chosen for recovery with its evidence (and the others), for the operator to confirm',
  effect: 'read',
  params: {
    ...source,
    volume: required('string', 'the volume to recover (a whole name, or 6+ leading characters)'),
    candidates: required('object[]', 'the candidates found', VOLUME_CANDIDATE),
  },
  outputs: {
    volume: output('string', 'the whole name of the chosen volume'),
    original: output('string', 'its PostgreSQL data folder'),
    major: output('string', 'its PostgreSQL major version'),
  },
  evidence(_ctx, p) {
    const all = p.candidates;
    const name = p.volume;
    const chosen = all.find((c) => c.name.startsWith(name));
    const others = all.filter((c) => c !== chosen);
    return Promise.resolve({
      volume: chosen ? chosen.name : `${name} (not among the PostgreSQL candidates)`,
      'PostgreSQL version': chosen?.major ?? '?',
      'last checkpoint': `${chosen?.checkpointAt ?? '?'} (${chosen?.state ?? '?'})`,
      size: chosen?.sizeBytes != null ? formatBytes(chosen.sizeBytes) : '?',
      'user data': chosen?.userData ?? '?',
      compose: chosen?.compose ?? 'no compose labels',
      'used by': chosen?.usedBy ?? 'no container',
      'also found': others.length
        ? others.map((o) => `${volumeShownName(o.name)} (checkpoint ${o.checkpointAt ?? 'unknown'}; ${o.userData ?? '?'})`).join('; ')
        : 'no other PostgreSQL volume',
    });
  },
  async run(ctx, p) {
    const v = chooseVolume(await find(ctx, p), p.volume);
    if (v.usedBy.some((u) => u.state === 'running')) {
      throw new StepFailed(`volume ${v.name} is in use by a running container (${v.usedBy.map((u) => u.name).join(', ')})`, {
        hint: 'a copy of a volume a server is writing to is not consistent: stop that container first (docker stop NAME), then resume',
      });
    }
    ctx.evidence(`recovering from volume ${v.name}: ${v.detail}`);
    return { volume: v.name, original: dataDirOf(v), major: v.postgres!.major };
  },
});

const COMPLETE = 'copy-complete.json';
/** What COMPLETE records of a finished copy. */
const COPY_RECORD = shape('finished copy', { copyDir: 'string', original: 'string', digest: 'string' });

const copy = defineAction({
  name: 'volumes.copy',
  onThisHost: true,
  summary: "Copy the volume's data folder to a scratch folder (the original is only read)",
  effect: 'write',
  params: {
    ...source,
    volume: required('string', 'the chosen volume'),
    scratchDir: defaulted('string[]', [], 'where the copy goes (none: the run folder)'),
  },
  outputs: {
    copyDir: output('string', 'the copy of the data folder'),
    original: output('string', 'the original data folder'),
    digest: output('string', 'sha256 tree digest of the original, taken while copying'),
    volume: output('string', "the volume's folder: a file of several names is copied only when they all are in it"),
  },
  prepare(ctx, p) {
    const scratch = firstOf(p.scratchDir) || join(ctx.runDir, 'copies');
    const at = ctx.now();
    return Promise.resolve({ scratch, at: at.toISOString(), dir: join(scratch, copyFolderName(p.volume, at)) });
  },
  async probe(_ctx, _p, plan) {
    try {
      const done: unknown = JSON.parse(await readFile(join(plan.dir, COMPLETE), 'utf8'));
      if (!isShaped(COPY_RECORD, done)) return { done: false, why: `${COMPLETE} in ${plan.dir} is not a record of a finished copy` };
      const volume = (done as { volume?: unknown }).volume;
      const outputs = {
        copyDir: done.copyDir,
        original: done.original,
        digest: done.digest,
        volume: typeof volume === 'string' ? volume : done.original,
      };
      return { done: true, outputs, why: `the copy in ${plan.dir} was finished (${COMPLETE})` };
    } catch {
      return { done: false, why: 'no finished copy recorded' };
    }
  },
  async run(ctx, p, plan) {
    const v = chooseVolume(await find(ctx, p), p.volume);
    const scratch = plan.scratch;
    const dir = plan.dir;
    await mkdir(scratch, { recursive: true });
    const partial = await access(dir).then(
      () => true,
      () => false,
    );
    if (partial) {
      // An interrupted copy: kept aside, never deleted, and the copy starts over.
      const aside = `${dir}.partial-${ctx.now().toISOString().replace(/[-:.]/g, '')}`;
      await rename(dir, aside);
      ctx.note(`an unfinished copy was moved aside to ${aside}`);
    }
    ctx.progress(`copying ${v.path} (${formatBytes(v.postgres?.sizeBytes ?? 0)})`);
    const c = await copyVolume(v, scratch, new Date(plan.at));
    const outputs = { copyDir: c.copyDir, original: c.original, digest: c.digest.digest, volume: c.volume };
    failpoint('volumes.copy');
    await writeFile(join(dir, COMPLETE), JSON.stringify(outputs));
    ctx.evidence(
      `copied ${c.digest.files} file(s), ${formatBytes(c.digest.bytes)} to ${c.copyDir}; original digest ${c.digest.digest.slice(0, 16)}…`,
    );
    for (const [rel, target] of Object.entries(c.digest.followedLinks))
      ctx.note(`followed the symlink ${rel} → ${target}: copied what it points to`);
    for (const [rel, why] of Object.entries(c.digest.skipped)) ctx.note(`did not copy ${JSON.stringify(rel)}: ${why}`);
    return outputs;
  },
});

const inspect = defineAction({
  name: 'volumes.inspect',
  onThisHost: true,
  summary: 'Start a throwaway PostgreSQL of its version on the copy and show its databases, tables and newest timestamps',
  effect: 'read',
  params: { ...source, copyDir: required('string', 'the copy'), major: required('string', 'PostgreSQL major version') },
  outputs: {
    databases: output(
      'string[]',
      'databases other than postgres, and postgres too when it holds tables (the official image keeps data there by default)',
    ),
    newest: output('string', 'the newest timestamp found in any of them'),
  },
  async run(ctx, p) {
    const copyDir = p.copyDir;
    const look = await lookInside({
      dataDir: copyDir,
      major: p.major,
      workDir: join(copyDir, '..'),
      engine: engineOf(ctx, p),
      progress: (m) => {
        ctx.progress(m);
      },
    });
    ctx.evidence(`looked inside with ${look.server}: ${AS_THE_COPY_SAYS}`);
    for (const n of look.notes) ctx.note(n);
    for (const d of look.databases) {
      ctx.evidence(
        `database ${d.name}: ${formatBytes(d.bytes)}, schemas ${d.schemas.join(', ') || '-'}, newest timestamp ${d.newest ?? 'none'}`,
      );
      for (const t of d.largestTables.slice(0, 5))
        ctx.evidence(
          `  ${t.schema}.${t.table}: ${t.rowsExact ? '' : '~'}${t.rows} rows, ${formatBytes(t.bytes)}${t.newest ? `, newest ${t.newest}` : ''}${t.note ? ` (${t.note})` : ''}`,
        );
      const foreign = foreignTablesLine(d);
      if (foreign) ctx.evidence(`  ${foreign}`);
    }
    const dbs = look.databases.filter((d) => d.name !== 'postgres' || d.largestTables.length > 0);
    return { databases: dbs.map((d) => d.name), newest: newestOf(dbs.map((d) => d.newest)) ?? '' };
  },
});

const dump = defineAction({
  name: 'volumes.dump',
  onThisHost: true,
  summary: "pg_dump -Fc each chosen database of the copy into the operator's folder",
  effect: 'write',
  params: {
    ...source,
    copyDir: required('string', 'the copy'),
    major: required('string', 'PostgreSQL major version'),
    databases: required('string[]', 'databases to dump (empty: every database the inspection found)'),
    found: required('string[]', 'databases the inspection found'),
    outDir: required('string', 'folder for the dump files'),
  },
  outputs: { files: output('string[]', 'the dump files'), dumps: output('object[]', 'each dump: database, file, bytes, row counts', DUMP) },
  safeToRepeat: 'a repeated dump writes new files beside the earlier ones (never over them) from the same copy',
  async run(ctx, p) {
    const wanted = p.databases.length ? p.databases : p.found;
    if (!wanted.length)
      throw new StepFailed('the copy holds no database besides an empty postgres', {
        hint: 'choose another volume (volumes find ranks those holding user tables first)',
      });
    const copyDir = p.copyDir;
    const outDir = resolve(p.outDir);
    await mkdir(outDir, { recursive: true });
    await access(outDir);
    const dumps = await dumpDatabases({
      dataDir: copyDir,
      major: p.major,
      workDir: join(copyDir, '..'),
      engine: engineOf(ctx, p),
      databases: wanted,
      outDir,
      progress: (m) => {
        ctx.progress(m);
      },
    });
    for (const d of dumps) ctx.evidence(`${d.database} → ${d.file} (${formatBytes(d.bytes)}, ${Object.keys(d.rowCounts).length} table(s))`);
    return { files: dumps.map((d) => d.file), dumps: dumps.map((d) => ({ ...d })) };
  },
});

export const volumesActions: ActionDef[] = [findStep, choose, copy, inspect, dump];
