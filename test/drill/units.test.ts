import { mkdtemp, open, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { backupLabelName } from '../../src/wale/keys.js';
import { formatDuration, parseDuration } from '../../src/core/duration.js';
import { DRILL_EXIT, DrillFailed } from '../../src/drill/exit-codes.js';
import { majorOf, versionSaid } from '../../src/core/pg-version.js';
import { replayShortfall } from '../../src/drill/replay.js';
import { pipeThrough, run, StageFailed } from '../../src/systems/processes.js';
import { confString, writeRecoveryConfig } from '../../src/drill/recovery-config.js';
import { shellQuote } from '../../src/systems/pg-sandbox.js';
import { localRestoreCommand } from '../../src/drill/wal-download.js';
import { parseRecoveryLog } from '../../src/drill/recovery-log.js';
import { parseTargetTime } from '../../src/drill/target-time.js';
import { recoveryTargetOf, type TargetFlags } from '../../src/drill/recovery-target.js';
import { workdirPaths } from '../../src/drill/workdir.js';
import { Readable } from 'node:stream';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('durations', () => {
  it('parses units and combinations, and rejects anything else as bad usage', () => {
    expect(parseDuration('24h', '--max-age')).toBe(86_400_000);
    expect(parseDuration('1h30m', '--max-age')).toBe(5_400_000);
    expect(parseDuration('500ms', '--deadline')).toBe(500);
    expect(parseDuration('2d', '--max-age')).toBe(172_800_000);
    for (const bad of ['', '24', 'h', '1 day', '5m later']) {
      expect(() => parseDuration(bad, '--max-age')).toThrow(/--max-age .* is not a duration/);
    }
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(1500)).toBe('1.5 s');
  });
});

describe('exit codes', () => {
  it('gives each drill outcome its own code, distinct from usage (2) and generic failure (1)', () => {
    const codes = (['not-restorable', 'too-old', 'query-failed', 'could-not-run'] as const).map((o) => new DrillFailed(o, 'x').exitCode);
    expect(codes).toEqual([DRILL_EXIT.notRestorable, DRILL_EXIT.tooOld, DRILL_EXIT.queryFailed, DRILL_EXIT.couldNotRun]);
    expect(new Set([...codes, 0, 1, 2, 3]).size).toBe(8);
  });
});

describe('versions and labels', () => {
  it('reads the major version the way PostgreSQL numbers them', () => {
    expect(majorOf('9.5.1')).toBe('9.5');
    expect(majorOf('15.18')).toBe('15');
    expect(majorOf('10.2')).toBe('10');
  });

  it("reads the version a PostgreSQL program's --version line says, and none where it says none", () => {
    expect(versionSaid('psql (PostgreSQL) 15.4 (Debian 15.4-1.pgdg120+1)\n')).toBe('15.4');
    expect(versionSaid('pg_ctl (PostgreSQL) 9.5.25\n')).toBe('9.5.25');
    expect(versionSaid('pg_xlogdump (PostgreSQL) 9.5.19\n')).toBe('9.5.19');
    expect(versionSaid('postgres (PostgreSQL) 17beta1\n')).toBe('17');
    expect(versionSaid('pg_ctl (EnterpriseDB) 15.4\n')).toBeNull();
    expect(versionSaid('')).toBeNull();
  });

  it('names the backup label from the decimal offset', () => {
    expect(backupLabelName('000000010000000000000002', 40)).toBe('000000010000000000000002.00000028.backup');
  });
});

