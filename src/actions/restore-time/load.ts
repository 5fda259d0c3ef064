/**
 * restore-to-time's load: each dump of the copy streamed from the run's folder over SSH into
 * `docker exec -i … pg_restore` in the new service's leader. The live instance is not touched.
 * A load runs in one transaction; on a resume each database is probed first (does it exist, does
 * it hold tables) so a dump is never loaded twice over itself.
 */
import type { Redactor } from '../../core/redact.js';
import { defineAction, type ActionDef, output, required } from '../../engine/runbook/index.js';
import type { StepContext } from '../../engine/executor/index.js';
import { NeedsOperator, StepFailed } from '../../core/errors.js';
import { fileStdin } from '../../core/stdin.js';
import { utcStamp } from '../../core/utc-stamp.js';
import type { CellDocker } from '../../adapters/docker.js';
import { loginChain, requireAppLogin, type PasswordLogin, type PgLogin } from '../../adapters/postgres.js';
import { createDatabase, createExtensions, databaseHolds, pgRestore, renameDatabase, serverMajor } from '../../adapters/pg-load.js';
import { loadPlan, type LoadPlan } from '../../adapters/pg-load-plan.js';
import { readDumpToc, type DumpToc } from '../../adapters/pg-dump-toc.js';
import { majorNumber } from '../../drill/local-pg.js';
import { majorOf } from '../../core/pg-version.js';
import type { DumpFacts } from '../../volumes/dump-facts.js';
import { DUMP } from '../support/records.js';
import { formatBytes } from '../../core/format.js';
import { containerOn } from '../support/params.js';
import { cellDocker } from '../support/cell.js';

/** What to do with a database before its dump is loaded, and the tables it holds then (the load adds the dump's). */
type Before = { to: 'load' | 'loaded' | 'create-and-load'; tables: number };

/**
 * The decision for one database: absent (create it), empty (load), holding the dump's tables (a load
 * that finished before an interruption: done), or holding others (a cut or foreign load: moved
 * aside and loaded fresh; the `postgres` database, which cannot be moved aside, is the operator's call).
 * An extension's own tables count for neither (USER_TABLES_QUERY): a load cut after the superuser
 * made the extensions left a database that is empty as far as the dump goes.
 */
async function prepare(
  ctx: StepContext,
  docker: CellDocker,
  container: string,
  chain: PgLogin[],
  d: DumpFacts,
  plan: LoadPlan,
): Promise<Before> {
  const holds = await databaseHolds(docker, container, chain, d.database);
  const want = plan.tables.length;
  if (!holds.exists) return { to: 'create-and-load', tables: 0 };
  if (holds.tables === 0) return { to: 'load', tables: 0 };
  if (holds.tables === want) {
    ctx.evidence(`database ${d.database} already holds the dump's ${want} table(s): an earlier attempt loaded it (one transaction)`);
    return { to: 'loaded', tables: want };
  }
  if (d.database === 'postgres') {
    const held = `database postgres of ${container} already holds ${holds.tables} table(s), the dump ${want}: loading it again would add to them`;
    const beside = await ctx.choices.choose({
      key: 'loadIntoPostgres',
      message: `${held}. Load the dump beside them?`,
      stop: held,
      options: [
        { value: 'yes', name: 'yes: load the dump beside the tables it holds' },
        { value: 'no', name: 'no: stop here (look at them, drop them yourself, then resume)' },
      ],
    });
    if (beside.value !== 'yes') {
      throw new NeedsOperator(held, {
        hint: 'look at what it holds (psql in the container); when those tables may go, drop them yourself and resume; nothing was loaded',
      });
    }
    return { to: 'load', tables: holds.tables };
  }
  const aside = `${d.database}-aside-${utcStamp(ctx.now())}`;
  await renameDatabase(docker, container, chain, d.database, aside);
  ctx.note(`database ${d.database} held ${holds.tables} table(s), not the dump's ${want}: moved aside as ${aside} (never dropped)`);
  return { to: 'create-and-load', tables: 0 };
}

/** The superuser's logins (databases made, probed, moved aside) and the role apps bind with (the load itself). */
interface LoadLogins {
  chain: PgLogin[];
  apps: PasswordLogin;
}

async function loadOne(ctx: StepContext, docker: CellDocker, container: string, logins: LoadLogins, d: DumpFacts, plan: LoadPlan) {
  const { chain, apps } = logins;
  const before = await prepare(ctx, docker, container, chain, d, plan);
  if (before.to === 'loaded') return;
  if (before.to === 'create-and-load') await createDatabase(docker, container, chain, d.database, apps.user);
  if (plan.extensions.length) {
    await createExtensions(docker, container, chain, d.database, plan, apps.user);
    ctx.evidence(
      `${d.database}: extension(s) ${plan.extensions.map((x) => `${x.name} (in ${x.schema})`).join(', ')} made by the superuser before the load, which only a superuser may make; the dump's ${plan.schemas.length ? `schema(s) ${plan.schemas.join(', ')} for them made owned by ${apps.user}, ` : ''}its comments on them left out`,
    );
  }
  ctx.progress(`loading ${d.file} (${formatBytes(d.bytes)}) into ${d.database}`);
  const r = await pgRestore(docker, container, apps, { database: d.database, dump: fileStdin(d.file), entries: plan.restore });
  if (r.exitCode !== 0) {
    throw new StepFailed(
      `pg_restore of ${d.file} into ${d.database} in ${container} failed (exit ${r.exitCode}): ${lastLines(r.stderr, docker.redactor)}`,
      {
        hint: 'it ran in one transaction, so nothing of it was kept: fix what the message says, then resume to load it again',
      },
    );
  }
  const after = await databaseHolds(docker, container, chain, d.database);
  const want = plan.tables.length;
  if (!after.exists || after.tables !== before.tables + want) {
    throw new StepFailed(
      `after the load, ${d.database} in ${container} holds ${after.exists ? after.tables : 'no'} table(s): ${before.tables} before and the dump's ${want} were expected`,
      { hint: 'look at the database in the container; resume to probe it and load again into a fresh database' },
    );
  }
  ctx.evidence(`${d.database}: loaded ${formatBytes(d.bytes)} from ${d.file}, ${want} table(s), owned by ${apps.user}, who loaded them`);
}

