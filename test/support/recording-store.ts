/** A real store (moto's) passed through, recording the key of every object body fetched (get, getStream), in order. */
import type { ObjectRef, ObjectStore } from '../../src/core/seams.js';

export function recordingStore(store: ObjectStore): { store: ObjectStore; fetched: string[] } {
  const fetched: string[] = [];
  const recorded: ObjectStore = Object.create(store) as ObjectStore;
  Object.assign(recorded, {
    get: (ref: ObjectRef) => {
      fetched.push(ref.key);
      return store.get(ref);
    },
    getStream: (ref: ObjectRef) => {
      fetched.push(ref.key);
      return store.getStream(ref);
    },
  });
  return { store: recorded, fetched };
}
