/**
 * Parsers for cf CLI output. They are written to accept every era's text (see cf-formats.ts and
 * the samples in the domain notes) without being told the era, so a CLI whose version string is
 * odd still parses.
 */
import type { CommandResult } from '../core/seams.js';
import type { OperationState, OperationType, ServiceStatus } from './cf-types.js';
import { isGuidAnyCase } from '../core/guid.js';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

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
  const re = new RegExp(`Service instance '?${escape(name)}'? not found`, 'i');
  return re.test(result.stderr) || re.test(result.stdout);
}

/** The exit-0 trap of create-service: `Service NAME already exists` / `Service instance NAME already exists`. */
export function isAlreadyExists(stdout: string, name: string): boolean {
  return new RegExp(`^\\s*Service (?:instance )?${escape(name)} already exists\\s*$`, 'im').test(stdout);
}

export function isAlreadyBound(stdout: string): boolean {
  return /^\s*App .+ is already bound to /im.test(stdout);
}

/**
 * App names from `cf apps`, both tables (v6: `name requested state instances memory disk urls`;
 * 7+: `name requested state processes routes`). Cells are cut at the header's column offsets,
 * so names with spaces survive.
 */
export function parseApps(stdout: string): string[] {
  const lines = stdout.split(/\r?\n/);
  const h = lines.findIndex((l) => /^name\s+requested state\s/.test(l));
  if (h < 0) {
    if (/^No apps found\s*$/m.test(stdout)) return [];
    throw new Error('no apps table and no "No apps found" in the output');
  }
  const end = lines[h]!.indexOf('requested state');
  const names: string[] = [];
  for (const line of lines.slice(h + 1)) {
    if (!line.trim()) break;
    const name = line.slice(0, end).trim();
    if (name) names.push(name);
  }
  return names;
}

/** `status:` / `Status:` of the last operation, one regex for all three eras. */
export function parseStatusText(stdout: string): Omit<ServiceStatus, 'source'> | null {
  const m = /^\s*status:\s*(create|update|delete) (in progress|succeeded|failed)\s*$/im.exec(stdout);
  if (!m) return null;
  const msg = /^\s*message:[ \t]*(.*)$/im.exec(stdout.slice(m.index));
  return {
    type: m[1]!.toLowerCase() as OperationType,
    state: m[2]!.toLowerCase() as OperationState,
    description: msg ? msg[1]!.trim() : '',
  };
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
  const apps: string[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.trim()) break;
    const name = line.slice(0, cut).trim();
    if (name) apps.push(name);
  }
  return apps;
}

export type CurlBody =
  | { kind: 'json'; body: Record<string, unknown> }
  /** An HTTP error body printed with exit 0 (no `-f`): v3 `errors[]` or v2 `error_code`. */
  | { kind: 'error'; code: string; message: string; notFound: boolean }
  | { kind: 'unparseable' };

export function parseCurlBody(stdout: string): CurlBody {
  const start = stdout.indexOf('{');
  if (start < 0) return { kind: 'unparseable' };
  let body: unknown;
  try {
    body = JSON.parse(stdout.slice(start));
  } catch {
    return { kind: 'unparseable' };
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) return { kind: 'unparseable' };
  const b = body as Record<string, unknown>;
  if (Array.isArray(b.errors) && b.errors.length > 0) {
    const e = b.errors[0] as { title?: string; detail?: string; code?: number };
    const code = e.title ?? String(e.code ?? '');
    return { kind: 'error', code, message: e.detail ?? code, notFound: /NotFound/i.test(code) };
  }
  if (typeof b.error_code === 'string' && !('metadata' in b) && !('resources' in b)) {
    const code = b.error_code;
    return { kind: 'error', code, message: String(b.description ?? code), notFound: /NotFound/i.test(code) };
  }
  return { kind: 'json', body: b };
}

function fromLastOperation(op: unknown, source: 'v3' | 'v2'): ServiceStatus | null {
  if (!op || typeof op !== 'object') return null;
  const o = op as { type?: unknown; state?: unknown; description?: unknown };
  if (!['create', 'update', 'delete'].includes(String(o.type))) return null;
  if (!['in progress', 'succeeded', 'failed'].includes(String(o.state))) return null;
  return {
    type: o.type as OperationType,
    state: o.state as OperationState,
    description: typeof o.description === 'string' ? o.description : '',
    source,
  };
}

/** `GET /v3/service_instances/GUID` → its last operation. */
export function statusFromV3(body: Record<string, unknown>): ServiceStatus | null {
  return fromLastOperation(body.last_operation, 'v3');
}

/** `GET /v2/service_instances/GUID` → `entity.last_operation`. */
export function statusFromV2(body: Record<string, unknown>): ServiceStatus | null {
  const entity = body.entity as Record<string, unknown> | undefined;
  return entity ? fromLastOperation(entity.last_operation, 'v2') : null;
}
