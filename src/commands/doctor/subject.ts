/** What the doctor's checks look at, and the deadlines they keep. */
import type { Platform } from '../../core/seams.js';
import type { LiveOptions, Settings } from '../../engine/runbook/index.js';

/** What the checks look at: the platform the run would use, its settings, and who answers. */
export interface DoctorSubject {
  mode: 'live' | 'rehearsal';
  platform: Platform;
  settings: Settings;
  live: LiveOptions | undefined;
  /** The answers file the run would read, if any. */
  answersFile: string | undefined;
  env: NodeJS.ProcessEnv;
}

/** Deadlines: a CLI that only reads, a connection, a listing. */
export const CLI_MS = 20_000;
export const CONNECT_MS = 15_000;
export const LIST_MS = 30_000;
