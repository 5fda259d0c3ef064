/**
 * The hardening every drill container on a Dingo cell carries — no network, every capability
 * dropped, no new privileges, a read-only root with a private /tmp, bounded memory, CPU and
 * processes — and how the cell's Docker refusing one of them reads.
 *
 * Docker 1.11's `run` flags (docs/reference/commandline/run.md of that release): `--net` (1.12 added
 * `--network`; later clients still take `--net`), `--tmpfs` (1.10), `--security-opt
 * no-new-privileges` (1.11), `--memory`, `--cpu-shares`, `--pids-limit` (1.11). A client that does not
 * know a flag says `flag provided but not defined: --x` (1.11's mflag) or `unknown flag: --x`
 * (cobra, 1.13 on); a daemon whose kernel lacks a cgroup prints `WARNING: Your kernel does not support
 * … discarded` and runs the container without the limit: both are refusals of that option, named.
 */
import { StepFailed } from '../core/errors.js';

/** One hardening option: how the operator reads it, and the client's arguments. */
export interface Hardening {
  option: string;
  args: string[];
}

/** The limits of a drill's containers, and the hardening options left out. */
export interface HardeningSpec {
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

/** The hardening every container of ours carries, the options `without` names left out. */
export function hardening(s: HardeningSpec): Hardening[] {
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
  // The daemon's words for an option it refuses (Docker's daemon/caps: "Unknown capability to drop"), never a
  // word that only holds one of them ("escape", "capacity").
  const daemon =
    /Error response from daemon: (.*(?:no-new-privileges|security-opt|\btmpfs\b|read-only|\bcapabilit(?:y|ies)\b|\bcap-drop\b).*)/i.exec(
      stderr,
    );
  if (daemon) {
    const said = daemon[1]!;
    const h =
      options.find((o) => said.includes(o.args[1] ?? o.args[0]!) || said.includes(o.args[0]!.replace(/^--/, ''))) ??
      (/\bcapabilit/i.test(said) ? options.find((o) => o.args[0] === '--cap-drop') : undefined);
    return { option: h?.option ?? 'one of the hardening options', said };
  }
  return null;
}
