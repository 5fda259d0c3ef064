/**
 * The one shell line `bosh ssh` runs on the cell for a command, and how the command's own result is
 * read back out of what bosh answers.
 *
 * Neither CLI feeds a non-interactive command its standard input, so input travels as files
 * copied first (`bosh scp`, 0600; a large one in pieces, bosh-ssh-stage.ts), read in order through
 * `sudo -n` (each `bosh ssh` logs in as a new temporary user) and removed as they are read: it
 * never passes through a terminal, which would echo it and take its ^C, ^D and carriage returns as
 * keys. A deadline is the cell's `timeout`, so the command ends and bosh still removes its
 * temporary user.
 *
 * What comes back is never the command's streams as it wrote them. v2 (bosh-cli, 2.0.1 to today)
 * always runs `ssh -tt` for `bosh ssh` (bosh-cli ssh/provider.go: `SessionImplOpts{ForceTTY:
 * true}`, ssh/session.go and ssh/ssh_args.go: `-tt`), so the cell's terminal folds the command's
 * error into its output, ends each line in CRLF (ONLCR) and leaves a carriage return of the
 * command's own as it is; the results table's `Stdout` is that, its `Stderr` the ssh client's own
 * lines (`Connection to … closed.`). v1 prints the command's output and error mixed, among its own
 * lines, and loses the exit code. So every era runs the command with its streams in files and
 * prints them base64-encoded after markers no tenant's output can forge (a random marker; what
 * the command wrote is encoded), with its exit code: what a login shell or the terminal adds
 * before or around the frame is no part of it, and a frame that is not whole is never taken for
 * a result. An output read as it comes (v2 without its results table: bosh-ssh-stream.ts) is
 * base64-encoded as the command writes it, after the marker's first line, and its error and exit
 * code follow it, framed the same way.
 */
import { StepFailed } from '../../core/errors.js';
import { printableJson } from '../../core/display.js';
import type { Redactor } from '../../core/redact.js';
import { shellQuoteAll } from '../../core/shell-quote.js';
import { boshFailureText, parseJsonUi } from '../../adapters/bosh-parse.js';
import type { CommandResult } from '../../core/seams.js';
import { TIMEOUT_EXIT, limitedCommand } from '../../adapters/shell.js';

export interface RemoteLine {
  /** The command as the remote shell reads it (argv quoted). */
  command: string;
  /** The files on the cell that hold its standard input, read in order and removed once read. */
  inputFiles?: string[];
  timeoutMs?: number;
  /** The random marker the frame's lines start with. */
  marker: string;
  /** The standard output base64-encoded as it comes, before the marker's frame of the error and the exit code. */
  streamed?: boolean;
}

