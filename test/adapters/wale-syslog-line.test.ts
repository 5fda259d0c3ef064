import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCommon, readGeneral, readWaleSyslogLine } from '../../src/adapters/wale-syslog-line.js';

/**
 * The one match that reads the commonest wal-e lines is held to the general readers: whatever it
 * answers, they answer the same, on lines built from the pieces where the two could part.
 */

const GUID = '6e101b27-ee1b-4f4d-a032-4401a3709ec3';
const OTHER = 'f00d5e11-0000-4000-8000-00000000000b';
const FILE_TIME = new Date('2017-01-11T00:00:00Z');
const ARCHIVE = `s3://our-postgresql-backups/backups/${GUID}/wal/`;

/** A piece of a line: mostly one of the shapes a cell writes, now and then one where the readers could part. */
const piece = (usual: string[], odd: string[]): fc.Arbitrary<string> =>
  fc.oneof({ arbitrary: fc.constantFrom(...usual), weight: 3 }, { arbitrary: fc.constantFrom(...odd), weight: 1 });

const prefix = fc
  .tuple(
    piece(['Jan', 'Dec'], ['Feb', 'Foo', 'jan']),
    piece([' 8', '18'], ['29', '31', '30', '0', '8', '  8']),
    piece(['12:02:20'], ['12:02:20.123', '24:00:00', '12:60:20', '2:02:20']),
    piece([GUID], ['state=begin', 'state=complete', 'h/wal/', 'haproxy.cfg', 'x:y']),
    piece([`docker/cf-${OTHER}`, `docker/cf-${OTHER}[42]`], ['broker.stdout.log', 'a[x]', 'Create']),
    piece([':  ', ': '], [':', ':\t', ': \u00a0', ' :']),
  )
  .map(([month, day, time, host, tag, sep]) => `${month} ${day} ${time} ${host} ${tag}${sep}`);
const component = piece(['eae18c-patroni>', 'patroni>'], ['backup>', 'deadbeef>', 'abcdef-x>', 'ABC>', 'eae18c->', '']);
const gap = piece(['         ', ' '], ['', '\t', ' \u00a0']);
const archive = piece(
  [ARCHIVE],
  [
    `s3://${GUID}/wal/`,
    `s3://${GUID}/wal/${OTHER}/wal/`,
    `s3://b/${GUID}/wal/${OTHER}/wal/`,
    `s3://b/wal/${GUID}/wal/`,
    `s3://b:9000/${GUID}/wal/`,
    `s3://b/x://y/${GUID}/wal/`,
    `s3://b/x:/${GUID}/wal/`,
    `s3://b//${GUID}/wal/`,
    `s3://b/${GUID.toUpperCase()}/wal/`,
    `S3://b/${GUID}/wal/`,
    `a+b://b/${GUID}/wal/`,
    `s3://b/x${GUID}/wal/`,
    `s3://b/${GUID}/wa/`,
    `s3://b c/${GUID}/wal/`,
    `s3:/b/${GUID}/wal/`,
    `://b/${GUID}/wal/`,
  ],
);
const waleTimeText = piece(['2017-01-10T12:02:20.811154-00'], ['2017-01-10T12:02:20Z', '2017-13-40T12:02:20-00', '2017-01-10', 'x', '']);
const state = piece([' state=begin', ' state=complete'], [' state=other', '', ' state=begin state=complete', ' state=', '\tstate=begin']);
const tail = piece(
  ['wal_005/000000010000000000000001.lzo".', 'wal_005/x.lzo" complete at 348.5KiB/s.', 'wal_005/x.lzo prefix=backups/x/wal/ seg=1'],
  [
    '',
    ' {"message":"x"}',
    ' 2017-01-10T12:02:20Z h confd[1]: INFO /etc/haproxy.cfg has md5sum',
    ' Create options: x',
    ' Creating Docker container `cf-x',
    `/wal/${OTHER}/wal/`,
  ],
);
const body = fc.oneof(
  fc
    .tuple(piece(['00000001000000010000001B'], ['00000002.history', 'a/b', 'x y', '', '/wal/']), archive, tail)
    .map(([segment, a, t]) => `DETAIL: Uploading "pg_xlog/${segment}" to "${a}${t}`),
  fc.tuple(archive, tail).map(([a, t]) => `DETAIL: Archiving to "${a}${t}`),
  fc
    .tuple(waleTimeText, piece(['483'], ['', 'x']), piece(['push-wal', 'wal-fetch'], ['backup-push', 'push-wal2']), archive, tail, state)
    .map(([time, pid, action, a, t, st]) => `STRUCTURED: time=${time} pid=${pid} action=${action} key=${a}${t}${st}`),
);
const walLine = fc.tuple(prefix, component, gap, body).map(([p, c, g, b]) => `${p}${c}${g}${b}`);
/** A line of the commonest shape with one character put in, taken out or changed, anywhere. */
const canonical = `Jan 10 12:02:20 ${GUID} docker/cf-${OTHER}:  eae18c-patroni>         STRUCTURED: time=2017-01-10T12:02:20.811154-00 pid=483 action=push-wal key=${ARCHIVE}wal_005/x.lzo prefix=backups/${GUID}/wal/ state=begin`;
const mutated = fc
  .tuple(fc.nat({ max: canonical.length }), fc.constantFrom('', ' ', '/', ':', '"', 'x', 'A', '0', '\t', '{"'), fc.boolean())
  .map(([at, c, replace]) => canonical.slice(0, at) + c + canonical.slice(replace ? at + 1 : at));

