/**
 * Exactly one node, on the live platform (real sshd, etcd, moto; the broker behind the fake cf): a
 * platform of a later Dingo release, whose broker makes two nodes unless asked for one (and, with
 * this platform's one cell, refuses two), is recovered because the run asks for one; and a second
 * Patroni member of the new instance in the real etcd, read through the cell's SSH forward, stops
 * the run at the preflight, before the container is stopped, naming both nodes and how to go on.
 */
import { describe, expect, it } from 'vitest';
import { DONE_DRILLED_ON_CELL, runCli } from '../../support/cli.js';
import { sshdAvailable } from '../../support/sshd.js';
import { etcdAvailable } from '../../support/etcd.js';
import { prepareCase } from '../../support/live/platform.js';
import { useCaseRun, useLiveServers } from '../../support/live/hooks.js';
import { assertRecovered, historyOf } from '../../support/live/recovered.js';
import { CELL_IP, etcdPut, httpAsync } from '../../support/live/shared.js';

const OTHER_NODE = '3f1d2c4b-5a6e-4f70-8b91-a2c3d4e5f607';

describe.skipIf(!sshdAvailable || !etcdAvailable)('live recovery on a later Dingo release (0.10.1)', () => {
  const live = useLiveServers();
  const done = useCaseRun(
    () => prepareCase(live.servers, 'later-broker', { dingoRelease: '0.10.1' }),
    (c) => runCli(['recover', ...c.liveArgs, '--state-dir', c.stateDir], { env: c.env }),
  );

  it('asks the broker for one node, gets one, and recovers', async () => {
    const out = done.run.stdout + done.run.stderr;
    expect(done.run.code, out).toBe(DONE_DRILLED_ON_CELL);
    await assertRecovered(live.servers, done.c);
    const show = await runCli(['show', done.runId, '--state-dir', done.c.stateDir], { env: done.c.env });
    expect(show.stdout).toMatch(/\/cf create-service dingo-postgresql95 solo important-db -c '\{"node-count":1\}' {2}→ exit 0/);
    expect(show.stdout).toContain(`one node: etcd lists one member, at ${CELL_IP}, the cell of ${done.c.container}`);
    expect(historyOf(done.c, done.c.instances[0]!)[0]).toBe(`broker created ${done.c.container} for ${done.c.newGuid}`);
  });
});

describe.skipIf(!sshdAvailable || !etcdAvailable)('live recovery whose new instance has a second node', () => {
  const live = useLiveServers();
  const refused = useCaseRun(
    async () => {
      const c = await prepareCase(live.servers, 'second-node');
      const member = JSON.stringify({ conn_url: 'postgres://appuser:replica-pw-7731@10.58.111.151:32799/postgres', role: 'replica' });
      const [put] = await httpAsync([etcdPut(live.servers.etcd.url, `/service/${c.newGuid}/members/${OTHER_NODE}`, member)]);
      expect(put!.status).toBeLessThan(300);
      return c;
    },
    (c) => runCli(['recover', ...c.liveArgs, '--state-dir', c.stateDir], { env: c.env }),
  );

  it('stops at the preflight, before the container is stopped, naming both nodes, their cells and how to go on', () => {
    const c = refused.c;
    const out = (refused.run.stdout + refused.run.stderr).replace(/\n +/g, ' ');
    expect(refused.run.code, out).toBe(1);
    expect(out).toContain(`the new instance important-db (${c.newGuid}) has more than one node`);
    expect(out).toContain(`Patroni member ${OTHER_NODE} at 10.58.111.151:32799 (replica, etcd)`);
    expect(out).toContain(`at ${CELL_IP}:`);
    expect(out).toContain('cf update-service important-db -c \'{"node-count":1}\'');
    expect(out).not.toContain('replica-pw-7731');
    const made = c.instances[0]!;
    expect(historyOf(c, made)).toEqual([`broker created ${made.container} for ${made.guid}`]);
    expect(c.readCell().containers[made.container]!.running).toBe(true);
  });
});
