/**
 * `drill --on-cell CELL`: the drill in the service's own image on a Dingo cell (drill/cell-drill.ts),
 * reached as a recovery reaches its cells (the same flags and settings: direct SSH through the
 * gateway, or `bosh ssh`), for an archive whose PostgreSQL this machine has no server of (Dingo's
 * 9.4 and 9.5). The image is `--image`, or the one the cell's running Dingo containers run, as its
 * own Docker lists them. A hardening option the cell's Docker refuses is asked about at a terminal;
 * without one the drill stops naming `--allow-without` (exit 7).
 */
import { dirname } from 'node:path';
import type { Options } from 'yargs';
import { UsageError } from '../../core/errors.js';
import { secrets, invocation } from '../../core/invocation.js';
import { systemScratch } from '../../core/runtime.js';
import type { CellSession } from '../../core/seams.js';
import type { CellDrillOptions, CellDrillReport, CellProgress } from '../../drill/cell-drill.js';
import type { CellPlace } from '../../drill/cell-mistakes.js';
import type { DrillOptions } from '../../drill/drill.js';
import { DrillFailed } from '../../drill/exit-codes.js';
import type { Prompter } from '../../engine/operator/index.js';
import type { ArchiveReport } from '../../wale/report.js';
import { CONNECTION_FLAGS } from '../flags/connection.js';
import { configuredSettings } from '../flags/config-file.js';
import type { CellReachFlags } from '../run/settings.js';

/** The hardening options `--allow-without` names, each by its docker flag without dashes. */
const HARDENING_NAMES: Record<string, string> = {
  net: '--net none',
  'cap-drop': '--cap-drop ALL',
  'security-opt': '--security-opt no-new-privileges',
  'read-only': '--read-only',
  tmpfs: '--tmpfs /tmp',
  memory: '--memory',
  'cpu-shares': '--cpu-shares',
  'pids-limit': '--pids-limit',
};

const nameOf = (option: string): string | undefined => Object.keys(HARDENING_NAMES).find((n) => HARDENING_NAMES[n] === option);

const { 'ssh-via': sshVia, gateway, 'ssh-user': sshUser, 'ssh-key': sshKey, 'known-hosts': knownHosts } = CONNECTION_FLAGS;
const { 'ssh-config': sshConfig, 'bosh-bin': boshBin, 'docker-bin': dockerBin, 'container-store-root': storeRoot } = CONNECTION_FLAGS;

/** How the cells are reached: the recovery's own flags, which the settings file may give. */
export const CELL_REACH_FLAGS = {
  'ssh-via': sshVia,
  gateway,
  'ssh-user': sshUser,
  'ssh-key': sshKey,
  'known-hosts': knownHosts,
  'ssh-config': sshConfig,
  'bosh-bin': boshBin,
  'docker-bin': dockerBin,
  'container-store-root': {
    ...storeRoot,
    describe: `${storeRoot.describe}; with --on-cell, the drill's scratch folder goes in its parent`,
  },
} as const satisfies Record<string, Options>;

export const ON_CELL_FLAGS = {
  'on-cell': {
    type: 'string',
    describe:
      "drill on this Dingo cell (its IP), in the service's own image, through the cell's Docker: for an archive whose PostgreSQL (9.4, 9.5) this machine has no server of. Reached as recover reaches the cells (--gateway, --ssh-via, …); the archive is fetched and checked here and streamed in, no S3 credential reaches the cell",
  },
  image: {
    type: 'string',
    describe: "with --on-cell: the image to drill in (default: the one the cell's running Dingo containers run, from its docker ps)",
  },
  'allow-without': {
    type: 'string',
    array: true,
    choices: Object.keys(HARDENING_NAMES),
    describe:
      "with --on-cell: go on without this hardening option of the drill's container when the cell's Docker refuses it (at a terminal the drill asks instead)",
  },
  'cell-docker-host': {
    type: 'string',
    describe: "with --on-cell: the cell's docker socket (recover's --docker-host, which the settings file's docker-host gives)",
  },
  ...CELL_REACH_FLAGS,
} as const satisfies Record<string, Options>;

export interface OnCellArgs extends CellReachFlags {
  onCell?: string;
  image?: string;
  allowWithout?: string[];
  cellDockerHost?: string;
  'docker-bin'?: string;
  'container-store-root'?: string;
  config?: string;
}

