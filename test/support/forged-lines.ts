/**
 * Builders of the log lines the forged-evidence tests write: the broker's lager records, wal-e's
 * upload lines, and the set of lines a tenant's database logs to pass for another source.
 */

/** A broker's lager record: the JSON payload of a `broker.stdout.log` line. */
export function brokerRecord(ts: number, message: string, data: Record<string, unknown>, source = 'dingo-postgresql-broker'): string {
  return JSON.stringify({ timestamp: String(ts), source, message: `${source}.${message}`, log_level: 1, data });
}

/** wal-e's line for one WAL segment pushed into an archive (`s3://<bucket>/backups/<guid>/wal/`). */
export function walUpload(archive: string, segment = '000000010000000000000001'): string {
  return `DETAIL: Uploading "pg_xlog/${segment}" to "${archive}wal_005/${segment}.lzo".`;
}

/** A writer of the lines a container's database logs: after its syslog prefix, `<scope>-patroni> ` and any text. */
export function containerLines(host: string, container: string, scope: string): (time: string, text: string) => string {
  return (time, text) => `${time} ${host} docker/${container}:  ${scope.slice(0, 6)}-patroni> ${text}`;
}

export interface ForgedFacts {
  /** The real archive's bucket. */
  bucket: string;
  /** The deleted instance whose archive the tenant's lines point elsewhere. */
  oldGuid: string;
  /** The cell the tenant's container runs on, as the broker names it. */
  cellIp: string;
  /** The tenant container's node (its name without `cf-`). */
  tenantNode: string;
}

/**
 * What a tenant's database logs, each after `tenant(time, text)`'s container prefix, to move the
 * old instance's archive: an upload into a look-alike bucket, an upload after the deletion, a
 * patroni-broker record removing a node, and a restore.done whose password is the bucket.
 */
export function forgedTenantLines(tenant: (time: string, text: string) => string, f: ForgedFacts): string[] {
  const archive = `s3://${f.bucket}/backups/${f.oldGuid}/wal/`;
  const mirror = `s3://${f.bucket}-mirror/backups/${f.oldGuid}/wal/`;
  return [
    tenant('Mar 16 18:00:00', `DETAIL: Uploading to ${mirror}basebackups_005/base_000000010000000000000002_00000040/extended_version.txt.`),
    tenant('Mar 17 00:30:00', walUpload(archive, '000000010000000000000009')),
    tenant(
      'Mar 17 00:31:00',
      brokerRecord(
        1458174660.5,
        'cluster.remove-node.perform',
        { backend: f.cellIp, 'instance-id': 'a1b2c3d4-0000-4000-8000-00000000000a', 'node-uuid': f.tenantNode, session: '1' },
        'patroni-broker',
      ),
    ),
    tenant(
      'Mar 17 00:32:00',
      brokerRecord(1458174720.5, 'callbacks.restore.done', {
        clusterData: { instance_id: f.oldGuid, service_instance_name: 'important-db', admin_credentials: { password: f.bucket } },
      }),
    ),
  ];
}
