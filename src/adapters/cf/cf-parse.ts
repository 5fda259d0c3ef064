/**
 * Parsers for cf CLI output. They are written to accept every era's text (see cf-formats.ts and
 * the samples in the domain notes) without being told the era, so a CLI whose version string is
 * odd still parses.
 */
import type { CommandResult } from '../../core/seams.js';
import { isOperationState, isOperationType, type ServiceStatus } from './cf-types.js';
import { isGuidAnyCase } from '../../core/guid.js';
import { escapeRegExp } from '../../core/regexp.js';

/** The last stdout line that is a GUID (warnings may precede it). */
export function parseGuidLine(stdout: string): string | null {
  const lines = stdout
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => isGuidAnyCase(l));
  return lines.length ? lines[lines.length - 1]!.toLowerCase() : null;
}

/**
 * The reason a command failed. 6.33+ prints it on stderr (stdout has `FAILED`); legacy prints
 * `FAILED` and the reason on stdout.
 */
export function failureText(result: Pick<CommandResult, 'stdout' | 'stderr'>): string {
  const stderr = result.stderr
    .split(/\r?\n/)
    .filter((l) => l.trim() && l.trim() !== 'FAILED')
    .join('\n')
    .trim();
  if (stderr) return stderr;
  const lines = result.stdout.split(/\r?\n/);
  const at = lines.map((l) => l.trim()).lastIndexOf('FAILED');
  const after = (at >= 0 ? lines.slice(at + 1) : lines).map((l) => l.trim()).filter(Boolean);
  if (at >= 0) return after.join('\n');
  return after.length ? after[after.length - 1]! : '';
}

/** `Service instance NAME not found` (≤7.x) or `Service instance 'NAME' not found` (8.x). */
export function isServiceNotFound(result: Pick<CommandResult, 'stdout' | 'stderr'>, name: string): boolean {
  const re = new RegExp(`Service instance '?${escapeRegExp(name)}'? not found`, 'i');
  return re.test(result.stderr) || re.test(result.stdout);
}

/** The exit-0 trap of create-service: `Service NAME already exists` / `Service instance NAME already exists`. */
export function isAlreadyExists(stdout: string, name: string): boolean {
  return new RegExp(`^\\s*Service (?:instance )?${escapeRegExp(name)} already exists\\s*$`, 'im').test(stdout);
}

export function isAlreadyBound(stdout: string): boolean {
  return /^\s*App .+ is already bound to /im.test(stdout);
}

/** An app of `cf apps`: its name and requested state (`started`, `stopped`). */
export interface AppState {
  name: string;
  state: string;
}

/**
 * The apps of `cf apps`, both tables (v6: `name requested state instances memory disk urls`;
 * 7+: `name requested state processes routes`). Cells are cut at the header's column offsets,
 * so names with spaces survive.
 */
export function parseAppStates(stdout: string): AppState[] {
  const lines = stdout.split(/\r?\n/);
  const h = lines.findIndex((l) => /^name\s+requested state\s/.test(l));
  if (h < 0) {
    if (/^No apps found\s*$/m.test(stdout)) return [];
    throw new Error('no apps table and no "No apps found" in the output');
  }
  const header = lines[h]!;
  const stateAt = header.indexOf('requested state');
  const next = /\S/.exec(header.slice(stateAt + 'requested state'.length));
  const stateEnd = next ? stateAt + 'requested state'.length + next.index : undefined;
  const apps: AppState[] = [];
  for (const row of lines.slice(h + 1)) {
    if (!row.trim()) break;
    const name = row.slice(0, stateAt).trim();
    if (name) apps.push({ name, state: row.slice(stateAt, stateEnd).trim() });
  }
  return apps;
}

/** App names from `cf apps` (parseAppStates). */
export const parseApps = (stdout: string): string[] => parseAppStates(stdout).map((a) => a.name);

/** The first column of a table's rows (up to the first blank line): each row's text before `width`. */
function firstColumn(rows: string[], width: number): string[] {
  const out: string[] = [];
  for (const row of rows) {
    if (!row.trim()) break;
    const cell = row.slice(0, width).trim();
    if (cell) out.push(cell);
  }
  return out;
}

/** `status:` / `Status:` of the last operation, one regex for all three eras. */
export function parseStatusText(stdout: string): Omit<ServiceStatus, 'source'> | null {
  const m = /^\s*status:\s*(create|update|delete) (in progress|succeeded|failed)\s*$/im.exec(stdout);
  if (!m) return null;
  const msg = /^\s*message:[ \t]*(.*)$/im.exec(stdout.slice(m.index));
  const type = m[1]!.toLowerCase();
  const state = m[2]!.toLowerCase();
  if (!isOperationType(type) || !isOperationState(state)) return null;
  return { type, state, description: msg ? msg[1]!.trim() : '' };
}

/** Apps bound to a service, from `cf service NAME`: legacy `Bound apps: a, b`, later a table. */
export function parseBoundAppsText(stdout: string): string[] {
  const legacy = /^Bound apps:[ \t]*(.*)$/m.exec(stdout);
  if (legacy)
    return legacy[1]!
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const lines = stdout.split(/\r?\n/);
  const start = lines.findIndex((l) => /^(?:Showing )?bound apps:\s*$/i.test(l.trim()));
  if (start < 0) return [];
  const header = lines[start + 1] ?? '';
  const cut = header.indexOf('binding name');
  if (!/^\s*name\s+binding name/.test(header) || cut < 0) return [];
  return firstColumn(lines.slice(start + 2), cut);
}

export interface CfTarget {
  api: string | null;
  user: string | null;
  org: string | null;
  space: string | null;
}

/** Reads the key/value block `cf target` prints, in the legacy, v6/v7 and v8 spellings. */
export function parseTargetText(stdout: string): CfTarget {
  const value = (key: RegExp): string | null => {
    for (const line of stdout.split('\n')) {
      const m = key.exec(line.trim());
      if (m) return m[1]!.trim() || null;
    }
    return null;
  };
  return {
    api: value(/^api endpoint:\s*(\S*)/i),
    user: value(/^user:\s*(.*)$/i),
    org: value(/^org:\s*(.*)$/i),
    space: value(/^space:\s*(.*)$/i),
  };
}
