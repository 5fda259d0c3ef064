/**
 * A PostgreSQL 9.6 data folder of PG_VERSION and pg_control alone: what `volumes find` reads to
 * recognise and rank one, written in an instant, without a server.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pgControl96 } from './pg-volumes.js';

export function controlFileCluster(dir: string, systemId = 6400000000000000042n): void {
  mkdirSync(join(dir, 'global'), { recursive: true });
  writeFileSync(join(dir, 'PG_VERSION'), '9.6\n');
  writeFileSync(join(dir, 'global', 'pg_control'), pgControl96(systemId, new Date('2018-03-04T05:06:07Z')));
}
