/**
 * The bundled bad-write rehearsal (fixtures/bad-write), as the README tells an operator to walk it:
 * its archive is a real PostgreSQL 15 one and its live container a real PostgreSQL 15 on this machine,
 * seeded with the same story and numbering its transactions as the archive did. restore-to-time
 * restores the database just before the bad write, plans the merge against the live rows and waits
 * for the patch's checksum; resumed with it, the patch goes into the live database: the deleted orders
 * are back, the zeroed totals reverted, what was written since left as it is. The world's server runs
 * only while a command does (in a sandbox that ends even with one killed, what was committed kept), and its data goes once the run is done.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerServers } from '../../../src/systems/container-servers.js';
import { localProcesses } from '../../../src/systems/local-processes.js';
import type { ContainerServer } from '../../../src/core/seams.js';
import { envOf, majorOfImage } from '../../../src/rehearsal/cell-world.js';
import { loadScenario } from '../../../src/rehearsal/scenario.js';
import { ROOT, runCli } from '../../support/cli.js';
import { processesNaming } from '../../support/server-registry.js';
import { LIVE_NODE } from '../../support/live-instance-scenario.js';

let dir: string;
/** The run's world folder, in the scratch folder the commands share with this test (the temp folder). */
let world = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rehearse-merge-'));
});

afterAll(async () => {
  // A command killed by the test's limit would have left the world's server: stopped by PID.
  if (world) for (const pid of processesNaming(world)) process.kill(pid, 'SIGKILL');
  if (world) await rm(world, { recursive: true, force: true });
  await rm(dir, { recursive: true, force: true });
});

const CONTAINER = `cf-${LIVE_NODE}`;
/** The scenario's container, as its world knows it: its real server made from its seed, numbered from nextXid. */
function container(): ContainerServer {
  const c = loadScenario(join(ROOT, 'fixtures/bad-write')).initial.cells['10.58.111.150']!.containers[CONTAINER]!;
  return { name: CONTAINER, major: majorOfImage(c.image), env: envOf(c), seed: c.postgres!.seed, nextXid: c.postgres!.nextXid! };
}

