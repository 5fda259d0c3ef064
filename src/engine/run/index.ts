/** Starting, resuming and abandoning a run: the driver and the run's session, the run folders and the lock, what a start or resume runs, and the notices. What the rest of the program uses of it comes through here. */
export { type DriveOptions, type Platforms, drive } from './driver.js';
export { RunLock } from './lock.js';
export { abandonedInstances } from './history.js';
export { type Notifier, type RunNotice } from './notice.js';
export { planRun } from './plan.js';
export { choicesGiven } from './one-source.js';
export { type RunProduced } from './outputs.js';
export { JOURNAL_FILE, type RunSummary, checkStateDir, createRunDir, listRunIds, loadRun, unfinishedRuns } from './runs.js';
