/** What a simulated Cloud Controller endpoint is given and answers, shared by the cf-curl route files. */
import type { CfContext } from './cf-context.js';

export interface Answer {
  status: number;
  body: unknown;
}

export interface CcRequest {
  path: string;
  query: URLSearchParams;
  /** The path and query as given. */
  target: string;
}

/** One endpoint: the answer when the request is its own, else undefined. */
export type Route = (cf: CfContext, r: CcRequest) => Answer | undefined;

export const okAnswer = (body: unknown): Answer => ({ status: 200, body });

/** The GUID in `path` when it matches `/prefix/GUID`, else undefined. */
export function guidIn(path: string, prefix: string): string | undefined {
  if (!path.startsWith(`${prefix}/`)) return undefined;
  const rest = path.slice(prefix.length + 1);
  return rest && !rest.includes('/') ? rest : undefined;
}

/** A comma-separated v3 filter (`names=a,b`), or undefined when the query does not give it. */
export function commaList(query: URLSearchParams, name: string): string[] | undefined {
  const v = query.get(name);
  return v === null ? undefined : v.split(',');
}
