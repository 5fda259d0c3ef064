/**
 * The etcd v2 client against a REAL etcd: a key with a TTL read with the time it has left, the
 * compare-and-delete that takes a key only while it holds the value named (as Patroni's own
 * delete_leader does), and an answer that is not etcd's shown, escaped, with nothing decided on it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdV2Keys } from '../../src/systems/etcd.js';
import { Redactor } from '../../src/core/redact.js';
import { StepFailed } from '../../src/core/errors.js';
import { etcdAvailable, startEtcd, type Etcd } from '../support/etcd.js';

describe.skipIf(!etcdAvailable)('etcd v2 keys on a real etcd', () => {
  let etcd: Etcd;
  let keys: EtcdV2Keys;
  beforeAll(async () => {
    etcd = await startEtcd();
    keys = new EtcdV2Keys(etcd.url, { redactor: new Redactor() });
  }, 30_000);
  afterAll(async () => {
    await etcd.stop();
  });

  it('reads a key a killed Patroni left with the seconds it has left, and one without a TTL as kept alive', async () => {
    await etcd.put('/service/g1/leader', 'node-a', 30);
    await etcd.put('/service/g1/initialize', '6262209914512345093');
    const leader = await keys.read('/service/g1/leader');
    expect(leader?.value).toBe('node-a');
    expect(leader?.ttl).toBeGreaterThan(25);
    expect(leader?.ttl).toBeLessThanOrEqual(30);
    expect(Date.parse(leader!.expiration!)).toBeGreaterThan(Date.now());
    expect(await keys.read('/service/g1/initialize')).toEqual({ value: '6262209914512345093' });
    expect(await keys.read('/service/g1/nothing')).toBeNull();
  });

  it('deletes /leader only while it names the node: another value is "changed" and stays', async () => {
    await etcd.put('/service/g2/leader', 'node-b');
    expect(await keys.delete('/service/g2/leader', { prevValue: 'node-a' })).toBe('changed');
    expect(await keys.get('/service/g2/leader')).toBe('node-b');
    expect(await keys.delete('/service/g2/leader', { prevValue: 'node-b' })).toBe('deleted');
    expect(await keys.get('/service/g2/leader')).toBeNull();
    expect(await keys.delete('/service/g2/leader', { prevValue: 'node-b' })).toBe('absent');
  });

  it('sets a key made anew and one that held another value, each then read back without a TTL', async () => {
    await keys.set('/service/g4/initialize', '6262209914512345093');
    expect(await keys.read('/service/g4/initialize')).toEqual({ value: '6262209914512345093' });
    await etcd.put('/service/g4/optime/leader', '1', 30);
    await keys.set('/service/g4/optime/leader', '6263019934712345126');
    expect(await keys.read('/service/g4/optime/leader')).toEqual({ value: '6263019934712345126' });
  });

  it('finds a key gone once etcd dropped it at the end of its TTL', async () => {
    await etcd.put('/service/g3/members/node-c', '{"role":"master"}', 1);
    expect(await keys.get('/service/g3/members/node-c')).not.toBeNull();
    await new Promise((r) => setTimeout(r, 2100));
    expect(await keys.read('/service/g3/members/node-c')).toBeNull();
  });
});

describe('an answer that is not etcd v2', () => {
  let server: Server;
  let body = '';
  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });
  const client = () => new EtcdV2Keys(`127.0.0.1:${(server.address() as AddressInfo).port}`, { redactor: new Redactor() });

  async function refusal(p: Promise<unknown>): Promise<StepFailed> {
    const err = await p.then(
      () => null,
      (e: unknown) => e,
    );
    if (!(err instanceof StepFailed)) throw new Error(`expected a StepFailed, got ${String(err)}`);
    return err;
  }

  it('stops on a page that is not JSON, showing it escaped', async () => {
    body = '<html>\x1b]0;owned\x07hello</html>';
    const err = await refusal(client().get('/service/g/leader'));
    expect(err.message).toContain(
      'GET /service/g/leader answered 200 with what etcd v2 does not answer: <html>\\x1b]0;owned\\x07hello</html>',
    );
    expect(err.message).not.toContain('\x1b');
    expect(err.hint).toContain('nothing was changed on it');
  });

  it('stops on JSON without the key it asked for', async () => {
    body = JSON.stringify({ action: 'get', node: { key: '/service/other/leader', value: 'x' } });
    await expect(client().read('/service/g/leader')).rejects.toThrow(/answered 200 with what etcd v2 does not answer/);
    body = JSON.stringify({ action: 'get', node: { key: '/service/g/leader' } });
    await expect(client().read('/service/g/leader')).rejects.toThrow(/answered 200 with what etcd v2 does not answer/);
  });

  it('stops on a DELETE answered 200 without the action etcd names', async () => {
    body = '{}';
    await expect(client().delete('/service/g/leader', { prevValue: 'n' })).rejects.toThrow(/DELETE \/service\/g\/leader answered 200/);
  });
});
