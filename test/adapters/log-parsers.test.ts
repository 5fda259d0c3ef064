import { describe, expect, it } from 'vitest';
import { secrets } from '../../src/core/invocation.js';
import { maskSecretFields, REDACTED } from '../../src/core/redact.js';
import { parsePayload } from '../../src/adapters/log-payload.js';
import { parseWale, waleTime } from '../../src/adapters/wale-lines.js';
import { clockOf, inferYear, parseSyslog, readWithClock, zoneName } from '../../src/adapters/syslog.js';

// Verbatim lines from the runbook (seed 003) and the domain notes.
const REMOVE_NODE =
  'Mar 16 23:10:17 0.router-partition-cac94a070a81fd8f3931.dingo-postgresql-98b09c4b36af74181ee1 broker.stdout.log:  {"timestamp":"1458195017.896692991","source":"patroni-broker","message":"patroni-broker.cluster.remove-node.perform","log_level":1,"data":{"backend":"10.58.111.150","instance-id":"6e101b27-ee1b-4f4d-a032-4401a3709ec3","node-uuid":"c8ce128e-7b4c-4fe7-a533-e9379356f906","session":"76"}}';
const CONFD_UPDATED =
  'Mar 16 23:10:19 0.router-partition-cac94a070a81fd8f3931.dingo-postgresql-98b09c4b36af74181ee1 confd.stderr.log:  2016-03-17T06:10:19Z 3a977637-afdc-4a51-bb8a-d82aa4f0dcd4 confd[4095]: INFO Target config /var/vcap/sys/run/router/haproxy.cfg has been updated';
const CONFD_MD5 =
  'Mar 16 23:10:18 0.router-partition-cac94a070a81fd8f3931.dingo-postgresql-98b09c4b36af74181ee1 confd.stderr.log:  2016-03-17T06:10:18Z 3a977637-afdc-4a51-bb8a-d82aa4f0dcd4 confd[4095]: INFO /var/vcap/sys/run/router/haproxy.cfg has md5sum fa93b9d6b9e2f81a774f47d39c28d46b should be b0ced603d154cbe72874d83683842ee8';
const SYSID =
  'Mar 16 19:11:47 14ddd22e-719e-4aca-b318-7f291c97fbba docker/cf-c8ce128e-7b4c-4fe7-a533-e9379356f906:  patroni> upload: tmp/sysids/sysid to s3://our-postgresql-backups/backups/6e101b27-ee1b-4f4d-a032-4401a3709ec3/wal/sysids/sysid';
const DETAIL_WAL =
  'Mar 16 19:11:48 14ddd22e-719e-4aca-b318-7f291c97fbba docker/cf-c8ce128e-7b4c-4fe7-a533-e9379356f906:  patroni>         DETAIL: Uploading "pg_xlog/000000010000000000000001" to "s3://our-postgresql-backups/backups/6e101b27-ee1b-4f4d-a032-4401a3709ec3/wal/wal_005/000000010000000000000001.lzo".';
const STRUCTURED =
  'Mar 16 19:11:48 14ddd22e-719e-4aca-b318-7f291c97fbba docker/cf-c8ce128e-7b4c-4fe7-a533-e9379356f906:  patroni>         STRUCTURED: time=2016-03-17T02:11:48.811154-00 pid=231 action=push-wal key=s3://our-postgresql-backups/backups/6e101b27-ee1b-4f4d-a032-4401a3709ec3/wal/wal_005/000000010000000000000001.lzo prefix=backups/6e101b27-ee1b-4f4d-a032-4401a3709ec3/wal/ seg=000000010000000000000001 state=begin';
const BASE_TXT =
  'Mar 16 19:11:49 14ddd22e-719e-4aca-b318-7f291c97fbba docker/cf-c8ce128e-7b4c-4fe7-a533-e9379356f906:  backup>         DETAIL: Uploading to s3://our-postgresql-backups/backups/6e101b27-ee1b-4f4d-a032-4401a3709ec3/wal/basebackups_005/base_000000010000000000000002_00000040/extended_version.txt.';
const BASE_TAR =
  'Mar 16 19:11:50 14ddd22e-719e-4aca-b318-7f291c97fbba docker/cf-c8ce128e-7b4c-4fe7-a533-e9379356f906:  backup>         DETAIL: Uploading to "s3://our-postgresql-backups/backups/6e101b27-ee1b-4f4d-a032-4401a3709ec3/wal/basebackups_005/base_000000010000000000000002_00000040/tar_partitions/part_00000000.tar.lzo".';
