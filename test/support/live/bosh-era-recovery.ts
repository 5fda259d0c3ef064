/**
 * `dingo-recover recover --ssh-via bosh`, live, for one era of the bosh CLI: every cell command
 * (docker stop, inspect, the data flush, the etcd reset, the psql checks with their passwords on
 * standard input) goes through the bosh double's `bosh ssh` (`bosh scp` for the input), which
 * runs it with OpenSSH through the jumpbox sshd to the cell sshd (test/support/live/), v2's under
 * the terminal bosh-cli forces, and the whole recovery ends as a direct one does. Each era is a test
 * file of its own (test/commands/recover/live-bosh-ssh-*.test.ts): a session waits for the director's
 * tasks as the era's CLI does (test/support/fake-cli/bosh-session.ts), so a recovery is minutes of
 * waiting, which files in workers of their own spend side by side.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DONE_DRILLED_ON_CELL, runCli } from '../cli.js';
import { sshdAvailable } from '../sshd.js';
import { etcdAvailable } from '../etcd.js';
import { cliCalls, GATEWAY, ndjson, viaBosh, withBoshSsh } from './bosh-ssh-case.js';
import { prepareCase } from './platform.js';
import { assertNoSecrets, assertRecovered, doneTranscript } from './recovered.js';
import { ONE_RUN_MS } from './shared.js';
import { useCaseRun, useLiveServers } from './hooks.js';

/** How v2 names the cell's instance on its command line: the deployment, then INSTANCE-GROUP/ID. */
export const V2_SSH_ARGS = [
  '-d',
  'dingo-postgresql-98b09c4b36af74181ee1',
  'ssh',
  expect.stringMatching(/^cell_z1-partition-cac94a070a81fd8f3931\/[0-9a-f-]{36}$/),
] as const;

/** The recovery through bosh `version`'s ssh (ERA names it), whose ssh invocations start with `sshArgs`. */
export function boshEraRecovery(era: string, version: string, sshArgs: readonly unknown[]): void {
  describe.skipIf(!sshdAvailable || !etcdAvailable)('dingo-recover recover --ssh-via bosh, live, through the bosh double', () => {
    const live = useLiveServers();

    describe(`bosh ${era}`, () => {
      const once = useCaseRun(
        async () => withBoshSsh(live.servers, await prepareCase(live.servers, `bosh-${version}`), version),
        (c) =>
          runCli(['recover', ...viaBosh(live.servers, c.liveArgs), '--state-dir', c.stateDir], { env: c.env, timeoutMs: 2 * ONE_RUN_MS }),
        // Each cell command is a bosh invocation and an ssh through the jumpbox.
        2 * ONE_RUN_MS,
      );

      it('exits 0 and leaves every system recovered', async () => {
        expect(once.run.code, once.run.stdout + once.run.stderr).toBe(DONE_DRILLED_ON_CELL);
        await assertRecovered(live.servers, once.c);
      });

      it("runs every cell command through the era's bosh ssh, with the gateway flags, and each temporary user is cleaned up", () => {
        const calls = cliCalls(once.c);
        const ssh = calls.filter((a) => a.includes('ssh'));
        const v1 = version.startsWith('1.');
        // v1: a `bosh ssh` each command; v2: one whose connection the cell session's commands share.
        if (v1) expect(ssh.length).toBeGreaterThan(10);
        else expect(ssh).toHaveLength(1);
        const gw = v1
          ? [
              '--gateway_host',
              GATEWAY,
              '--gateway_user',
              live.servers.gateway.user,
              '--gateway_identity_file',
              live.servers.gateway.clientKeyFile,
            ]
          : ['--gw-host', GATEWAY, '--gw-user', live.servers.gateway.user, '--gw-private-key', live.servers.gateway.clientKeyFile];
        for (const a of ssh) {
          expect(a.slice(1, 1 + sshArgs.length)).toEqual(sshArgs);
          expect(a.slice(-gw.length)).toEqual(gw);
        }
        // The passwords of the psql checks went as copied input (v1) or on ssh's standard input (v2), never on a command line.
        const scps = calls.filter((a) => a.includes('scp')).length;
        if (v1) expect(scps).toBeGreaterThan(0);
        else {
          expect(scps).toBe(0);
          expect(ssh[0]).toEqual(expect.arrayContaining(['--opts=-N', '--opts=-oControlMaster=yes', '--json']));
          expect(ssh[0]).not.toContain('-c');
        }
        const sessions = ndjson(join(once.c.dir, 'bosh-sessions.ndjson'));
        const made = sessions.filter((x) => x.event === 'setup').map((x) => x.user);
        expect(made.length).toBeGreaterThanOrEqual(ssh.length);
        // v2: one temporary user for the whole recovery, however many commands the cell ran.
        if (!v1) expect(made).toHaveLength(1);
        expect(sessions.filter((x) => x.event === 'cleanup').map((x) => x.user)).toEqual(made);
      });

      it('journals the cell commands as run on the cell through bosh ssh', async () => {
        const t = await doneTranscript<{ steps: { id: string; commands: { where: string; argv: string[]; exitCode: number }[] }[] }>(
          once.c,
          once.runId,
        );
        const stop = t.steps.find((x) => x.id === 'stop-container')!.commands.find((x) => x.argv.includes('stop'));
        expect(stop).toMatchObject({
          exitCode: 0,
          where: expect.stringMatching(
            /^cell 10\.58\.111\.150 \(bosh ssh cell_z1-partition-cac94a070a81fd8f3931\/\S+ via dingo-jumpbox\)$/,
          ),
        });
      });

      it('writes no secret to the run folder or the output', () => {
        assertNoSecrets(once.c, once.runId, once.run.stdout + once.run.stderr);
        const argvs = readFileSync(once.c.env.FAKE_CLI_LOG!, 'utf8');
        for (const p of once.c.secrets.passwords) expect(argvs).not.toContain(p);
      });
    });
  });
}
