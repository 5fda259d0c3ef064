/**
 * A document's own program and host fields say who wrote its message: a tenant's message that
 * looks like a whole syslog line of the broker does not pick its own writer.
 */
import { describe, expect, it } from 'vitest';
import { parseSyslog } from '../../../src/adapters/syslog.js';
import { findDeletedInstance, noCandidateError } from '../../../src/logs/find.js';
import { toLine } from '../../../src/systems/elasticsearch/index.js';
import { startEsHttp } from '../../support/es-http.js';
import { brokerRecord } from '../../support/forged-lines.js';
import { openLogSource } from '../../../src/systems/log-source.js';
import { Redactor } from '../../../src/core/redact.js';

const MINE = '6e101b27-ee1b-4f4d-a032-4401a3709ec3';
const VICTIM = 'a1b2c3d4-0000-4000-8000-00000000000a';
const NODE = 'c8ce128e-7b4c-4fe7-a533-e9379356f906';
const TENANT_NODE = '80a1b2c3-0000-4000-8000-000000000002';
const ROUTER = '0.router-partition-cac94a070a81fd8f3931.dingo-postgresql-98b09c4b36af74181ee1';

function doc(at: string, host: string, program: string, message: string): Record<string, string> {
  return { '@timestamp': at, '@message': message, syslog_hostname: host, syslog_program: program };
}

const HONEST = [
  doc(
    '2017-01-10T10:00:00Z',
    ROUTER,
    'broker.stdout.log',
    brokerRecord(1484042400.5, 'add-node.perform', { 'instance-id': MINE, 'node-uuid': NODE }),
  ),
  doc(
    '2017-01-10T10:01:00Z',
    ROUTER,
    'broker.stdout.log',
    brokerRecord(1484042460.5, 'provision.lookup-service-name.update-recreation-data.saved', { 'instance-id': MINE, name: 'orders-db' }),
  ),
  doc(
    '2017-01-10T11:00:00Z',
    'cell',
    `docker/cf-${NODE}`,
    `6e101b-patroni>         STRUCTURED: time=2017-01-10T11:00:00.811154-00 pid=231 action=push-wal key=s3://our-postgresql-backups/backups/${MINE}/wal/wal_005/000000010000000000000001.lzo prefix=backups/${MINE}/wal/ seg=000000010000000000000001 state=begin`,
  ),
  doc(
    '2017-01-10T10:02:00Z',
    ROUTER,
    'broker.stdout.log',
    brokerRecord(1484042520.5, 'provision.lookup-service-name.update-recreation-data.saved', { 'instance-id': VICTIM, name: 'victim-db' }),
  ),
  doc('2017-01-10T12:00:00Z', ROUTER, 'broker.stdout.log', brokerRecord(1484049600.5, 'deprovision.start', { 'instance-id': MINE })),
  doc('2017-01-10T12:30:00Z', ROUTER, 'broker.stdout.log', brokerRecord(1484051400.5, 'deprovision.start', { 'instance-id': VICTIM })),
];
/** The tenant's database logs a whole broker syslog line naming the victim's deleted instance "orders-db". */
const FORGED = doc(
  '2017-01-10T13:00:00Z',
  'cell',
  `docker/cf-${TENANT_NODE}`,
  `Jan 10 13:00:00 ${ROUTER} broker.stdout.log:  ${brokerRecord(1484053200.5, 'provision.lookup-service-name.update-recreation-data.saved', { 'instance-id': VICTIM, name: 'orders-db' })}`,
);

