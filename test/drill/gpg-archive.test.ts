/**
 * An archive wal-e wrote with WALE_GPG_KEY_ID: a real PostgreSQL 15 archive whose WAL segments and
 * base backup partitions are lzop-compressed, then encrypted by real gpg as wal-e does
 * (`gpg -e -z 0 -r KEY`), under the same `.lzo` names, the sentinels plain. The drill restores it
 * with the operator's keyring (GNUPGHOME) and names the object and what to do when the keyring
 * lacks the key.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRILL_EXIT } from '../../src/drill/exit-codes.js';
import { isOpenPgpMessage, plainStages } from '../../src/wale/encryption.js';
import { isLzop } from '../../src/wale/lzop.js';
import { captureDrill, drillArgs, setUpDrill, tearDownDrill, type DrillFixtures } from '../support/drill-fixtures.js';
import { archiveKeys, DRILL_TABLE } from '../support/wale-archive.js';

const BUCKET = 'gpg-archive-bucket';
const PREFIX = 'backups/gpg-archive/wal/';
const URL = `s3://${BUCKET}/${PREFIX}`;
const SECRET = 'gpg-archive-secret-P3k';
const RECIPIENT = 'dingo-archive@example.invalid';

let f: DrillFixtures;
/** The operator's keyring, holding the archive's key; and one that does not. */
let operator: string;
let stranger: string;
let encryptedKeys: string[];

const gpg = (home: string, args: string[], input?: Buffer): Buffer =>
  execFileSync('gpg', ['--homedir', home, '--batch', '--quiet', ...args], {
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
    maxBuffer: 256 * 1024 * 1024,
  });

beforeAll(async () => {
  f = await setUpDrill({
    scratch: 'drill-gpg-',
    bucket: BUCKET,
    archive: { rowsBefore: 200, rowsAfter: 150, partitions: 2 },
    env: { AWS_ACCESS_KEY_ID: 'AKIAGPGARCHIVE01', AWS_SECRET_ACCESS_KEY: SECRET },
  });
  operator = await mkdtemp(join(f.dir, 'gnupg-operator-'));
  stranger = await mkdtemp(join(f.dir, 'gnupg-stranger-'));
  for (const home of [operator, stranger]) chmodSync(home, 0o700);
  gpg(operator, ['--passphrase', '', '--quick-gen-key', `Dingo archive <${RECIPIENT}>`, 'future-default', 'default', 'never']);
  gpg(stranger, ['--passphrase', '', '--quick-gen-key', 'Someone else <else@example.invalid>', 'future-default', 'default', 'never']);
  encryptedKeys = [];
  const keys = await archiveKeys(f.archive.root);
  // Sentinels go last, as wal-e uploads them.
  for (const key of keys) {
    const plain = await readFile(join(f.archive.root, key));
    const encrypt = key.endsWith('.lzo');
    const body = encrypt ? gpg(operator, ['--trust-model', 'always', '-e', '-z', '0', '-r', RECIPIENT, '-o', '-'], plain) : plain;
    if (encrypt) encryptedKeys.push(key);
    await f.moto.store.put({ bucket: BUCKET, key: PREFIX + key }, body);
  }
}, 180_000);

afterAll(async () => {
  // gpg started an agent for each keyring: stopped before its folder goes.
  for (const home of [operator, stranger]) if (home) spawnSync('gpgconf', ['--homedir', home, '--kill', 'gpg-agent'], { stdio: 'ignore' });
  delete process.env.GNUPGHOME;
  await tearDownDrill(f);
  for (const home of [operator, stranger]) if (home) await rm(home, { recursive: true, force: true });
});

describe('an archive wal-e encrypted with GPG', () => {
  it('is what wal-e stores: its WAL and partitions are OpenPGP messages under .lzo names, told apart from lzop by their first bytes', async () => {
    expect(encryptedKeys.some((k) => k.includes('/tar_partitions/'))).toBe(true);
    expect(encryptedKeys.some((k) => k.startsWith('wal_005/'))).toBe(true);
    const stored = await f.moto.store.get({ bucket: BUCKET, key: PREFIX + encryptedKeys[0]! });
    expect(isLzop(stored)).toBe(false);
    expect(isOpenPgpMessage(stored)).toBe(true);
    expect(plainStages(stored).map((s) => s.argv[0])).toEqual(['gpg', 'lzop']);
    const lzop = await readFile(join(f.archive.root, encryptedKeys[0]!));
    expect(isOpenPgpMessage(lzop)).toBe(false);
    expect(plainStages(lzop).map((s) => s.argv[0])).toEqual(['lzop']);
    // A message encrypted with a passphrase (a symmetric session key packet) is one too; text is not.
    expect(isOpenPgpMessage(gpg(stranger, ['--passphrase', 'p', '--pinentry-mode', 'loopback', '-c', '-o', '-'], Buffer.from('x')))).toBe(
      true,
    );
    expect(isOpenPgpMessage(Buffer.from('{"wal_segment_backup_stop": ...}'))).toBe(false);
    expect(isOpenPgpMessage(Buffer.alloc(0))).toBe(false);
  });

  it("restores with the operator's keyring: the rows written before and after the base backup come back", async () => {
    process.env.GNUPGHOME = operator;
    const r = await captureDrill(drillArgs(URL, f.moto, { json: true, query: `select id from ${DRILL_TABLE}` }), SECRET);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const { report } = JSON.parse(r.stdout) as { report: { query: { rowCount: number } } };
    expect(report.query.rowCount).toBe(f.archive.rowsAfter);
  }, 180_000);

  it('without the key, stops as could-not-run naming the encrypted object, what gpg said and how to give the key', async () => {
    process.env.GNUPGHOME = stranger;
    const r = await captureDrill(drillArgs(URL, f.moto, { json: true }), SECRET);
    expect(r.code, r.stdout + r.stderr).toBe(DRILL_EXIT.couldNotRun);
    const out = JSON.parse(r.stdout) as { outcome: string; message: string; hint?: string };
    expect(out.outcome).toBe('could-not-run');
    expect(out.message).toMatch(
      new RegExp(
        `s3://${BUCKET}/${PREFIX}\\S+\\.lzo is encrypted with GPG and gpg could not decrypt it: .*(secret key|decryption failed)`,
        'i',
      ),
    );
    expect(JSON.stringify(out)).toContain('gpg --import');
  }, 180_000);
});
