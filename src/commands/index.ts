/** Domain commands beside the runbook ones: log search, archive tools, restore drill. */
import type { CommandModule } from 'yargs';

export function extraCommands(): CommandModule[] {
  return [];
}
