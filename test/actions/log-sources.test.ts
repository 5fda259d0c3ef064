/** Where a step searches, and with which credentials: read from the run's environment, never from the journal. */
import { describe, expect, it } from 'vitest';
import type { StepContext } from '../../src/engine/run/index.js';
import { logSources } from '../../src/actions/support/sources.js';

const ctx = (env: Record<string, string>): StepContext =>
  ({
    settings: { logPaths: [], esUrl: 'https://logs.example:9200', esIndex: 'logs-*', esCaFile: undefined },
    platform: { logPaths: [] },
    env,
  }) as unknown as StepContext;

describe('the log sources of a step', () => {
  it("takes Elasticsearch's credentials from the run's environment", () => {
    const spec = logSources(ctx({ ES_USERNAME: 'reader', ES_PASSWORD: 'pw-from-the-run-env' }));
    expect(spec.es).toMatchObject({ url: 'https://logs.example:9200', username: 'reader', password: 'pw-from-the-run-env' });
  });
});
