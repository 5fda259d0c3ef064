/**
 * Listing an etcd v2 directory (Patroni's `/service/<scope>/members`): against a real etcd, and
 * against a server that answers in shapes etcd never would, which stop the read with the answer
 * shown (escaped, its URL passwords and known secrets masked) and what to check.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdV2Keys } from '../../src/systems/etcd.js';
import { Redactor } from '../../src/core/redact.js';
import { etcdAvailable, startEtcd, type Etcd } from '../support/etcd.js';
import { ifStarted } from '../support/started.js';

const SCOPE = '/service/78218ded-7d88-4d69-bd44-6f478c300134';

describe.skipIf(!etcdAvailable)('EtcdV2Keys.list against a real etcd', () => {
  let etcd: Etcd;
  beforeAll(async () => {
    etcd = await startEtcd();
  });
  afterAll(async () => {
    await ifStarted(etcd)?.stop();
  });

  it("lists a directory's keys with their values, and says null for one that does not exist", async () => {
    const member = JSON.stringify({ conn_url: 'postgres://appuser:pw@10.58.111.150:32785/postgres', role: 'master' });
    await etcd.put(`${SCOPE}/members/52167ceb-bd3d-4bff-8699-a239d21c5379`, member);
    await etcd.put(`${SCOPE}/members/0f9e8d7c-6b5a-4938-8271-605f4e3d2c1b`, '{"role":"replica"}');
    const keys = new EtcdV2Keys(etcd.url, { redactor: new Redactor() });
    expect(await keys.list(`${SCOPE}/members`)).toEqual({
      [`${SCOPE}/members/52167ceb-bd3d-4bff-8699-a239d21c5379`]: member,
      [`${SCOPE}/members/0f9e8d7c-6b5a-4938-8271-605f4e3d2c1b`]: '{"role":"replica"}',
    });
    expect(await keys.list('/service/0d5b038b-1b71-4995-b868-e422c92301c2/members')).toBeNull();
  });

  it('refuses a key where a directory was asked for, showing the answer', async () => {
    await etcd.put(`${SCOPE}/leader`, '52167ceb-bd3d-4bff-8699-a239d21c5379');
    const keys = new EtcdV2Keys(etcd.url, { redactor: new Redactor() });
    await expect(keys.list(`${SCOPE}/leader`)).rejects.toThrow(
      new RegExp(
        `GET ${SCOPE}/leader answered a key, not a directory: \\{"action":"get","node":\\{"key":"${SCOPE}/leader","value":"52167ceb`,
      ),
    );
  });
});

describe('EtcdV2Keys.list against answers of an unexpected shape', () => {
  let server: Server;
  let body = '';
  let url = '';
  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  it('refuses a child that is itself a directory', async () => {
    body = JSON.stringify({ action: 'get', node: { key: '/m', dir: true, nodes: [{ key: '/m/x', dir: true }] } });
    const keys = new EtcdV2Keys(url, { redactor: new Redactor() });
    const err = (await keys.list('/m').catch((e: unknown) => e)) as Error & { hint?: string };
    expect(err.message).toBe(`etcd ${url}: GET /m answered a child that is not a key with a value: ${body}`);
    expect(err.hint).toMatch(/^nothing was changed; \/m should be the directory Patroni keeps/);
  });

  it('shows what is not JSON escaped, with URL passwords and known secrets masked', async () => {
    const redactor = new Redactor();
    redactor.register('s3cr3t-aws-key');
    body = 'HTTP proxy\x1b[2J says: postgres://appuser:hunter22@10.0.0.1:5432/postgres s3cr3t-aws-key\n';
    const keys = new EtcdV2Keys(url, { redactor });
    await expect(keys.list('/m')).rejects.toThrow(
      `etcd ${url}: GET /m answered a key, not a directory: HTTP proxy\\x1b[2J says: postgres://appuser:[REDACTED]@10.0.0.1:5432/postgres [REDACTED]\\n`,
    );
  });
});