describe('wal-e lines read in one match', () => {
  it('are read as the general readers read them, whatever the pieces', () => {
    let read = 0;
    fc.assert(
      fc.property(fc.oneof(walLine, mutated), (line) => {
        const fast = readCommon(line, FILE_TIME);
        if (fast) {
          read += 1;
          expect(fast).toEqual(readGeneral(line, FILE_TIME));
        }
        expect(readWaleSyslogLine(line, FILE_TIME)).toEqual(readGeneral(line, FILE_TIME));
      }),
      { numRuns: 5000 },
    );
    // Most lines built are of the shapes the one match reads, so it is what is held to the general readers.
    expect(read).toBeGreaterThan(1000);
  });

  it('are the lines a cell writes for every WAL segment', () => {
    const lines = [
      canonical,
      `Jan  8 12:02:20 ${GUID} docker/cf-${OTHER}:  patroni>         DETAIL: Uploading "pg_xlog/00000001000000010000001B" to "${ARCHIVE}wal_005/00000001000000010000001B.lzo".`,
      `Jan  8 12:02:21 ${GUID} docker/cf-${OTHER}[7]: eae18c-patroni> DETAIL: Archiving to "${ARCHIVE}wal_005/00000001000000010000001B.lzo" complete at 348.5KiB/s.`,
      `Dec 29 00:24:07 ${GUID} docker/cf-${OTHER}:  patroni>         STRUCTURED: time=2016-12-29T00:24:07.465154-00 pid=201 action=wal-fetch key=${ARCHIVE}wal_005/x.lzo prefix=backups/${GUID}/wal/ rate=512.3 seg=1 state=complete`,
    ];
    for (const line of lines) {
      const fast = readCommon(line, FILE_TIME);
      expect(fast).not.toBeNull();
      expect(fast).toEqual(readGeneral(line, FILE_TIME));
    }
    expect(readCommon(lines[2]!, FILE_TIME)?.wale).toMatchObject({ action: 'push-wal', state: 'complete', scope6: 'eae18c', time: null });
    expect(readCommon(lines[3]!, FILE_TIME)?.wale).toMatchObject({ action: 'wal-fetch', state: 'complete', scope6: null });
  });

  it('leave what they are not sure of to the general readers', () => {
    const tenantTail = `${canonical} Create options: x`;
    const baseBackup = `Jan 10 12:02:20 ${GUID} docker/cf-${OTHER}:  patroni>  DETAIL: Uploading to ${ARCHIVE}basebackups_005/base_x/extended_version.txt.`;
    for (const line of [tenantTail, baseBackup, `<14>${canonical}`]) {
      expect(readCommon(line, FILE_TIME)).toBeNull();
      expect(readWaleSyslogLine(line, FILE_TIME)).toEqual(readGeneral(line, FILE_TIME));
    }
    expect(readWaleSyslogLine(baseBackup, FILE_TIME)?.wale.action).toBe('base-backup');
  });
});
