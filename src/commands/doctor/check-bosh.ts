/** The bosh CLI, its version, and its director logged in (`bosh env`; v1: `bosh status`). */
import { boshEnvArgs, parseBoshEnv } from '../../adapters/bosh-env.js';
import { BoshCli } from '../../adapters/bosh.js';
import { secrets } from '../../core/invocation.js';
import { failed, ok, type Check } from './check.js';
import { withDeadline } from './deadline.js';
import { CLI_MS, type DoctorSubject } from './subject.js';

export function bosh(s: DoctorSubject): Check {
  const binary = s.settings.boshBinary;
  const fix = `install the bosh CLI on PATH, or give its path: --bosh-bin PATH; set BOSH_ENVIRONMENT, BOSH_CLIENT and BOSH_CLIENT_SECRET (v2) or bosh target and bosh login (v1)`;
  return {
    name: 'bosh',
    fix,
    run: async (say) => {
      const cli = new BoshCli(s.platform.bosh, { binary, readTimeoutMs: CLI_MS, redactor: secrets() });
      const { version, major } = await withDeadline(`${binary} --version`, CLI_MS, say, () => cli.version());
      const args = boshEnvArgs(major);
      const r = await withDeadline(`${binary} ${args.join(' ')}`, CLI_MS, say, () =>
        s.platform.bosh.run({ argv: [binary, ...args], writes: false, timeoutMs: CLI_MS }),
      );
      const login = major === 2 ? 'bosh log-in (or BOSH_CLIENT and BOSH_CLIENT_SECRET)' : 'bosh login';
      if (r.exitCode !== 0) {
        const why = `${r.stderr}\n${r.stdout}`.trim().split('\n').slice(-3).join(' ');
        return failed(
          `\`${binary} ${args.join(' ')}\` failed (exit ${String(r.exitCode)}): ${why}`,
          `target the director (BOSH_ENVIRONMENT, or bosh target) and ${login}`,
        );
      }
      const env = parseBoshEnv(major, r.stdout);
      if (env.user === null) return failed(`bosh ${version} reaches ${env.director} but is not logged in`, login);
      return ok(`bosh ${version}: ${env.director} as ${env.user}`);
    },
  };
}
