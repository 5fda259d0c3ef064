/**
 * A volume made where a locale exists, looked at where it does not (the official postgres image
 * makes its clusters in en_US.utf8; a bare host may lack it): the cluster is made with a locale that
 * only LOCPATH (a folder of our own, built by localedef) provides, and the look runs without it.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StepFailed } from '../../src/core/errors.js';
import { dumpDatabases, lookInside } from '../../src/volumes/look.js';
import { PG_BIN } from '../support/pg-volumes.js';
import { giveBack, openTestPostgres } from '../support/test-postgres.js';
import { postgresAccount } from '../support/wale-archive.js';

/** A locale name no machine has: localedef builds it into our LOCPATH folder only. */
const LOCALE = 'xx_DINGO.UTF-8';

let root: string;
let locales: string;

/**
 * A cluster initdb makes in `root`/`name` in `locale`, and `statement` run on it by its server, in a scratch sandbox that
 * reads the locales with LOCPATH set (test-postgres.ts); left the postgres account's, as initdb run as that account leaves it.
 */
async function initdbIn(name: string, locale: string, statement?: string): Promise<string> {
  const data = join(root, name);
  mkdirSync(data, { mode: 0o700 });
  const pg = await openTestPostgres({ dataDir: data, bin: PG_BIN, readable: [locales], env: { LOCPATH: locales } });
  try {
    await pg.run('initdb', ['-D', data, '--locale', locale, '-A', 'trust', '-U', 'postgres', '--no-sync']);
    if (statement) {
      await pg.start();
      await pg.psql('postgres', ['-c', statement]);
      await pg.stop('fast');
    }
  } finally {
    await pg.close();
    await giveBack(postgresAccount(), [data]);
  }
  return data;
}

/** initdb a cluster in the locale only LOCPATH knows; `lcSettings` C keeps postgresql.conf's lc_* startable. */
async function clusterIn(name: string, lcSettings: 'locale' | 'C'): Promise<string> {
  const data = await initdbIn(name, LOCALE);
  if (lcSettings === 'C') {
    const conf = join(data, 'postgresql.conf');
    writeFileSync(conf, readFileSync(conf, 'utf8').replace(/^(lc_\w+) = '[^']*'/gm, "$1 = 'C'"));
  }
  return data;
}

/** A cluster in locale C holding one database, `shop`, made in the locale only LOCPATH knows. */
function databaseIn(name: string): Promise<string> {
  return initdbIn(name, 'C', `CREATE DATABASE shop LOCALE '${LOCALE}' TEMPLATE template0`);
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'dingo-locale-'));
  chmodSync(root, 0o755);
  execFileSync('chown', ['postgres', root]);
  locales = join(root, 'locales');
  mkdirSync(locales);
  execFileSync('localedef', ['-i', 'en_US', '-f', 'UTF-8', join(locales, LOCALE)]);
  execFileSync('chmod', ['-R', 'a+rX', locales]);
}, 60_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('a copy whose locale this machine lacks', () => {
  it('does not start on its postgresql.conf: says which locale, and how to add it', async () => {
    const data = await clusterIn('settings', 'locale');
    const err = await lookInside({ dataDir: data, major: '15', workDir: mkdtempSync(join(root, 'work-')) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailed);
    expect((err as StepFailed).message).toBe(
      `the copy's cluster uses the locale ${LOCALE}, which this machine lacks: PostgreSQL 15 cannot start on it without it`,
    );
    expect((err as StepFailed).hint).toContain(`sudo localedef -i xx_DINGO -f UTF-8 ${LOCALE}`);
    expect((err as StepFailed).hint).toContain('--docker-host');
  }, 60_000);

  it('starts, but cannot open its databases: says which locale, not a bare psql error', async () => {
    const data = await clusterIn('collation', 'C');
    const work = mkdtempSync(join(root, 'work-'));
    execFileSync('chown', ['postgres', work]);
    const err = await lookInside({ dataDir: data, major: '15', workDir: work }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailed);
    expect((err as StepFailed).message).toBe(
      `the copy's cluster uses the locale ${LOCALE}, which this machine lacks: PostgreSQL 15 cannot open the database template1 without it`,
    );
  }, 60_000);

  it('starts and lists its databases, but cannot dump one made in that locale: says which, not a bare pg_dump error', async () => {
    const data = await databaseIn('dump');
    const work = mkdtempSync(join(root, 'work-'));
    const err = await dumpDatabases({ dataDir: data, major: '15', workDir: work, databases: ['shop'], outDir: join(root, 'dumps') }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StepFailed);
    expect((err as StepFailed).message).toBe(
      `the copy's cluster uses the locale ${LOCALE}, which this machine lacks: PostgreSQL 15 cannot open the database shop without it`,
    );
  }, 60_000);
});
