/**
 * What `docker inspect` must show of a scratch container while it runs: no network, every capability
 * dropped and none added, no new privileges, a read-only root filesystem, not privileged, no port,
 * the tool's label, the account of the server's sandbox (a uid of its own, never root nor the image's
 * postgres user, 999, which every container of the image shares), `postgres` run directly (none of
 * the image's scripts), and no environment beyond the image's own.
 */
import { expect } from 'vitest';
import type { DockerInspect } from './dockerd.js';
import { IMAGE_UID } from './pg-image-build.js';

/** The environment the tests' postgres image sets itself (pg-image-build.ts). */
const IMAGE_ENV = /^(PATH|PG_MAJOR|LANG|PGDATA)=/;

export function expectHardened(c: DockerInspect): void {
  expect(c.State.Running).toBe(true);
  expect(c.HostConfig).toMatchObject({
    NetworkMode: 'none',
    CapDrop: ['ALL'],
    SecurityOpt: ['no-new-privileges'],
    ReadonlyRootfs: true,
    Privileged: false,
    PublishAllPorts: false,
  });
  expect(c.HostConfig.CapAdd ?? []).toEqual([]);
  expect(Object.keys(c.HostConfig.PortBindings ?? {})).toEqual([]);
  const [uid, gid] = c.Config.User.split(':').map(Number);
  expect(uid).toBe(gid);
  expect(uid).toBeGreaterThanOrEqual(0x70000000);
  expect(uid).not.toBe(IMAGE_UID);
  expect(c.Config.Labels['dingo-recover.purpose']).toBeTruthy();
  expect(c.Config.Entrypoint).toEqual(['postgres']);
  expect((c.Config.Env ?? []).filter((e) => !IMAGE_ENV.test(e))).toEqual([]);
  for (const b of c.HostConfig.Binds ?? []) expect(b).not.toMatch(/docker\.sock|^\/proc|^\/etc|^\/root/);
}
