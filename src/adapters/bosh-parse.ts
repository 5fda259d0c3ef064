/**
 * Parsers for BOSH CLI output: the version banner, v2 `--json` documents and v1 tables (with
 * multi-line cells).
 *
 * bosh-cli's `ui/json_ui.go` printed a table in two shapes over the years. Before 2.0.13 its
 * `tableResp` was `Header []string` and `Rows [][]string`: the titles and each row's cells in
 * order, `Header` null for a table without titles (`bosh env`'s info table then was such a table
 * of name/value rows: cmd/info_table.go, its test's `Expect(ui.Table.Header).To(BeEmpty())`).
 * From 2.0.13 (commit 034fffb5b) `Header` maps each key (the title keyified) to its title and
 * each row maps the keys to its cells; a table without titles gets the keys `col_0`, `col_1`…
 * and empty titles. Both are read here into keyed rows, a table without titles keyed `col_N` too.
 */
import type { CommandResult } from '../core/seams.js';
import { isRecord, stringAt } from '../core/json.js';
import { isGuidAnyCase } from '../core/guid.js';

/** Header title → JSON key: lower case, each run of non-alphanumerics becomes `_` (`ui/table/headers.go`). */
export function keyifyHeader(title: string): string {
  return title
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean)
    .join('_');
}

export interface Vm {
  /** `job/id` (v2: the instance UUID) or `job/index` (v1). */
  instance: string;
  job: string;
  /** The instance's UUID when the CLI prints one (what the cell's syslog names it by), else its index. */
  id: string;
  /** The index, when a v1 table prints it beside the UUID (`job/index (uuid)`). */
  index?: number;
  ips: string[];
  state: string;
  az?: string;
  vmCid?: string;
}

export function parseBoshVersion(stdout: string): { version: string; major: 1 | 2 } | null {
  const v2 = /^version (\S+)/m.exec(stdout);
  if (v2) return { version: v2[1]!, major: 2 };
  const v1 = /^BOSH (\S+)/m.exec(stdout);
  if (v1) return { version: v1[1]!, major: 1 };
  return null;
}

export interface JsonUiDoc {
  tables: { content: string; rows: Record<string, string>[] }[];
  lines: string[];
  /** What the CLI printed as blocks: a task's events, its error among them. */
  blocks: string[];
}

/** A v2 `--json` document, with array rows turned into keyed rows. Throws when it is not one. */
export function parseJsonUi(stdout: string): JsonUiDoc {
  const doc: unknown = JSON.parse(stdout);
  if (!isRecord(doc) || !('Lines' in doc || 'Tables' in doc)) throw new Error('not a bosh --json document');
  const tables = (Array.isArray(doc.Tables) ? doc.Tables : []).map(jsonUiTable);
  const texts = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);
  return { tables, lines: texts(doc.Lines), blocks: texts(doc.Blocks) };
}

/** One table of a `--json` document; rows are arrays under a Header of titles (or none), or objects already keyed. */
function jsonUiTable(table: unknown): JsonUiDoc['tables'][number] {
  const content = stringAt(table, 'Content') ?? '';
  const rows: unknown[] = isRecord(table) && Array.isArray(table.Rows) ? table.Rows : [];
  const header = isRecord(table) ? table.Header : undefined;
  if (Array.isArray(header) || rows.some(Array.isArray)) {
    const titles = Array.isArray(header) ? header.map(String) : [];
    const width = Math.max(titles.length, ...rows.map((r) => (Array.isArray(r) ? r.length : 0)));
    // A table without titles (json_ui.go before 2.0.13: Header null) is keyed as later versions key it: col_0, col_1…
    const keys = Array.from({ length: width }, (_, i) => (titles[i] !== undefined ? keyifyHeader(titles[i]) : `col_${i}`));
    const cell = (r: unknown, i: number): unknown => (Array.isArray(r) ? r[i] : undefined);
    return { content, rows: rows.map((r) => Object.fromEntries(keys.map((k, i) => [k, cellText(cell(r, i))]))) };
  }
  return { content, rows: rows.map((r) => Object.fromEntries(Object.entries(isRecord(r) ? r : {}).map(([k, v]) => [k, cellText(v)]))) };
}

