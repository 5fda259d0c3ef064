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
 * the image's `postgres` account. Every container of ours carries the options of `hardening()` —
 * no network, every capability dropped, no new privileges, a read-only root with a private /tmp,
 * bounded memory and CPU — and our label, by which a later attempt finds what an interrupted one
 * left. Its only writable folder is a scratch folder of ours under the cell's store, made after a
 * free-space check and removed with the container.
 *
 * Docker 1.11's `run` flags (docs/reference/commandline/run.md of that release): `--net` (1.12 added
 * `--network`; later clients still take `--net`), `--tmpfs` (1.10), `--security-opt
 * no-new-privileges` (1.11), `--memory`, `--cpu-shares`, `--pids-limit` (1.11). A client that does not
 * know a flag says `flag provided but not defined: --x` (1.11's mflag) or `unknown flag: --x`
 * (cobra, 1.13 on); a daemon whose kernel lacks a cgroup prints `WARNING: Your kernel does not support
 * … discarded` and runs the container without the limit: both are refusals of that option, named.
 */
import type { Readable } from 'node:stream';
import type { CellDocker } from '../adapters/docker.js';

export type { CellDocker };
import { StepFailed } from '../core/errors.js';
import { escapeRegExp } from '../core/regexp.js';
import { oneLine } from '../core/display.js';
import { truncate } from '../core/screen-lines.js';
import type { CommandResult, CommandSpec } from '../core/seams.js';

/** Our label on every drill container on a cell: its value is the container's scratch folder. */
export const CELL_DRILL_LABEL = 'dingo-recover.cell-drill';
/** The name of our containers and of their folders under the store. */
const CELL_DRILL_PREFIX = 'dingo-recover-drill-';
/** The container that unpacks the data into the folder: the drill's name and this. */
const LOAD_SUFFIX = '-load';
/** Where the container sees its scratch folder. */
export const CELL_MOUNT = '/var/lib/dingo-recover';
/** The cell's persistent disk, where the containers' own data lives too (the broker's host_directory's parent). */
const CELL_STORE = '/var/vcap/store';

/** One hardening option: how the operator reads it, and the client's arguments. */
export interface Hardening {
  option: string;
  args: string[];
}

export interface CellScratchSpec {
  docker: CellDocker;
  image: string;
  /** Our folder's and container's name suffix: lower-case letters, digits and dashes. */
  id: string;
  store?: string;
  /** Memory limit (docker's units, e.g. "1g"). */
  memory?: string;
  cpuShares?: number;
  /** Options the operator agreed to go on without (a cell whose Docker refused them). */
  without?: string[];
}

/** A hardening option the cell's Docker refused (unknown, or its limit discarded by the kernel). */
export class HardeningRefused extends StepFailed {
  constructor(
    readonly option: string,
    where: string,
    said: string,
  ) {
    super(`the Docker on ${where} refused the hardening option ${option}: ${said}`, {
      hint: `nothing was written to the cell. Without ${option} the archive's server would run less contained, so the drill does not go on without it: drill on a cell whose Docker takes it, or where PostgreSQL of the archive's version is installed`,
    });
  }

  /** The message without the full stop the daemon's words may end with, for a sentence that goes on after it. */
  get refusal(): string {
    return this.message.replace(/\.$/, '');
  }
}

/**
 * How a full disk reads in what ran in the container: ENOSPC in the words of GNU tar (src/extract.c
 * extract_file → paxutils' write_error_details: "%s: Wrote only %lu of %lu bytes", or `Cannot
 * write`/`Cannot open`/`Cannot mkdir: No space left on device`) and of PostgreSQL (xlog.c, fd.c:
 * `could not write to file …: No space left on device`).
 */
const NO_SPACE = /No space left on device|Wrote only \d+ of \d+ bytes/;

/** The cell's store as `df -Pk` shows it (POSIX columns, 1024-byte blocks). */
export interface StoreUse {
  device: string;
  mount: string;
  sizeKb: number;
  availKb: number;
  /** "100%". */
  capacity: string;
}

/** The store filled while the drill wrote to it (another tenant's growth after the free-space check, or ours). */
export class StoreFull extends StepFailed {
  constructor(where: string, doing: string, use: StoreUse | null, said: string) {
    const how = use
      ? `${use.device} on ${use.mount} is ${use.capacity} full (${gib(use.availKb * 1024)} free of ${gib(use.sizeKb * 1024)})`
      : 'df did not say how full';
    super(`the cell's store filled ${doing} on ${where}: ${how}; ${said}`, {
      hint: `the drill's container and scratch folder are removed, which gives back what it wrote; other tenants' databases live on that disk, so free space there (df -h ${use?.mount ?? CELL_STORE} on the cell) before drilling again, or drill on another cell of the same image (drill --on-cell)`,
    });
  }
}

function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}

/** The hardening every container of ours carries, the options `without` names left out. */
export function hardening(s: Pick<CellScratchSpec, 'memory' | 'cpuShares' | 'without'>): Hardening[] {
  const all: Hardening[] = [
    { option: '--net none', args: ['--net', 'none'] },
    { option: '--cap-drop ALL', args: ['--cap-drop', 'ALL'] },
    { option: '--security-opt no-new-privileges', args: ['--security-opt', 'no-new-privileges'] },
    { option: '--read-only', args: ['--read-only'] },
    { option: '--tmpfs /tmp', args: ['--tmpfs', '/tmp:rw,nosuid,nodev,noexec,size=64m'] },
    { option: '--memory', args: ['--memory', s.memory ?? '1g'] },
    { option: '--cpu-shares', args: ['--cpu-shares', String(s.cpuShares ?? 256)] },
    { option: '--pids-limit', args: ['--pids-limit', '256'] },
  ];
  const without = new Set(s.without ?? []);
  return all.filter((h) => !without.has(h.option));
}

