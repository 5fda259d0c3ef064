/**
 * What the drill on a cell checks there before it writes anything: that the image runs the archive's
 * major and holds the programs the drill needs besides its server, and that the cell's store has room
 * for the archive with a margin, other tenants' databases living on that disk. Each refusal fails the
 * drill as one that could not run.
 */
import { StepFailed } from '../core/errors.js';
import { formatBytes } from '../core/format.js';
import { majorOf } from '../core/pg-version.js';
import type { CellScratch, ImageProbe } from '../systems/cell-scratch.js';
import { DrillFailed } from './exit-codes.js';
import { roomNeeded, type Fetched } from './local-room.js';

/** Room the cell's store keeps free beside the drill's (local-room.ts `roomNeeded`): other tenants' databases grow on that disk. */
const CELL_RESERVE_BYTES = 1024 * 1024 * 1024;

/** The image's probe, once the cell passed every check. */
export async function checkCell(
  box: CellScratch,
  cell: { image: string; cell: string; needs?: { program: string; for: string }[] },
  major: string,
  fetched: Fetched,
): Promise<ImageProbe> {
  const probe = await box.probe();
  if (majorOf(probe.version) !== major) {
    throw new DrillFailed(
      'could-not-run',
      `the image ${cell.image} on ${cell.cell} runs PostgreSQL ${probe.version}, and the archive needs ${major}`,
      {
        hint: `name an image of PostgreSQL ${major} on that cell (docker images there), or drill where PostgreSQL ${major} is installed`,
      },
    );
  }
  for (const need of cell.needs ?? []) {
    if (!(await box.has(need.program)))
      throw new DrillFailed('could-not-run', `the image ${cell.image} on ${cell.cell} has no ${need.program}, ${need.for}`, {
        hint: `nothing was written to the cell; name an image of PostgreSQL ${major} that holds ${need.program} (--image), or run this where PostgreSQL ${major}'s server package is installed`,
      });
  }
  // The same archive is fetched here, then written to the cell's store: both need the room for it. A cell reached by
  // v1's `bosh ssh` (no session that streams it) has it copied to its ephemeral disk first: that session checks
  // the room there before copying any (systems/bosh-ssh/bosh-ssh-stage.ts), from the size load() is given.
  const needed = roomNeeded(fetched, CELL_RESERVE_BYTES);
  // A cell whose store says no free space (not mounted, df missing) is not one to drill on: nothing was written there.
  const free = await box.freeBytes().catch((err: unknown) => {
    if (err instanceof StepFailed) throw new DrillFailed('could-not-run', err.message, { hint: err.hint, cause: err });
    throw err;
  });
  if (free < needed) {
    throw new DrillFailed(
      'could-not-run',
      `${cell.cell} has ${formatBytes(free)} free in its store; the archive's base backup and WAL need ${formatBytes(needed)} with a margin, and other tenants' databases live on that disk`,
      { hint: 'nothing was written to the cell; free space there, or drill on another cell of the same image (drill --on-cell)' },
    );
  }
  return probe;
}
