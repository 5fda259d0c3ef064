/**
 * A throwaway PostgreSQL container on a Dingo cell, made through the cell's own Docker client over
 * the run's cell session (direct SSH or `bosh ssh`), the way every other docker command of the tool
 * reaches the cell (adapters/docker.ts): the cells run Docker 1.11, whose client has no
 * `system dial-stdio`, so nothing but the CLI is spoken.
 *
 * Its image is the service's own (`cfcommunity/postgresql-patroni:9.5`, built FROM
 * cfcommunity/postgresql-base:9.5, whose PATH holds /usr/lib/postgresql/9.5/bin: dingo-postgresql-release
 * images/postgresql95-patroni-base/Dockerfile), but never its entrypoint (`/scripts/run.sh`, which
 * would start Patroni and talk to etcd): `postgres` (or, to take the data in, `tar`) runs directly as
 * the image's `postgres` account. Every container of ours carries the options of `hardening()`
 * (cell-hardening.ts) — no network, every capability dropped, no new privileges, a read-only root
 * with a private /tmp, bounded memory and CPU — and our label, by which a later attempt finds what an
 * interrupted one left (cell-leftovers.ts). Its only writable folder is a scratch folder of ours
 * under the cell's store (cell-store.ts), made after a free-space check and removed with the container.
 */
import type { Readable } from 'node:stream';
import type { CellDocker } from '../adapters/docker.js';

export type { CellDocker };
import { StepFailed } from '../core/errors.js';
import { oneLine } from '../core/display.js';
import { truncate } from '../core/screen-lines.js';
import type { CommandResult, CommandSpec } from '../core/seams.js';
import { versionSaid } from '../core/pg-version.js';
import { type Hardening, HardeningRefused, type HardeningSpec, hardening, refusedOption } from './cell-hardening.js';
import { CELL_DRILL_LABEL, removeOnCell } from './cell-leftovers.js';
import { CELL_DRILL_PREFIX, CELL_STORE, NO_SPACE, StoreFull, type StoreUse } from './cell-store.js';

/** The container that unpacks the data into the folder: the drill's name and this. */
const LOAD_SUFFIX = '-load';
/** Where the container sees its scratch folder. */
export const CELL_MOUNT = '/var/lib/dingo-recover';

export interface CellScratchSpec extends HardeningSpec {
  docker: CellDocker;
  image: string;
  /** Our folder's and container's name suffix: lower-case letters, digits and dashes. */
  id: string;
  store?: string;
}

/** What the image holds for the drill: its postgres account and its server's version. */
export interface ImageProbe {
  uid: number;
  gid: number;
  /** `postgres --version`'s number, e.g. "9.5.4". */
  version: string;
}

/** The probe's script: fixed text of ours, the image's own programs (id, postgres). */
const PROBE_SCRIPT = 'id -u postgres && id -g postgres && postgres --version';

export class CellScratch {
  readonly name: string;
  readonly folder: string;
  private readonly options: Hardening[];

