/**
 * The cell seam through `bosh ssh` given answers of shapes the frame does not explain, through a
 * runner that answers as bosh would (the rehearsal's bosh for the listing, the `ssh` answer made
 * here): a session that ended without a frame, a frame torn by a line that is no part of it, an
 * answer with a terminal's control sequences, and an etcd answer that is no HTTP response. Each
 * stops the step with the raw answer shown escaped and what to check, a write's outcome called
 * unknown; a frame whole inside a chatty answer is the command's result, exactly.
 */
import { describe, expect, it } from 'vitest';
import { StepFailed } from '../../../src/core/errors.js';
import { Redactor } from '../../../src/core/redact.js';
import type { CellSession, CommandResult, CommandRunner, CommandSpec } from '../../../src/core/seams.js';
import { renderJsonUi } from '../../../src/rehearsal/bosh-formats.js';
import { simulateBosh } from '../../../src/rehearsal/bosh-sim.js';
import { createBoshCellAccess } from '../../../src/systems/bosh-ssh/index.js';
import { BOSH_VERSIONS, boshWorld } from '../../support/fake-cli/worlds.js';
import { RAW_CONTROL } from '../../support/control-chars.js';
import { tempDirForAll } from '../../support/temp-dirs.js';

const CELL_IP = '10.58.111.150';
const scratch = tempDirForAll('dingo-bosh-answers-');

const b64 = (text: string): string => Buffer.from(text).toString('base64');

/** What the cell's terminal sends for `lines`: each ending in CRLF. */
const tty = (...lines: string[]): string => lines.map((l) => `${l}\r\n`).join('');

/** A frame as the remote line prints it, for the marker of the command line bosh was given. */
function frame(m: string, out: string, err: string, code: number): string[] {
  return ['', `${m} out`, ...(out ? [b64(out)] : []), `${m} err`, ...(err ? [b64(err)] : []), `${m} exit ${code}`];
}

/**
 * bosh at `version`: the rehearsal's answers for its version and listings, and for `ssh … -r
 * --json` a results table whose row is what `answer` makes of the frame's marker.
 */
function boshAnswering(version: string, answer: (marker: string) => { stdout: string; stderr?: string; exitCode: number }): CommandRunner {
  const world = boshWorld(version);
  return {
    where: 'local',
    run(spec: CommandSpec): Promise<CommandResult> {
      if (!spec.argv.includes('ssh')) return Promise.resolve(simulateBosh(world, spec));
      const command = spec.argv[spec.argv.indexOf('-c') + 1]!;
      const marker = /dingo-recover-[0-9a-f]{24}/.exec(command)![0];
      const row = answer(marker);
      const instance = spec.argv[spec.argv.indexOf('ssh') + 1]!;
      const table = {
        content: 'results',
        headers: ['Instance', 'Stdout', 'Stderr', 'Exit Code', 'Error'],
        rows: [[instance, row.stdout, row.stderr ?? 'Connection to 10.58.111.150 closed.\r\n', String(row.exitCode), '']],
      };
      const lines = ["Using environment '10.0.0.6' as client 'admin'", row.exitCode === 0 ? 'Succeeded' : 'Exit code 1'];
      return Promise.resolve({ ...renderJsonUi(version, [table], lines, row.exitCode === 0 ? 0 : 1), durationMs: 1 });
    },
  };
}

function open(runner: CommandRunner, redactor = new Redactor()): Promise<CellSession> {
  // The results table's answers: a session per command's.
  return createBoshCellAccess({ runner, redactor, gateway: {}, scratch, share: false }).open(CELL_IP);
}

/** The step's refusal `p` ends in. */
async function refusal(p: Promise<unknown>): Promise<StepFailed> {
  const err: unknown = await p.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(StepFailed);
  return err as StepFailed;
}

