/**
 * A run killed while it wrote into a folder that outlives it (the images' cache, its memo of ldd)
 * leaves its part there (test/support/parts.ts): the next run's global setup removes the parts whose
 * writer has ended, files and folders, and keeps a live writer's part and every finished file. A
 * part that is a link (a major's bin folder) goes as a link: what it leads to stays.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { setup as suiteSetup } from '../support/suite-setup.js';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

it("the next run's setup removes the parts whose writer ended and keeps a live writer's", () => {
  const cache = mkdtempSync(join(tmpdir(), 'dr-parts-cache-'));
  const root = mkdtempSync(join(tmpdir(), 'dr-parts-root-'));
  const linked = mkdtempSync(join(tmpdir(), 'dr-parts-linked-'));
  made.push(cache, root, linked);
  const ended = spawnSync('true').pid;
  const writer = spawn('sleep', ['60'], { stdio: 'ignore' });
  try {
    const live = writer.pid!;
    mkdirSync(join(cache, 'ldd'));
    mkdirSync(join(cache, `rootfs-15.${String(ended)}.part`, 'etc'), { recursive: true });
    const files = [
      `ldd/0123abcd.${String(ended)}.part`,
      'ldd/0123abcd',
      `postgres-15-abc.tar.${String(ended)}.part`,
      `postgres-15-abc.tar.${String(live)}.part`,
      'postgres-15-abc.tar',
      `rootfs-15.${String(ended)}.part/etc/passwd`,
    ];
    for (const f of files) writeFileSync(join(cache, f), 'x');
    writeFileSync(join(linked, 'postgres'), 'x');
    symlinkSync(linked, join(cache, `bin.${String(ended)}.part`));
    process.env.DINGO_TEST_IMAGE_CACHE = cache;
    process.env.DINGO_TEST_SUITE_ROOT = root;
    const teardown = suiteSetup();
    teardown();
    expect(readdirSync(cache).sort()).toEqual(['ldd', 'postgres-15-abc.tar', `postgres-15-abc.tar.${String(live)}.part`]);
    expect(readdirSync(join(cache, 'ldd'))).toEqual(['0123abcd']);
    expect(readdirSync(linked)).toEqual(['postgres']);
  } finally {
    writer.kill();
  }
});