/** The drill flags a drill in the image does not take, and why. */
const NOT_ON_CELL: [string, string, string][] = [
  ['query', '--query', 'it counts every table of every database'],
  ['expectRows', '--expect-rows', 'it counts every table of every database'],
  ['maxAge', '--max-age', 'drill here for the age check, or read it with archive inspect'],
  ['targetTime', '--target-time', 'it restores LATEST and all its WAL'],
  ['targetXid', '--target-xid', 'it restores LATEST and all its WAL'],
  ['targetLsn', '--target-lsn', 'it restores LATEST and all its WAL'],
  ['targetName', '--target-name', 'it restores LATEST and all its WAL'],
  ['target', '--target', 'it restores LATEST and all its WAL'],
  ['keep', '--keep', 'what it made on the cell is always removed'],
  ['pgBin', '--pg-bin', "it runs the image's own server"],
  ['dockerHost', '--docker-host', "it runs on the cell's Docker (--cell-docker-host)"],
];

/** Refuses a flag of the cell drill without --on-cell, and one --on-cell cannot honour. */
export function checkOnCellFlags(argv: OnCellArgs): void {
  const given = argv as Record<string, unknown>;
  if (!argv.onCell) {
    const flag = (['image', 'allowWithout', 'cellDockerHost'] as const).find((k) => argv[k] !== undefined);
    if (flag)
      throw new UsageError(`--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is for a drill on a cell: give --on-cell CELL too`);
    return;
  }
  for (const [key, flag, why] of NOT_ON_CELL) {
    if (given[key] !== undefined && given[key] !== false)
      throw new UsageError(`${flag} is not taken with --on-cell: ${why}`, {
        hint: `to use ${flag}, run without --on-cell where PostgreSQL of the archive's version is installed`,
      });
  }
}

/** Whether to go on without a hardening option the cell refused: asked at a terminal, else refused naming the flag. */
export type AskWithout = (option: string, refusal: string) => Promise<boolean>;

export function askWithoutOn(prompter: Prompter | undefined): AskWithout {
  return async (option, refusal) => {
    if (!prompter?.interactive) return false;
    const answer = await prompter.select({
      key: 'allow-without',
      message: `${refusal.replace(/\.$/, '')}. Go on without ${option}? The archive's server would run less contained`,
      choices: [
        { value: 'stop', name: 'No: stop the drill (nothing was written to the cell)' },
        { value: 'go', name: `Yes: drill without ${option}` },
      ],
    });
    return answer === 'go';
  };
}

/** Where and how the work on the cell ran, for both outputs. */
export interface RanOn {
  cell: string;
  image: string;
  imageFrom: '--image' | 'docker ps';
  without: string[];
}

/** Where and how a drill on the cell ran, for both outputs. */
export interface CellDrilled extends CellDrillReport {
  ranOn: RanOn;
}

/** One cell session for the work of a command (drills, or the mistakes scan); closed when it is done. */
export interface CellDriller {
  /** Runs `work` on the cell in the image, asking about a refused hardening option and going on without it when allowed. */
  at<T>(work: (place: CellPlace) => Promise<T>): Promise<{ result: T; ranOn: RanOn }>;
  drill(url: string, how: { signal: AbortSignal; inspected?: (report: ArchiveReport) => void }): Promise<CellDrilled>;
  close(): Promise<void>;
}

/** What a driller passes on to each drill: the progress is the cell drill's, which sets apart cleanup and what is left. */
type DrillerSettings = Pick<DrillOptions, 'store' | 'workdir' | 'processes' | 'redactor'> & Pick<CellDrillOptions, 'progress'>;

