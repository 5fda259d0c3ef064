/**
 * The steps that stop, empty and start the new instance's container each ask docker inspect once
 * before they act, and once after: on a BOSH director of the `bosh ssh` era each cell command is a
 * session of its own (a user made and removed on the cell), so a repeated question costs the
 * operator seconds and tells nothing new.
 */
import { describe, expect, it } from 'vitest';
import { bringContainerTo, inspectOrFail } from '../../src/actions/support/cell.js';
import { CONTAINER, START_PARAMS, STOP_PARAMS, restoreWorld, type RestoreWorld } from '../support/restore-world.js';

/** The docker commands a step ran (inspect, stop, start…), in order, without the client's flags. */
function dockerVerbs(w: RestoreWorld): string[] {
  return w.commands.filter((c) => c.includes(' --host ')).map((c) => c.split(' --host ')[1]!.split(' ')[1]!);
}

describe("the container's steps", () => {
  it('stop: one inspect before the stop, one after', async () => {
    const w = restoreWorld();
    await w.action('cell.stop-container').run(w.ctx, STOP_PARAMS, {});
    expect(dockerVerbs(w)).toEqual(['inspect', 'stop', 'inspect']);
    expect(w.container().running).toBe(false);
  });

  it('start: one inspect before the start, one after', async () => {
    const w = restoreWorld();
    await w.action('cell.stop-container').run(w.ctx, STOP_PARAMS, {});
    w.commands.length = 0;
    await w.action('cell.start-container').run(w.ctx, START_PARAMS, {});
    expect(dockerVerbs(w)).toEqual(['inspect', 'start', 'inspect']);
    expect(w.container().running).toBe(true);
  });

  it('a container already as wanted is only looked at: no stop or start is sent', async () => {
    const w = restoreWorld();
    await w.action('cell.start-container').run(w.ctx, START_PARAMS, {});
    expect(dockerVerbs(w)).toEqual(['inspect', 'inspect']);
    await w.docker('stop', CONTAINER);
    w.commands.length = 0;
    await w.action('cell.stop-container').run(w.ctx, STOP_PARAMS, {});
    expect(dockerVerbs(w)).toEqual(['inspect', 'inspect']);
  });

  it('a container started by someone else after the step saw it stopped fails the step, saying no stop was sent', async () => {
    const w = restoreWorld();
    await w.docker('stop', CONTAINER);
    const seen = await inspectOrFail(w.ctx, STOP_PARAMS.cellIp, CONTAINER);
    await w.docker('start', CONTAINER);
    w.commands.length = 0;
    await expect(bringContainerTo(w.ctx, STOP_PARAMS, seen, 'stopped')).rejects.toThrow(
      `container ${CONTAINER} is running now, though it was stopped when this step looked: something else changed it`,
    );
    expect(dockerVerbs(w)).toEqual(['inspect']);
    expect(w.container().running).toBe(true);
  });

  it('move the data aside: one inspect, for both its state and its /data mount', async () => {
    const w = restoreWorld();
    await w.action('cell.stop-container').run(w.ctx, STOP_PARAMS, {});
    const dataDir = w.container().mounts[0]!.Source;
    w.commands.length = 0;
    const params = { cellIp: STOP_PARAMS.cellIp, container: CONTAINER, dataDir };
    const plan = { asideDir: `${dataDir}.moved-aside-test` };
    await w.action('cell.move-data-aside').run(w.ctx, params, plan);
    expect(dockerVerbs(w)).toEqual(['inspect']);
    expect(w.commands.some((c) => c.includes(plan.asideDir))).toBe(true);
  });

  it('move the data aside refuses a running container, before it moves anything', async () => {
    const w = restoreWorld();
    const dataDir = w.container().mounts[0]!.Source;
    const params = { cellIp: STOP_PARAMS.cellIp, container: CONTAINER, dataDir };
    await expect(w.action('cell.move-data-aside').run(w.ctx, params, { asideDir: `${dataDir}.aside` })).rejects.toThrow(
      `container ${CONTAINER} is not stopped`,
    );
    expect(dockerVerbs(w)).toEqual(['inspect']);
    expect(w.commands).toHaveLength(1);
  });
});
