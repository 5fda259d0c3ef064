/**
 * A scenario's S3 object may keep its body in a file of the scenario (an archive that really
 * restores: lzop-compressed, binary). The file is named relative to the scenario's folder; the
 * simulated store answers its bytes exactly, and a copy answers the same; so does an object a
 * rehearsal writes, text or not.
 */
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadScenario } from '../../src/rehearsal/scenario.js';
import { MemoryStore } from '../../src/rehearsal/memory-store.js';
import { ROOT } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'body-file-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('an S3 object whose body is a file of the scenario', () => {
  it('answers its bytes, not zeros, and a copy answers them too', async () => {
    const scenario = join(dir, 'scenario');
    cpSync(join(ROOT, 'fixtures/seed-003'), scenario, { recursive: true });
    const bytes = Buffer.from([0x89, 0x4c, 0x5a, 0x4f, 0x00, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0xfe]);
    mkdirSync(join(scenario, 's3'), { recursive: true });
    writeFileSync(join(scenario, 's3', 'part.tar.lzo'), bytes);
    const file = join(scenario, 'scenario.yaml');
    const doc = parse(readFileSync(file, 'utf8')) as { world: { s3: Record<string, Record<string, object>> } };
    doc.world.s3['our-postgresql-backups']!['backups/x/wal/part.tar.lzo'] = {
      size: bytes.length,
      etag: 'e',
      lastModified: '2016-03-17T02:11:50.000Z',
      bodyFile: 's3/part.tar.lzo',
    };
    writeFileSync(file, stringify(doc));
    const store = new MemoryStore(
      loadScenario(scenario).initial.s3,
      () => {},
      () => new Date('2016-03-18T00:00:00Z'),
    );
    const ref = { bucket: 'our-postgresql-backups', key: 'backups/x/wal/part.tar.lzo' };
    expect((await store.get(ref)).equals(bytes)).toBe(true);
    await store.copy(ref, { ...ref, key: 'backups/y/wal/part.tar.lzo' });
    expect((await store.get({ ...ref, key: 'backups/y/wal/part.tar.lzo' })).equals(bytes)).toBe(true);
  });
});

describe('an S3 object a rehearsal writes', () => {
  it('answers the bytes written, text or not, as the scenario kept them', async () => {
    const store = new MemoryStore(
      { b: {} },
      () => {},
      () => new Date('2016-03-18T00:00:00Z'),
    );
    const bytes = Buffer.from([0x89, 0x4c, 0x5a, 0x4f, 0x00, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0xfe]);
    await store.put({ bucket: 'b', key: 'label.lzo' }, bytes);
    await store.put({ bucket: 'b', key: 'sentinel.json' }, '{"a":"é"}');
    expect((await store.get({ bucket: 'b', key: 'label.lzo' })).equals(bytes)).toBe(true);
    expect((await store.get({ bucket: 'b', key: 'sentinel.json' })).toString('utf8')).toBe('{"a":"é"}');
  });
});

describe('a body file the scenario does not hold', () => {
  it('is refused when named outside its folder, or when another user may write it', () => {
    const scenario = join(dir, 'outside');
    cpSync(join(ROOT, 'fixtures/seed-003'), scenario, { recursive: true });
    const file = join(scenario, 'scenario.yaml');
    const doc = parse(readFileSync(file, 'utf8')) as { world: { s3: Record<string, Record<string, object>> } };
    const object = { size: 10, etag: 'e', lastModified: '2016-03-17T02:11:50.000Z' };
    doc.world.s3['our-postgresql-backups']!['backups/x/wal/sysids/sysid'] = { ...object, bodyFile: '../../../etc/shadow' };
    writeFileSync(file, stringify(doc));
    expect(() => loadScenario(scenario)).toThrow(`the body file "../../../etc/shadow" is outside the scenario's folder`);

    mkdirSync(join(scenario, 's3'), { recursive: true });
    writeFileSync(join(scenario, 's3', 'sysid'), '6264379237016444011');
    chmodSync(join(scenario, 's3', 'sysid'), 0o666);
    doc.world.s3['our-postgresql-backups']!['backups/x/wal/sysids/sysid'] = { ...object, bodyFile: 's3/sysid' };
    writeFileSync(file, stringify(doc));
    expect(() => loadScenario(scenario)).toThrow(`refusing the scenario file ${join(scenario, 's3', 'sysid')}: it may be written`);
  });
});