/** The live orders, read from the world's server as the container's postgres account: `id|total|status` lines. */
async function liveOrders(): Promise<string[]> {
  const servers = containerServers(localProcesses, world);
  try {
    const sql = 'select id, total, status from public.orders order by id';
    const r = await servers.run(container(), {
      kind: 'psql',
      container: CONTAINER,
      login: { user: 'postgres', socket: true },
      mode: 'query',
      sql,
      catalogOnly: false,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    return r.stdout.trim().split('\n');
  } finally {
    await servers.close();
  }
}

describe('rehearse --scenario bad-write', () => {
  it('restores just before the bad write, plans the merge against the real live rows, and applies it once its checksum is given', async () => {
    const state = join(dir, 'state');
    const first = await runCli(['rehearse', '--scenario', 'bad-write', '--yes', '--state-dir', state]);
    const out = first.stdout + first.stderr;
    expect(first.code, out).toBe(3);
    const runId = /starts run (\S+):/.exec(out)![1]!;
    world = join(tmpdir(), `dingo-world-${runId}`);
    expect(out).toContain('restored: the database as it was just before transaction 5007');
    expect(out).toContain('59 row(s) to put back, 5 to revert');
    // What the typed confirmation decides on is on the screen before it: per table, the rows put back,
    // reverted and left as they are, the first changed ones with their columns.
    const screen = out.replace(/\n\s+/g, ' ');
    const listing =
      'rows of public.orders: puts back 59 (["1"], ["10"], ["11"], … (56 more)); reverts 5 (["60"] (total "0.00" now, "90.00" then), ["61"] (total "0.00" now, "91.50" then), ["62"] (total "0.00" now, "93.00" then), … (2 more)); leaves 1 changed since as they are (["101"] (status "shipped" now, "open" then)); 1 written since left alone';
    expect(screen.indexOf(listing), out).toBeGreaterThan(
      screen.indexOf('Apply the merge patch in the live database — waiting for the operator'),
    );
    expect(screen.indexOf(listing)).toBeLessThan(screen.indexOf('stopped: step "merge-apply"'));
    // --yes never applies a patch: the run waits for its checksum.
    const code = /--set mergeChecksum=([0-9a-f]{12})/.exec(out)?.[1];
    expect(code, out).toBeDefined();
    expect(processesNaming(world), 'the world server stops with the command').toEqual([]);

    const show = await runCli(['show', runId, '--state-dir', state]);
    expect(show.stdout).toContain(
      'public.orders: 59 deleted since: ["1"], ["10"], ["11"], … (56 more); 5 changed by the incident: ["60"] (total "0.00" now, "90.00" then), ["61"] (total "0.00" now, "91.50" then), ["62"] (total "0.00" now, "93.00" then), … (2 more); 1 conflict(s): changed since by another transaction: ["101"] (status "shipped" now, "open" then); 1 written since (left alone); 56 unchanged',
    );
    const patchDir = join(state, 'runs', runId, 'merge');
    const patch = readFileSync(
      join(
        patchDir,
        readdirSync(patchDir).find((f) => f.endsWith('.sql'))!,
      ),
      'utf8',
    );
    expect(patch).toContain("('59', 'customer 59', '88.50', '2016-03-17 11:57:00+00', 'open')");
    // Nothing applied yet: the live database still lacks the deleted orders.
    const before = await liveOrders();
    expect(before).toHaveLength(63);
    expect(before[0]).toBe('60|0.00|shipped');

    // The process dies right after the patch went in, as a crash would: the world's server, in its sandbox, goes with it.
    const crashed = await runCli(['resume', runId, '--set', `mergeChecksum=${code!}`, '--yes', '--state-dir', state], {
      env: { DINGO_RECOVER_FAILPOINTS: 'step:merge-apply' },
    });
    expect(crashed.signal, crashed.stdout + crashed.stderr).toBe('SIGKILL');
    expect(crashed.stdout).toContain('Apply the merge patch in the live database — the patch is in the live database');
    for (let i = 0; i < 100 && processesNaming(world).length; i++) await new Promise((r) => setTimeout(r, 100));
    expect(processesNaming(world), 'the sandbox ends with the killed command').toEqual([]);

    // Read while the run is unfinished (its world is kept for the resume): the committed patch is there after the crash.
    const after = await liveOrders();
    // Every order back, the zeroed totals as they were, order 101 shipped since and order 122 placed since kept.
    expect(after).toHaveLength(122);
    expect(after.slice(0, 2)).toEqual(['1|1.50|open', '2|3.00|open']);
    expect(after.slice(59, 64)).toEqual(['60|90.00|shipped', '61|91.50|open', '62|93.00|open', '63|94.50|open', '64|96.00|shipped']);
    expect(after[100]).toBe('101|151.50|shipped');
    expect(after[121]).toBe('122|12.50|open');

    const resumed = await runCli(['resume', runId, '--yes', '--state-dir', state]);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(`run ${runId} is done`);
    // What is left says what was written where and the conflict left as it is, and never to restore a dump into the live database again.
    const left = resumed.stdout.slice(resumed.stdout.indexOf('What is left:')).replace(/\n\s+/g, ' ');
    expect(left).toContain(
      `tell the user what was written into the live database postgres of 6e101b27-ee1b-4f4d-a032-4401a3709ec3 ("important-db"): 59 row(s) put back, 5 reverted, in one transaction`,
    );
    expect(left).toContain(
      'decide with the user on the rows changed since the target that the merge left as they are: public.orders: 1 row(s): ["101"] (status "shipped" now, "open" then)',
    );
    expect(left).toContain('restore one only into a new, empty database (createdb NEWDB; pg_restore --no-owner -d NEWDB FILE)');
    expect(left).not.toContain('pg_restore --no-owner -d DB FILE');
    const report = readFileSync(join(state, 'runs', runId, 'report.md'), 'utf8');
    expect(report).toContain(
      '- Left as they are in the live database, changed since the target: public.orders: 1 row(s): ["101"] (status "shipped" now, "open" then)',
    );
    // The finished run's world database went with its server.
    expect(processesNaming(world)).toEqual([]);
    expect(existsSync(world)).toBe(false);
  }, 300_000);
});
