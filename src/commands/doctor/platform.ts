/**
 * The checks of `doctor` and of a live run's start, on the platform they would use: the live one the
 * connection flags reach, or a rehearsal scenario's simulated one (opened in a scratch folder that
 * is removed after). The platform is closed whatever the checks find.
 */
import { secrets, invocation } from '../../core/invocation.js';
import { systemScratch } from '../../core/runtime.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Platform } from '../../core/seams.js';
import type { LiveOptions, Settings } from '../../engine/runbook/index.js';
import type { Scenario } from '../../rehearsal/scenario.js';
import { runChecks, type CheckResult } from './check.js';
import { doctorChecks } from './checks.js';

export interface DoctorTarget {
  settings: Settings;
  live: LiveOptions | undefined;
  answersFile: string | undefined;
  /** A rehearsal's scenario; absent, the live platform. */
  scenario?: Scenario;
}

export async function checkPlatform(target: DoctorTarget, say: (line: string) => void): Promise<CheckResult[]> {
  let scratch: string | undefined;
  let platform: Platform;
  if (target.scenario) {
    scratch = mkdtempSync(join(tmpdir(), 'dingo-doctor-'));
    const { World } = await import('../../rehearsal/world.js');
    const { openLogSource } = await import('../../systems/log-source.js');
    const { localMachine } = await import('../run/local-machine.js');
    platform = World.open(scratch, target.scenario).platform(target.scenario, openLogSource, localMachine);
  } else {
    const { livePlatform } = await import('../run/live-platform.js');
    platform = livePlatform(target.live ?? {}, { redactor: secrets(), scratch: systemScratch() });
  }
  try {
    const mode = target.scenario ? 'rehearsal' : 'live';
    return await runChecks(
      doctorChecks({
        mode,
        platform,
        settings: target.settings,
        live: target.live,
        answersFile: target.answersFile,
        env: invocation().env,
      }),
      say,
    );
  } finally {
    await platform.close().catch(() => undefined);
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
}
