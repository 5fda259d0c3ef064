/**
 * The stopped node's own etcd keys are gone before its container starts again: the stop step
 * deletes them, its probe (a resume after a crash) finds them and has them deleted, and the start
 * step deletes any still there; `/leader` only while it names this node, another node's never.
 */
import { describe, expect, it } from 'vitest';
import { readKey, setKey } from '../../../src/rehearsal/world-etcd.js';
import { withoutKeys } from '../../../src/rehearsal/json-state.js';
import {
  CELL,
  CONTAINER,
  ETCD,
  LEADER_KEY,
  MEMBER,
  MEMBER_KEY,
  NEW_GUID,
  OTHER_LEADER_KEY,
  START_PARAMS,
  STOP_PARAMS,
  restoreWorld,
} from '../../support/restore-world.js';

const OTHER_NODE = '9d0c7e4a-2b1f-4c3d-8e5f-6a7b8c9d0e1f';

describe('cell.stop-container', () => {
  it('stops the container, then deletes its /leader and member key, saying what each was', async () => {
    const w = restoreWorld();
    const out = await w.action('cell.stop-container').run(w.ctx, STOP_PARAMS, {});
    // Said on the step's status line (its outputs), with the TTL each key had left.
    expect(out).toEqual({
      stopped: true,
      staleKeys: expect.stringMatching(/^deleted its \/leader \(\d+ s left\), deleted its member key \(\d+ s left\)$/),
    });
    expect(w.container().running).toBe(false);
    expect(readKey(w.world, LEADER_KEY)).toBeNull();
    expect(readKey(w.world, MEMBER_KEY)).toBeNull();
    expect(w.shown.notes.join('\n')).toMatch(
      new RegExp(
        `after the stop: deleted ${LEADER_KEY} = ${MEMBER}, ${CONTAINER}'s own, left by the kill \\(its TTL would keep it \\d+ s more`,
      ),
    );
    expect(w.shown.notes.join('\n')).toContain(`after the stop: deleted ${MEMBER_KEY}`);
    // The other tenant's keys on the same etcd are untouched.
    expect(readKey(w.world, OTHER_LEADER_KEY)).not.toBeNull();
    expect(w.world.state.history.map((h) => h.what)).toEqual(expect.arrayContaining([`deleted ${LEADER_KEY}`, `deleted ${MEMBER_KEY}`]));
  });

  it('refuses before stopping anything when /leader names another node of the instance', async () => {
    const w = restoreWorld();
    setKey(w.world, LEADER_KEY, OTHER_NODE);
    await expect(w.action('cell.stop-container').run(w.ctx, STOP_PARAMS, {})).rejects.toThrow(
      `names ${OTHER_NODE}, not ${MEMBER} (${CONTAINER}): another node leads instance`,
    );
    expect(w.container().running).toBe(true);
    expect(readKey(w.world, LEADER_KEY)?.value).toBe(OTHER_NODE);
  });

  it('leaves a /leader that another node took after the stop, and stops the run', async () => {
    const w = restoreWorld();
    await w.docker('stop', CONTAINER);
    setKey(w.world, LEADER_KEY, OTHER_NODE);
    await expect(w.action('cell.stop-container').run(w.ctx, STOP_PARAMS, {})).rejects.toThrow(/another node leads instance/);
    expect(readKey(w.world, LEADER_KEY)?.value).toBe(OTHER_NODE);
  });

  it('after a crash between the stop and the deletion, its probe finds the keys, and the step run again deletes them without a second stop', async () => {
    const w = restoreWorld();
    // The crash: the container was stopped, the keys not yet deleted.
    await w.docker('stop', CONTAINER);
    const stop = w.action('cell.stop-container');
    const probe = await stop.probe!(w.ctx, STOP_PARAMS, {});
    expect(probe).toEqual({ done: false, why: `it is stopped, but ${LEADER_KEY} still names ${MEMBER}: its keys are deleted again` });
    w.commands.length = 0;
    await stop.run(w.ctx, STOP_PARAMS, {});
    expect(w.commands.filter((c) => / stop /.test(c))).toEqual([]);
    expect(readKey(w.world, LEADER_KEY)).toBeNull();
    expect(readKey(w.world, MEMBER_KEY)).toBeNull();
    expect(await stop.probe!(w.ctx, STOP_PARAMS, {})).toMatchObject({ done: true });
  });
});

