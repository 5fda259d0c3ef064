/** The end of a drill test file: stop moto, remove the generated archive and the scratch folder. */
import { rm } from 'node:fs/promises';
import type { Moto } from './moto.js';
import { removeArchive, type GeneratedArchive } from './wale-archive.js';

export interface DrillFixtures {
  moto: Moto;
  archive: GeneratedArchive;
  dir: string;
}

/** Stops and removes whatever was started: setup may have failed before some of it was. */
export async function tearDownDrill(started: Partial<DrillFixtures>): Promise<void> {
  await started.moto?.stop();
  if (started.archive) await removeArchive(started.archive);
  if (started.dir) await rm(started.dir, { recursive: true, force: true });
}
