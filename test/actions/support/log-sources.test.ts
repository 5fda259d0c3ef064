/** Where a step searches, and with which credentials: read from the run's environment, never from the journal. */
import { describe, expect, it } from 'vitest';
import type { StepContext } from '../../../src/engine/executor/index.js';
import type { LogSourceSpec } from '../../../src/core/log-source.js';
import { logSources } from '../../../src/actions/support/sources.js';
import { openLogSource } from '../../../src/systems/log-source.js';
import { testRuntime } from '../../support/runtime.js';

/** A step's context whose platform keeps the specs it is asked to open. */
function ctx(env: Record<string, string>, settings: Record<string, unknown>) {
  const opened: LogSourceSpec[] = [];
  const context = {
    settings: { logPaths: [], esIndex: 'logs-*', esCaFile: undefined, ...settings },
    platform: {
      openLogs: (spec: LogSourceSpec) => {
        opened.push(spec);
        return openLogSource(spec);
      },
    },
    runtime: testRuntime({ env }),
  } as unknown as StepContext;
  return { context, opened, redactor: context.runtime.redactor };
}

describe('the log sources of a step', () => {
  it("takes Elasticsearch's credentials from the run's environment, registers them with the run's redactor, and opens them through the platform", () => {
    const { context, opened, redactor } = ctx(
      { ES_USERNAME: 'reader', ES_PASSWORD: 'pw-from-the-run-env', ES_TIMEOUT: '120' },
      { esUrl: 'https://logs.example:9200' },
    );
    expect(logSources(context).empty).toBe(false);
    expect(opened).toHaveLength(1);
    expect(opened[0]!.es).toMatchObject({
      url: 'https://logs.example:9200',
      username: 'reader',
      password: 'pw-from-the-run-env',
      timeoutSeconds: 120,
    });
    expect(redactor.redact('pw-from-the-run-env')).toBe('[REDACTED]');
  });

  it('stops the step when the platform has nothing to search', () => {
    const { context } = ctx({}, {});
    expect(() => logSources(context)).toThrow(/no syslog to search/);
  });
});