describe('recovery configuration', () => {
  it('restore_command only copies a file the drill fetched, quoted for the shell and for postgresql.conf', () => {
    expect(localRestoreCommand("/tmp/it's/wal")).toBe(`test -f '/tmp/it'\\''s/wal'/%f && cp '/tmp/it'\\''s/wal'/%f %p`);
    expect(shellQuote('a b')).toBe("'a b'");
    expect(confString("it's")).toBe("'it''s'");
  });

  it("PostgreSQL 12+: recovery.signal and restore_command in postgresql.auto.conf; the archive's own config set aside", async () => {
    const data = await mkdtemp(join(tmpdir(), 'drill-conf-'));
    dirs.push(data);
    await writeFile(join(data, 'postgresql.conf'), "archive_command = 'wal-e wal-push %p'\n");
    await writeFile(join(data, 'standby.signal'), '');
    await writeRecoveryConfig({ dataDir: data, major: '15', restoreCommand: "x '%f' %p", port: 5433, socketDir: '/tmp/s' });
    const files = (await readdir(data)).sort();
    expect(files).toEqual([
      'pg_hba.conf',
      'pg_ident.conf',
      'postgresql.auto.conf',
      'postgresql.conf',
      'postgresql.conf.from-archive',
      'recovery.signal',
    ]);
    expect(await readFile(join(data, 'postgresql.auto.conf'), 'utf8')).toContain("restore_command = 'x ''%f'' %p'");
    const conf = await readFile(join(data, 'postgresql.conf'), 'utf8');
    expect(conf).toContain('archive_mode = off');
    expect(conf).toContain("listen_addresses = ''");
    expect(conf).toContain('port = 5433');
  });

  it("PostgreSQL 9.5 (Dingo's): recovery.conf, unix_socket_directories", async () => {
    const data = await mkdtemp(join(tmpdir(), 'drill-conf-'));
    dirs.push(data);
    await writeRecoveryConfig({ dataDir: data, major: '9.5', restoreCommand: 'x %f %p', port: 5433, socketDir: '/tmp/s' });
    expect(await readFile(join(data, 'recovery.conf'), 'utf8')).toBe("restore_command = 'x %f %p'\nrecovery_target_timeline = 'latest'\n");
    expect(await readdir(data)).not.toContain('recovery.signal');
    expect(await readFile(join(data, 'postgresql.conf'), 'utf8')).toContain("unix_socket_directories = '/tmp/s'");
  });

  it('a moment to stop at: inclusive, then promote (9.5+) or do not pause (9.4), where each major reads recovery settings', async () => {
    const written = async (major: string, file: string): Promise<string> => {
      const data = await mkdtemp(join(tmpdir(), 'drill-conf-'));
      dirs.push(data);
      const time = parseTargetTime('2016-11-21 14:01:30Z');
      const target = { stop: { kind: 'time' as const, time }, exclusive: false, timeline: 'latest' };
      await writeRecoveryConfig({ dataDir: data, major, restoreCommand: 'x %f %p', port: 5433, socketDir: '/tmp/s', target });
      return readFile(join(data, file), 'utf8');
    };
    const target = "recovery_target_time = '2016-11-21 14:01:30+00'\nrecovery_target_inclusive = 'true'\n";
    expect(await written('15', 'postgresql.auto.conf')).toContain(`${target}recovery_target_action = 'promote'\n`);
    expect(await written('9.5', 'recovery.conf')).toContain(`${target}recovery_target_action = 'promote'\n`);
    expect(await written('9.4', 'recovery.conf')).toContain(`${target}pause_at_recovery_target = 'false'\n`);
  });

  it("a transaction, a WAL location, a restore point or the backup's end, exclusive or on a timeline, in recovery.conf before 12 and settings from 12", async () => {
    const written = async (major: string, file: string, flags: TargetFlags): Promise<string> => {
      const data = await mkdtemp(join(tmpdir(), 'drill-conf-'));
      dirs.push(data);
      await writeRecoveryConfig({
        dataDir: data,
        major,
        restoreCommand: 'x %f %p',
        port: 5433,
        socketDir: '/tmp/s',
        target: recoveryTargetOf(flags),
      });
      return readFile(join(data, file), 'utf8');
    };
    expect(await written('10', 'recovery.conf', { targetXid: '740', targetExclusive: true, targetTimeline: '2' })).toBe(
      "restore_command = 'x %f %p'\nrecovery_target_timeline = '2'\nrecovery_target_xid = '740'\nrecovery_target_inclusive = 'false'\nrecovery_target_action = 'promote'\n",
    );
    expect(await written('12', 'postgresql.auto.conf', { targetLsn: '0/3000060' })).toContain(
      "recovery_target_timeline = 'latest'\nrecovery_target_lsn = '0/3000060'\nrecovery_target_inclusive = 'true'\nrecovery_target_action = 'promote'\n",
    );
    expect(await written('17', 'postgresql.auto.conf', { targetName: "it's-before" })).toContain(
      "recovery_target_name = 'it''s-before'\nrecovery_target_action",
    );
    expect(await written('14', 'postgresql.auto.conf', { target: 'immediate', targetTimeline: 'current' })).toContain(
      "recovery_target_timeline = 'current'\nrecovery_target = 'immediate'\nrecovery_target_action = 'promote'\n",
    );
    // Before 12, "current" is recovery.conf's default, and a word it does not know reads as latest: left out.
    expect(await written('11', 'recovery.conf', { target: 'immediate', targetTimeline: 'current' })).toBe(
      "restore_command = 'x %f %p'\nrecovery_target = 'immediate'\nrecovery_target_action = 'promote'\n",
    );
    // 9.6 has no recovery_target_lsn: refused, naming the setting, rather than a target PostgreSQL would ignore.
    await expect(written('9.6', 'recovery.conf', { targetLsn: '0/3000060' })).rejects.toThrow(/PostgreSQL 9.6 has no recovery_target_lsn/);
  });

  it('refuses target flags that are malformed, several, or without a target', () => {
    for (const [flags, why] of [
      [{ targetXid: '2' }, /is not a transaction id/],
      [{ targetXid: '4294967296' }, /is not a transaction id/],
      [{ targetLsn: '0/XYZ' }, /is not a WAL location/],
      [{ targetName: 'a\nb' }, /no control character/],
      [{ targetName: 'x'.repeat(64) }, /1 to 63 bytes/],
      [{ target: 'latest' }, /only "immediate"/],
      [{ targetXid: '740', targetLsn: '0/1' }, /--target-xid and --target-lsn are several places to stop/],
      [{ targetTimeline: '2' }, /needs a target/],
      [{ targetName: 'p', targetExclusive: true }, /not to restore point/],
      [{ targetXid: '740', targetTimeline: 'newest' }, /is not a timeline/],
    ] as [TargetFlags, RegExp][]) {
      expect(() => recoveryTargetOf(flags), JSON.stringify(flags)).toThrow(why);
    }
    expect(recoveryTargetOf({})).toBeNull();
    expect(recoveryTargetOf({ targetLsn: '0/3000060', targetExclusive: true })).toEqual({
      stop: { kind: 'lsn', lsn: '0/3000060' },
      exclusive: true,
      timeline: 'latest',
    });
  });
});

