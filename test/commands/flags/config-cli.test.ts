import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';

const GUID = '78218ded-7d88-4d69-bd44-6f478c300134';
const home = mkdtempSync(join(tmpdir(), 'dingo-config-cli-'));
afterAll(() => {
  rmSync(home, { recursive: true, force: true });
});
const emptyLogs = join(home, 'logs');
mkdirSync(emptyLogs);
const missing = (name: string) => join(home, `no-such-${name}`);

/** A settings file at the default place of XDG_CONFIG_HOME=`configHome`. */
function defaultSettings(configHome: string, text: string): void {
  mkdirSync(join(configHome, 'dingo-recover'), { recursive: true });
  writeFileSync(join(configHome, 'dingo-recover', 'config.yaml'), text);
}

function run(args: string[], env: Record<string, string>) {
  return runCli(args, { env: { DINGO_RECOVER_STATE_DIR: join(home, 'state'), ...env } });
}

describe('connection flags from the settings file and DINGO_RECOVER_* variables', () => {
  it('takes a flag from the file, the variable over the file, the flag over both, and says which with --verbose', async () => {
    const configHome = join(home, 'xdg');
    defaultSettings(configHome, `logs: ${missing('file-logs')}\nes-index: syslog-*\n`);
    const fromFile = await run(['logs', 'instance', GUID], { XDG_CONFIG_HOME: configHome });
    expect(fromFile.code).toBe(2);
    expect(fromFile.stderr).toContain(missing('file-logs'));

    const fromEnv = await run(['logs', 'instance', GUID, '--json', '--verbose'], {
      XDG_CONFIG_HOME: configHome,
      DINGO_RECOVER_LOGS: emptyLogs,
    });
    expect(fromEnv.code).toBe(0);
    expect(fromEnv.stderr).toContain('--logs from DINGO_RECOVER_LOGS');
    expect(fromEnv.stderr).toContain(`--es-index from ${join(configHome, 'dingo-recover', 'config.yaml')}`);

    const fromFlag = await run(['logs', 'instance', GUID, '--logs', emptyLogs, '--verbose'], {
      XDG_CONFIG_HOME: configHome,
      DINGO_RECOVER_LOGS: missing('env-logs'),
    });
    expect(fromFlag.code).toBe(0);
    expect(fromFlag.stderr).toContain('--logs from the command line');
  });

  it('reads the file --config names, refusing an unknown setting with the nearest one', async () => {
    const file = join(home, 'other.yaml');
    writeFileSync(file, `logz: ${emptyLogs}\n`);
    const r = await run(['logs', 'instance', GUID, '--config', file], { XDG_CONFIG_HOME: join(home, 'none') });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`settings file ${file}: unknown setting "logz" (did you mean "logs"?)`);
  });

  it('gives recover its flags too, and leaves commands that take none alone', async () => {
    const env = { DINGO_RECOVER_WAL_BUCKET: 'Not A Bucket', XDG_CONFIG_HOME: join(home, 'none') };
    const recover = await run(['recover', '--yes'], env);
    expect(recover.code).toBe(2);
    expect(recover.stderr).toContain('--wal-bucket "Not A Bucket" is not an S3 bucket name');
    const runs = await run(['runs'], env);
    expect(runs.stderr).toBe('');
    expect(runs.code).toBe(0);
  });

  it('never takes the choice of one run from the settings: a deleted instance in the file or a variable is refused, naming it', async () => {
    const guid = '6e101b27-ee1b-4f4d-a032-4401a3709ec3';
    const file = join(home, 'choice.yaml');
    writeFileSync(file, `deleted-instance: ${guid}\n`);
    const fromFile = await run(['recover', '--yes', '--config', file, '--deleted-instance', guid], { XDG_CONFIG_HOME: join(home, 'none') });
    expect(fromFile.code).toBe(2);
    expect(fromFile.stderr).toContain(`settings file ${file}: deleted-instance is the choice of one run, not a setting`);
    expect(fromFile.stderr).toContain(
      `drop deleted-instance from ${file}; give it to the run itself, as --deleted-instance or choose.deletedInstance`,
    );
    const fromEnv = await run(['recover', '--yes'], { DINGO_RECOVER_DELETED_INSTANCE: guid, XDG_CONFIG_HOME: join(home, 'none') });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toContain('DINGO_RECOVER_DELETED_INSTANCE: deleted-instance is the choice of one run, not a setting');
  });
});
