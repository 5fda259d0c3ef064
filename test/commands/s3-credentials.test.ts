/** With no AWS credentials anywhere, an S3 command says where they come from, and changes nothing. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

const home = mkdtempSync(join(tmpdir(), 'dr-nocreds-'));
afterAll(() => {
  rmSync(home, { recursive: true, force: true });
});

it('names the AWS credential chain when no credentials are found', async () => {
  const r = await runCli(
    [
      'archive',
      'inspect',
      's3://bucket/backups/6e101b27-ee1b-4f4d-a032-4401a3709ec3/wal/',
      '--s3-endpoint',
      'http://127.0.0.1:9',
      '--s3-path-style',
    ],
    {
      env: {
        HOME: home,
        AWS_ACCESS_KEY_ID: '',
        AWS_SECRET_ACCESS_KEY: '',
        AWS_SESSION_TOKEN: '',
        AWS_PROFILE: '',
        AWS_SHARED_CREDENTIALS_FILE: join(home, 'none'),
        AWS_CONFIG_FILE: join(home, 'none'),
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_CONTAINER_CREDENTIALS_FULL_URI: '',
        AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '',
      },
    },
  );
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('no AWS credentials were found for list on s3://bucket/backups/6e101b27-ee1b-4f4d-a032-4401a3709ec3/wal/');
  expect(r.stderr).toContain('S3 credentials come from the AWS credential chain: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
  // `archive inspect` is no run: there is nothing to resume, only the command to run again.
  expect(r.stderr).toContain('then try again');
  expect(r.stderr).not.toMatch(/resume/);
});
