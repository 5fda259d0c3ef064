/**
 * The one place a run's systems are chosen: a live run gets the operator's cf, bosh, cells and S3;
 * a rehearsal gets the scenario's simulated world behind the same seams. Each loads when used.
 */
import { basename, join } from 'node:path';
import type { Platforms } from '../../engine/run/index.js';
import type { Scenario } from '../../rehearsal/scenario.js';

export const platforms: Platforms<Scenario> = {
  async scenario(dir) {
    const { loadScenario } = await import('../../rehearsal/world.js');
    return loadScenario(dir);
  },
  async open({ mode, runDir, scenario, live, runtime }) {
    if (mode === 'rehearsal') {
      if (!scenario) throw new Error('a rehearsal opens the scenario it was started with');
      const { World } = await import('../../rehearsal/world.js');
      const { openLogSource } = await import('../../systems/log-source.js');
      const { localMachine } = await import('./local-machine.js');
      const { containerServers } = await import('../../systems/container-servers.js');
      // The world's real servers keep their data beside the run's other scratch copies, for its resumes.
      const servers = containerServers(localMachine.processes, join(runtime.scratch, `dingo-world-${basename(runDir)}`));
      return World.open(runDir, scenario).platform(scenario, openLogSource, localMachine, servers);
    }
    const { livePlatform } = await import('./live-platform.js');
    return livePlatform(live ?? {}, runtime, runDir);
  },
};
