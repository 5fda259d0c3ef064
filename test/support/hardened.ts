/**
 * What `docker inspect` must show of a scratch container while it runs: no network, every capability
 * dropped and none added, no new privileges, a read-only root filesystem, not privileged, no port,
 * the image's postgres user (999:999 in the tests' image, as in the official one), `postgres` run
 * directly (none of the image's scripts), and no environment beyond the image's own.
 */
import { expect } from 'vitest';
import type { DockerInspect } from './dockerd.js';
import { IMAGE_GID, IMAGE_UID } from './pg-image-build.js';

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
  expect(c.Config.User).toBe(`${IMAGE_UID}:${IMAGE_GID}`);
  expect(c.Config.Entrypoint).toEqual(['postgres']);
  expect((c.Config.Env ?? []).filter((e) => !IMAGE_ENV.test(e))).toEqual([]);
  for (const b of c.HostConfig.Binds ?? []) expect(b).not.toMatch(/docker\.sock|^\/proc|^\/etc|^\/root/);
}