/**
 * A table of name/value rows (`bosh env` before its info table had titles: `Name | p-bosh`,
 * `User | admin`…) as one keyed row (`{ name: 'p-bosh', user: 'admin' }`); null when its rows
 * are not two cells each.
 */
export function nameValueRow(rows: Record<string, string>[]): Record<string, string> | null {
  if (rows.length === 0 || !rows.every((r) => Object.keys(r).length === 2 && 'col_0' in r && 'col_1' in r)) return null;
  return Object.fromEntries(rows.map((r) => [keyifyHeader(r.col_0!), r.col_1!]));
}

/** A cell as text: bosh prints strings; numbers and booleans read as they print. */
function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
}

/** Rows of a v1 table keyed by header; a row whose first cell is empty continues the previous one. */
function parseV1Table(stdout: string, defaultHeaders?: string[]): Record<string, string>[] {
  const lines = stdout.split(/\r?\n/).filter((l) => /^\s*\|.*\|\s*$/.test(l));
  if (lines.length === 0) return [];
  const cells = (l: string) =>
    l
      .trim()
      .slice(1, -1)
      .split('|')
      .map((c) => c.trim());
  // Rows filtered out of a table (`bosh vms DEP | grep IP`) have no header line.
  const headless = defaultHeaders !== undefined && !/^(job\/index|vm|instance|name)$/i.test(cells(lines[0]!)[0]!);
  const headers = headless ? defaultHeaders : cells(lines[0]!);
  const rows: string[][] = [];
  for (const l of headless ? lines : lines.slice(1)) {
    const c = cells(l);
    if (c[0] === '' && rows.length) {
      const prev = rows[rows.length - 1]!;
      c.forEach((v, i) => {
        if (v) prev[i] = prev[i] ? `${prev[i]}\n${v}` : v;
      });
    } else rows.push(c);
  }
  return rows.map((r) => Object.fromEntries(headers.map((h, i) => [h, r[i] ?? ''])));
}

export function deploymentsFromJson(doc: JsonUiDoc): string[] {
  const table = doc.tables.find((t) => t.content === 'deployments') ?? doc.tables[0];
  return (table?.rows ?? []).map((r) => r.name ?? '').filter(Boolean);
}

export function deploymentsFromTable(stdout: string): string[] {
  return parseV1Table(stdout)
    .map((r) => r.Name ?? '')
    .filter(Boolean);
}

const splitIps = (s: string | undefined) => (s ?? '').split(/[\s,]+/).filter(Boolean);

function splitInstance(instance: string): { job: string; id: string } {
  const at = instance.lastIndexOf('/');
  return at < 0 ? { job: instance, id: '' } : { job: instance.slice(0, at), id: instance.slice(at + 1) };
}

/**
 * An instance as the Ruby CLI names it in a table, by era (bosh_cli commands/vms.rb, instances.rb):
 * `job/index`, `job/index (uuid)`, `job/uuid (index)`, with `*` after the bootstrap node's name or
 * index; early Go CLIs wrote `job/uuid* (index)`. `raw` is the name without the parenthesis or marker;
 * `id` the VM's UUID when one is printed (the cell's syslog host), else the index.
 */
function v1InstanceName(cell: string): { raw: string; job: string; id: string; index?: number } | null {
  const m = /^\s*([^\s(]+?)\*?(?:\s*\(([^)]*)\))?\s*\*?\s*$/.exec(cell);
  if (!m || !m[1]!.includes('/')) return null;
  const raw = m[1]!;
  const { job, id } = splitInstance(raw);
  const inParens = (m[2] ?? '').trim();
  return /^\d+$/.test(id) && isGuidAnyCase(inParens) ? { raw, job, id: inParens, index: Number(id) } : { raw, job, id };
}

