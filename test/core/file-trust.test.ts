/**
 * Files and folders the tool obeys are the operator's, as OpenSSH checks its config: owned by the
 * effective user or root, writable by no one else, nor any folder above them (a sticky /tmp aside).
 * The tests run as root, so "another user" is `nobody`, given the file with chown.
 */
import { chmodSync, chownSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/core/errors.js';
import { checkTrusted } from '../../src/core/file-trust.js';
import { tempDirs, thrown } from '../support/temp-dirs.js';

const tmp = tempDirs('dr-trust-');
const NOBODY = 65534;

function file(dir: string, name: string, mode: number): string {
  const f = join(dir, name);
  writeFileSync(f, 'gateway: ubuntu@opsman\n', { mode });
  chmodSync(f, mode);
  return f;
}

describe('checkTrusted', () => {
  it("accepts the operator's own 0600 file, and one that does not exist", () => {
    const dir = tmp();
    const own = file(dir, 'config.yaml', 0o600);
    expect(() => {
      checkTrusted(own, 'settings file');
    }).not.toThrow();
    expect(() => {
      checkTrusted(join(dir, 'absent.yaml'), 'settings file');
    }).not.toThrow();
  });

  it('refuses a file owned by another user, saying to chown it', () => {
    const dir = tmp();
    const f = file(dir, 'config.yaml', 0o600);
    chownSync(f, NOBODY, NOBODY);
    const err = thrown(() => {
      checkTrusted(f, 'settings file');
    });
    expect(err.exitCode).toBe(EXIT.badInput);
    expect(err.message).toBe(
      `refusing the settings file ${f}: it is owned by uid ${NOBODY}, not root (you); another user could have written what it holds`,
    );
    expect(err.hint).toBe(`check what it holds, then make it yours: chown root ${f}; or use a file or folder of your own`);
  });

  it('refuses a file any user may write (0666), and one its group may, saying to chmod go-w it', () => {
    const dir = tmp();
    const open = file(dir, 'open.yaml', 0o666);
    const err = thrown(() => {
      checkTrusted(open, 'settings file');
    });
    expect(err.message).toBe(
      `refusing the settings file ${open}: it may be written by its group and other users (mode 0666); another user could have written what it holds`,
    );
    expect(err.hint).toBe(`check what it holds, then take their write access away: chmod go-w ${open}`);
    const group = file(dir, 'group.yaml', 0o620);
    expect(
      thrown(() => {
        checkTrusted(group, 'settings file');
      }).message,
    ).toContain('it may be written by its group (mode 0620)');
  });

  it('refuses a file in a folder another user may write or owns, naming that folder', () => {
    const base = tmp();
    const shared = join(base, 'shared');
    mkdirSync(shared, { mode: 0o777 });
    chmodSync(shared, 0o777);
    const f = file(shared, 'config.yaml', 0o600);
    expect(
      thrown(() => {
        checkTrusted(f, 'settings file');
      }).message,
    ).toContain(`the folder ${shared} above it may be written by its group and other users (mode 0777)`);
    const theirs = join(base, 'theirs');
    mkdirSync(theirs, { mode: 0o755 });
    const g = file(theirs, 'config.yaml', 0o600);
    chownSync(theirs, NOBODY, NOBODY);
    const err = thrown(() => {
      checkTrusted(g, 'settings file');
    });
    expect(err.message).toContain(`the folder ${theirs} above it is owned by uid ${NOBODY}`);
    expect(err.hint).toContain(`chown root ${theirs}`);
  });

  it('follows a symlink to what it names, and accepts a sticky folder above (as /tmp is)', () => {
    const base = tmp();
    const sticky = join(base, 'sticky');
    mkdirSync(sticky);
    chmodSync(sticky, 0o1777);
    const mine = join(sticky, 'mine');
    mkdirSync(mine, { mode: 0o700 });
    const f = file(mine, 'config.yaml', 0o600);
    expect(() => {
      checkTrusted(f, 'settings file');
    }).not.toThrow();
    const target = file(base, 'theirs.yaml', 0o600);
    chownSync(target, NOBODY, NOBODY);
    const link = join(mine, 'link.yaml');
    symlinkSync(target, link);
    expect(
      thrown(() => {
        checkTrusted(link, 'settings file');
      }).message,
    ).toBe(
      `refusing the settings file ${link} (${target}): it is owned by uid ${NOBODY}, not root (you); another user could have written what it holds`,
    );
  });
});
