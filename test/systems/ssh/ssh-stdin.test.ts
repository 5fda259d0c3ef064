/**
 * Binary standard input over the SSH cell seam, against a real OpenSSH server: a pg_dump file is
 * streamed into `docker exec -i … pg_restore` this way, so every byte must arrive as it left,
 * behind the text a remote shell reads first (exported variables, a password line).
 */
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Readable } from 'node:stream';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSshCellAccess } from '../../../src/systems/ssh/index.js';
import { fileStdin, prependStdin } from '../../../src/core/stdin.js';
import type { CellSession } from '../../../src/core/seams.js';
import { sshdAvailable, startSshd, type Sshd } from '../../support/sshd.js';
import { ifStarted } from '../../support/started.js';
import { Redactor } from '../../../src/core/redact.js';

/** 1.5 MiB holding every byte value, in an order that is not a repeat of one block. */
function everyByte(): Buffer {
  const b = Buffer.alloc(1536 * 1024 + 7);
  for (let i = 0; i < b.length; i++) b[i] = (i * 7 + (i >> 8) * 13) & 0xff;
  return b;
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe.skipIf(!sshdAvailable)('binary stdin over ssh (real sshd)', () => {
  let cell: Sshd;
  let work: string;
  let session: CellSession;
  const data = everyByte();

  beforeAll(async () => {
    cell = await startSshd({ user: 'dingocell' });
    work = mkdtempSync(join(tmpdir(), 'dingo-ssh-stdin-'));
    // The cell's user writes here: writable by all, sticky as /tmp is, so the ssh config in it is still only ours.
    chmodSync(work, 0o1777);
    const config = join(work, 'config');
    writeFileSync(config, `Host cell\n  HostName 127.0.0.1\n  Port ${cell.port}\n`);
    session = await createSshCellAccess({
      redactor: new Redactor(),
      user: cell.user,
      identityFile: cell.clientKeyFile,
      sshConfigFile: config,
      knownHostsFile: join(work, 'none_known_hosts'),
      pinnedFingerprints: { cell: cell.hostKeyFingerprint },
      home: work,
      agent: '',
    }).open('cell');
  });
  afterAll(async () => {
    await ifStarted(session)?.close();
    await ifStarted(cell)?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('the test data holds every byte value and is over 1 MiB', () => {
    expect(new Set(data).size).toBe(256);
    expect(data.length).toBeGreaterThan(1024 * 1024);
  });

  it('streams a file byte-exact behind a password line and exported variables', async () => {
    const file = join(work, 'dump.bin');
    writeFileSync(file, data);
    const out = join(work, 'received-stream.bin');
    const r = await session.run({
      // What a load does: the first line is a password the shell reads, the rest is the dump.
      argv: ['sh', '-c', 'IFS= read -r pw; printf "%s|%s" "$pw" "$DINGO_X" >&2; exec cat > "$1"', 'sh', out],
      env: { DINGO_X: 'exported' },
      stdin: prependStdin('s3cr3t\n', fileStdin(file)),
      writes: true,
    });
    expect(r).toMatchObject({ exitCode: 0, stderr: 's3cr3t|exported' });
    const received = readFileSync(out);
    expect(received.length).toBe(data.length);
    expect(sha256(received)).toBe(sha256(data));
    expect(received.equals(data)).toBe(true);
  });

  it('writes a Buffer byte-exact', async () => {
    const r = await session.run({ argv: ['sha256sum'], stdin: data, writes: false });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split(' ')[0]).toBe(sha256(data));
  });

  it('a command that exits without reading its input ends, and the stream behind it is closed', async () => {
    const stream = prependStdin('pw\n', fileStdin(join(work, 'dump.bin'))) as Readable;
    const r = await session.run({ argv: ['sh', '-c', 'exit 3'], stdin: stream, writes: true });
    expect(r.exitCode).toBe(3);
    expect(stream.destroyed).toBe(true);
  });

  it('a stream that fails while being read fails the command, saying the input was cut', async () => {
    const missing = prependStdin('pw\n', fileStdin(join(work, 'no-such-dump')));
    await expect(session.run({ argv: ['cat'], stdin: missing, writes: true })).rejects.toThrow(/reading the input .* failed: ENOENT/);
  });
});
