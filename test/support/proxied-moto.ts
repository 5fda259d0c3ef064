/**
 * moto and a fault proxy in front of it, for the tests of one file: started before its tests,
 * stopped after them, with fresh buckets on demand.
 */
import { afterAll, beforeAll } from 'vitest';
import { startFaultProxy, type FaultProxy } from './fault-proxy.js';
import { startMoto, type Moto } from './moto.js';

export interface ProxiedMoto {
  readonly moto: Moto;
  /** In front of moto: a store pointed at its endpoint gets the faults it is told to inject. */
  readonly proxy: FaultProxy;
  /** A new, empty bucket, named after the file's `name`, a count and the process. */
  bucket(): Promise<string>;
}

/** Registers the file's beforeAll and afterAll; the handles are there once beforeAll has run. */
export function useProxiedMoto(name: string): ProxiedMoto {
  let moto: Moto | undefined;
  let proxy: FaultProxy | undefined;
  let buckets = 0;
  beforeAll(async () => {
    moto = await startMoto();
    proxy = await startFaultProxy(moto.endpoint);
  });
  afterAll(async () => {
    // Either may be missing when beforeAll failed.
    await proxy?.stop();
    await moto?.stop();
  });
  return {
    get moto() {
      if (!moto) throw new Error('moto is not started: use it in a test or hook of the file');
      return moto;
    },
    get proxy() {
      if (!proxy) throw new Error('the fault proxy is not started: use it in a test or hook of the file');
      return proxy;
    },
    async bucket() {
      const bucket = `${name}-${++buckets}-${process.pid}`;
      await this.moto.createBucket(bucket);
      return bucket;
    },
  };
}