/** The hardening option a failed or warning `docker run` names as refused, or null. */
export function refusedOption(stderr: string, options: Hardening[]): { option: string; said: string } | null {
  const unknown = /(?:flag provided but not defined|unknown flag): -{1,2}([a-z-]+)/.exec(stderr);
  if (unknown) {
    const flag = `--${unknown[1]!}`;
    const h = options.find((o) => o.args[0] === flag);
    return { option: h?.option ?? flag, said: unknown[0] };
  }
  for (const line of stderr.split('\n')) {
    if (!/WARNING: Your kernel does not support .*discarded/i.test(line)) continue;
    const option = /pids/i.test(line) ? '--pids-limit' : /cpu/i.test(line) ? '--cpu-shares' : '--memory';
    return { option, said: line.trim() };
  }
  const daemon = /Error response from daemon: (.*(?:no-new-privileges|security-opt|tmpfs|read-only|cap).*)/i.exec(stderr);
  if (daemon) {
    const said = daemon[1]!;
    const h = options.find((o) => said.includes(o.args[1] ?? o.args[0]!) || said.includes(o.args[0]!.replace(/^--/, '')));
    return { option: h?.option ?? 'one of the hardening options', said };
  }
  return null;
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
    const v = /\(PostgreSQL\)\s+(\d+(?:\.\d+)*)/.exec(version ?? '')?.[1];
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

  /** Unpacks a tar stream (ours, made on the jumpbox) into the folder, in a container of the image as its postgres account. */
  async load(tar: Readable): Promise<void> {
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
      await this.docker(args, 'run (loading the drill data)', { stdin: tar }, `while the archive streamed into ${name}`);
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

/** Removes a container of ours and its folder (never a path outside the store's drill folders). */
async function removeOnCell(docker: CellDocker, name: string, folder: string): Promise<void> {
  const r = await docker.runner.run(docker.spec(['rm', '-f', '-v', name], true));
  if (r.exitCode !== 0 && !/No such container/i.test(r.stderr))
    throw docker.failure(docker.spec(['rm', '-f', '-v', name], true), r, `rm ${name}`);
  if (!folder.includes(`/${CELL_DRILL_PREFIX}`) || folder.includes('..')) throw new Error(`not a drill folder: ${folder}`);
  const rm = await docker.runner.run({ argv: ['rm', '-rf', '--one-file-system', folder], writes: true, sudo: true });
  if (rm.exitCode !== 0)
    throw new StepFailed(`rm -rf ${folder} on ${docker.runner.where} failed: ${oneLine(truncate(rm.stderr.trim(), 200))}`);
}

/**
 * What an interrupted drill left on the cell: each container of ours (our label; its value names its
 * folder), removed with its folder; then each folder of ours in the store (`store`, named by our
 * prefix) that no container named: a drill killed after making its folder and before its first
 * container, or after removing its container and before its folder, leaves only the folder. What
 * was removed, by name.
 */
export async function removeCellLeftovers(docker: CellDocker, store = CELL_STORE): Promise<string[]> {
  const spec = docker.spec(
    ['ps', '-a', '--filter', `label=${CELL_DRILL_LABEL}`, '--format', `{{.Names}}\t{{.Label "${CELL_DRILL_LABEL}"}}`],
    false,
  );
  const r = await docker.runner.run(spec);
  if (r.exitCode !== 0) throw docker.failure(spec, r, 'ps (drill leftovers)');
  const removed: string[] = [];
  for (const line of r.stdout.split('\n').filter((l) => l.trim())) {
    const [name = '', folder = ''] = line.split('\t');
    if (!name.startsWith(CELL_DRILL_PREFIX) || !folder.endsWith(`/${name.replace(/-load$/, '')}`)) continue;
    await removeOnCell(docker, name, folder);
    removed.push(name);
  }
  for (const folder of await drillFolders(docker, store)) {
    const name = folder.slice(folder.lastIndexOf('/') + 1);
    if (removed.some((n) => n.replace(/-load$/, '') === name)) continue;
    await removeOnCell(docker, name, folder);
    removed.push(folder);
  }
  return removed;
}

/** The folders of ours directly in the store (`find`, read only; a store not there holds none). */
async function drillFolders(docker: CellDocker, store: string): Promise<string[]> {
  const argv = ['find', store, '-mindepth', '1', '-maxdepth', '1', '-type', 'd', '-name', `${CELL_DRILL_PREFIX}*`];
  const r = await docker.runner.run({ argv, writes: false, sudo: true });
  if (r.exitCode !== 0 && !/No such file or directory/.test(r.stderr))
    throw new StepFailed(`${argv.join(' ')} on ${docker.runner.where} failed: ${oneLine(truncate(r.stderr.trim(), 200))}`, {
      hint: 'check the store on the cell (ls -ld); then resume',
    });
  const ours = new RegExp(`^${escapeRegExp(store)}/${escapeRegExp(CELL_DRILL_PREFIX)}[a-z0-9-]+$`);
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => ours.test(l))
    .sort();
}
