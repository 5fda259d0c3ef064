/**
 * Reading what `cf curl` prints: a Cloud Controller JSON body (v3 or v2), or the error body an
 * HTTP error prints with exit 0 when the CLI has no `-f`.
 */
import { isOperationState, isOperationType, type ServiceStatus } from './cf-types.js';
import { isRecord, numberAt, recordAt, stringAt, type JsonRecord } from '../../core/json.js';

export type CurlBody =
  | { kind: 'json'; body: JsonRecord }
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
  if (!isRecord(body)) return { kind: 'unparseable' };
  if (Array.isArray(body.errors) && body.errors.length > 0) {
    const e: unknown = body.errors[0];
    const code = stringAt(e, 'title') ?? String(numberAt(e, 'code') ?? '');
    return { kind: 'error', code, message: stringAt(e, 'detail') ?? code, notFound: /NotFound/i.test(code) };
  }
  if (typeof body.error_code === 'string' && !('metadata' in body) && !('resources' in body)) {
    const code = body.error_code;
    return { kind: 'error', code, message: stringAt(body, 'description') ?? code, notFound: /NotFound/i.test(code) };
  }
  return { kind: 'json', body };
}

function fromLastOperation(op: unknown, source: 'v3' | 'v2'): ServiceStatus | null {
  if (!isRecord(op)) return null;
  const { type, state, description } = op;
  if (!isOperationType(type) || !isOperationState(state)) return null;
  return { type, state, description: typeof description === 'string' ? description : '', source };
}

/** `GET /v3/service_instances/GUID` → its last operation. */
export function statusFromV3(body: JsonRecord): ServiceStatus | null {
  return fromLastOperation(body.last_operation, 'v3');
}

/** `GET /v2/service_instances/GUID` → `entity.last_operation`. */
export function statusFromV2(body: JsonRecord): ServiceStatus | null {
  const entity = recordAt(body, 'entity');
  return entity ? fromLastOperation(entity.last_operation, 'v2') : null;
}

/** The GUIDs of a list's resources: `guid` in v3, `metadata.guid` in v2. */
export function guidsOfResources(resources: unknown[], api: 'v3' | 'v2'): string[] {
  const guids: string[] = [];
  for (const r of resources) {
    const guid = api === 'v3' ? stringAt(r, 'guid') : stringAt(recordAt(r, 'metadata'), 'guid');
    if (guid !== undefined) guids.push(guid);
  }
  return guids;
}
