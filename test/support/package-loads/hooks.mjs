// Module customization hooks (register.mjs): the name of each npm package resolved is logged.
import { appendFileSync } from 'node:fs';

let log;

export function initialize(data) {
  log = data.log;
}

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(resolved.url);
  if (m && log) appendFileSync(log, `${m[1]}\n`);
  return resolved;
}
