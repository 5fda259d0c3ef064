import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { processStart } from '../../../src/core/process-start.js';
import { RunLock } from '../../../src/engine/run/index.js';
import { EXIT, RunLocked, UsageError, exitCodeOf } from '../../../src/core/errors.js';
import { systemClock } from '../../../src/core/runtime.js';
import { tempDirs, thrown } from '../../support/temp-dirs.js';
import { zombie } from '../../support/proc.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const tmp = tempDirs('dr-lock-');

const DEAD_PID = 2 ** 22 + 7;
const takenOverFiles = (dir: string): string[] => readdirSync(dir).filter((f) => /^lock\.taken-over-\d+$/.test(f));

describe('run lock', () => {
  it('refuses a second driver, naming the holder, and takes over a dead holder on this host', () => {
    const file = join(tmp(), 'lock');
    const lock = RunLock.acquire(file, { clock: systemClock });
    expect(lock.takenOver).toBeNull();
    expect(() => RunLock.acquire(file, { clock: systemClock })).toThrow(/being driven by .* \(host .*, pid \d+, since \d{4}-/);
    lock.release();
    expect(existsSync(file)).toBe(false);
    const again = RunLock.acquire(file, { clock: systemClock });
    again.release();
    writeFileSync(file, JSON.stringify({ host: hostname(), pid: DEAD_PID, by: 'x', startedAt: 'then' }));
    const taken = RunLock.acquire(file, { clock: systemClock });
    taken.release();
  });

  it('a lock file naming PID 0 or a negative PID names no process: it is stale, not held by a process group', () => {
    for (const pid of [0, -1]) {
      const file = join(tmp(), 'lock');
      writeFileSync(file, JSON.stringify({ host: hostname(), pid, by: 'x', startedAt: 'then' }));
      const taken = RunLock.acquire(file, { clock: systemClock });
      expect(taken.takenOver).not.toBeNull();
      taken.release();
    }
  });

  it('a lock naming PID 1, or a PID now held by a process that started after the lock was taken, is not held', async () => {
    const file = join(tmp(), 'lock');
    writeFileSync(file, JSON.stringify({ host: hostname(), pid: 1, by: 'x', startedAt: 'then' }));
    const overInit = RunLock.acquire(file, { clock: systemClock });
    expect(overInit.takenOver).toMatchObject({ how: 'stale', previous: { pid: 1 } });
    overInit.release();

    // A live process of another program, given the PID a lock names: its start time is not the lock's.
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const started = processStart(other.pid!);
      expect(started).toMatch(/^\d+$/);
      const holder = { host: hostname(), pid: other.pid, by: 'x', startedAt: '2026-01-02T03:04:05.000Z' };
      writeFileSync(file, JSON.stringify({ ...holder, processStart: String(Number(started) - 100) }));
      const overReused = RunLock.acquire(file, { clock: systemClock });
      expect(overReused.takenOver).toMatchObject({ how: 'stale' });
      overReused.release();
      // The same process, as its lock names it, holds the run.
      writeFileSync(file, JSON.stringify({ ...holder, processStart: started }));
      expect(() => RunLock.acquire(file, { clock: systemClock })).toThrow(RunLocked);
    } finally {
      other.kill('SIGKILL');
      await new Promise((resolve) => other.once('exit', resolve));
    }
  });

  it('a lock whose holder has exited, its parent yet to collect it (a zombie), is taken over as stale', async () => {
    const file = join(tmp(), 'lock');
    const z = await zombie();
    try {
      const holder = { host: hostname(), pid: z.pid, by: 'x', startedAt: '2026-01-02T03:04:05.000Z' };
      writeFileSync(file, JSON.stringify({ ...holder, processStart: processStart(z.pid) }));
      const over = RunLock.acquire(file, { clock: systemClock });
      expect(over.takenOver).toMatchObject({ how: 'stale' });
      over.release();
    } finally {
      z.end();
    }
  });

  it("a lock records its holder's process start, so a later process given the same PID is not taken for it", () => {
    const file = join(tmp(), 'lock');
    const lock = RunLock.acquire(file, { clock: systemClock });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ pid: process.pid, processStart: processStart(process.pid) });
    lock.release();
  });

  it('a lock conflict is RunLocked, exit 75 (not 1, a failed step), and its hint names --steal-lock', () => {
    const dir = tmp();
    const file = join(dir, 'lock');
    const mine = RunLock.acquire(file, { clock: systemClock });
    const local = thrown(() => RunLock.acquire(file, { clock: systemClock }));
    expect(local).toBeInstanceOf(RunLocked);
    expect(exitCodeOf(local)).toBe(75);
    expect(EXIT.locked).toBe(75);
    expect(local.message).toContain(`pid ${process.pid}`);
    expect(local.message).toContain(file);
    expect(local.hint).toContain(`kill ${process.pid}`);
    expect(local.hint).toContain('--steal-lock');
    mine.release();

    writeFileSync(
      file,
      JSON.stringify({ host: 'far-away-host', pid: 4242, by: 'ann@far-away-host', startedAt: '2026-01-02T03:04:05.000Z' }),
    );
    const remote = thrown(() => RunLock.acquire(file, { clock: systemClock }));
    expect(remote).toBeInstanceOf(RunLocked);
    expect(remote.exitCode).toBe(EXIT.locked);
    expect(remote.message).toContain('being driven by ann@far-away-host (host far-away-host, pid 4242, since 2026-01-02T03:04:05.000Z)');
    expect(remote.hint).toContain('--steal-lock');
    expect(takenOverFiles(dir)).toEqual([]);
  });

  it('a dead holder on this host is taken over as stale: what was taken is returned and its lock file kept', () => {
    const dir = tmp();
    const file = join(dir, 'lock');
    const previous = { host: hostname(), pid: DEAD_PID, by: 'bob@here', startedAt: '2026-01-02T03:04:05.000Z' };
    const text = JSON.stringify(previous) + '\n';
    writeFileSync(file, text);
    const lock = RunLock.acquire(file, { clock: systemClock });
    expect(lock.takenOver).toEqual({ how: 'stale', previous });
    const [kept] = takenOverFiles(dir);
    expect(lock.keptAt).toBe(join(dir, kept!));
    expect(readFileSync(join(dir, kept!), 'utf8')).toBe(text);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ host: hostname(), pid: process.pid });
    lock.release();
    expect(takenOverFiles(dir)).toEqual([kept]);
  });

  it('a torn lock file (its writer died writing it) is taken over as stale with no previous holder, and kept', () => {
    const dir = tmp();
    const file = join(dir, 'lock');
    writeFileSync(file, '{"host":"h","pi');
    const lock = RunLock.acquire(file, { clock: systemClock });
    expect(lock.takenOver).toEqual({ how: 'stale', previous: null });
    expect(readFileSync(lock.keptAt!, 'utf8')).toBe('{"host":"h","pi');
    lock.release();
  });

  it('--steal-lock takes over a live or remote holder as a steal, naming it', () => {
    const dir = tmp();
    const file = join(dir, 'lock');
    const previous = { host: 'far-away-host', pid: 4242, by: 'ann@far-away-host', startedAt: '2026-01-02T03:04:05.000Z' };
    writeFileSync(file, JSON.stringify(previous));
    const lock = RunLock.acquire(file, { steal: true, clock: systemClock });
    expect(lock.takenOver).toEqual({ how: 'steal', previous });
    expect(JSON.parse(readFileSync(lock.keptAt!, 'utf8'))).toEqual(previous);
    // A second steal keeps the first driver's lock file too.
    const again = RunLock.acquire(file, { steal: true, clock: systemClock });
    expect(again.takenOver).toMatchObject({ how: 'steal', previous: { pid: process.pid, host: hostname() } });
    expect(takenOverFiles(dir).length).toBeGreaterThanOrEqual(1);
    expect(existsSync(lock.keptAt!)).toBe(true);
    again.release();
  });

  it('a folder where the lock file belongs is a usage error naming it (exit 2), and the folder is left alone', () => {
    const dir = tmp();
    const file = join(dir, 'lock');
    mkdirSync(file);
    const err = thrown(() => RunLock.acquire(file, { clock: systemClock }));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.exitCode).toBe(EXIT.badInput);
    expect(err.message).toBe(`cannot read run lock ${file}: it is a folder, not a file`);
    expect(err.hint).toContain(`move ${file} aside`);
    expect(statSync(file).isDirectory()).toBe(true);
    expect(takenOverFiles(dir)).toEqual([]);
  });

  it('a run folder that is gone, or a path through a file, is a usage error naming the lock', () => {
    const dir = tmp();
    const gone = join(dir, 'runs', 'r1', 'lock');
    const missing = thrown(() => RunLock.acquire(gone, { clock: systemClock }));
    expect(missing).toBeInstanceOf(UsageError);
    expect(missing.message).toBe(`cannot create the run lock ${gone}: it does not exist`);
    writeFileSync(join(dir, 'runs'), 'not a folder');
    const through = thrown(() => RunLock.acquire(gone, { clock: systemClock }));
    expect(through).toBeInstanceOf(UsageError);
    expect(through.message).toBe(`cannot create the run lock ${gone}: a part of the path is a file, not a folder`);
    expect(through.hint).toContain(`${join(dir, 'runs')} is a file where a folder belongs`);
  });

  it.skipIf(process.getuid?.() !== 0 || !existsSync('/usr/sbin/runuser'))(
    "another user's lock file (EACCES) is a usage error naming it, not a stack trace",
    () => {
      const dir = tmp();
      chmodSync(dir, 0o755);
      const file = join(dir, 'lock');
      writeFileSync(file, JSON.stringify({ host: 'far-away-host', pid: 4242, by: 'root@far-away-host', startedAt: 'then' }), {
        mode: 0o600,
      });
      const script = join(dir, 'acquire.ts');
      writeFileSync(
        script,
        `import { RunLock } from ${JSON.stringify(join(ROOT, 'src/engine/run/lock.ts'))};
try {
  RunLock.acquire(process.argv[2]!, { steal: true, clock: { now: () => new Date() } });
  console.log(JSON.stringify({ acquired: true }));
} catch (err) {
  console.log(JSON.stringify({ name: (err as Error).name, message: (err as Error).message, hint: (err as { hint?: string }).hint }));
}
`,
      );
      const asNobody = (lock: string): unknown => {
        const child = spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, '--import', 'tsx', script, lock], {
          cwd: ROOT,
          encoding: 'utf8',
        });
        expect(child.status, child.stderr.slice(0, 2000)).toBe(0);
        return JSON.parse(child.stdout);
      };
      // Unreadable: root's lock file, mode 0600.
      expect(asNobody(file)).toEqual({
        name: 'UsageError',
        message: `cannot read the run lock ${file}: permission denied`,
        hint: `user nobody lacks permission on ${file} or its folder: run dingo-recover as the user who owns them (ls -ld ${dir} ${file}), or give another --state-dir`,
      });
      // Readable, but its folder is not writable: it cannot be moved aside.
      chmodSync(file, 0o644);
      expect(asNobody(file)).toMatchObject({ name: 'UsageError', message: `cannot move aside the run lock ${file}: permission denied` });
      expect(readdirSync(dir).sort()).toEqual(['acquire.ts', 'lock']);
    },
  );
});
