/**
 * Renderers for the BOSH CLI's output: v1 (Ruby) tables and v2 (Go) `--json`, in the shape of
 * bosh-cli's `ui/json_ui.go` (4-space MarshalIndent): before 2.0.13 its `tableResp` is `Header
 * []string` (null for a table without titles) and `Rows [][]string`; from 2.0.13 (commit
 * 034fffb5b) keyed rows under a `Header` of key → title. `bosh env`'s table (cmd/info_table.go)
 * is, in 2.0.1, name/value rows without titles (its test: `Expect(ui.Table.Header).To(BeEmpty())`,
 * rows `{Name, director-name}`, `{UUID, …}`, `{Version, …}`, `{User, (not logged in)}`), and in
 * current releases one row under the titles (a transposed table, which only the text UI turns).
 * The simulator and the bosh double answer with these. Texts not quoted in the domain notes
 * (errors) are constructed.
 */
import { keyifyHeader } from '../adapters/bosh-parse.js';
import type { Rendered } from '../adapters/cf/index.js';

export interface BoshVmView {
  job: string;
  id: string;
  index: number;
  ips: string[];
  state: string;
  az?: string;
  vmCid?: string;
  vmType?: string;
  resourcePool?: string;
}

export interface BoshDeploymentView {
  name: string;
  releases: string[];
  stemcells: string[];
}

export interface DirectorView {
  name: string;
  url: string;
  user: string;
}

const ok = (stdout: string): Rendered => ({ stdout, stderr: '', exitCode: 0 });

/** bosh v2 CLIs before 2.0.13 print tables with array headers and rows. */
function boshOldRows(version: string): boolean {
  const [a = 0, b = 0, c = 0] = version.split(/[.+-]/).map((p) => Number.parseInt(p, 10) || 0);
  return a === 2 && b === 0 && c < 13;
}

export function renderBoshVersion(version: string, major: 1 | 2): Rendered {
  return major === 1 ? ok(`BOSH ${version}\n`) : ok(`version ${version}\n\nSucceeded\n`);
}

export interface JsonTable {
  content: string;
  /** The titles; null for a table without (json_ui.go keys its columns col_0, col_1… from 2.0.13). */
  headers: string[] | null;
  rows: string[][];
}

/** `--json` output of bosh v2 at `version`. */
export function renderJsonUi(version: string, tables: JsonTable[], lines: string[], exitCode = 0, blocks: string[] = []): Rendered {
  const old = boshOldRows(version);
  const doc = {
    Tables: tables.map((t) => {
      const keys = t.headers ? t.headers.map(keyifyHeader) : (t.rows[0] ?? []).map((_, i) => `col_${i}`);
      const titles = t.headers ?? keys.map(() => '');
      return old
        ? { Content: t.content, Header: t.headers, Rows: t.rows, Notes: null }
        : {
            Content: t.content,
            Header: Object.fromEntries(keys.map((k, i) => [k, titles[i]])),
            Rows: t.rows.map((r) => Object.fromEntries(keys.map((k, i) => [k, r[i] ?? '']))),
            Notes: null,
          };
    }),
    // ui/json_ui.go: what the task reporter prints as blocks (a task's events, its error), null when there were none.
    Blocks: blocks.length ? blocks : null,
    Lines: lines,
  };
  return { stdout: JSON.stringify(doc, null, 4) + '\n', stderr: '', exitCode };
}

const usingEnv = (d: DirectorView) => `Using environment '${d.url}' as client '${d.user}'`;

/** `bosh env --json`: the director's name and the user the CLI acts as, in the era's table (see above). */
export function renderV2Env(version: string, d: DirectorView): Rendered {
  const cpi = 'warden_cpi';
  const features = 'compiled_package_cache: disabled\nconfig_server: disabled\ndns: disabled\nsnapshots: disabled';
  const table: JsonTable = boshOldRows(version)
    ? {
        content: '',
        headers: null,
        rows: [
          ['Name', d.name],
          ['UUID', DIRECTOR_UUID],
          ['Version', '261.4.0 (00000000)'],
          ['CPI', cpi],
          ['Features', features],
          ['User', d.user],
        ],
      }
    : {
        content: '',
        headers: ['Name', 'UUID', 'Version', 'Director Stemcell', 'CPI', 'Features', 'User'],
        rows: [[d.name, DIRECTOR_UUID, '280.1.14 (00000000)', 'ubuntu-jammy/1.719', cpi, features, d.user]],
      };
  return renderJsonUi(version, [table], [usingEnv(d), 'Succeeded']);
}

const DIRECTOR_UUID = '6f1d0b3c-5a4e-4f8e-9d2c-1b0a9e8d7c6b';

/** `bosh status` of the Ruby CLI: its config, the targeted director and who is logged in, the deployment not set. */
export function renderV1Status(d: DirectorView): Rendered {
  return ok(
    `Config\n             /root/.bosh_config\n\nDirector\n  Name       ${d.name}\n  URL        ${d.url}\n  User       ${d.user}\n\nDeployment\n  not set\n`,
  );
}

