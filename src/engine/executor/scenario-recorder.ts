/** What `--record DIR` is given by the command layer, and what the run hands it (see executor-record.ts). */
import type { Runtime } from '../../core/runtime.js';
import type { Platform } from '../../core/seams.js';
import type { LiveOptions, Settings } from '../runbook/settings.js';
import type { RunSubject } from '../runbook/declared-outputs.js';

/** What the run hands the recorder: its own platform (same connections), settings, and what it knows so far. */
export interface RecordRequest {
  platform: Platform;
  runtime: Runtime;
  settings: Settings;
  live: LiveOptions | undefined;
  /** The runbook's name: what the scenario's rehearsal runs. */
  runbook: string;
  inputs: Record<string, unknown>;
  /** The instance the run settled on, as the runbook declares its subject (none until its step finished). */
  subject?: RunSubject;
}

/** Writes the scenario (`--record DIR`), given by the command layer. */
export interface ScenarioRecorder {
  /** The folder, absolute; checked to be new or empty before the run started. */
  dir: string;
  /** Reads the platform as it stands now and writes the scenario; what it wrote, in lines for the screen. */
  write(r: RecordRequest): Promise<string[]>;
}
