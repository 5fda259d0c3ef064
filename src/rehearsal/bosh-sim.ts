/**
 * A simulated BOSH CLI and director. `state.version` picks the generation: 1.x is the Ruby CLI
 * (tables, `bosh vms DEP`), anything else the Go CLI
 * (`bosh -d DEP vms --json`), printing array rows before 2.0.13. State is plain JSON.
 */
import type { CommandResult, CommandSpec } from '../core/seams.js';
import {
  renderBoshVersion,
  renderV1DeploymentNotFound,
  renderV1Deployments,
  renderV1UnknownCommand,
  renderV1Vms,
  renderV1Status,
  renderV2DeploymentNotFound,
  renderV2Env,
  renderV2Deployments,
  renderV2UnknownCommand,
  renderV2Vms,
  type BoshVmView,
  type DirectorView,
} from './bosh-formats.js';
import type { Rendered } from '../adapters/cf/index.js';

export type BoshVm = BoshVmView;

interface BoshDeployment {
  name: string;
  releases?: string[];
  stemcells?: string[];
  vms: BoshVm[];
}

export interface BoshWorld {
  /** CLI version: "1.3262.0" is v1 (Ruby); "2.0.1" (array rows) or "7.9.1" (keyed rows) is v2. */
  version: string;
  director: DirectorView;
  deployments: BoshDeployment[];
  /** Next director task number (default 1000). */
  nextTask?: number;
}

function boshMajor(version: string): 1 | 2 {
  return /^1\./.test(version) ? 1 : 2;
}

const V2_VALUE_FLAGS = new Set(['-d', '--deployment', '-e', '--environment', '--column', '--client', '--client-secret', '--ca-cert']);

function v2(state: BoshWorld, args: string[]): Rendered {
  let deployment: string | undefined;
  let json = false;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-d' || a === '--deployment') deployment = args[++i];
    else if (V2_VALUE_FLAGS.has(a)) i++;
    else if (a === '--json') json = true;
    else if (a.startsWith('-') && a !== '--version' && a !== '-v') continue;
    else rest.push(a);
  }
  const [command = 'help'] = rest;
  const d = state.director;
  const find = (name: string | undefined) => state.deployments.find((x) => x.name === name);
  const view = (x: BoshDeployment) => ({ name: x.name, releases: x.releases ?? [], stemcells: x.stemcells ?? [] });
  switch (command) {
    case '--version':
    case '-v':
      return renderBoshVersion(state.version, 2);
    case 'env':
      return renderV2Env(state.version, d);
    case 'deployments':
    case 'ds':
      return json
        ? renderV2Deployments(state.version, d, state.deployments.map(view))
        : textTable(
            ['Name'],
            state.deployments.map((x) => [x.name]),
          );
    case 'vms': {
      const dep = find(deployment);
      if (!dep) return renderV2DeploymentNotFound(state.version, d, deployment ?? '');
      const task = (state.nextTask = (state.nextTask ?? 1000) + 1) - 1;
      if (json) return renderV2Vms(state.version, d, dep.name, dep.vms, task);
      return textTable(
        ['Instance', 'Process State', 'AZ', 'IPs', 'VM CID'],
        dep.vms.map((v) => [`${v.job}/${v.id}`, v.state, v.az ?? '', v.ips.join(','), v.vmCid ?? '']),
      );
    }
    default:
      return renderV2UnknownCommand(command);
  }
}

function textTable(headers: string[], rows: string[][]): Rendered {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]! + 2))
      .join('')
      .trimEnd() + '\n';
  return {
    stdout: line(headers) + rows.map(line).join('') + `\n${rows.length} ${rows.length === 1 ? 'row' : 'rows'}\n\nSucceeded\n`,
    stderr: '',
    exitCode: 0,
  };
}

function v1(state: BoshWorld, args: string[]): Rendered {
  const rest = args.filter((a, i) => !(a === '-n' || a === '--non-interactive' || a === '-d' || args[i - 1] === '-d'));
  const [command = 'help', ...positional] = rest;
  const d = state.director;
  const find = (name: string | undefined) => state.deployments.find((x) => x.name === name);
  if (command === 'version' || command === '--version' || command === '-v') return renderBoshVersion(state.version, 1);
  if (command === 'status') return renderV1Status(d);
  if (command === 'deployments') {
    return renderV1Deployments(
      d,
      state.deployments.map((x) => ({ name: x.name, releases: x.releases ?? [], stemcells: x.stemcells ?? [] })),
    );
  }
  if (command === 'vms') {
    const dep = find(positional[0]);
    if (!dep) return renderV1DeploymentNotFound(d, positional[0] ?? '');
    const task = (state.nextTask = (state.nextTask ?? 1000) + 1) - 1;
    return renderV1Vms(d, dep.name, dep.vms, task);
  }
  return renderV1UnknownCommand(rest);
}

/** Runs one `bosh` command against the simulated director; `state` changes in place. */
export function simulateBosh(state: BoshWorld, spec: CommandSpec): CommandResult {
  const args = spec.argv.slice(1);
  const r = boshMajor(state.version) === 1 ? v1(state, args) : v2(state, args);
  return { ...r, durationMs: 0 };
}
