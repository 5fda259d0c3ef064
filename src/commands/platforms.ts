/**
 * The one place a run's systems are chosen: a live run gets the operator's cf, bosh, cells and S3;
 * a rehearsal gets the scenario's simulated world behind the same seams. Each loads when used.
 */
import type { Platforms } from '../engine/driver.js';

export const platforms: Platforms = {
  async scenario(dir) {
    const { loadScenario } = await import('../rehearsal/world.js');
    return loadScenario(dir);
  },
  async open({ mode, runDir, scenarioDir, live }) {
    if (mode === 'rehearsal') {
      const { loadScenario, World } = await import('../rehearsal/world.js');
      const scenario = loadScenario(scenarioDir!);
      return World.open(runDir, scenario).platform(scenario);
    }
    const { livePlatform } = await import('./live-platform.js');
    return livePlatform(live ?? {});
  },
};