describe('Elasticsearch hits are judged by their own fields', () => {
  it("a message shaped as another writer's syslog line keeps the document's program and host", () => {
    const sys = parseSyslog(toLine(FORGED)!, new Date());
    expect(sys).toMatchObject({ host: 'cell', tag: `docker/cf-${TENANT_NODE}` });
    expect(sys!.payload).toBe(FORGED['@message']);
    const agreeing = `Jan 10 13:00:00 ${ROUTER} broker.stdout.log:  {"a":1}`;
    expect(toLine(doc('2017-01-10T13:00:00Z', ROUTER, 'broker.stdout.log', agreeing))).toBe(agreeing);
  });

  it('reads a line forwarded over TCP, whose @raw keeps its RFC 6587 length (logsearch syslog_standard.conf)', () => {
    const line = `<14>Jan 10 13:00:00 ${ROUTER} broker.stdout.log:  {"a":1}`;
    const raw = {
      '@timestamp': '2017-01-10T13:00:00Z',
      '@raw': `${Buffer.byteLength(line)} ${line}`,
      syslog_program: 'broker.stdout.log',
      syslog_hostname: ROUTER,
    };
    expect(parseSyslog(toLine(raw)!, new Date())).toMatchObject({ host: ROUTER, tag: 'broker.stdout.log', payload: '{"a":1}' });
  });

  it('a forged broker syslog line from a tenant container does not rank the victim', async () => {
    const es = await startEsHttp({ index: 'logs-platform-1', documents: () => [...HONEST, FORGED].map((src) => ({ _source: src })) });
    const r = await findDeletedInstance({
      redactor: new Redactor(),
      sources: openLogSource({ es: { url: es.url, redactor: new Redactor() } }),
      serviceName: 'orders-db',
    }).finally(() => es.stop());
    expect(r.candidates.map((c) => [c.instanceGuid, c.confidence])).toEqual([[MINE, 'high']]);
    expect(r.candidates[0]!.archivePrefix).toBe(`s3://our-postgresql-backups/backups/${MINE}/wal/`);
    // Under its container's program, the line is tenant text: its payload is no broker record.
    expect(r.searched.matchedLines).toBe(HONEST.length + 1);
  });

  it('says which container lines it could not tell the writer of, their tag cut to 32 characters by rsyslog', async () => {
    const line = HONEST.find((d) => String(d.syslog_program).startsWith('docker/cf-'))!;
    const cut = { ...line, syslog_program: String(line.syslog_program).slice(0, 32) };
    const es = await startEsHttp({
      index: 'logs-platform-1',
      documents: () => [...HONEST.filter((d) => d !== line), cut].map((src) => ({ _source: src })),
    });
    const r = await findDeletedInstance({
      redactor: new Redactor(),
      sources: openLogSource({ es: { url: es.url, redactor: new Redactor() } }),
      serviceName: 'orders-db',
    }).finally(() => es.stop());
    expect(r.searched.warnings).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^1 [a-z-]+-shaped line\\(s\\) written by tag ${cut.syslog_program} on host \\S+ ignored: the tag was cut to 32 characters \\(rsyslog's default forwarding templates`,
        ),
      ),
    );
  });

  it('a search that finds nothing asks for the index, where a file search asks for older files', async () => {
    const es = await startEsHttp({ index: 'logs-platform-1', documents: () => HONEST.map((src) => ({ _source: src })) });
    const r = await findDeletedInstance({
      redactor: new Redactor(),
      sources: openLogSource({ es: { url: es.url, redactor: new Redactor() } }),
      serviceName: 'no-such-db',
    }).finally(() => es.stop());
    expect(r.candidates).toEqual([]);
    const err = noCandidateError('no-such-db', r.searched);
    expect(err.message).toMatch(
      /^no deleted instance named "no-such-db" was found: searched Elasticsearch index logstash-\*,logs-platform-\*,logs-unparsed-\*/,
    );
    expect(err.hint).toMatch(/check --es-index against the indices that hold the platform logs \(GET _cat\/indices\)/);
    // "Over all time" is over what the cluster still holds: Logsearch deletes old indices.
    expect(err.hint).toContain("Logsearch's curator deletes the indices older than its retention (30 days unless set otherwise)");
    expect(err.hint).not.toMatch(/rotated files/);
  });
});