const NOT_A_DUMP = "nothing was loaded; the file must be the dump step's pg_dump -Fc output (`pg_restore -l FILE` lists what it holds)";

/** A dump's table of contents, or a refusal naming the file. */
function tocOf(d: DumpFacts): DumpToc {
  try {
    return readDumpToc(d.file);
  } catch (err) {
    throw new StepFailed(`the dump of ${d.database} cannot be read: ${(err as Error).message}`, {
      hint: NOT_A_DUMP,
    });
  }
}

/**
 * The dump's load plan (pg-load-plan.ts), refused when a newer pg_dump than the server's made it: its
 * pg_restore reads no archive of a newer pg_dump, and its server would not run all such a pg_dump
 * writes (settings it does not know, `CREATE SEQUENCE … AS`).
 */
function planFor(d: DumpFacts, server: string): LoadPlan {
  const toc = tocOf(d);
  const dumpedBy = majorOf(toc.dumpedBy);
  if (dumpedBy === null || majorNumber(dumpedBy) > majorNumber(server)) {
    throw new StepFailed(
      `the dump of ${d.database} (${d.file}) was made by pg_dump ${toc.dumpedBy || 'of no version it names'} (archive ${toc.version}); the new service runs PostgreSQL ${server}, whose pg_restore cannot read a newer pg_dump's archive, nor its server run all such a pg_dump writes`,
      {
        hint: `nothing was loaded; dumps for a service of PostgreSQL ${server} are made by pg_dump ${server}: install its client here (postgresql-client-${server}, under /usr/lib/postgresql/${server}/bin or $DINGO_RECOVER_PG_ROOT/${server}/bin) and start a new run, or load the copy by hand from a dump that version makes`,
      },
    );
  }
  try {
    return loadPlan(toc, d.file);
  } catch (err) {
    throw new StepFailed(`the dump of ${d.database} cannot be loaded: ${(err as Error).message}`, {
      hint: NOT_A_DUMP,
    });
  }
}

function lastLines(text: string, redactor: Redactor): string {
  return redactor.redact(text.trim().split('\n').slice(-3).join(' '));
}

const loadDumps = defineAction({
  name: 'pitr.load-dumps',
  summary: "Load each dump into the new service's leader through its cell (docker exec -i … pg_restore over SSH)",
  effect: 'write',
  params: {
    ...containerOn('cell running the new container', 'the new container (cf-<node-uuid>)'),
    instanceGuid: required('string', 'the new instance (PATRONI_SCOPE), checked before anything is loaded'),
    dumps: required('object[]', "the dumps (the dump step's output)", DUMP),
  },
  outputs: { loaded: output('string[]', 'the databases loaded') },
  chooses: {
    loadIntoPostgres: {
      description: "whether a dump of the database postgres is loaded beside the tables the new service's postgres already holds",
      values: ['yes', 'no'],
    },
  },
  safeToRepeat:
    "each database is probed before its load: one holding the dump's tables is left as it is, one holding others is moved aside (never appended to), and each load is one transaction",
  result: (o) => (o.loaded.length ? `loaded ${o.loaded.join(', ')}` : 'nothing to load'),
  async run(ctx, p) {
    const dumps = p.dumps;
    if (!dumps.length) {
      ctx.warn(`nothing loaded: the new service's database is empty, as the copy was not restored here`);
      return { loaded: [] };
    }
    const docker = await cellDocker(ctx, p.cellIp);
    const info = await docker.inspect(p.container);
    if (!info || info.env.PATRONI_SCOPE !== p.instanceGuid) {
      throw new StepFailed(`container ${p.container} on ${p.cellIp} does not serve the new instance ${p.instanceGuid}`, {
        hint: "nothing was loaded; check the new instance's container (find-new-container) and resume",
      });
    }
    // The superuser the broker gave the container makes the databases, owned by the role apps bind with,
    // which loads the dumps logged in as itself: no function of the tenant's runs with a superuser's powers.
    const apps = requireAppLogin(
      info,
      docker.redactor,
      p.container,
      'to load the dumps as',
      `nothing was loaded; a load never runs the tenant's functions (an index expression, a materialised view) as a superuser: load the dumps by hand as the role the user's apps will bind with (pg_restore --no-owner --no-acl -U ROLE -d DB FILE; the files: ${dumps.map((d) => d.file).join(', ')})`,
    );
    const chain = loginChain(info, docker.redactor);
    // Every dump is read, and refused when the service cannot load it, before anything is made.
    const server = await serverMajor(docker, p.container, chain);
    const plans = dumps.map((d) => planFor(d, server));
    for (const [k, d] of dumps.entries()) await loadOne(ctx, docker, p.container, { chain, apps }, d, plans[k]!);
    return { loaded: dumps.map((d) => d.database) };
  },
});

export const restoreTimeLoadActions: ActionDef[] = [loadDumps];