/** Opens the cell's session as a recovery would, for work in the service's image there. */
export async function openCellDriller(argv: OnCellArgs, settings: DrillerSettings, ask: AskWithout): Promise<CellDriller> {
  const cell = argv.onCell!;
  const { sshFrom } = await import('../run/settings.js');
  const { cellAccess } = await import('../run/live-platform.js');
  const session: CellSession = await cellAccess(sshFrom(argv), { redactor: secrets(), scratch: systemScratch() })
    .open(cell)
    .catch((err: unknown) => {
      throw new DrillFailed('could-not-run', `could not reach cell ${cell}: ${(err as Error).message}`, {
        hint: 'check the cell IP (bosh vms) and the way to it (--gateway, --ssh-via, --ssh-key), as for recover',
        cause: err,
      });
    });
  const { CellDocker } = await import('../../adapters/docker.js');
  const docker = new CellDocker(session, {
    binary: argv['docker-bin'],
    host: argv.cellDockerHost ?? (configuredSettings(argv.config).values['docker-host'] as string | undefined),
    sudo: true,
    redactor: secrets(),
  });
  const without = (argv.allowWithout ?? []).map((n) => HARDENING_NAMES[n]!);
  const cellStore = argv['container-store-root'] ? dirname(argv['container-store-root'].replace(/\/+$/, '')) : undefined;
  let image: { name: string; from: '--image' | 'docker ps' } | undefined;
  const { HardeningRefused } = await import('../../systems/cell-hardening.js');
  const { asDrillFailure } = await import('../../drill/failures.js');
  const at = async <T>(work: (place: CellPlace) => Promise<T>): Promise<{ result: T; ranOn: RanOn }> => {
    try {
      if (!image) {
        const { serviceImage } = await import('../../systems/cell-image.js');
        image = argv.image ? { name: argv.image, from: '--image' } : { name: await serviceImage(docker), from: 'docker ps' };
      }
      for (;;) {
        try {
          const result = await work({ docker, cell, image: image.name, cellStore, without: [...without] });
          return { result, ranOn: { cell, image: image.name, imageFrom: image.from, without: [...without] } };
        } catch (err) {
          if (!(err instanceof HardeningRefused)) throw err;
          const name = nameOf(err.option);
          if (name && (await ask(err.option, err.message))) {
            without.push(err.option);
            continue;
          }
          throw new DrillFailed('could-not-run', err.message, {
            hint: name
              ? `nothing was written to the cell. To go on there without it (the archive's server then runs less contained), add --allow-without ${name}; or use a cell whose Docker takes it`
              : err.hint,
            cause: err,
          });
        }
      }
    } catch (err) {
      throw asDrillFailure(err);
    }
  };
  const { runCellDrill } = await import('../../drill/cell-drill.js');
  return {
    at,
    async drill(url, how) {
      const { result, ranOn } = await at((place) =>
        runCellDrill({
          ...place,
          url,
          store: settings.store,
          workdir: settings.workdir,
          processes: settings.processes,
          redactor: settings.redactor,
          signal: how.signal,
          inspected: how.inspected,
          progress: settings.progress,
        }),
      );
      return { ...result, ranOn };
    },
    close: () => session.close(),
  };
}

/** A terminal to ask on: stdin and stderr both one, and not CI. */
async function terminalPrompter(): Promise<Prompter | undefined> {
  if (!invocation().stdin.isTTY || !invocation().stderr.isTTY || invocation().env.CI === 'true') return undefined;
  const { TerminalPrompter } = await import('../../engine/operator/index.js');
  return new TerminalPrompter();
}

/** Opens a driller asking at the terminal, if there is one. */
export async function openCellDrillerHere(argv: OnCellArgs, settings: DrillerSettings): Promise<CellDriller> {
  return openCellDriller(argv, settings, askWithoutOn(await terminalPrompter()));
}

/** Work on the cell within --deadline: what it last said it was doing, and the failure when the deadline passed. */
export interface CellDeadline {
  /** Aborted by the operator's signal, or when --deadline passes. */
  signal: AbortSignal;
  /** The progress to give the work: it records what the work last said, and tells `progress` too. */
  progress: (message: string, kind?: CellProgress) => void;
  /** `err`, or the deadline's failure (what was being done, what is left, what to do) when the deadline stopped the work. */
  failure(err: unknown): unknown;
}

export function cellDeadline(
  what: string,
  cell: string,
  deadline: { ms?: number; given?: string },
  signal: AbortSignal,
  progress?: (message: string) => void,
): CellDeadline {
  const limited = deadline.ms === undefined ? signal : AbortSignal.any([signal, AbortSignal.timeout(deadline.ms)]);
  let doing: string | undefined;
  let left: string | undefined;
  return {
    signal: limited,
    progress: (m, kind) => {
      // The drill says so when it could not remove what it made (cell-drill.ts): that, rather than "removed".
      if (kind === 'left') left ??= m;
      else if (kind === undefined) doing = m;
      progress?.(m);
    },
    failure(err) {
      if (!limited.aborted || signal.aborted) return err;
      return new DrillFailed(
        'could-not-run',
        `${what} on ${cell} took longer than --deadline ${deadline.given}: it was stopped${doing ? ` while ${doing}` : ''}, and ${left ?? 'its container and scratch folder on the cell were removed'}`,
        {
          hint: `give it more time with --deadline (e.g. --deadline 2h), or run it closer to the bucket${left ? '; remove what is left on the cell first, as said' : ''}`,
          cause: err,
        },
      );
    },
  };
}

/** `drill URL --on-cell CELL`: one archive, within --deadline when given. */
export async function drillOnCell(
  argv: OnCellArgs & { url: string; deadline?: string },
  settings: Omit<DrillOptions, 'url' | 'signal'>,
  signal: AbortSignal,
): Promise<CellDrilled> {
  const limit = cellDeadline('the drill', argv.onCell!, { ms: settings.deadlineMs, given: argv.deadline }, signal, settings.progress);
  const driller = await openCellDrillerHere(argv, { ...settings, progress: limit.progress });
  try {
    return await driller.drill(argv.url, { signal: limit.signal });
  } catch (err) {
    throw limit.failure(err);
  } finally {
    await driller.close();
  }
}
