/**
 * The tests' clusters are copies of the tool's initdb template, yet each is a database system of its
 * own, as initdb makes one: its own system identifier, which its server starts with (pg_control and
 * the WAL segment's header agree), so archives and segments of two clusters are told apart.
 */
import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { parsePgControl } from '../../src/systems/pg-control.js';
import { makeCluster } from '../support/pg-volumes.js';
import { tempDirs } from '../support/temp-dirs.js';

const tempDir = tempDirs('fresh-cluster-');

it('gives each copy of the template a system identifier of its own, which its server starts with', async () => {
  const dir = tempDir();
  chmodSync(dir, 0o755);
  const ids: string[] = [];
  for (const name of ['one', 'two']) {
    const data = join(dir, name);
    // Started, written to and stopped: a server refuses WAL whose header names another system than pg_control.
    await makeCluster(data, 'shop', 'CREATE TABLE t (id int); INSERT INTO t VALUES (1);', 'stop');
    const control = parsePgControl(readFileSync(join(data, 'global', 'pg_control')), '15');
    expect([control.crcOk, control.state]).toEqual([true, 'shut down']);
    ids.push(control.systemIdentifier);
  }
  expect(new Set(ids).size).toBe(2);
}, 60_000);
