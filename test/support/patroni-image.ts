/**
 * A stand-in of the Dingo service's image (`cfcommunity/postgresql-patroni:9.5`, seed 003's `docker
 * ps`) for a real Docker Engine that can pull nothing: the tests' `postgres:<major>` root filesystem
 * (pg-image-build.ts) with the shape the drill on a cell depends on. The real image is built FROM
 * cfcommunity/postgresql-base:9.5 (Debian, so `tar` is there; its postgres account; PATH holding
 * /usr/lib/postgresql/9.5/bin), then sets `ENTRYPOINT ["/scripts/run.sh"]`, `CMD [""]` and
 * `VOLUME ["/data"]` (dingo-postgresql-release images/postgresql95-patroni/Dockerfile,
 * images/postgresql95-patroni-base/Dockerfile). Its run.sh here fails loudly: Patroni would start
 * and talk to etcd, which a drill must never let happen.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Dockerd } from './dockerd.js';
import { imageTar } from './pg-image-build.js';

/** What the stand-in's entrypoint says when anything runs it. */
const ENTRYPOINT_RAN = 'run.sh: Patroni would start here and talk to etcd';

/**
 * `docker import` of the stand-in as `image`, from the cached root filesystem of `major` plus tar and
 * run.sh; `without`: files of it left out (e.g. `./usr/lib/postgresql/15/bin/pg_waldump`, for an image
 * without the WAL reader).
 */
export function importPatroniStandIn(d: Dockerd, major: string, image: string, without: string[] = []): void {
  const work = mkdtempSync(join(tmpdir(), 'patroni-image-'));
  try {
    const tar = join(work, 'rootfs.tar');
    copyFileSync(imageTar(major), tar);
    if (without.length) execFileSync('tar', ['--delete', '-f', tar, ...without]);
    const stage = join(work, 'stage');
    mkdirSync(join(stage, 'scripts'), { recursive: true });
    mkdirSync(join(stage, 'usr', 'bin'), { recursive: true });
    mkdirSync(join(stage, 'data'));
    // tar's libraries (libacl, libselinux, libpcre2) are PostgreSQL's too: the root filesystem holds them.
    copyFileSync('/usr/bin/tar', join(stage, 'usr', 'bin', 'tar'));
    writeFileSync(join(stage, 'scripts', 'run.sh'), `#!/bin/sh\necho "${ENTRYPOINT_RAN}" >&2\nexit 3\n`, { mode: 0o755 });
    execFileSync('tar', ['--numeric-owner', '-rf', tar, '-C', stage, './usr/bin/tar', './scripts', './data']);
    const changes = [
      `ENV PATH=/usr/lib/postgresql/${major}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
      'ENV LANG=en_US.utf8',
      'ENTRYPOINT ["/scripts/run.sh"]',
      'CMD [""]',
      'EXPOSE 5432',
      'VOLUME ["/data"]',
    ];
    d.docker(['import', ...changes.flatMap((c) => ['--change', c]), tar, image]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