describe('server log', () => {
  it('finds restored files, the end of redo, the last transaction, the new timeline and fatal lines', () => {
    const log = [
      'LOG:  restored log file "000000010000000000000002" from archive',
      'LOG:  restored log file "000000010000000000000003" from archive',
      'LOG:  redo done at 0/3001F90 system usage: CPU: user: 0.00 s',
      'LOG:  last completed transaction was at log time 2026-11-22 22:31:13.184012+00',
      'LOG:  selected new timeline ID: 2',
      'FATAL:  could not locate required checkpoint record',
    ].join('\n');
    expect(parseRecoveryLog(log)).toEqual({
      restoredFiles: ['000000010000000000000002', '000000010000000000000003'],
      redoDoneAt: '0/3001F90',
      lastTransactionAt: '2026-11-22 22:31:13.184012+00',
      newTimeline: 2,
      stoppedBefore: null,
      targetNotReached: false,
      stopped: null,
      fatal: ['FATAL:  could not locate required checkpoint record'],
    });
  });

  it('finds where a recovery target stopped replay, or that recovery ended before reaching it', () => {
    const stopped = parseRecoveryLog(
      [
        'LOG:  restored log file "000000010000000000000003" from archive',
        'LOG:  recovery stopping before commit of transaction 727, time 2026-11-25 07:49:23.77049+00',
        'LOG:  redo done at 0/3002F80 system usage: CPU: user: 0.00 s',
        'LOG:  last completed transaction was at log time 2026-11-25 07:49:22.733515+00',
      ].join('\n'),
    );
    expect(stopped).toMatchObject({
      stoppedBefore: { transaction: '727', at: '2026-11-25 07:49:23.77049+00' },
      stopped: 'before commit of transaction 727, time 2026-11-25 07:49:23.77049+00',
      targetNotReached: false,
    });
    expect(parseRecoveryLog('LOG:  recovery stopping after reaching consistency\n').stopped).toBe('after reaching consistency');
    const short = parseRecoveryLog('FATAL:  recovery ended before configured recovery target was reached\n');
    expect(short).toMatchObject({ stoppedBefore: null, targetNotReached: true });
  });
});

