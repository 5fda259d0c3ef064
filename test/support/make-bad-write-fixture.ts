/**
 * Writes fixtures/bad-write, the bundled rehearsal of a bad write undone: the seed incident with
 * important-db alive on PostgreSQL 15, its archive a real one generated here from the story of
 * bad-write-story.ts, and its container's live database a real PostgreSQL 15 the rehearsal seeds
 * from live.sql (the same story). The archive is written on the scenario's day (17 March 2016, the
 * seed incident's world): the generating programs run under libfaketime (Debian's `faketime` package),
 * shifted back by as much as it takes, and the objects' LastModified shifted with them. Run as root on
 * a machine with Debian's PostgreSQL 15 and faketime:
 *
 *   npx tsx test/support/make-bad-write-fixture.ts fixtures/bad-write
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { AFTER, APP_ROLE, BAD_WRITE, BEFORE } from './bad-write-story.js';
import { LIVE_GUID, LIVE_NODE, restorableLiveScenario } from './live-instance-scenario.js';
import { DRILL_TABLE } from './wale-archive.js';

/** The live container's roles, as the broker gave them: the rehearsal's secrets. */
const ROLES = [
  'SUPERUSER_USERNAME=pgsuper',
  'SUPERUSER_PASSWORD=live-superuser-password-Qz58',
  'ADMIN_USERNAME=dingo-admin',
  'ADMIN_PASSWORD=live-admin-password-Jm27',
  `APPUSER_USERNAME=${APP_ROLE}`,
  'APPUSER_PASSWORD=live-app-password-Hw63',
];

interface Doc {
  title: string;
  description: string;
  runbook?: string;
  world: {
    s3: Record<string, Record<string, object>>;
    cells: Record<string, { containers: Record<string, { env: string[]; postgres?: { seed: string; nextXid?: number } }> }>;
  };
}

/** When the archive's writes happen: the afternoon of the world's day, before its clock (17:30). */
const WRITTEN_AT = Date.parse('2016-03-17T14:00:00Z');
const FAKETIME_LIBRARY = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';

async function main(target: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bad-write-fixture-'));
  const shiftMs = Math.floor((Date.now() - WRITTEN_AT) / 1000) * 1000;
  // Every program the generator runs (the server, psql, lzop) sees the clock shifted back; this process does not. The
  // sandboxed server and its clients get no environment of this process's: theirs is given to them.
  const shifted = { LD_PRELOAD: FAKETIME_LIBRARY, FAKETIME: `-${shiftMs / 1000}`, FAKETIME_DONT_FAKE_MONOTONIC: '1' };
  Object.assign(process.env, shifted);
  try {
    const { scenario, archive } = await restorableLiveScenario(dir, {
      rowsBefore: 0,
      rowsAfter: 0,
      partitions: 1,
      tenant: { sql: [`drop table ${DRILL_TABLE}`, ...BEFORE], autoConf: [] },
      mistakes: AFTER,
      // Past the transactions a new cluster uses for itself: the live server numbers the seed's as the archive's.
      nextXid: 5000,
      env: shifted,
    });
    for (const k of ['LD_PRELOAD', 'FAKETIME', 'FAKETIME_DONT_FAKE_MONOTONIC']) Reflect.deleteProperty(process.env, k);
    const file = join(scenario, 'scenario.yaml');
    const doc = parse(await readFile(file, 'utf8')) as Doc;
    const bad = archive.mistakes[BAD_WRITE]!;
    doc.title = 'A bad write on important-db: every order placed before noon deleted, five totals zeroed';
    doc.description = [
      `important-db (instance ${LIVE_GUID}) is alive on PostgreSQL 15. In transaction ${bad.xid} a clean-up`,
      'meant for test orders deleted every order placed before noon on 17 March 2016 and zeroed the',
      'totals of orders 60 to 64; since then order 122 was placed and order 101 shipped. Its wal-e archive',
      `(s3/, a real one: a base backup and the WAL of every write) restores here with PostgreSQL 15, and its`,
      `container cf-${LIVE_NODE} runs a real PostgreSQL 15 on this machine, seeded from live.sql (the same`,
      'writes): restore-to-time restores the database just before the bad write and merges the orders back.',
      '',
    ].join('\n');
    doc.runbook = 'restore-to-time';
    const container = doc.world.cells['10.58.111.150']!.containers[`cf-${LIVE_NODE}`]!;
    container.env = [...container.env.filter((e) => !/^(SUPERUSER|ADMIN|APPUSER)_/.test(e)), ...ROLES];
    const live = [...BEFORE.filter((s) => !s.startsWith('create role')), ...AFTER];
    // The live server's transactions numbered as the archive's: the bad write is the same transaction in both.
    container.postgres = { seed: 'live.sql', nextXid: Number(bad.xid) - live.indexOf(AFTER[BAD_WRITE]!) };
    // The segment before the base backup restores nothing: left out, as wal-e's retention leaves it.
    const first = `backups/${LIVE_GUID}/wal/wal_005/${archive.segments[0]!}.lzo`;
    if (archive.segments[0]! < archive.startSegment) {
      const bucket = Object.entries(doc.world.s3['our-postgresql-backups']!).filter(([key]) => key !== first);
      doc.world.s3['our-postgresql-backups'] = Object.fromEntries(bucket);
      await rm(join(scenario, 's3', first));
    }
    // The objects' files were written now, not on the scenario's day.
    for (const o of Object.values(doc.world.s3['our-postgresql-backups']!) as { lastModified: string; bodyFile?: string }[]) {
      if (o.bodyFile) o.lastModified = new Date(Date.parse(o.lastModified) - shiftMs).toISOString();
    }
    await writeFile(file, stringify(doc, { lineWidth: 0 }));
    await writeFile(
      join(scenario, 'live.sql'),
      [
        '-- important-db as it is now: the story of the archive (test/support/bad-write-story.ts), the bad write included.',
        '-- The rehearsal runs it as the superuser once the container roles are made, each statement a transaction numbered from nextXid.',
        ...live,
      ]
        .map((s) => (s.startsWith('--') ? s : `${s};`))
        .join('\n') + '\n',
    );
    await writeFile(
      join(scenario, 'answers.yaml'),
      [
        '# The user: "we deleted most of our orders this morning; the new ones since must stay".',
        '# archive mistakes --mass-rows 50 --scenario bad-write points out the bad write; the stop is just before its transaction.',
        'inputs:',
        '  org: acme',
        '  space: important-space-and-all-databases',
        '  instance: important-db',
        `  targetXid: ${bad.xid}`,
        '  targetExclusive: true',
        '  merge: [public.orders]',
        '  # Order 101 was changed since by another transaction (shipped): only the rows the bad write wrote last go back.',
        '  mergeUpdates: safe',
        '',
      ].join('\n'),
    );
    await rm(resolve(target), { recursive: true, force: true });
    await cp(scenario, resolve(target), { recursive: true });
    console.log(`wrote ${target}: the bad write is transaction ${bad.xid}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main(process.argv[2] ?? 'fixtures/bad-write');