describe('a cell that answers in a shape Docker never prints', () => {
  it.each([
    [
      'a container without its state',
      '[{"Name":"/cf-x"}]',
      'printed a container without the Id and State.Running Docker gives: [{"Name":"/cf-x"}]',
    ],
    ['a terminal escape', 'Warning: \x1b[2Jproxy says hello', 'printed something that is not JSON: Warning: \\x1b[2Jproxy says hello'],
  ])('stops the stop step on %s, the answer shown escaped, nothing stopped or deleted', async (_what, answer, shown) => {
    const w = restoreWorld();
    const cell = await w.platform.cells.open(CELL);
    const commands: string[] = [];
    const odd = {
      ...cell,
      run: async (spec: Parameters<typeof cell.run>[0]) => {
        commands.push(spec.argv.join(' '));
        return spec.argv.includes('inspect') ? { exitCode: 0, stdout: `${answer}\n`, stderr: '', durationMs: 1 } : cell.run(spec);
      },
    };
    const err = await w
      .action('cell.stop-container')
      .run({ ...w.ctx, cell: () => Promise.resolve(odd) }, STOP_PARAMS, {})
      .catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain(shown);
    expect((err as Error).message).not.toContain('\x1b[2J');
    expect(commands.filter((c) => !c.includes(' inspect '))).toEqual([]);
    expect(w.container().running).toBe(true);
    expect(readKey(w.world, LEADER_KEY)?.value).toBe(MEMBER);
  });
});

const INITIALIZE_KEY = `/service/${NEW_GUID}/initialize`;

describe('cell.start-container', () => {
  it('deletes the keys a stop it did not make left, then starts: the container restores instead of waiting', async () => {
    const w = restoreWorld();
    await w.docker('stop', CONTAINER);
    expect(readKey(w.world, LEADER_KEY)?.value).toBe(MEMBER);
    await w.action('cell.start-container').run(w.ctx, START_PARAMS, {});
    expect(w.shown.notes.join('\n')).toContain(`before the start: deleted ${LEADER_KEY} = ${MEMBER}`);
    expect(w.container().running).toBe(true);
    expect(w.container().logs.join('\n')).not.toContain('leader exists');
  });

  it('says the keys are gone when they are, and starts', async () => {
    const w = restoreWorld();
    await w.action('cell.stop-container').run(w.ctx, STOP_PARAMS, {});
    w.shown.notes.length = 0;
    await w.action('cell.start-container').run(w.ctx, START_PARAMS, {});
    expect(w.shown.notes.slice(0, 2)).toEqual([
      `before the start: etcd has no ${LEADER_KEY} (Patroni released it, or its TTL ran out)`,
      `before the start: etcd has no ${MEMBER_KEY} (its TTL ran out, or it was deleted)`,
    ]);
  });

  it("sets /initialize again when it is gone, to the archive's system identifier, then starts", async () => {
    const w = restoreWorld();
    await w.action('cell.stop-container').run(w.ctx, STOP_PARAMS, {});
    const archived = w.world.state.etcd[INITIALIZE_KEY]!;
    w.world.state.etcd = withoutKeys(w.world.state.etcd, [INITIALIZE_KEY]);
    await w.action('cell.start-container').run(w.ctx, START_PARAMS, {});
    expect(w.shown.notes).toContain(
      `before the start: ${INITIALIZE_KEY} was gone; set again to ${archived}, the archive's (s3://our-postgresql-backups/backups/${NEW_GUID}/wal/sysids/sysid)`,
    );
    expect(w.world.state.etcd[INITIALIZE_KEY]).toBe(archived);
    expect(w.container().running).toBe(true);
  });

  it('refuses to start while /initialize holds another system identifier than the archive, and starts nothing', async () => {
    const w = restoreWorld();
    await w.action('cell.stop-container').run(w.ctx, STOP_PARAMS, {});
    setKey(w.world, INITIALIZE_KEY, '6263019934712345999');
    await expect(w.action('cell.start-container').run(w.ctx, START_PARAMS, {})).rejects.toThrow(
      `etcd's ${INITIALIZE_KEY} holds 6263019934712345999, not the restored archive's`,
    );
    expect(w.container().running).toBe(false);
    expect(w.world.state.etcd[INITIALIZE_KEY]).toBe('6263019934712345999');
  });

  it('refuses to start while another node holds /leader, and changes nothing', async () => {
    const w = restoreWorld();
    await w.action('cell.stop-container').run(w.ctx, STOP_PARAMS, {});
    setKey(w.world, LEADER_KEY, OTHER_NODE);
    await expect(w.action('cell.start-container').run(w.ctx, { ...START_PARAMS, etcdHostPort: ETCD }, {})).rejects.toThrow(
      /another node leads instance/,
    );
    expect(w.container().running).toBe(false);
    expect(readKey(w.world, LEADER_KEY)?.value).toBe(OTHER_NODE);
  });
});