const LOOKUP =
  'Mar 17 17:37:38 14ddd22e-719e-4aca-b318-7f291c97fbba docker/cf-52167ceb-bd3d-4bff-8699-a239d21c5379:  looking up public host:port from etcd -> 10.58.111.149:4001/v2/keys/postgresql-patroni/0.cell_z1-partition-cac94a070a81fd8f3931.default.dingo-postgresql-98b09c4b36af74181ee1.microbosh:cf-52167ceb-bd3d-4bff-8699-a239d21c5379:5432 (0)';
const PUBLIC_MARCH =
  'Mar 17 17:37:38 14ddd22e-719e-4aca-b318-7f291c97fbba docker/cf-52167ceb-bd3d-4bff-8699-a239d21c5379:  public address 10.58.111.150:32785';

const FILE_2016 = new Date('2016-03-18T00:00:00Z');

describe('syslog prefixes', () => {
  it('reads the BOSH RFC 3164 shape: host index.job.deployment, tag = log file, two spaces', () => {
    const s = parseSyslog(REMOVE_NODE, FILE_2016)!;
    expect(s.format).toBe('rfc3164');
    expect(s.host).toBe('0.router-partition-cac94a070a81fd8f3931.dingo-postgresql-98b09c4b36af74181ee1');
    expect(s.tag).toBe('broker.stdout.log');
    expect(s.payload.startsWith('{"timestamp"')).toBe(true);
    expect(s.time!.toISOString()).toBe('2016-03-16T23:10:17.000Z');
    expect(s.yearInferred).toBe(true);
  });

  it('reads the docker/cf-<node> tag of the cells', () => {
    const s = parseSyslog(SYSID, FILE_2016)!;
    expect(s.tag).toBe('docker/cf-c8ce128e-7b4c-4fe7-a533-e9379356f906');
    expect(s.payload.startsWith('patroni> upload:')).toBe(true);
  });

  it('infers the year from the file time, one year back across new year', () => {
    expect(inferYear(11, 31, new Date('2017-01-02T00:00:00Z'))).toBe(2016);
    expect(inferYear(0, 2, new Date('2017-01-02T00:00:00Z'))).toBe(2017);
    const s = parseSyslog('Dec 31 23:59:59 host CRON[12]: (root) CMD (x)', new Date('2017-01-01T00:10:00Z'))!;
    expect(s.time!.toISOString()).toBe('2016-12-31T23:59:59.000Z');
    expect(s.tag).toBe('CRON');
  });

  it("learns a file's year and zone from a line that carries its own time", () => {
    // The prefix was read with a wrong year (the file was copied in 2026) and in local time (UTC-7).
    const prefix = new Date('2026-03-16T23:10:17Z');
    const clock = clockOf(prefix, new Date('2016-03-17T06:10:17.896Z'))!;
    expect(clock.zoneMs).toBe(7 * 3_600_000);
    expect(zoneName(clock.zoneMs)).toBe('UTC-07:00');
    expect(readWithClock(new Date('2026-03-16T21:21:48Z'), clock).toISOString()).toBe('2016-03-17T04:21:48.000Z');
    // Across new year from the anchor: the nearest year wins.
    const dec = clockOf(new Date('2026-12-31T23:59:00Z'), new Date('2016-12-31T23:59:01Z'))!;
    expect(readWithClock(new Date('2026-01-01T00:05:00Z'), dec).toISOString()).toBe('2017-01-01T00:05:00.000Z');
    // A payload time a week away from its prefix is a replayed line, not a clock.
    expect(clockOf(new Date('2016-03-10T00:00:00Z'), new Date('2016-03-17T00:00:00Z'))).toBeNull();
  });

  it('reads RFC 5424 with and without structured data', () => {
    const a = parseSyslog('<14>1 2016-03-17T06:10:17.896Z 10.0.0.5 broker.stdout.log - - - {"x":1}', FILE_2016)!;
    expect(a).toMatchObject({ format: 'rfc5424', host: '10.0.0.5', tag: 'broker.stdout.log', payload: '{"x":1}', yearInferred: false });
    expect(a.time!.toISOString()).toBe('2016-03-17T06:10:17.896Z');
    const b = parseSyslog(
      '<13>1 2016-03-17T06:10:17+00:00 cell docker - - [instance@47450 director="d" deployment="dingo" id="a\\]b"] public address 10.0.0.1:1',
      FILE_2016,
    )!;
    expect(b.payload).toBe('public address 10.0.0.1:1');
  });

  // Each shape the platform's forwarders write, with the host, program and time read from it.
  it.each([
    [
      'RFC 3164 (BOSH)',
      'Mar 16 23:10:17 0.router.dingo broker.stdout.log:  {"x":1}',
      'rfc3164',
      '0.router.dingo',
      'broker.stdout.log',
      '2016-03-16T23:10:17.000Z',
      '{"x":1}',
    ],
    [
      'RFC 3164 with <PRI>',
      '<14>Mar 16 23:10:17 host CRON[12]: (root) CMD',
      'rfc3164',
      'host',
      'CRON',
      '2016-03-16T23:10:17.000Z',
      '(root) CMD',
    ],
    [
      'RFC 5424',
      '<14>1 2016-03-17T06:10:17.896Z 10.0.0.5 broker.stdout.log - - - {"x":1}',
      'rfc5424',
      '10.0.0.5',
      'broker.stdout.log',
      '2016-03-17T06:10:17.896Z',
      '{"x":1}',
    ],
    [
      'RSYSLOG_ForwardFormat (metron): <PRI> and an RFC 3339 time, no version',
      '<14>2016-11-25T10:20:30.123456+00:00 0.router.dingo broker.stdout.log[4242]: {"x":1}',
      'rfc3339',
      '0.router.dingo',
      'broker.stdout.log',
      '2016-11-25T10:20:30.123Z',
      '{"x":1}',
    ],
    [
      'RSYSLOG_ForwardFormat, a container and an offset',
      '<30>2016-11-25T11:20:30.5+01:00 14ddd22e-719e-4aca-b318-7f291c97fbba docker/cf-c8ce128e-7b4c-4fe7-a533-e9379356f906:  patroni> hi',
      'rfc3339',
      '14ddd22e-719e-4aca-b318-7f291c97fbba',
      'docker/cf-c8ce128e-7b4c-4fe7-a533-e9379356f906',
      '2016-11-25T10:20:30.500Z',
      'patroni> hi',
    ],
    [
      'RSYSLOG_FileFormat: an RFC 3339 time without <PRI>',
      '2016-11-25T10:20:30Z cell confd[77]: INFO x',
      'rfc3339',
      'cell',
      'confd',
      '2016-11-25T10:20:30.000Z',
      'INFO x',
    ],
  ])('reads %s', (_name, line, format, host, tag, time, payload) => {
    const s = parseSyslog(line, FILE_2016)!;
    expect(s).toMatchObject({ format, host, tag, payload, yearInferred: format === 'rfc3164' });
    expect(s.time!.toISOString()).toBe(time);
  });

  it('keeps an RFC 3339 time that is no date as a bad time, and refuses a digit that starts no time', () => {
    expect(parseSyslog('<14>2016-02-30T10:20:30Z host tag: x', FILE_2016)).toMatchObject({
      time: null,
      badTime: '2016-02-30T10:20:30Z',
      tag: 'tag',
    });
    expect(parseSyslog('<14>2016-11-25 host tag: x', FILE_2016)).toBeNull();
    expect(parseSyslog('12 <14>1 2016-03-17T06:10:17Z h t - - - x', FILE_2016)).toBeNull();
  });

  it('refuses what is not syslog', () => {
    expect(parseSyslog('hello world', FILE_2016)).toBeNull();
    expect(parseSyslog('{"timestamp":"1"}', FILE_2016)).toBeNull();
  });
});

