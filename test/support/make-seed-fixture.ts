/**
 * Writes the bytes of the deleted instance's archive into fixtures/seed-003 (the bundled
 * rehearsal): the objects live/shared.ts's `oldArchive` makes for the seed instance (wal-e's layout
 * on a 9.5 cell, each WAL segment a whole 16 MiB one, lzop'd), each as a file under s3/, and in
 * scenario.yaml each object's size and ETag (the MD5 of its bytes, as S3 gives a single-part
 * upload) and its `bodyFile`. The objects' times stay the scenario's; its other lines are left as
 * they are. The same bytes come out on every run (old-archive.ts fixes what lzop and tar store):
 *
 *   npx tsx test/support/make-seed-fixture.ts fixtures/seed-003
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { archivePrefix, OLD_GUID, OLD_SYSID, oldArchive } from './live/shared.js';

/** The scenario's line for one object: its key's line, then its flow mapping (`{ size: …, etag: …, lastModified: "…", … }`). */
const OBJECT = /^( +)(\S+):\n( +)\{ size: \d+, etag: [0-9a-f]+, lastModified: ("[^"]+")(?:, (?:body|bodyFile): .*)? \}$/gm;

async function main(target: string): Promise<void> {
  const dir = resolve(target);
  const file = join(dir, 'scenario.yaml');
  const prefix = archivePrefix(OLD_GUID);
  // The base backup ran just before its objects' uploads (LastModified 02:11:49 to the sentinel's 02:11:52).
  const archive = oldArchive(OLD_SYSID, '', { wholeSegments: true, backupTimes: ['2016-03-17 02:11:48', '2016-03-17 02:11:52'] });
  const bodies = new Map(archive.map(([key, body]) => [prefix + key, Buffer.from(body)]));
  const written = new Set<string>();
  const text = (await readFile(file, 'utf8')).replace(OBJECT, (line, indent: string, key: string, inner: string, at: string) => {
    const body = bodies.get(key);
    if (!body) return line;
    written.add(key);
    const bodyFile = join('s3', key);
    const etag = createHash('md5').update(body).digest('hex');
    return `${indent}${key}:\n${inner}{ size: ${body.length}, etag: ${etag}, lastModified: ${at}, bodyFile: ${bodyFile} }`;
  });
  const missing = [...bodies.keys()].filter((k) => !written.has(k));
  if (missing.length) throw new Error(`${file} lists no object ${missing.join(', ')}: add each (with its lastModified) first`);
  for (const [key, body] of bodies) {
    await mkdir(dirname(join(dir, 's3', key)), { recursive: true });
    await writeFile(join(dir, 's3', key), body);
  }
  await writeFile(file, text);
  console.log(`wrote ${bodies.size} objects of ${prefix} into ${target}`);
}

await main(process.argv[2] ?? 'fixtures/seed-003');
