/** Commands in messages: quoted as a shell reads them, redacted, and whole (messages are journaled). */
import { describe as group, expect, it } from 'vitest';
import { describe } from '../../src/adapters/shell.js';
import { Redactor } from '../../src/core/redact.js';

group('a command in a message', () => {
  it('keeps its last words however long the path of the program', () => {
    const docker = `/${'a-clone-at-a-long-path/'.repeat(8)}test/support/fake-cli/docker`;
    const container = 'cf-b2c3d4e5-0000-4000-8000-000000000001';
    const text = describe(
      {
        writes: false,
        argv: [docker, '--host', 'unix:///var/vcap/sys/run/docker/docker.sock', 'stop', '-t', '30', container],
      },
      new Redactor(),
    );
    expect(text.length).toBeGreaterThan(200);
    expect(text.endsWith(`stop -t 30 ${container}`)).toBe(true);
  });

  it('quotes what a shell would split, and redacts secrets', () => {
    const redactor = new Redactor();
    redactor.register('s3cr3t-value');
    expect(describe({ writes: false, argv: ['psql', '-c', "select 'x'", 'password=s3cr3t-value'] }, redactor)).toBe(
      `psql -c 'select '\\''x'\\''' password=[REDACTED]`,
    );
  });
});
