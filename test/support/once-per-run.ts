/**
 * A global setup run once in a test run. Vitest runs the configuration's global setups for its root
 * project and again for each project that extends it (vitest.config.ts has two), one after the other
 * in its main process: run three times, each run's registry, folders and TMPDIR were made inside the
 * last one's, and on SIGINT the first handler exited the process before the servers the workers had
 * registered with the third were stopped (moto_server outlived the run). The later calls find it done
 * and do nothing.
 */
type Teardown = () => void;

export function oncePerRun(name: string, setup: () => Teardown | undefined): () => Teardown | undefined {
  const done = Symbol.for(`dingo-recover.tests.global-setup.${name}`);
  const proc = process as NodeJS.Process & Record<symbol, true | undefined>;
  return () => {
    if (proc[done]) return undefined;
    proc[done] = true;
    return setup();
  };
}
