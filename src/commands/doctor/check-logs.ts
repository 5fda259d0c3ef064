/** The logs: each --logs path readable, and --es-url answering `GET /` as Elasticsearch. */
import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import { esTimeoutSeconds } from '../../core/log-source.js';
import { secrets } from '../../core/invocation.js';
import { EsHttpClient, describeServer } from '../../systems/elasticsearch/index.js';
import { failed, ok, type Check } from './check.js';
import { withDeadline } from './deadline.js';
import { CONNECT_MS, type DoctorSubject } from './subject.js';

export function logs(s: DoctorSubject): Check {
  const fix = 'give the platform syslog: --logs PATH (files or folders, .gz is fine) or --es-url URL (Logsearch)';
  return {
    name: 'logs',
    fix,
    run: async (say) => {
      const { logPaths, esUrl } = s.settings;
      if (s.mode === 'rehearsal') {
        const source = s.platform.openLogs({ paths: logPaths.length ? logPaths : undefined });
        return source.empty ? failed('the scenario has no syslog', fix) : ok("the scenario's syslog");
      }
      if (logPaths.length === 0 && !esUrl) return failed('no logs to search', fix);
      const found: string[] = [];
      for (const path of logPaths) {
        if (path === '-') {
          found.push('standard input');
          continue;
        }
        try {
          accessSync(path, constants.R_OK);
          if (statSync(path).isDirectory()) readdirSync(path);
        } catch (err) {
          return failed(
            `${path} cannot be read: ${(err as Error).message}`,
            `check --logs ${path}: it must be a file or folder this user can read`,
          );
        }
        found.push(path);
      }
      if (esUrl) {
        const es = new EsHttpClient({
          url: esUrl,
          caFile: s.settings.esCaFile,
          apiKey: s.env.ES_API_KEY,
          username: s.env.ES_USERNAME,
          password: s.env.ES_PASSWORD,
          timeoutSeconds: Math.min(esTimeoutSeconds(s.env.ES_TIMEOUT) ?? CONNECT_MS / 1000, CONNECT_MS / 1000),
          redactor: secrets(),
        });
        try {
          // One attempt: the check has its own deadline, and says its own wait.
          const answer = await withDeadline(`GET / of ${esUrl}`, CONNECT_MS, say, () => es.request('GET', '', undefined, { attempts: 1 }));
          const server = describeServer(answer.body);
          found.push(`${esUrl} (${server.distribution} ${server.version})`);
        } catch (err) {
          return failed(
            `${esUrl} does not answer as Elasticsearch: ${(err as Error).message}`,
            'check --es-url, --es-ca-file and ES_API_KEY (or ES_USERNAME and ES_PASSWORD)',
          );
        } finally {
          await es.close();
        }
      }
      return ok(found.join(', ') + ' readable');
    },
  };
}
