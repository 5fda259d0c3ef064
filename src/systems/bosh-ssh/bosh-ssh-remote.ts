/**
 * The one shell line `bosh ssh` runs on the cell for a command, and what its output says.
 *
 * Neither CLI feeds a non-interactive command its standard input, so input travels as a file
 * copied first (`bosh scp`, 0600), read through `sudo -n` (each `bosh ssh` logs in as a new
 * temporary user) and removed as it is read. A deadline is the cell's `timeout`, so the command
 * ends and bosh still removes its temporary user. v2 answers a results table with each stream
 * and the exit code. v1 prints the command's output and error mixed and loses its exit code,
 * so there the command's streams go to files and come back base64-framed after a marker no
 * tenant's output can forge, with the exit code. An output read as it comes (v2, without its
 * results table: bosh-ssh-stream.ts) is base64-encoded as the command writes it, and its error
 * and exit code follow it, framed by such a marker.
 */
import { StepFailed } from '../../core/errors.js';
import type { Redactor } from '../../core/redact.js';
import { shellQuote, shellQuoteAll } from '../../core/shell-quote.js';
import { boshFailureText, parseJsonUi } from '../../adapters/bosh-parse.js';
import type { CommandResult } from '../../core/seams.js';

/** What `timeout` exits with when the deadline ends the command. */
const TIMEOUT_EXIT = 124;

export interface RemoteLine {
  /** The command as the remote shell reads it (argv quoted). */
  command: string;
  /** A file on the cell holding its standard input, removed once read. */
  inputFile?: string;
  timeoutMs?: number;
  /** v1, or an output read as it comes: frame the streams and the exit code after this marker. */
  marker?: string;
  /** The standard output base64-encoded as it comes, before the marker's frame of the error and the exit code. */
  streamed?: boolean;
}

export function remoteLine(r: RemoteLine): string {
  const limited =
    r.timeoutMs === undefined
      ? r.command
      : shellQuoteAll(['timeout', String(Math.max(1, Math.ceil(r.timeoutMs / 1000))), 'sh', '-c', r.command]);
  const input = r.inputFile ? `sudo -n sh -c 'cat -- "$1"; rm -f -- "$1"' sh ${shellQuote(r.inputFile)} | ` : '';
  const stdin = r.inputFile ? '' : ' </dev/null';
  if (!r.marker) return `${input}${limited}${stdin}`;
  const m = r.marker;
  if (r.streamed) {
    return [
      'e=$(mktemp) && c=$(mktemp) || exit 1',
      `{ ${input}${limited}${stdin} 2>"$e"; echo $? >"$c"; } | base64`,
      `echo '${m} err'; base64 "$e"; echo "${m} exit $(cat "$c")"`,
      'rm -f -- "$e" "$c"',
    ].join('; ');
  }
  return [
    'o=$(mktemp) && e=$(mktemp) || exit 1',
    `${input}${limited}${stdin} >"$o" 2>"$e"`,
    'c=$?',
    `echo; echo '${m} out'; base64 "$o"; echo '${m} err'; base64 "$e"; echo "${m} exit $c"`,
    'rm -f -- "$o" "$e"',
  ].join('; ');
}

export function result(stdout: string, stderr: string, exitCode: number, started: number): CommandResult {
  return { exitCode, stdout, stderr, durationMs: Date.now() - started, ...(exitCode === TIMEOUT_EXIT ? { timedOut: true } : {}) };
}

/** The command's own result from v2's `--results --json`; null when bosh printed no results table. */
export function v2Result(bosh: CommandResult, started: number): CommandResult | null {
  let doc;
  try {
    doc = parseJsonUi(bosh.stdout);
  } catch {
    return null;
  }
  const row = doc.tables.find((t) => t.content === 'results')?.rows[0];
  if (!row || !/^\d+$/.test(row.exit_code ?? '')) return null;
  return result(row.stdout ?? '', row.stderr ?? '', Number(row.exit_code), started);
}

/** The command's own result from v1's framed output; null when the frame is missing or torn. */
export function v1Result(bosh: CommandResult, marker: string, started: number): CommandResult | null {
  const lines = bosh.stdout.split(/\r?\n/);
  const at = (what: string) => lines.indexOf(`${marker} ${what}`);
  const out = at('out');
  const err = at('err');
  const exit = lines.findIndex((l) => l.startsWith(`${marker} exit `));
  if (out < 0 || err < out || exit < err) return null;
  const code = /^\d+$/.exec(lines[exit]!.slice(`${marker} exit `.length).trim());
  if (!code) return null;
  const decode = (from: number, to: number) => Buffer.from(lines.slice(from + 1, to).join(''), 'base64').toString('utf8');
  return result(decode(out, err), decode(err, exit), Number(code[0]), started);
}

/** bosh itself failed (no such instance, not logged in, the session could not be set up). */
export function boshSshFailed(what: string, where: string, bosh: CommandResult, redactor: Redactor): StepFailed {
  const why = redactor.redact(boshFailureText(bosh) || `exit ${bosh.exitCode}, no output`);
  return new StepFailed(`${what} on ${where} failed: ${why}`, {
    hint: /doesn't exist|not found|unknown instance/i.test(why)
      ? 'the cell may have been recreated: check `bosh vms` for its IP and resume'
      : 'check that `bosh ssh` reaches the cell by hand (login, gateway flags: --gateway, --ssh-key), then resume',
  });
}