describe('process pipelines', () => {
  it('streams through real programs', async () => {
    let out = '';
    const { Writable } = await import('node:stream');
    await pipeThrough(
      Readable.from([Buffer.from('hello\nworld\n')]),
      [{ argv: ['sort', '-r'] }, { argv: ['gzip', '-c'] }, { argv: ['gzip', '-dc'] }],
      new Writable({
        write(c, _e, cb) {
          out += String(c);
          cb();
        },
      }),
    );
    expect(out).toBe('world\nhello\n');
  });

  it('blames the program that failed, not the broken pipe it left behind', async () => {
    const big = Readable.from(
      (function* () {
        for (let i = 0; i < 64; i++) yield Buffer.alloc(64 * 1024, 7);
      })(),
    );
    const err = await pipeThrough(big, [{ argv: ['gzip', '-dc'] }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StageFailed);
    expect((err as Error).message).toMatch(/^gzip -dc failed: .*not in gzip format/);
  });

  it('a program that fails stops its peers, even one that never reads or ends, and is named as the cause', async () => {
    const { PassThrough } = await import('node:stream');
    // A source that never ends, as an S3 body stalled mid-download, and a peer that neither reads nor exits.
    const endless = new PassThrough();
    endless.write(Buffer.alloc(1024, 1));
    const err = await pipeThrough(endless, [
      { argv: ['sh', '-c', 'echo "decryption failed: No secret key" >&2; exit 2'] },
      { argv: ['sleep', '600'] },
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StageFailed);
    expect((err as StageFailed).argv[0]).toBe('sh');
    expect((err as Error).message).toContain('decryption failed: No secret key');
    expect(endless.destroyed).toBe(true);
  }, 20_000);

  it('names the upstream failure when the program after it fails first on the nothing it was left', async () => {
    // gpg without the key writes nothing and fails; lzop, given an empty input, may fail before gpg's exit is seen.
    const err = await pipeThrough(Readable.from([Buffer.from('ciphertext')]), [
      { argv: ['sh', '-c', 'cat >/dev/null; sleep 0.3; echo "gpg: decryption failed: No secret key" >&2; exit 2'] },
      { argv: ['sh', '-c', 'echo "lzop: <stdin>: not a lzop file" >&2; exit 1'] },
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StageFailed);
    expect((err as Error).message).toBe(
      'sh -c cat >/dev/null; sleep 0.3; echo "gpg: decryption failed: No secret key" >&2; exit 2 failed: gpg: decryption failed: No secret key',
    );
  }, 20_000);

  it('names the downstream failure when the program before it only died of the broken pipe it left', async () => {
    const big = Readable.from(
      (function* () {
        for (let i = 0; i < 64; i++) yield Buffer.alloc(64 * 1024, 7);
      })(),
    );
    const err = await pipeThrough(big, [{ argv: ['cat'] }, { argv: ['gzip', '-dc'] }]).catch((e: unknown) => e);
    expect((err as StageFailed).argv).toEqual(['gzip', '-dc']);
  }, 20_000);

  it("a sink given as an open file is the last program's own output, not copied through this process", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pipe-file-'));
    dirs.push(dir);
    const path = join(dir, 'out');
    const file = await open(path, 'w', 0o600);
    try {
      // The last program's standard output is the file itself: /proc names it, where a pipe would be 'pipe:[…]'.
      await pipeThrough(
        Readable.from([Buffer.from('hello\nworld\n')]),
        [{ argv: ['sort', '-r'] }, { argv: ['sh', '-c', 'cat; readlink /proc/self/fd/1'] }],
        {
          fd: file.fd,
        },
      );
    } finally {
      await file.close();
    }
    expect(await readFile(path, 'utf8')).toBe(`world\nhello\n${path}\n`);

    const empty = join(dir, 'no-programs');
    const direct = await open(empty, 'w');
    await pipeThrough(Readable.from([Buffer.from('as it came')]), [], { fd: direct.fd }).finally(() => direct.close());
    expect(await readFile(empty, 'utf8')).toBe('as it came');
  });

  it("a file that refuses the last program's output names the program and the error", async () => {
    const full = await open('/dev/full', 'w');
    const err = await pipeThrough(Readable.from([Buffer.alloc(256 * 1024, 1)]), [{ argv: ['cat'] }], { fd: full.fd })
      .catch((e: unknown) => e)
      .finally(() => full.close());
    expect(err).toBeInstanceOf(StageFailed);
    expect((err as Error).message).toMatch(/^cat failed: cat: write error: No space left on device/);
  });

  it("reports a program's exit code and output", async () => {
    expect(await run(['sh', '-c', 'echo out; echo err >&2; exit 3'])).toEqual({ code: 3, stdout: 'out\n', stderr: 'err\n' });
  });
});

describe('how far replay got', () => {
  const newest = '000000020000000100000003';
  it('counts the newest segment reached whether its last record ends at its end or inside it', () => {
    expect(replayShortfall({ lastLsn: '1/4000000', lastSegment: '000000010000000100000002' }, newest, '15')).toBeNull();
    expect(replayShortfall({ lastLsn: '1/3001F38', lastSegment: null }, newest, '15')).toBeNull();
  });

  it('names the lost range from the first segment not replayed whole to the newest archived one', () => {
    // Replay ended at the end of 1/02: PostgreSQL fetching 1/03 again, or a damaged 1/03, does not count.
    expect(replayShortfall({ lastLsn: '1/3000000', lastSegment: '000000020000000100000003' }, newest, '15')).toEqual({
      from: '000000020000000100000003',
      to: newest,
    });
    // Ended inside 1/01: the rest of it is lost too.
    expect(replayShortfall({ lastLsn: '1/1000A28', lastSegment: null }, newest, '15')).toEqual({
      from: '000000020000000100000001',
      to: newest,
    });
    // Across a log boundary, and from the restored files when the server did not say.
    expect(replayShortfall({ lastLsn: '1/0', lastSegment: null }, newest, '15')).toEqual({ from: '000000020000000100000000', to: newest });
    expect(replayShortfall({ lastLsn: null, lastSegment: '0000000200000000000000FF' }, newest, '15')).toEqual({
      from: '000000020000000100000000',
      to: newest,
    });
    expect(replayShortfall({ lastLsn: null, lastSegment: null }, newest, '15')).toBeNull();
  });
});

describe('the scratch folder', () => {
  it('is taken at any depth: the server’s socket is in its sandbox, at a short path of its own', () => {
    const deep = `/${'d'.repeat(300)}`;
    expect(workdirPaths(deep)).toEqual({ dir: deep, socketDir: `${deep}/sock`, dataDir: `${deep}/data`, walDir: `${deep}/wal` });
  });
});
