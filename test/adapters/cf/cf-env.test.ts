import { afterEach, describe, expect, it, vi } from 'vitest';
import { cfEnv, CfCli, CfApi } from '../../../src/adapters/cf/index.js';
import type { CommandRunner, CommandSpec } from '../../../src/core/seams.js';
import { Redactor } from '../../../src/core/redact.js';

afterEach(() => {
  vi.unstubAllEnvs();
});

/** A runner that records what it was asked to run and answers as cf 8 and its API would. */
function recording(): CommandRunner & { ran: CommandSpec[] } {
  const ran: CommandSpec[] = [];
  return {
    where: 'test',
    ran,
    run(spec: CommandSpec) {
      ran.push(spec);
      const stdout = spec.argv[1] === 'version' ? 'cf version 8.7.1+9c81242.2023-06-15\n' : '{"links":{"self":{"href":"https://api"}}}\n';
      return Promise.resolve({ exitCode: 0, stdout, stderr: '', timedOut: false, durationMs: 1 });
    },
  };
}

describe('cfEnv', () => {
  it("turns off colour, and a trace cf would print into the output read: the environment's, or the config file's when the environment says none", () => {
    for (const on of ['true', 'TRUE', 'True', '1', 't', 'T', ' true ', 'false', '0', ''])
      expect(cfEnv({ CF_TRACE: on }), on).toEqual({ CF_COLOR: 'false', CF_TRACE: 'false' });
  });

  it('turns off the trace `cf config --trace true` keeps in the config file, when CF_TRACE is unset', () => {
    expect(cfEnv({})).toEqual({ CF_COLOR: 'false', CF_TRACE: 'false' });
  });

  it('leaves a trace to a file alone', () => {
    expect(cfEnv({ CF_TRACE: '/tmp/cf-trace.log' })).toEqual({ CF_COLOR: 'false' });
  });

  it('is what the cf adapters run every command with, beside the environment they are given', async () => {
    vi.stubEnv('CF_TRACE', 'true');
    const runner = recording();
    await new CfCli(runner, { redactor: new Redactor(), env: { CF_HOME: '/tmp/cf-home' } }).version();
    await new CfApi(runner, { redactor: new Redactor(), curlFail: true }).hasV3();
    expect(runner.ran.map((s) => s.env)).toEqual([
      { CF_COLOR: 'false', CF_TRACE: 'false', CF_HOME: '/tmp/cf-home' },
      { CF_COLOR: 'false', CF_TRACE: 'false' },
    ]);
  });
});