export function vmsFromJson(doc: JsonUiDoc): Vm[] {
  const table = doc.tables.find((t) => t.content === 'vms' || t.content === 'instances') ?? doc.tables[0];
  return (table?.rows ?? []).map((r) => {
    const instance = (r.instance ?? '').trim();
    const { job, id } = splitInstance(instance);
    return {
      instance,
      job,
      id,
      ips: splitIps(r.ips),
      // bosh-cli leaves process_state empty for some running VMs (director/vms.go); its first tables titled it State.
      state: r.process_state || r.state || 'running',
      ...(r.az ? { az: r.az } : {}),
      ...(r.vm_cid ? { vmCid: r.vm_cid } : {}),
    };
  });
}

/**
 * v1 `bosh vms DEP`: `Job/index | State | Resource Pool | IPs` (later directors: `VM | State | AZ |
 * VM Type | IPs`, where VM may read `job/index (uuid)`); `--details` adds `CID`.
 */
export function vmsFromTable(stdout: string): Vm[] {
  return parseV1Table(stdout, ['Job/index', 'State', 'Resource Pool', 'IPs']).flatMap((r) => {
    const key = Object.keys(r).find((k) => /^(job\/index|vm|instance)$/i.test(k));
    if (!key) return [];
    const named = v1InstanceName(r[key]!.split('\n')[0]!);
    if (!named) return [];
    const { raw, job, id, index } = named;
    const state = r.State ?? '';
    const az = r.AZ;
    const cid = r.CID ?? r['VM CID'];
    return [
      {
        instance: raw,
        job,
        id,
        ...(index !== undefined ? { index } : {}),
        ips: splitIps(r.IPs),
        state,
        ...(az ? { az } : {}),
        ...(cid ? { vmCid: cid } : {}),
      },
    ];
  });
}

/**
 * What a failed command's JSON `Lines` hold beside its reason: the CLI's greetings and verdict, and a
 * task's id, times and state around its events (ui/task/reporter.go).
 */
const CHATTER =
  /^(Using environment|Using deployment|Exit code \d+$|Succeeded$|Task \d+($| (error|done|cancelled)$| Started )|\. (Done|Error|Cancelled|Timeout)$)/;

/**
 * The reason a bosh command failed: the JSON `Lines` minus the chatter, then the errors of its tasks'
 * events (ui/task/reporter.go prints them as blocks: `Error: Timed out sending 'ssh' to instance…`,
 * which the lines' `Expected task '…' to succeed but state is 'error'` does not say); or the text it
 * printed. The Ruby CLI prints its own verdict on stderr (runner.rb `say_err`) and a task's error,
 * from the director's event log, on stdout (task_tracking/event_log_renderer.rb `add_error`:
 * `Error 450002: Timed out sending…`): the verdict, then those errors.
 */
export function boshFailureText(result: Pick<CommandResult, 'stdout' | 'stderr'>): string {
  try {
    const doc = parseJsonUi(result.stdout);
    const lines = doc.lines.map((l) => l.trim()).filter((l) => l !== '' && !CHATTER.test(l));
    const errors = doc.blocks.map((b) => b.trim()).filter((b) => /^(L )?Error: /.test(b));
    if (lines.length || errors.length) return [...lines, ...errors].join('\n');
  } catch {
    // Not JSON: v1 or a usage error.
  }
  const [stderr, stdout] = [result.stderr, result.stdout].map((t) =>
    t
      .split(/\r?\n/)
      .filter((l) => l.trim() && !/^Acting as user/.test(l))
      .join('\n')
      .trim(),
  ) as [string, string];
  if (!stderr) return stdout;
  const taskErrors = stdout.split('\n').filter((l) => /^Error \d+: /.test(l));
  return [stderr, ...taskErrors].join('\n');
}
