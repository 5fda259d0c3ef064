/**
 * The servers every live case shares: a jumpbox and a cell (two private sshd, the cell user with
 * passwordless sudo), a real etcd (v2 API) and moto_server, seeded with the seed incident's
 * archive and another tenant's; and the cell's cf-containers-broker volume root.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createS3Store } from '../../../src/systems/s3/index.js';
import type { ObjectStore } from '../../../src/core/seams.js';
import { startSshd, type Sshd } from '../sshd.js';
import { startEtcd, type Etcd } from '../etcd.js';
import { MOTO_CREDENTIALS, startMoto, type Moto } from '../moto.js';
import { uploadArchives } from './case-instances.js';
import { BUCKET, OTHER_TENANT_ARCHIVE, OTHER_TENANT_PREFIX, SEED_DELETED, httpAsync, s3Request } from './shared.js';

/**
 * Where cf-containers-broker keeps volumes in these tests: a temporary tree the live run is
 * given with --container-store-root (on a real cell it is the default, /var/vcap/store/...).
 */
const STORE_PARENT = mkdtempSync(join(tmpdir(), 'dingo-live-store-'));
chmodSync(STORE_PARENT, 0o755);
export const STORE_ROOT = `${join(STORE_PARENT, 'cf-containers-broker')}/`;
mkdirSync(STORE_ROOT, { mode: 0o755 });

/** The operator's S3 credentials on moto, for signed requests. */
export const OPERATOR_S3 = { ...MOTO_CREDENTIALS, region: 'us-east-1' };

export interface LiveServers {
  gateway: Sshd;
  cell: Sshd;
  etcd: Etcd;
  moto: Moto;
  /** A client on moto (the operator's credentials). */
  s3: ObjectStore;
  stop(): Promise<void>;
}

/** Starts the servers every case shares and seeds moto with the seed incident's archive and another tenant's. */
export async function startLiveServers(): Promise<LiveServers> {
  const started = await Promise.allSettled([
    startSshd({ user: 'dingolivegw' }),
    startSshd({ user: 'dingolivecell', sudo: 'nopasswd' }),
    startEtcd(),
    startMoto(),
  ]);
  const [gw, cell, etcd, moto] = started.map((s) => (s.status === 'fulfilled' ? s.value : undefined)) as [Sshd?, Sshd?, Etcd?, Moto?];
  const stop = async (): Promise<void> => {
    await Promise.all([gw?.stop(), cell?.stop(), etcd?.stop(), moto?.stop()]);
    rmSync(STORE_PARENT, { recursive: true, force: true });
  };
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  try {
    await moto!.createBucket(BUCKET);
    await uploadArchives(moto!.endpoint, OPERATOR_S3, [SEED_DELETED]);
    const bad = (
      await httpAsync(
        OTHER_TENANT_ARCHIVE.map(([rel, body]) => s3Request('PUT', moto!.endpoint, BUCKET, OTHER_TENANT_PREFIX + rel, OPERATOR_S3, body)),
      )
    ).filter((r) => r.status !== 200);
    if (bad.length) throw new Error(`seeding moto failed: ${JSON.stringify(bad)}`);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    gateway: gw!,
    cell: cell!,
    etcd: etcd!,
    moto: moto!,
    s3: createS3Store({ ...moto!.options, credentials: MOTO_CREDENTIALS }),
    stop,
  };
}
