/**
 * The broker's clusterdata backup bucket: one `dingo-postgresql-clusterdata-backup-<id>.json`
 * per instance ever provisioned, never deleted. The broker's own clone-from picks, among the
 * records whose space GUID and name match, the one with the newest S3 LastModified.
 */
import { messageOf } from '../core/errors.js';
import { registerSecretFields, type Redactor } from '../core/redact.js';
import { isGuid } from '../core/guid.js';
import { isValidDate } from '../adapters/log-dates.js';
import { isRecord, recordAt } from '../core/json.js';
import { formatS3Url } from '../core/s3-url.js';
import { type ClusterdataSpec, type Evidence } from './types.js';
import { reportProblem, type SearchReport } from '../core/log-source.js';

export interface ClusterdataRecord {
  instanceGuid: string;
  serviceName: string | null;
  spaceGuid: string | null;
  orgGuid: string | null;
  lastModified: Date;
  evidence: Evidence;
}

const KEY = /dingo-postgresql-clusterdata-backup-([0-9a-f-]{36})\.json$/;
const PARALLEL = 5;

/** Read every record (five at a time, as the broker's tool does); unreadable ones are reported, and how many were read is noted. */
export async function readClusterdata(spec: ClusterdataSpec, report: SearchReport, redactor: Redactor): Promise<ClusterdataRecord[]> {
  const objects: { key: string; lastModified: Date }[] = [];
  for await (const o of spec.store.list(spec.bucket, spec.prefix ?? '')) {
    if (KEY.test(o.key)) objects.push({ key: o.key, lastModified: o.lastModified });
  }
  const out: ClusterdataRecord[] = [];
  let next = 0;
  async function worker(): Promise<void> {
    while (next < objects.length) {
      const o = objects[next++]!;
      try {
        const body: unknown = JSON.parse((await spec.store.get({ bucket: spec.bucket, key: o.key })).toString('utf8'));
        if (!isRecord(body)) throw new Error('not a JSON object');
        registerSecretFields(body, redactor);
        const guid = typeof body.instance_id === 'string' && isGuid(body.instance_id) ? body.instance_id : KEY.exec(o.key)![1]!;
        const name = typeof body.service_instance_name === 'string' && body.service_instance_name ? body.service_instance_name : null;
        out.push({
          instanceGuid: guid,
          serviceName: name,
          spaceGuid: typeof body.space_guid === 'string' ? body.space_guid : null,
          orgGuid: typeof body.organization_guid === 'string' ? body.organization_guid : null,
          lastModified: o.lastModified,
          evidence: {
            line: redactor.redact(
              JSON.stringify({
                service_instance_name: name,
                instance_id: guid,
                space_guid: body.space_guid,
                organization_guid: body.organization_guid,
              }),
            ),
            source: `${spec.store.where} ${formatS3Url(spec.bucket, o.key)} (LastModified ${isValidDate(o.lastModified) ? o.lastModified.toISOString() : 'unknown'})`,
            why: name ? `the broker's clusterdata record names this instance "${name}"` : "the broker's clusterdata record has no name yet",
          },
        });
      } catch (err) {
        reportProblem(
          report,
          'unreadable',
          { path: formatS3Url(spec.bucket, o.key) },
          `clusterdata record not read: ${redactor.redact(messageOf(err))}`,
        );
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(PARALLEL, objects.length) }, worker));
  report.notes.push(`read ${out.length} clusterdata record(s) from s3://${spec.bucket}/${spec.prefix ?? ''}`);
  return out;
}

/**
 * The superuser credentials the broker recorded for one instance (`superuser_credentials`
 * of its clusterdata record): a restored database still has them. The password is registered
 * with `redactor` as it is read; null when the record or its credentials are missing.
 */
export async function recordedSuperuser(
  spec: ClusterdataSpec,
  instanceGuid: string,
  redactor: Redactor,
): Promise<{ username: string; password: string } | null> {
  const key = `${spec.prefix ?? ''}dingo-postgresql-clusterdata-backup-${instanceGuid}.json`;
  let body: unknown;
  try {
    body = JSON.parse((await spec.store.get({ bucket: spec.bucket, key })).toString('utf8'));
  } catch {
    return null;
  }
  registerSecretFields(body, redactor);
  const su = recordAt(body, 'superuser_credentials');
  if (!su || typeof su.username !== 'string' || typeof su.password !== 'string' || !su.username || !su.password) return null;
  redactor.register(su.password);
  return { username: su.username, password: su.password };
}

/** `s3://BUCKET[/PREFIX]` of the clusterdata bucket, or null when it is not such a URL. */
export function parseClusterdataUrl(url: string): { bucket: string; prefix?: string } | null {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m) return null;
  const prefix = m[2] ? (m[2].endsWith('/') ? m[2] : `${m[2]}/`) : undefined;
  return { bucket: m[1]!, prefix };
}
