/** `dingo-recover compose audit [file]`: stateful services whose data is on no named volume. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../core/errors.js';
import { readInputFile } from '../core/input-file.js';
import { auditCompose, renderAudit } from '../volumes/compose-audit.js';
import { failCommand } from './print-error.js';
import { setExitCode } from './exit-code.js';
import { invocation } from '../core/invocation.js';

interface AuditArgs {
  file?: string;
  json: boolean;
}

/** The names Docker Compose looks for in a folder when no file is given, in its order. */
const COMPOSE_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];

/** The name of the compose file Docker Compose would read in `dir`. */
function defaultComposeFile(dir: string): string {
  const found = COMPOSE_FILES.find((name) => existsSync(join(dir, name)));
  if (found) return found;
  throw new UsageError(`no compose file in ${dir} (looked for ${COMPOSE_FILES.join(', ')})`, {
    hint: 'run it in the folder of the compose file, or give the file: dingo-recover compose audit PATH',
  });
}

const auditCommand: CommandModule<object, AuditArgs> = {
  command: 'audit [file]',
  describe:
    'Name every stateful service (postgres, mysql, redis, mongo, …) whose data is on no named volume or bind mount; exit 1 when any is',
  builder: (y) =>
    y
      .positional('file', { type: 'string', describe: `the compose file (default: the first of ${COMPOSE_FILES.join(', ')} here)` })
      .option('json', { type: 'boolean', default: false, describe: 'print the findings as JSON' })
      .example('$0 compose audit', 'audit ./compose.yaml (or compose.yml, docker-compose.yaml, docker-compose.yml)'),
  handler: (argv) => {
    try {
      const given = argv.file ?? defaultComposeFile(process.cwd());
      const text = readInputFile(resolve(given), {
        what: 'compose file',
        maxBytes: 4 * 1024 * 1024,
        hint: 'give the path of a compose.yaml',
      });
      const r = auditCompose(given, text);
      invocation().stdout.write(argv.json ? JSON.stringify(r, null, 2) + '\n' : renderAudit(r));
      if (r.findings.length) setExitCode(1);
    } catch (err) {
      failCommand('compose audit', err);
    }
  },
};

export const composeCommand = {
  command: 'compose <command>',
  describe: 'Check a docker-compose file for data that a `docker compose down` would leave behind',
  builder: (y: Argv) => y.command(auditCommand as unknown as CommandModule).demandCommand(1),
  handler: () => undefined,
};
