import type { ActionRegistry } from '../engine/runbook/index.js';

/**
 * Every action a runbook can name. Loaded when a command needs it: the actions pull in the S3,
 * Elasticsearch and SSH clients, which `--help` and `--version` must not wait for.
 */
export async function actionRegistry(): Promise<ActionRegistry> {
  return (await import('../actions/index.js')).actionRegistry();
}
