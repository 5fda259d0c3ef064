/**
 * The scratch server's recovery: started on the restored data folder, waited on until recovery ended
 * (read from the copy's control file) or, for a pause, until replay paused at its target; and the
 * tables of a paused copy read as their owners.
 */
import type { PgControl } from '../systems/pg-control.js';
import { pauseReaderRefused } from '../systems/pg-reader.js';
import type { TableLines } from '../systems/pg-query.js';
import { DrillFailed } from './exit-codes.js';
import { majorNumber } from './local-pg.js';
import { targetSettingName, type RecoveryTarget } from './recovery-target.js';
import { endedShortOfTarget, parseRecoveryLog } from './recovery-log.js';
import { controlWatch } from './replay.js';
import type { ScratchCluster } from './scratch-cluster.js';
import { targetNotInArchive } from './target-backup.js';

/** The drill the server runs for: its signal (deadline, Ctrl-C), where it tells what it does, and who stops a server started again. */
export interface Recovering {
  signal: AbortSignal;
  say: (message: string) => void;
  /** The server was started again with other settings: this one is the drill's to stop now. */
  restarted: (cluster: ScratchCluster) => void;
}

/**
 * COPY of a table of a copy paused at its target, as the table's owner: refused, saying why, when that
 * role is not safe to read as (a superuser, a member of one, no login); asked once per database and role.
 */
export function pausedLines(cluster: ScratchCluster, conn: { user: string; database: string }): TableLines {
  const refused = new Map<string, Promise<string | null>>();
  // A role safe to read as is let log in to the sandbox's server: its login rules name our roles alone until then.
  const vetted = async (owner: string, database: string): Promise<string | null> => {
    const why = await pauseReaderRefused(async (db, text) => (await cluster.query(text, { ...conn, database: db })).rows, database, owner);
    if (!why) await cluster.permitLogin(owner, conn);
    return why;
  };
  return async function* lines(database: string, sql: string, owner: string): AsyncGenerator<string[]> {
    const key = JSON.stringify([database, owner]);
    if (!refused.has(key)) refused.set(key, vetted(owner, database));
    const why = await refused.get(key)!;
    if (why) throw new Error(`at the pause no role can be made to read it, and ${why}`);
    yield* cluster.readLines(sql, database, owner);
  };
}

/**
 * Start the server and wait for its recovery to end. Replaying to a moment after the last archived
 * transaction, PostgreSQL 13+ refuse to end recovery short of the target: no later commit was archived,
 * so everything archived is the database at that moment, and the server starts again without the target.
 * Before 13 recovery ends there silently (`archiveEndedFirst` all the same): the caller checks that
 * replay reached the archive's newest WAL either way, so a hole before the moment is never taken for it.
 */
export async function recover(
  drill: Recovering,
  cluster: ScratchCluster,
  how: { conn: { user: string; database: string }; target: RecoveryTarget | null; major: string; pause: boolean; dataDir: string },
): Promise<{ restored: ScratchCluster; archiveEndedFirst: boolean; paused: boolean; control: PgControl | null }> {
  const { conn, target, major, pause, dataDir } = how;
  // Whether recovery ended is read from the copy's control file, which is kept as it was then: no statement of ours runs before.
  const control = controlWatch(dataDir, major);
  const recovered = async (c: ScratchCluster): Promise<PgControl | null> => {
    await c.waitRecovered({ ...conn, signal: drill.signal, ended: control.ended });
    return (await control.ended()) ? control.seen() : null;
  };
  try {
    await cluster.start();
    const paused = pause && (await cluster.waitPaused({ ...conn, signal: drill.signal }, majorNumber(major))) === 'paused';
    const seen = pause ? null : await recovered(cluster);
    const log = parseRecoveryLog(await cluster.log());
    // A transaction, a location or a restore point that replay never met is not in the archive: never a restore "to" it.
    if (target && target.stop.kind !== 'time' && log.stopped === null) throw targetNotInArchive(target.stop, log.redoDoneAt);
    return { restored: cluster, archiveEndedFirst: target?.stop.kind === 'time' && endedShortOfTarget(log, major), paused, control: seen };
  } catch (err) {
    if (!target || !(err instanceof DrillFailed) || !parseRecoveryLog(await cluster.log()).targetNotReached) throw err;
    if (target.stop.kind !== 'time') throw targetNotInArchive(target.stop, null);
  }
  drill.say(`recovery ended before ${target.stop.time.text}: replaying all the archived WAL`);
  await cluster.stop();
  const restored = cluster.withSettings([[targetSettingName(target.stop), '']]);
  drill.restarted(restored);
  await restored.start();
  return { restored, archiveEndedFirst: true, paused: false, control: await recovered(restored) };
}
