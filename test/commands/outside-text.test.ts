/**
 * Text from outside (an S3 key, a server's message, a tenant's name) reaches the operator's
 * terminal with its control characters shown as escapes: an `ESC[8m` in it hides nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { printError } from '../../src/commands/print-error.js';
import { StepFailed } from '../../src/core/errors.js';
import { RAW_CONTROL } from '../support/control-chars.js';
import { runCli } from '../support/cli.js';
import { startStalledServer, type StalledServer } from '../support/stalled-server.js';

const servers: StalledServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
});

describe('outside text on the screen', () => {
  it("an error's message and hint are printed with their controls made visible", () => {
    let printed = '';
    const err = new StepFailed('the service \u001b[8mimportant-db\u001b[0m failed: \u009b2J server said \r\u202eno', {
      hint: 'check `cf service \u001b[8m`',
    });
    printError('recover', err, (t) => (printed += t));
    expect(printed).not.toMatch(RAW_CONTROL);
    expect(printed).toBe(
      'dingo-recover recover: the service \\x1b[8mimportant-db\\x1b[0m failed: \\x9b2J server said \\r\\u202eno\nwhat to do: check `cf service \\x1b[8m`\n',
    );
  });

  it('a command that stops on an S3 key holding an escape sequence shows it, not its effect', async () => {
    const server = await startStalledServer('silent');
    servers.push(server);
    const r = await runCli(
      [
        'archive',
        'inspect',
        's3://archive/backups/\u001b[8mhidden\u009b/wal/',
        '--s3-endpoint',
        server.url,
        '--s3-path-style',
        '--s3-timeout',
        '100ms',
      ],
      {
        env: { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'stalled-server-secret', AWS_REGION: 'us-east-1' },
      },
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).not.toMatch(RAW_CONTROL);
    expect(r.stderr).toContain('\\x1b[8mhidden\\x9b');
  });
});
