/**
 * The Cloud Controller's list envelopes with real pagination. v2 (`results-per-page`, `page`,
 * `order-direction`; `next_url`/`prev_url` relative, keys sorted as the CC writes them, the `q`
 * filters carried along) and v3 (`per_page`, `page`, `order_by`; `first`/`last`/`next`/
 * `previous` absolute hrefs with the filters, keys sorted as Rails' `to_query` does).
 */
import type { Answer } from './cf-route.js';

const V2_BAD = (detail: string): Answer => ({
  status: 400,
  body: { code: 1001, description: `Request invalid due to parse error: ${detail}`, error_code: 'CF-MessageParseError' },
});

export const v3BadQuery = (detail: string): Answer => ({
  status: 400,
  body: { errors: [{ detail: `The query parameter is invalid: ${detail}`, title: 'CF-BadQueryParameter', code: 10005 }] },
});

function positiveInt(raw: string | null, fallback: number): number | null {
  if (raw === null) return fallback;
  return /^\d+$/.test(raw) && Number(raw) >= 1 ? Number(raw) : null;
}

export interface V2Page {
  page: number;
  perPage: number;
  direction: 'asc' | 'desc';
}

export function v2PageOf(query: URLSearchParams): V2Page | Answer {
  const page = positiveInt(query.get('page'), 1);
  if (page === null) return V2_BAD(`Field: page, Error: Value ${query.get('page') ?? ''} must be greater than or equal to 1`);
  const perPage = positiveInt(query.get('results-per-page'), 50);
  if (perPage === null || perPage > 100) {
    return V2_BAD(`Field: results-per-page, Error: Value ${query.get('results-per-page') ?? ''} must be between 1 and 100`);
  }
  const dir = query.get('order-direction') ?? 'asc';
  if (dir !== 'asc' && dir !== 'desc') return V2_BAD(`Field: order-direction, Error: Value ${dir} must be asc or desc`);
  return { page, perPage, direction: dir };
}

/** Escapes a query value as the CC's URI normalisation leaves it: `:` and `,` stay, spaces and operators do not. */
const v2Escape = (v: string): string => encodeURIComponent(v).replace(/%3A/gi, ':').replace(/%2C/gi, ',');

function v2Url(path: string, p: V2Page, page: number, q: string[]): string {
  const qs = q.map((x) => `&q=${v2Escape(x)}`).join('');
  return `${path}?order-direction=${p.direction}&page=${page}${qs}&results-per-page=${p.perPage}`;
}

/** One page of `all` (already ordered ascending) in the v2 envelope. */
export function v2Paged(path: string, q: string[], all: unknown[], p: V2Page) {
  const ordered = p.direction === 'desc' ? [...all].reverse() : all;
  const totalPages = Math.ceil(ordered.length / p.perPage);
  const resources = ordered.slice((p.page - 1) * p.perPage, p.page * p.perPage);
  return {
    total_results: ordered.length,
    total_pages: totalPages,
    prev_url: p.page > 1 ? v2Url(path, p, p.page - 1, q) : null,
    next_url: p.page < totalPages ? v2Url(path, p, p.page + 1, q) : null,
    resources,
  };
}

export interface V3Page {
  page: number;
  perPage: number;
  /** `created_at`, `-created_at`, `updated_at`, `-updated_at`, or undefined (the default order). */
  orderBy?: string;
}

export function v3PageOf(query: URLSearchParams, orderFields: string[]): V3Page | Answer {
  const page = positiveInt(query.get('page'), 1);
  if (page === null) return v3BadQuery('Page must be greater than 0');
  const perPage = positiveInt(query.get('per_page'), 50);
  if (perPage === null || perPage > 5000) return v3BadQuery('Per page must be between 1 and 5000');
  const orderBy = query.get('order_by') ?? undefined;
  if (orderBy !== undefined && !orderFields.includes(orderBy.replace(/^[-+]/, ''))) {
    return v3BadQuery(`Order by can only be: ${orderFields.map((f) => `'${f}'`).join(', ')}`);
  }
  return { page, perPage, ...(orderBy === undefined ? {} : { orderBy }) };
}

function v3Href(base: string, filters: [string, string][], p: V3Page, page: number): { href: string } {
  const params: [string, string][] = [
    ...filters,
    ['page', String(page)],
    ['per_page', String(p.perPage)],
    ...(p.orderBy === undefined ? [] : [['order_by', p.orderBy] as [string, string]]),
  ];
  params.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { href: `${base}?${params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}` };
}

/** One page of `all` (already in the requested order) in the v3 envelope; `filters` are echoed in the links. */
export function v3Paged(apiUrl: string, path: string, query: URLSearchParams, all: unknown[], p: V3Page) {
  const filters = [...query.entries()].filter(([k]) => !['page', 'per_page', 'order_by'].includes(k));
  const lastPage = Math.max(1, Math.ceil(all.length / p.perPage));
  const base = `${apiUrl}${path}`;
  return {
    pagination: {
      total_results: all.length,
      total_pages: lastPage,
      first: v3Href(base, filters, p, 1),
      last: v3Href(base, filters, p, lastPage),
      next: p.page < lastPage ? v3Href(base, filters, p, p.page + 1) : null,
      previous: p.page > 1 ? v3Href(base, filters, p, p.page - 1) : null,
    },
    resources: all.slice((p.page - 1) * p.perPage, p.page * p.perPage),
  };
}

export function isAnswer(v: unknown): v is Answer {
  return typeof v === 'object' && v !== null && 'status' in v && 'body' in v;
}
