/**
 * A runtime of a test's own: an empty environment, a redactor no other test shares, a fixed operator,
 * and a process control that hears no signal and throws where the process would end.
 */
import { tmpdir } from 'node:os';
import { Redactor } from '../../src/core/redact.js';
import type { Runtime } from '../../src/core/runtime.js';

export function testRuntime(o: Partial<Runtime> = {}): Runtime {
  return {
    clock: { now: () => new Date() },
    env: {},
    redactor: new Redactor(),
    operator: { user: 'tester', host: 'test-host' },
    scratch: tmpdir(),
    process: {
      onStop: () => () => undefined,
      onCrash: () => () => undefined,
      exit: (code: number) => {
        throw new Error(`the run would end the process with exit ${String(code)}`);
      },
    },
    ...o,
  };
}
