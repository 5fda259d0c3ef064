/**
 * The cf CLI on PATH and its version, and the operator's cf login, read from CF_HOME's config.json as
 * cf keeps it (a rehearsal asks its simulated cf for its target).
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { cfEnv, parseCfVersionOutput } from '../../adapters/cf/index.js';
import { isRecord } from '../../core/json.js';
import { failed, ok, type Check } from './check.js';
import { withDeadline } from './deadline.js';
import { CLI_MS, type DoctorSubject } from './subject.js';

/** A CLI that is not there: the shell's 127, or the kernel's word for it. */
function notFound(r: { exitCode: number; stderr: string }): boolean {
  return r.exitCode === 127 || /ENOENT|not found/i.test(r.stderr);
}

export function cfCli(s: DoctorSubject): Check {
  const binary = s.settings.cfBinary;
  const fix = `install the cf CLI (v6 to v8) on PATH, or give its path: --cf-bin PATH`;
  return {
    name: 'cf CLI',
    fix,
    run: async (say) => {
      const r = await withDeadline(`${binary} version`, CLI_MS, say, () =>
        s.platform.cf.run({ argv: [binary, 'version'], env: cfEnv(s.env), writes: false, timeoutMs: CLI_MS }),
      );
      if (notFound(r)) return failed(`${binary} is not on PATH`, fix);
      const version = r.exitCode === 0 ? parseCfVersionOutput(r.stdout) : null;
      if (!version) return failed(`\`${binary} version\` did not print its version (exit ${String(r.exitCode)})`, fix);
      return ok(`${binary} version ${version}`);
    },
  };
}

/** The cf login, read from CF_HOME's config.json as cf keeps it, so no cf command may refresh or change it. */
export function cfLogin(s: DoctorSubject): Check {
  const fix =
    'log in as the operator: cf login -a https://api.SYSTEM_DOMAIN (or set CF_HOME to the folder whose .cf/config.json holds the login)';
  if (s.mode === 'rehearsal') {
    return {
      name: 'cf login',
      fix,
      run: async (say) => {
        const r = await withDeadline('cf target', CLI_MS, say, () =>
          s.platform.cf.run({ argv: [s.settings.cfBinary, 'target'], env: cfEnv(s.env), writes: false, timeoutMs: CLI_MS }),
        );
        const api = /API endpoint:\s*(\S+)/i.exec(r.stdout)?.[1];
        const user = /^user:\s*(\S+)/im.exec(r.stdout)?.[1];
        return r.exitCode === 0 && api && user
          ? ok(`${api} as ${user} (simulated)`)
          : failed(`cf target: ${r.stdout}${r.stderr}`.trim(), fix);
      },
    };
  }
  return {
    name: 'cf login',
    fix,
    run: () => Promise.resolve(readCfConfig(join(s.env.CF_HOME || homedir(), '.cf', 'config.json'), fix)),
  };
}

function readCfConfig(file: string, fix: string): { ok: boolean; detail: string; fix?: string } {
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    return failed(missing ? `no cf login here: ${file} does not exist` : `${file} cannot be read as cf's configuration`, fix);
  }
  const text = (v: unknown): string => (typeof v === 'string' ? v : '');
  const c = isRecord(config) ? config : {};
  const api = text(c.Target);
  if (!api) return failed(`cf targets no API (${file})`, 'cf api https://api.SYSTEM_DOMAIN, then cf login');
  if (!text(c.AccessToken) && !text(c.RefreshToken)) return failed(`cf is not logged in to ${api} (${file})`, `cf login -a ${api}`);
  const name = (v: unknown): string => (isRecord(v) ? text(v.Name) : '');
  const org = name(c.OrganizationFields);
  const space = name(c.SpaceFields);
  return ok(`${api}, logged in${org ? `, targeting ${org}${space ? `/${space}` : ''}` : ''} (${file})`);
}
