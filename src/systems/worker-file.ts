/** Starting a worker thread from a module beside the caller: JavaScript from dist/; from source (tests), TypeScript through tsx. */
import { createRequire } from 'node:module';
import { extname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/** A worker running the module `name` (no extension) of the folder of `callerUrl` (the caller's import.meta.url). */
export function startWorker(callerUrl: string, name: string, workerData: unknown): Worker {
  const ts = extname(fileURLToPath(callerUrl)) === '.ts';
  if (!ts) return new Worker(new URL(`./${name}.js`, callerUrl), { workerData });
  // require.resolve finds tsx's CommonJS entry; a worker's import needs its ES module beside it.
  const tsx = pathToFileURL(
    createRequire(callerUrl)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const file = new URL(`./${name}.ts`, callerUrl).href;
  const code = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(file)}); });`;
  return new Worker(code, { eval: true, workerData });
}
