/**
 * The mistake behind a lost compose database, caught before it costs anything: a service running a
 * known stateful image whose data path is on no named volume and no bind mount. Its data then lives
 * in an anonymous volume that `docker compose down` detaches and the next `up` does not reuse.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { migrationSteps } from './compose-migration.js';
import { UsageError } from '../core/errors.js';

/** Images whose containers keep data, and where (the path each image's documentation names). */
const STATEFUL_IMAGES: readonly { match: RegExp; kind: string; path: string; env?: string }[] = [
  { match: /(^|\/)bitnami\/postgresql(-repmgr)?$/, kind: 'PostgreSQL', path: '/bitnami/postgresql' },
  {
    match: /(^|\/)(postgres|postgis\/postgis|timescale\/timescaledb(-ha)?|pgvector\/pgvector)$/,
    kind: 'PostgreSQL',
    path: '/var/lib/postgresql/data',
    env: 'PGDATA',
  },
  { match: /(^|\/)bitnami\/(mysql|mariadb)$/, kind: 'MySQL/MariaDB', path: '/bitnami/mariadb' },
  { match: /(^|\/)(mysql|mariadb|percona|percona\/percona-server)$/, kind: 'MySQL/MariaDB', path: '/var/lib/mysql' },
  { match: /(^|\/)(redis|redis\/redis-stack-server|valkey\/valkey)$/, kind: 'Redis', path: '/data' },
  { match: /(^|\/)mongo$/, kind: 'MongoDB', path: '/data/db' },
  { match: /(^|\/)(elasticsearch|elasticsearch\/elasticsearch)$/, kind: 'Elasticsearch', path: '/usr/share/elasticsearch/data' },
  { match: /(^|\/)rabbitmq$/, kind: 'RabbitMQ', path: '/var/lib/rabbitmq' },
  { match: /(^|\/)cassandra$/, kind: 'Cassandra', path: '/var/lib/cassandra' },
  { match: /(^|\/)couchdb$/, kind: 'CouchDB', path: '/opt/couchdb/data' },
  { match: /(^|\/)neo4j$/, kind: 'Neo4j', path: '/data' },
  { match: /(^|\/)influxdb$/, kind: 'InfluxDB', path: '/var/lib/influxdb2' },
  { match: /(^|\/)clickhouse\/clickhouse-server$/, kind: 'ClickHouse', path: '/var/lib/clickhouse' },
];

interface AuditFinding {
  service: string;
  line: number;
  image: string;
  kind: string;
  dataPath: string;
  /** What is there now: "no volume", "an anonymous volume". */
  now: string;
  /** The lines to add, as YAML. */
  fix: string;
  /** The steps that move today's data into the named volume (compose-migration.ts). */
  migrate: string[];
}

export interface AuditResult {
  file: string;
  services: number;
  stateful: number;
  findings: AuditFinding[];
}

interface Mount {
  target: string;
  /** A named volume or a host path; absent for an anonymous volume. */
  source?: string;
}

function mountsOf(volumes: unknown): Mount[] {
  if (!Array.isArray(volumes)) return [];
  const out: Mount[] = [];
  for (const v of volumes) {
    if (typeof v === 'string') {
      const parts = v.split(':');
      // "target", "source:target" or "source:target:mode"
      if (parts.length === 1) out.push({ target: parts[0]! });
      else out.push({ source: parts[0], target: parts[1]! });
    } else if (v && typeof v === 'object') {
      const o = v as { type?: string; source?: string; target?: string };
      if (o.target && o.type !== 'tmpfs') out.push({ target: o.target, source: o.source || undefined });
    }
  }
  return out;
}

function envOf(environment: unknown, name: string): string | undefined {
  if (Array.isArray(environment)) {
    for (const e of environment) if (typeof e === 'string' && e.startsWith(`${name}=`)) return e.slice(name.length + 1);
    return undefined;
  }
  if (environment && typeof environment === 'object') {
    const v = (environment as Record<string, unknown>)[name];
    return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
  }
  return undefined;
}

const norm = (p: string): string => p.replace(/\/+$/, '') || '/';
const covers = (mount: string, path: string): boolean =>
  norm(mount) === '/' || norm(path) === norm(mount) || norm(path).startsWith(norm(mount) + '/');

export function auditCompose(file: string, text: string): AuditResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    throw new UsageError(`${file}:${e.linePos?.[0]?.line ?? 1}: not valid YAML: ${e.message.split('\n')[0]}`, {
      hint: 'give a docker-compose.yml',
    });
  }
  const servicesNode = isMap(doc.contents) ? doc.contents.get('services', true) : undefined;
  if (!isMap(servicesNode))
    throw new UsageError(`${file} has no "services:" mapping`, { hint: 'give a docker-compose.yml (compose file format 2 or later)' });
  const findings: AuditFinding[] = [];
  let stateful = 0;
  for (const pair of servicesNode.items) {
    const name = isScalar(pair.key) ? String(pair.key.value) : '';
    const svc = isMap(pair.value) ? (pair.value.toJSON() as Record<string, unknown>) : {};
    const image = typeof svc.image === 'string' ? svc.image : '';
    const repo = image.replace(/@.*$/, '').replace(/:[^/:]+$/, '');
    const known = STATEFUL_IMAGES.find((s) => s.match.test(repo));
    if (!known) continue;
    stateful++;
    const dataPath = (known.env && envOf(svc.environment, known.env)) || known.path;
    const mounts = mountsOf(svc.volumes);
    const holding = mounts.filter((m) => covers(m.target, dataPath));
    if (holding.some((m) => m.source)) continue;
    const volName = `${name}-data`;
    const lineNo = lines.linePos((pair.key as Node).range?.[0] ?? 0).line;
    const hasVolumesKey = isSeq((pair.value as { get?: (k: string, keep: boolean) => unknown } | null)?.get?.('volumes', true));
    findings.push({
      service: name,
      line: lineNo,
      image,
      kind: known.kind,
      dataPath,
      now: holding.length ? `an anonymous volume at ${dataPath}` : 'no volume (the image keeps it in an anonymous one)',
      fix: [
        'services:',
        `  ${name}:`,
        ...(hasVolumesKey
          ? [`    volumes:   # in the list already there, replace "${holding[0]?.target ?? dataPath}" by:`]
          : ['    volumes:']),
        `      - ${volName}:${dataPath}`,
        'volumes:',
        `  ${volName}:`,
      ].join('\n'),
      migrate: migrationSteps({ service: name, image, kind: known.kind, dataPath, anonymousAt: holding[0]?.target ?? known.path, file }),
    });
  }
  return { file, services: servicesNode.items.length, stateful, findings };
}

export function renderAudit(r: AuditResult): string {
  const out = [
    `${r.file}: ${r.services} service(s), ${r.stateful} running a stateful image, ${r.findings.length} without a named volume or bind mount for their data`,
  ];
  for (const f of r.findings) {
    out.push(
      '',
      `${r.file}:${f.line}: service "${f.service}" (${f.image}, ${f.kind}) keeps its data in ${f.dataPath} on ${f.now}.`,
      '  `docker compose down` detaches that volume and the next `up` starts empty. Add:',
      ...f.fix.split('\n').map((l) => `    ${l}`),
      "  Then move today's data into it, or the next `up` starts on the empty named volume:",
      ...f.migrate.map((l) => `    ${l}`),
    );
  }
  return out.join('\n') + '\n';
}