export function renderV2Deployments(version: string, d: DirectorView, deployments: BoshDeploymentView[]): Rendered {
  return renderJsonUi(
    version,
    [
      {
        content: 'deployments',
        headers: ['Name', 'Release(s)', 'Stemcell(s)', 'Team(s)'],
        rows: deployments.map((x) => [x.name, x.releases.join('\n'), x.stemcells.join('\n'), '']),
      },
    ],
    [usingEnv(d), 'Succeeded'],
  );
}

export function renderV2Vms(version: string, d: DirectorView, deployment: string, vms: BoshVmView[], task: number): Rendered {
  const old = boshOldRows(version);
  const headers = old
    ? ['Instance', 'Process State', 'AZ', 'IPs', 'VM CID', 'VM Type']
    : ['Instance', 'Process State', 'AZ', 'IPs', 'VM CID', 'VM Type', 'Active', 'Stemcell'];
  const rows = vms.map((v) => {
    const row = [`${v.job}/${v.id}`, v.state, v.az ?? '', v.ips.join('\n'), v.vmCid ?? '', v.vmType ?? ''];
    return old ? row : [...row, 'true', ''];
  });
  return renderJsonUi(
    version,
    [{ content: 'vms', headers, rows }],
    [usingEnv(d), `Using deployment '${deployment}'`, `Task ${task}. Done`, 'Succeeded'],
  );
}

export function renderV2DeploymentNotFound(version: string, d: DirectorView, deployment: string): Rendered {
  return renderJsonUi(
    version,
    [],
    [
      usingEnv(d),
      `Using deployment '${deployment}'`,
      `Finding deployment '${deployment}':\n  Director responded with non-successful status code '404' response '{"code":70000,"description":"Deployment '${deployment}' doesn't exist"}'`,
      'Exit code 1',
    ],
    1,
  );
}

export function renderV2UnknownCommand(command: string): Rendered {
  return {
    stdout: '',
    stderr: `Unknown command \`${command}'. Please specify one command of: deployments, vms, instances, manifest, ssh, ...\n`,
    exitCode: 1,
  };
}

/** A v1 (`terminal-table`) table: `+---+` rules, `| cell |` rows, a rule between rows when `ruled`. */
function v1Table(headers: string[], rows: string[][][], ruled: boolean): string {
  const widths = headers.map((h) => h.length);
  for (const row of rows) for (const line of row) line.forEach((c, i) => (widths[i] = Math.max(widths[i]!, c.length)));
  const rule = '+' + widths.map((w) => '-'.repeat(w + 2)).join('+') + '+\n';
  const line = (cells: string[]) => '| ' + widths.map((w, i) => (cells[i] ?? '').padEnd(w)).join(' | ') + ' |\n';
  let out = rule + line(headers) + rule;
  rows.forEach((row, r) => {
    for (const l of row) out += line(l);
    if (ruled || r === rows.length - 1) out += rule;
  });
  return out;
}

/** Lines of a multi-line row: first line carries every cell's first value. */
function multiLine(cells: string[][]): string[][] {
  const height = Math.max(1, ...cells.map((c) => c.length));
  return Array.from({ length: height }, (_, i) => cells.map((c) => c[i] ?? ''));
}

export function renderV1Deployments(d: DirectorView, deployments: BoshDeploymentView[]): Rendered {
  // bosh_cli commands/deployment.rb `list`: err("No deployments"), which the runner prints on stderr (say_err), exit 1.
  if (deployments.length === 0) return { stdout: `Acting as user '${d.user}' on '${d.name}'\n\n`, stderr: 'No deployments\n', exitCode: 1 };
  const rows = deployments.map((x) => multiLine([[x.name], x.releases, x.stemcells, ['none']]));
  return ok(
    `Acting as user '${d.user}' on '${d.name}'\n\n` +
      v1Table(['Name', 'Release(s)', 'Stemcell(s)', 'Cloud Config'], rows, true) +
      `\nDeployments total: ${deployments.length}\n`,
  );
}

export function renderV1Vms(d: DirectorView, deployment: string, vms: BoshVmView[], task: number): Rendered {
  const rows = vms.map((v) => multiLine([[`${v.job}/${v.index}`], [v.state], [v.resourcePool ?? v.job], v.ips]));
  return ok(
    `Acting as user '${d.user}' on deployment '${deployment}' on '${d.name}'\n` +
      `Deployment \`${deployment}'\n\nDirector task ${task}\n\nTask ${task} done\n\n` +
      v1Table(['Job/index', 'State', 'Resource Pool', 'IPs'], rows, false) +
      `\nVMs total: ${vms.length}\n`,
  );
}

export function renderV1DeploymentNotFound(d: DirectorView, deployment: string): Rendered {
  return {
    // A director error ends the command through the runner's say_err: on stderr (bosh_cli runner.rb).
    stdout: `Acting as user '${d.user}' on '${d.name}'\n`,
    stderr: `Error 70000: Deployment '${deployment}' doesn't exist\n`,
    exitCode: 1,
  };
}

export function renderV1UnknownCommand(args: string[]): Rendered {
  return { stdout: `Unknown command: ${args.join(' ')}\n`, stderr: '', exitCode: 1 };
}