export function remoteLine(r: RemoteLine): string {
  const limited = limitedCommand(r.command, r.timeoutMs);
  const files = r.inputFiles ?? [];
  const input = files.length > 0 ? `sudo -n sh -c 'cat -- "$@"; rm -f -- "$@"' sh ${shellQuoteAll(files)} | ` : '';
  const stdin = files.length > 0 ? '' : ' </dev/null';
  const m = r.marker;
  // The frame starts on a line of its own, whatever a login shell printed before it without a newline.
  if (r.streamed) {
    return [
      'e=$(mktemp) && c=$(mktemp) || exit 1',
      `echo; echo '${m} out'`,
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

/** What the ssh session answered: the text the frame is in, the ssh client's own error, and ssh's exit code when bosh gives it. */
export interface SshAnswer {
  stdout: string;
  stderr: string;
  exitCode: number | null;
}

/** v2's `--results --json` row of the instance: ssh's output, its error and exit code; null when bosh printed no results table. */
export function resultsRow(bosh: CommandResult): SshAnswer | null {
  let doc;
  try {
    doc = parseJsonUi(bosh.stdout);
  } catch {
    return null;
  }
  const row = doc.tables.find((t) => t.content === 'results')?.rows[0];
  if (!row) return null;
  return { stdout: row.stdout ?? '', stderr: row.stderr ?? '', exitCode: /^\d+$/.test(row.exit_code ?? '') ? Number(row.exit_code) : null };
}

/** The frame read out of an answer: the command's result, none (no frame began), or why the frame that began is not whole. */
export type Unframed = { result: CommandResult } | { missing: true } | { torn: string; line?: string };

/** A line of `base64`'s output: its alphabet, whole groups of four. */
export function isBase64Line(s: string): boolean {
  return s.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(s);
}

/**
 * The command's result from the frame in `text`. Lines are split at newlines and lose the carriage
 * returns that end them (the terminal's CRLF; the frame's own lines have none); lines before the
 * frame are a login shell's or bosh's, never read.
 */
export function unframe(text: string, marker: string, started: number): Unframed {
  const lines = text.split('\n').map((l) => l.replace(/\r+$/, ''));
  const out = lines.indexOf(`${marker} out`);
  if (out < 0) return { missing: true };
  const parts: string[][] = [[], []];
  let part = 0;
  for (let i = out + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (part === 0 && line === `${marker} err`) {
      part = 1;
      continue;
    }
    if (part === 1 && line.startsWith(`${marker} exit `)) {
      const code = line.slice(`${marker} exit `.length);
      if (!/^\d+$/.test(code)) return { torn: 'its exit code is not a number', line };
      const decode = (p: string[]) => Buffer.from(p.join(''), 'base64').toString('utf8');
      return { result: result(decode(parts[0]!), decode(parts[1]!), Number(code), started) };
    }
    if (!isBase64Line(line)) return { torn: `line ${i - out} of the frame is not base64`, line };
    parts[part]!.push(line);
  }
  return { torn: part === 0 ? 'it ended before the error' : 'it ended before the exit code' };
}

/** The first and last of a long text, escaped for the screen: what the cell answered, shown as it is. */
export function rawExcerpt(text: string, keep = 600): string {
  const shown = text.length > 2 * keep ? `${text.slice(0, keep)}…(${text.length - 2 * keep} characters)…${text.slice(-keep)}` : text;
  return printableJson(shown);
}

/** The session answered, but not with a whole frame: what came is shown, escaped, with what to check. */
export function unexpectedAnswer(where: string, why: string, raw: string, writes: boolean, redactor: Redactor): StepFailed {
  // Redacted before it is escaped: an escape would hide a secret from the redactor.
  const shown = rawExcerpt(redactor.redact(raw));
  return new StepFailed(
    `\`bosh ssh\` to ${where} answered in an unexpected shape (${redactor.redact(why)})${writes ? '; the outcome of the command is unknown' : ''}: ${shown}`,
    {
      hint: `the command's output, error and exit code come back base64-encoded between dingo-recover markers. Check by hand that \`bosh ssh\` to the cell prints no more than a command's output (\`bosh -d DEPLOYMENT ssh INSTANCE -c 'echo ok; echo ok | base64'\`; a login script that writes, a shell other than sh or bash) and that mktemp, base64 and rm are on the cell's PATH, then resume${writes ? ': the step checks whether the command took effect' : ''}`,
    },
  );
}

/**
 * What OpenSSH exits with when it fails itself, and how its own errors read. A server that drops the
 * connection before its banner is `kex_exchange_identification: …` from OpenSSH 8.0 on, and
 * `ssh_exchange_identification: read: Connection reset by peer` or `…: Connection closed by remote host`
 * before it (sshconnect.c `ssh_exchange_identification`), the client of the era's jumpboxes.
 */
export const SSH_FAILED = 255;
export const SSH_CLIENT_ERROR =
  /^(ssh: |kex_exchange_identification|ssh_exchange_identification|Connection (closed|reset|timed out|refused)|Permission denied \(|Host key verification failed|client_loop: )/m;

/** bosh's ssh did not reach the cell (or lost it): whether a write ran is unknown. */
export function sshUnreached(where: string, redactor: Redactor, writes: boolean, stderr: string): StepFailed {
  const said = redactor.redact(stderr.trim().split('\n').at(-1) ?? '');
  return new StepFailed(`\`bosh ssh\` could not reach ${where}${writes ? '; the outcome of the command is unknown' : ''}: ${said}`, {
    hint: writes
      ? 'resume the run once `bosh ssh` reaches the cell by hand: the step checks whether the command took effect'
      : 'check the gateway (--gateway, --ssh-key) and that `bosh ssh` reaches the cell by hand, then resume',
  });
}

/** bosh ran past the command's deadline and its own setup's, and was killed: whether a write ran is unknown. */
export function boshSshKilled(where: string, writes: boolean): StepFailed {
  return new StepFailed(`\`bosh ssh\` to ${where} did not end and was killed; the outcome of the command is unknown`, {
    hint: writes
      ? 'resume the run: the step checks whether the command took effect. The temporary bosh_ user may stay on the cell: `bosh cleanup ssh` (v1) removes it'
      : 'check the director and the gateway, then resume',
  });
}

/** bosh itself failed (no such instance, not logged in, the session could not be set up). */
export function boshSshFailed(what: string, where: string, bosh: CommandResult, redactor: Redactor): StepFailed {
  const why = redactor.redact(boshFailureText(bosh) || `exit ${bosh.exitCode}, no output`);
  return new StepFailed(`${what} on ${where} failed: ${why}`, { hint: boshSshHint(why) });
}

/**
 * The director's task that makes the session's user, when it failed: bosh-cli wraps its failure in
 * "Setting up SSH in deployment" (director/ssh.go) around "Expected task 'N' to succeed"
 * (director/task_client_request.go), the Ruby CLI says "Failed to set up SSH: see task N" (ssh.rb).
 * No ssh session began, so nothing ran on the cell.
 */
function failedSetupTask(why: string): string | undefined {
  return (/Setting up SSH in deployment[\s\S]*?Expected task '(\d+)'/.exec(why) ?? /Failed to set up SSH: see task (\d+)/.exec(why))?.[1];
}

/** The director refused the session (its setup task failed, or the instance is gone): no ssh of any kind reaches the cell then. */
export function directorRefused(bosh: CommandResult): boolean {
  const why = boshFailureText(bosh);
  return failedSetupTask(why) !== undefined || INSTANCE_GONE.test(why);
}

const INSTANCE_GONE = /doesn't exist|not found|unknown instance|No instances matched/i;

function boshSshHint(why: string): string {
  const task = failedSetupTask(why);
  // The director's RpcTimeout (agent_client.rb): "…sending 'ssh' to instance: '…'" today, "…sending `ssh' to AGENT-ID" in v1's era.
  if (task && /Timed out sending [`']\w+' to /.test(why))
    return "the cell's BOSH agent did not answer the director, so nothing ran on the cell: `bosh vms` shows its state (unresponsive agent); resume once `bosh ssh` reaches the cell by hand";
  // An instance gone since the cell was found: v2 names the instance group, v1's director "No instances matched" (InstanceNotFound).
  if (INSTANCE_GONE.test(why)) return 'the cell may have been recreated: check `bosh vms` for its IP and resume';
  if (task)
    return `the director's task ${task}, which makes the session's user, failed, so nothing ran on the cell: \`bosh task ${task} --debug\` says why; resume once \`bosh ssh\` reaches the cell by hand`;
  return 'check that `bosh ssh` reaches the cell by hand (login, gateway flags: --gateway, --ssh-key), then resume';
}