  constructor(private readonly s: CellScratchSpec) {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(s.id)) throw new Error(`not a drill id: ${JSON.stringify(s.id)}`);
    this.name = `${CELL_DRILL_PREFIX}${s.id}`;
    this.folder = `${s.store ?? CELL_STORE}/${this.name}`;
    this.options = hardening(s);
  }

  get where(): string {
    return this.s.docker.runner.where;
  }

  /** The options of every container of ours (name, label, hardening, account, log), before its image. */
  private runArgs(entrypoint: string, name: string | null, flags: string[] = []): string[] {
    return [
      'run',
      ...flags,
      ...(name ? ['--name', name] : ['--rm']),
      '--label',
      `${CELL_DRILL_LABEL}=${this.folder}`,
      ...this.options.flatMap((h) => h.args),
      '--user',
      'postgres',
      '--entrypoint',
      entrypoint,
      // The cells send containers' output to syslog; ours stays on the cell, read by docker logs, gone with the container.
      '--log-driver',
      'json-file',
      '--log-opt',
      'max-size=10m',
    ];
  }

  /**
   * Runs `docker …` on the cell; a refused hardening option is named, a full store said with how full
   * it is, any other failure said in the daemon's words.
   */
  private async docker(args: string[], what: string, extra: Partial<CommandSpec> = {}, doing = `while ${what}`): Promise<CommandResult> {
    const spec = this.s.docker.spec(args, true, extra);
    const r = await this.s.docker.runner.run(spec);
    const refused = args[0] === 'run' ? refusedOption(r.stderr, this.options) : null;
    if (refused) throw new HardeningRefused(refused.option, this.where, refused.said);
    if (r.exitCode !== 0 && NO_SPACE.test(r.stderr)) throw await this.storeFull(doing, r.stderr);
    if (r.exitCode !== 0) throw this.s.docker.failure(spec, r, what);
    return r;
  }

  /** The failure of a full store, with how full it is now (before our folder is removed), or null when `said` does not say so. */
  async storeFull(doing: string, said: string): Promise<StoreFull> {
    const lines = said.split('\n').filter((l) => NO_SPACE.test(l));
    const use = await this.storeUse().catch(() => null);
    const words = oneLine(truncate(this.s.docker.redactor.redact(lines.slice(0, 2).join(' | ')), 300));
    return new StoreFull(this.where, doing, use, words);
  }

  /** Whether `said` (a container's output) tells of a full disk. */
  static saysNoSpace(said: string): boolean {
    return NO_SPACE.test(said);
  }

  /**
   * The image's postgres account and server version, from a container as hardened as the drill's
   * (so a refused option is known before anything is written); an image without that account or
   * server is refused naming what it lacks.
   */
  async probe(): Promise<ImageProbe> {
    // Nothing is pulled: `docker run` of an image the cell lacks would fetch it from wherever the daemon reaches.
    const has = await this.s.docker.runner.run(this.s.docker.spec(['inspect', '--type', 'image', this.s.image], false));
    if (has.exitCode !== 0) {
      throw new StepFailed(`the image ${this.s.image} is not on ${this.where}`, {
        hint: "nothing is pulled: name the image the service's containers run there (docker ps on the cell)",
      });
    }
    const args = [...this.runArgs('sh', null), this.s.image, '-c', PROBE_SCRIPT];
    const spec = this.s.docker.spec(args, false);
    const r = await this.s.docker.runner.run(spec);
    const refused = refusedOption(r.stderr, this.options);
    if (refused) throw new HardeningRefused(refused.option, this.where, refused.said);
    const [uid, gid, version] = r.stdout.trim().split('\n');
    const v = versionSaid(version ?? '');
    if (r.exitCode !== 0 || !/^\d+$/.test(uid ?? '') || !/^\d+$/.test(gid ?? '') || !v) {
      if (/Unable to find image|No such image|Cannot connect to the Docker daemon|permission denied/i.test(r.stderr))
        throw this.s.docker.failure(spec, r, `run ${this.s.image}`);
      throw new StepFailed(
        `the image ${this.s.image} on ${this.where} has no postgres account and server to drill with: ${oneLine(truncate(this.s.docker.redactor.redact(r.stderr.trim() || r.stdout.trim()), 300))}`,
        { hint: "name the image the service's containers run (docker ps on the cell), or drill where that version is installed" },
      );
    }
    return { uid: Number(uid), gid: Number(gid), version: v };
  }

  /** Whether the image's PATH holds `program` (a hardened throwaway container of it, as the probe's). */
  async has(program: string): Promise<boolean> {
    if (!/^[a-z][a-z0-9_]*$/.test(program)) throw new Error(`not a program name: ${JSON.stringify(program)}`);
    const r = await this.s.docker.runner.run(
      this.s.docker.spec([...this.runArgs('sh', null), this.s.image, '-c', `command -v ${program}`], false),
    );
    return r.exitCode === 0 && r.stdout.trim() !== '';
  }

  /** Free bytes on the filesystem of the cell's store. */
  async freeBytes(): Promise<number> {
    return (await this.storeUse()).availKb * 1024;
  }

  /** The filesystem of the cell's store (`df -Pk`: POSIX columns, 1024-byte blocks). */
  async storeUse(): Promise<StoreUse> {
    const store = this.s.store ?? CELL_STORE;
    const r = await this.s.docker.runner.run({ argv: ['df', '-Pk', store], writes: false });
    const m = /\n(\S+)\s+(\d+)\s+\d+\s+(\d+)\s+(\d+%)\s+(\S.*)/.exec(r.stdout);
    if (r.exitCode !== 0 || !m) {
      throw new StepFailed(
        `df -Pk ${store} on ${this.where} did not say the free space: ${oneLine(truncate(r.stderr.trim() || r.stdout, 200))}`,
        {
          hint: 'nothing was written to the cell; check the store is mounted (df on the cell)',
        },
      );
    }
    return { device: m[1]!, sizeKb: Number(m[2]), availKb: Number(m[3]), capacity: m[4]!, mount: m[5]!.trim() };
  }

  /** Our scratch folder under the store, 0700 and the image's postgres account's; one already there is refused. */
  async makeFolder(owner: ImageProbe): Promise<void> {
    const run = async (argv: string[]): Promise<void> => {
      const r = await this.s.docker.runner.run({ argv, writes: true, sudo: true });
      if (r.exitCode !== 0)
        throw new StepFailed(`${argv.join(' ')} on ${this.where} failed: ${oneLine(truncate(r.stderr.trim(), 200))}`, {
          hint: 'check the store on the cell (df, ls -ld); then resume',
        });
    };
    await run(['mkdir', '-m', '0700', this.folder]);
    await run(['chown', `${owner.uid}:${owner.gid}`, this.folder]);
  }

  /**
   * Unpacks a tar stream (ours, made on the jumpbox; about `bytes` long) into the folder, in a container of the
   * image as its postgres account.
   */
  async load(tar: Readable, bytes?: number): Promise<void> {
    // Named, not --rm: should the session end half-way, a later attempt finds it by our label, and its folder with it.
    const name = `${this.name}${LOAD_SUFFIX}`;
    const args = [
      ...this.runArgs('tar', name, ['-i']),
      '-v',
      `${this.folder}:${CELL_MOUNT}`,
      this.s.image,
      '-x',
      '-f',
      '-',
      '-C',
      CELL_MOUNT,
    ];
    try {
      await this.docker(
        args,
        'run (loading the drill data)',
        { stdin: tar, ...(bytes === undefined ? {} : { stdinBytes: bytes }) },
        `while the archive streamed into ${name}`,
      );
    } finally {
      await this.s.docker.runner.run(this.s.docker.spec(['rm', '-f', '-v', name], true));
    }
  }

  /** Starts `postgres -D DATA -c …` in the image on the folder, detached. */
  async start(dataDir: string, settings: [string, string][]): Promise<void> {
    const args = [
      ...this.runArgs('postgres', this.name, ['--detach']),
      '-v',
      `${this.folder}:${CELL_MOUNT}`,
      this.s.image,
      '-D',
      dataDir,
      ...settings.flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    ];
    await this.docker(args, `run ${this.name}`);
  }

  /** Whether our container still runs. */
  async running(): Promise<boolean> {
    return (await this.s.docker.inspect(this.name))?.state.running ?? false;
  }

  /** The server's output (its log: stderr, kept by the json-file driver). */
  async log(): Promise<string> {
    return this.s.docker.logs(this.name).catch(() => '');
  }

  /** A program of the image run in our container as its postgres account, under PGOPTIONS that put pg_catalog first. */
  async exec(argv: string[]): Promise<CommandResult> {
    return this.s.docker.exec(this.name, ['env', 'PGOPTIONS=-c search_path=pg_catalog,pg_temp', ...argv], { user: 'postgres' });
  }

  /** The container (with its anonymous volumes: the image declares /data) and the folder, removed; gone already is fine. */
  async remove(): Promise<void> {
    await removeOnCell(this.s.docker, this.name, this.folder);
  }
}
