/** The account a run is driven from: who the journal and the lock name as having written them. */
import { hostname, userInfo } from 'node:os';
import { invocation } from './invocation.js';

/** The account a run is driven from, named in every journal event as user@host. */
export interface OperatorIdentity {
  user: string;
  host: string;
}

/** user@host: how the journal and the lock name who wrote them. */
export function operatorText(o: OperatorIdentity): string {
  return `${o.user}@${o.host}`;
}

/** The login this process runs as (USER when the account has no entry in the password database). */
export function processOperator(env: Readonly<Record<string, string | undefined>> = invocation().env): OperatorIdentity {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    user = env.USER ?? 'unknown';
  }
  return { user, host: hostname() };
}