describe('payloads', () => {
  const payload = (line: string) => parsePayload(parseSyslog(line, FILE_2016)!.payload);

  it("reads a line a platform's forwarder prefixed with the VM it came from as the line itself", () => {
    const forwarded = (prefix: string): string => REMOVE_NODE.replace('broker.stdout.log:  ', `broker.stdout.log:  ${prefix} `);
    for (const prefix of [
      '[job=router_z1 index=0]',
      '[bosh instance=dingo-postgresql-98b09c4b36af74181ee1/router/3a977637-afdc-4a51-bb8a-d82aa4f0dcd4]',
    ])
      expect(payload(forwarded(prefix)), prefix).toEqual(payload(REMOVE_NODE));
    expect(payload(REMOVE_NODE)).not.toBeNull();
    const confd = CONFD_UPDATED.replace('confd.stderr.log:  ', 'confd.stderr.log:  [job=router_z1 index=0] ');
    expect(payload(confd)).toEqual(payload(CONFD_UPDATED));
  });

  it('parses the 2016 broker remove-node line', () => {
    expect(payload(REMOVE_NODE)).toEqual({
      kind: 'broker',
      source: 'patroni-broker',
      action: 'cluster.remove-node.perform',
      time: new Date(1458195017897),
      data: {
        backend: '10.58.111.150',
        'instance-id': '6e101b27-ee1b-4f4d-a032-4401a3709ec3',
        'node-uuid': 'c8ce128e-7b4c-4fe7-a533-e9379356f906',
        session: '76',
      },
    });
  });

  it('parses 2017 broker lines: remove-random-node, deprovision, update-recreation-data with the name', () => {
    const rr = parsePayload(
      '{"timestamp":"1486000000.5","source":"dingo-postgresql-broker","message":"dingo-postgresql-broker.remove-random-node.perform","log_level":1,"data":{"cell":"z1","instance-id":"11111111-2222-4333-8444-555555555555","node-uuid":"21111111-2222-4333-8444-555555555555","session":"3"}}',
    );
    expect(rr).toMatchObject({
      kind: 'broker',
      source: 'dingo-postgresql-broker',
      action: 'remove-random-node.perform',
      data: { cell: 'z1' },
    });
    const saved = parsePayload(
      '{"timestamp":"1486000000.5","source":"dingo-postgresql-broker","message":"dingo-postgresql-broker.provision.lookup-service-name.update-recreation-data.saved","log_level":1,"data":{"instance-id":"11111111-2222-4333-8444-555555555555","name":"important-db","session":"3"}}',
    );
    expect(saved).toMatchObject({ action: 'provision.lookup-service-name.update-recreation-data.saved', data: { name: 'important-db' } });
  });

  it('never registers restore.done passwords read from a log line, and masks them where the line is quoted', () => {
    const pw = 'restore-done-secret-91';
    const line = `{"timestamp":"1486000000.5","source":"dingo-postgresql-broker","message":"dingo-postgresql-broker.callbacks.restore.done","log_level":1,"data":{"clusterData":{"service_instance_name":"important-db","instance_id":"11111111-2222-4333-8444-555555555555","admin_credentials":{"username":"a","password":"${pw}"}},"session":"1"}}`;
    expect(parsePayload(line)).toMatchObject({ kind: 'broker', action: 'callbacks.restore.done' });
    expect(secrets().redact(line)).toContain(pw);
    expect(maskSecretFields(line)).not.toContain(pw);
    expect(maskSecretFields(line)).toContain(`"password":"${REDACTED}"`);
    expect(maskSecretFields(line)).toContain('"service_instance_name":"important-db"');
  });

  it('parses the three confd lines', () => {
    expect(payload(CONFD_UPDATED)).toEqual({ kind: 'haproxy', state: 'updated', time: new Date('2016-03-17T06:10:19Z') });
    expect(payload(CONFD_MD5)).toMatchObject({ kind: 'haproxy', state: 'md5' });
  });

  it('parses wal-e push-wal, base backup and sysid lines with the archive prefix', () => {
    const prefix = 's3://our-postgresql-backups/backups/6e101b27-ee1b-4f4d-a032-4401a3709ec3/wal/';
    expect(payload(SYSID)).toMatchObject({ kind: 'wale', action: 'sysid', archivePrefix: prefix });
    expect(payload(DETAIL_WAL)).toMatchObject({ kind: 'wale', action: 'push-wal', state: 'begin', archivePrefix: prefix });
    expect(payload(STRUCTURED)).toEqual({
      kind: 'wale',
      action: 'push-wal',
      state: 'begin',
      archivePrefix: prefix,
      instanceGuid: '6e101b27-ee1b-4f4d-a032-4401a3709ec3',
      time: new Date('2016-03-17T02:11:48.811Z'),
      scope6: null,
    });
    expect(payload(BASE_TXT)).toMatchObject({ action: 'base-backup', archivePrefix: prefix });
    expect(payload(BASE_TAR)).toMatchObject({ action: 'base-backup', archivePrefix: prefix });
    expect(parseWale(`DETAIL: Archiving to "${prefix}wal_005/000000010000000000000001.lzo" complete at 123.4KiB/s.`)).toMatchObject({
      state: 'complete',
    });
    expect(waleTime('2016-03-17T02:11:48.811154-00')!.toISOString()).toBe('2016-03-17T02:11:48.811Z');
  });

  it('parses both public address formats and the etcd lookup', () => {
    expect(payload(PUBLIC_MARCH)).toEqual({
      kind: 'public-address',
      ip: '10.58.111.150',
      port: '32785',
      format: 'march-2016',
      scope6: null,
      component: null,
    });
    expect(parsePayload('6e101b-startup> public :5432 address 10.58.111.151:32790')).toEqual({
      kind: 'public-address',
      ip: '10.58.111.151',
      port: '32790',
      format: 'july-2016',
      scope6: '6e101b',
      component: 'startup',
    });
    expect(parsePayload('6e101b-startup> public :8008 address 10.58.111.151:32791')).toBeNull();
    expect(payload(LOOKUP)).toEqual({
      kind: 'etcd-lookup',
      cellHost: '0.cell_z1-partition-cac94a070a81fd8f3931.default.dingo-postgresql-98b09c4b36af74181ee1.microbosh',
      nodeUuid: '52167ceb-bd3d-4bff-8699-a239d21c5379',
    });
    // Later images name the key by the registrator's name of their image (run.sh: ${REGISTRATOR_DOCKER_IMAGE}).
    expect(
      payload(
        LOOKUP.replace('/v2/keys/postgresql-patroni/', '/v2/keys/dingo-postgresql95/').replace(':  looking', ':  78218d-startup> looking'),
      ),
    ).toEqual({
      kind: 'etcd-lookup',
      cellHost: '0.cell_z1-partition-cac94a070a81fd8f3931.default.dingo-postgresql-98b09c4b36af74181ee1.microbosh',
      nodeUuid: '52167ceb-bd3d-4bff-8699-a239d21c5379',
    });
  });

  it('parses cf-containers-broker creation, masking the container secrets where quoted, never registering them', () => {
    const key = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    expect(parsePayload("Creating Docker container `cf-52167ceb-bd3d-4bff-8699-a239d21c5379'...")).toEqual({
      kind: 'container-creating',
      nodeUuid: '52167ceb-bd3d-4bff-8699-a239d21c5379',
    });
    const options = `+-> Create options: {"name"=>"cf-52167ceb-bd3d-4bff-8699-a239d21c5379", "Env"=>["AWS_SECRET_ACCESS_KEY=${key}", "PATRONI_SCOPE=78218ded-7d88-4d69-bd44-6f478c300134"], "Labels"=>{"plan_id"=>"p", "instance_id"=>"52167ceb-bd3d-4bff-8699-a239d21c5379"}}`;
    expect(parsePayload(options)).toEqual({
      kind: 'container-options',
      patroniScope: '78218ded-7d88-4d69-bd44-6f478c300134',
      nodeUuid: '52167ceb-bd3d-4bff-8699-a239d21c5379',
    });
    expect(secrets().redact(options)).toContain(key);
    expect(maskSecretFields(options)).toContain(`AWS_SECRET_ACCESS_KEY=${REDACTED}"`);
    expect(maskSecretFields(options)).toContain('PATRONI_SCOPE=78218ded-7d88-4d69-bd44-6f478c300134');
  });

  it('parses patroni and restore_leader_if_missing lines with their milestones', () => {
    expect(parsePayload('6e101b-restore_leader_if_missing> preparing patroni to restore this container from wal-e backups')).toMatchObject({
      kind: 'container',
      component: 'restore_leader_if_missing',
      scope6: '6e101b',
      milestone: 'restore-prepared',
    });
    expect(parsePayload('patroni> 2016-03-17 02:11:48,123 INFO: promoted self to leader by acquiring session lock')).toMatchObject({
      component: 'patroni',
      scope6: null,
      milestone: 'promoted',
    });
    expect(parsePayload('gorouter says hi')).toBeNull();
  });
});
