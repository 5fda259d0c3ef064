/**
 * `cf update-service NAME [-c JSON] [-p PLAN]` against the simulated Cloud Controller and Dingo
 * broker. The broker's catalog never sets plan_updateable, so a plan change is refused; parameters
 * start an asynchronous update that the broker acts on (a `node-count` adds nodes), ending after a
 * number of status reads like a create. `failNextUpdate` makes the broker refuse the next one.
 */
import type { CfWho, LastOperation, Rendered } from '../../adapters/cf/index.js';
import { renderServiceNotFound, brokerRefusal, renderUpdateService, updatePreamble } from './cf-service-formats.js';
import { renderFailure } from './cf-text.js';

/** What an update reads and changes of the simulated Cloud Controller (a CfWorld). */
export interface UpdateWorld {
  version: string;
  pollsPerCreate?: number;
  failNextUpdate?: string;
}

/** What an update reads and changes of an instance (a CfServiceInstance). */
export interface UpdatableInstance {
  name: string;
  plan: string;
  lastOperation: LastOperation;
  pollsUntilReady: number;
  failWith?: string;
  parameters?: Record<string, unknown>;
}

export interface UpdateRequest<I extends UpdatableInstance> {
  name: string;
  instance: I | null;
  /** The `-c` text, if given. */
  config?: string;
  /** The `-p` plan, if given. */
  plan?: string;
  now: string;
}

export function simulateUpdateService<I extends UpdatableInstance>(
  w: UpdateWorld,
  who: CfWho,
  req: UpdateRequest<I>,
  onUpdated?: (instance: I, parameters: Record<string, unknown>) => string | undefined,
): Rendered {
  const v = w.version;
  const preamble = updatePreamble(v, who, req.name);
  const i = req.instance;
  if (!i) return renderServiceNotFound(v, req.name);
  if (req.plan !== undefined && req.plan !== i.plan) {
    return renderFailure(
      v,
      'Server error, status code: 400, error code: 60016, message: The service does not support changing plans.',
      preamble,
    );
  }
  if (i.lastOperation.state === 'in progress') {
    return renderFailure(
      v,
      `Server error, status code: 409, error code: 60016, message: An operation for service instance ${i.name} is in progress.`,
      preamble,
    );
  }
  let parameters: Record<string, unknown> = {};
  if (req.config !== undefined) {
    try {
      parameters = JSON.parse(req.config) as Record<string, unknown>;
    } catch {
      return renderFailure(
        v,
        'Invalid configuration provided for -c flag. Please provide a valid JSON object or path to a file containing a valid JSON object.',
      );
    }
  }
  if (w.failNextUpdate !== undefined) {
    const why = w.failNextUpdate;
    delete w.failNextUpdate;
    return renderFailure(v, brokerRefusal(v, why), preamble);
  }
  i.parameters = { ...(i.parameters ?? {}), ...parameters };
  i.lastOperation = { type: 'update', state: 'in progress', description: '', createdAt: req.now, updatedAt: req.now };
  i.pollsUntilReady = w.pollsPerCreate ?? 2;
  const failure = onUpdated?.(i, parameters);
  if (typeof failure === 'string') i.failWith = failure;
  return renderUpdateService(v, who, req.name);
}
