/**
 * `docker exec` on the simulated cell of the programs a step runs itself: pg_isready, pg_controldata
 * and cat of a history file. psql and pg_restore come as typed calls (cell-database.ts).
 */
import { controlData } from './cell-sim-replication.js';
import { controlRecovery, historyFile } from './restore-replay.js';
import { type CellWorld, execRefusal, fail, ok, type Out } from './cell-world.js';

export function exec(state: CellWorld, a: string[]): Out {
  let i = 0;
  let osUser = 'root';
  while (a[i]?.startsWith('-')) {
    if (a[i] === '-u' || a[i] === '--user') osUser = a[++i] ?? osUser;
    i += 1;
  }
  const name = a[i] ?? '';
  const cmd = a.slice(i + 1);
  const target = execRefusal(state, name);
  if ('refused' in target) return target.refused;
  const { c } = target;
  if (cmd[0] === 'pg_isready') {
    const where = `${valueAfter(cmd, '-h') ?? '/var/run/postgresql'}:${valueAfter(cmd, '-p') ?? '5432'}`;
    return c.pg.ready ? ok(`${where} - accepting connections\n`) : fail(2, '', `${where} - no response\n`);
  }
  if (cmd[0] === 'pg_controldata') return controlData(c.pg, cmd[1], osUser, controlRecovery(c.pg));
  // The new timeline's history file a promoted restore wrote (root or postgres may read it).
  if (cmd[0] === 'cat' && cmd.length === 2) return historyFile(c.pg, cmd[1]!) ?? fail(1, `cat: ${cmd[1]}: No such file or directory\n`);
  return fail(127, `exec: "${cmd[0] ?? ''}": executable file not found in $PATH\n`);
}

function valueAfter(list: string[], flag: string): string | undefined {
  const i = list.indexOf(flag);
  return i >= 0 ? list[i + 1] : undefined;
}
