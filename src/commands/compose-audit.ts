/** `dingo-recover compose audit [docker-compose.yml]`: stateful services whose data is on no named volume. */
import { resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { readInputFile } from '../core/input-file.js';
import { auditCompose, renderAudit } from '../volumes/compose-audit.js';
import { failCommand } from './print-error.js';

interface AuditArgs {
  file: string;
  json: boolean;
}

const auditCommand: CommandModule<object, AuditArgs> = {
  command: 'audit [file]',
  describe:
    'Name every stateful service (postgres, mysql, redis, mongo, …) whose data is on no named volume or bind mount; exit 1 when any is',
  builder: (y) =>
    y
      .positional('file', { type: 'string', default: 'docker-compose.yml', describe: 'the compose file' })
      .option('json', { type: 'boolean', default: false, describe: 'print the findings as JSON' })
      .example('$0 compose audit', 'audit ./docker-compose.yml'),
  handler: (argv) => {
    try {
      const file = resolve(argv.file);
      const text = readInputFile(file, { what: 'compose file', maxBytes: 4 * 1024 * 1024, hint: 'give the path of a docker-compose.yml' });
      const r = auditCompose(argv.file, text);
      process.stdout.write(argv.json ? JSON.stringify(r, null, 2) + '\n' : renderAudit(r));
      if (r.findings.length) process.exitCode = 1;
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