describe.each([
  ['bosh-cli 2.0.1 (array rows)', BOSH_VERSIONS.v2old],
  ['a current bosh-cli (keyed rows)', BOSH_VERSIONS.v2],
])('bosh ssh answers through %s', (_, version) => {
  it('takes the frame out of a login shell’s chatter and the terminal’s CRLF, exactly', async () => {
    const out = 'a\r\nb\rc\n\u0001 é';
    const session = await open(
      boshAnswering(version, (m) => ({ stdout: `Last login: today\r\nno newline${tty(...frame(m, out, 'oops\n', 7))}`, exitCode: 0 })),
    );
    expect(await session.run({ argv: ['true'], writes: false })).toMatchObject({ stdout: out, stderr: 'oops\n', exitCode: 7 });
  });

  it('stops on a session whose shell answered without a frame, showing the answer escaped and what to check', async () => {
    const session = await open(boshAnswering(version, () => ({ stdout: 'This account is currently not available.\r\n', exitCode: 1 })));
    const err = await refusal(session.run({ argv: ['docker', 'stop', 'x'], writes: true }));
    expect(err.message).toBe(
      `\`bosh ssh\` to ${session.where} answered in an unexpected shape (no frame came); the outcome of the command is unknown: "This account is currently not available.\\r\\n"`,
    );
    expect(err.hint).toMatch(
      /^the command's output, error and exit code come back base64-encoded .*mktemp, base64 and rm .* then resume: the step checks whether the command took effect$/,
    );
  });

  it('stops on a torn frame, naming the line that tore it, escaped, and shows the terminal’s control sequences as escapes', async () => {
    const session = await open(
      boshAnswering(version, (m) => {
        const lines = frame(m, 'x'.repeat(200), '', 0);
        lines.splice(3, 0, '\u001b]0;pwned\u0007\u001b[2Jnot base64');
        return { stdout: tty(...lines), exitCode: 0 };
      }),
    );
    const err = await refusal(session.run({ argv: ['true'], writes: false }));
    expect(err.message).toMatch(
      /answered in an unexpected shape \(line 2 of the frame is not base64: "\\u001b\]0;pwned\\u0007\\u001b\[2Jnot base64"\): "/,
    );
    expect(err.message).not.toMatch(RAW_CONTROL);
    expect(err.message).not.toContain('outcome of the command is unknown');
  });

  it('takes a frame without its exit code, or with one that is not a number, as torn', async () => {
    for (const cut of [(l: string[]) => l.slice(0, -1), (l: string[]) => [...l.slice(0, -1), `${l.at(-1)!.replace(/\d+$/, '')}x`]]) {
      const session = await open(boshAnswering(version, (m) => ({ stdout: tty(...cut(frame(m, 'abc', '', 0))), exitCode: 0 })));
      const err = await refusal(session.run({ argv: ['true'], writes: false }));
      expect(err.message).toMatch(/unexpected shape \((it ended before the exit code|its exit code is not a number: ".*")\)/);
    }
  });

  it('keeps a secret the answer holds out of the message', async () => {
    const redactor = new Redactor();
    redactor.register('s3cr3t"pw');
    const session = await open(
      boshAnswering(version, () => ({ stdout: 'password=s3cr3t"pw\r\n', exitCode: 1 })),
      redactor,
    );
    const err = await refusal(session.run({ argv: ['true'], writes: false }));
    expect(err.message).not.toContain('s3cr3t');
    expect(err.message).toContain('password=');
  });

  it('says the cell could not be reached when ssh itself failed, not that it answered oddly', async () => {
    const session = await open(
      boshAnswering(version, () => ({
        stdout: '',
        stderr: 'ssh: connect to host 10.58.111.150 port 22: Connection refused\r\n',
        exitCode: 255,
      })),
    );
    const err = await refusal(session.run({ argv: ['true'], writes: false }));
    expect(err.message).toMatch(/^`bosh ssh` could not reach cell 10\.58\.111\.150 .*: ssh: connect to host/);
  });

  // OpenSSH before 8.0 (sshconnect.c, renamed kex_exchange_identification in 8.0): the client of the era's jumpboxes.
  for (const said of [
    'ssh_exchange_identification: read: Connection reset by peer',
    'ssh_exchange_identification: Connection closed by remote host',
  ])
    it(`says the cell could not be reached when an OpenSSH before 8.0 said "${said}"`, async () => {
      const session = await open(boshAnswering(version, () => ({ stdout: '', stderr: `${said}\r\n`, exitCode: 255 })));
      const err = await refusal(session.run({ argv: ['true'], writes: true }));
      expect(err.message).toMatch(
        /^`bosh ssh` could not reach cell 10\.58\.111\.150 .*; the outcome of the command is unknown: ssh_exchange_identification: /,
      );
    });

  it('stops an etcd read whose answer from the cell is no HTTP response, showing it escaped', async () => {
    const session = await open(
      boshAnswering(version, (m) => ({ stdout: tty(...frame(m, 'SSH-2.0-OpenSSH_9.6\r\n', '', 0)), exitCode: 0 })),
    );
    const etcd = await session.etcd('10.58.111.149:4001');
    const err = await refusal(etcd.get('/service/x/leader'));
    expect(err.message).toContain(
      'the answer from 10.58.111.149:4001, read on the cell, is not an HTTP response: "SSH-2.0-OpenSSH_9.6\\r\\n"',
    );
    expect(err.hint).toMatch(/ETCD_HOST_PORT/);
  });
});
