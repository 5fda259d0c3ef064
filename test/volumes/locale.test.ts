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

/** A locale name no machine has: localedef builds it into our LOCPATH folder only. */
const LOCALE = 'xx_DINGO.UTF-8';

let root: string;
let locales: string;

/** initdb a cluster in the locale only LOCPATH knows; `lcSettings` C keeps postgresql.conf's lc_* startable. */
function clusterIn(name: string, lcSettings: 'locale' | 'C'): string {
  const data = join(root, name);
  execFileSync(
    'runuser',
    [
      '-u',
      'postgres',
      '--',
      'env',
      `LOCPATH=${locales}`,
      join(PG_BIN, 'initdb'),
      '-D',
      data,
      '--locale',
      LOCALE,
      '-A',
      'trust',
      '-U',
      'postgres',
      '--no-sync',
    ],
    {
      stdio: 'ignore',
    },
  );
  if (lcSettings === 'C') {
    const conf = join(data, 'postgresql.conf');
    writeFileSync(conf, readFileSync(conf, 'utf8').replace(/^(lc_\w+) = '[^']*'/gm, "$1 = 'C'"));
  }
  return data;
}

/** A cluster in locale C holding one database, `shop`, made in the locale only LOCPATH knows. */
function databaseIn(name: string): string {
  const data = join(root, name);
  const pg = (args: string[]): void => {
    execFileSync('runuser', ['-u', 'postgres', '--', 'env', `LOCPATH=${locales}`, ...args], { stdio: 'ignore' });
  };
  pg([join(PG_BIN, 'initdb'), '-D', data, '--locale', 'C', '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const sock = mkdtempSync(join(root, 'sock-'));
  execFileSync('chown', ['postgres', sock]);
  pg([join(PG_BIN, 'pg_ctl'), '-D', data, '-w', '-s', '-l', join(sock, 'log'), '-o', `-p 5499 -k ${sock} -c listen_addresses=''`, 'start']);
  try {
    pg([
      join(PG_BIN, 'psql'),
      '-X',
      '-q',
      '-h',
      sock,
      '-p',
      '5499',
      '-U',
      'postgres',
      '-d',
      'postgres',
      '-c',
      `CREATE DATABASE shop LOCALE '${LOCALE}' TEMPLATE template0`,
    ]);
  } finally {
    pg([join(PG_BIN, 'pg_ctl'), '-D', data, '-w', '-s', '-m', 'fast', 'stop']);
  }
  return data;
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
    const data = clusterIn('settings', 'locale');
    const err = await lookInside({ dataDir: data, major: '15', workDir: mkdtempSync(join(root, 'work-')) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailed);
    expect((err as StepFailed).message).toBe(
      `the copy's cluster uses the locale ${LOCALE}, which this machine lacks: PostgreSQL 15 cannot start on it without it`,
    );
    expect((err as StepFailed).hint).toContain(`sudo localedef -i xx_DINGO -f UTF-8 ${LOCALE}`);
    expect((err as StepFailed).hint).toContain('--docker-host');
  }, 60_000);

  it('starts, but cannot open its databases: says which locale, not a bare psql error', async () => {
    const data = clusterIn('collation', 'C');
    const work = mkdtempSync(join(root, 'work-'));
    execFileSync('chown', ['postgres', work]);
    const err = await lookInside({ dataDir: data, major: '15', workDir: work }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailed);
    expect((err as StepFailed).message).toBe(
      `the copy's cluster uses the locale ${LOCALE}, which this machine lacks: PostgreSQL 15 cannot open the database template1 without it`,
    );
  }, 60_000);

  it('starts and lists its databases, but cannot dump one made in that locale: says which, not a bare pg_dump error', async () => {
    const data = databaseIn('dump');
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
