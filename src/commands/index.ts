/** Domain commands beside the runbook ones: log search, archive tools, restore drill. */
import type { CommandModule } from 'yargs';
import { archiveCommand } from './archive.js';
import { drillCommand } from './drill.js';
import { walFetchCommand } from './wal-fetch.js';
import { logsCommand } from './logs.js';
import { volumesCommand } from './volumes.js';
import { composeCommand } from './compose-audit.js';

export function extraCommands(): CommandModule[] {
  return [
    logsCommand as unknown as CommandModule,
    archiveCommand,
    drillCommand as unknown as CommandModule,
    walFetchCommand as unknown as CommandModule,
    volumesCommand,
    composeCommand,
  ];
}
