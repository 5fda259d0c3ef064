/** Running a runbook: the driver (start, resume, abandon), the executor and the step context, what a resume does with each step, the run folders and the lock. What the rest of the program uses of it comes through here. */
export { type StepContext } from './context.js';
export { type DriveOptions, type Platforms, drive } from './driver.js';
export { execute } from './executor.js';
export { type RecordRequest, type ScenarioRecorder } from './scenario-recorder.js';
export { checkInput, normaliseInput } from './executor-inputs.js';
export { RunLock } from './lock.js';
export { processStart } from './lock-holder.js';
export { recordingStore } from './recording-store.js';
export { type ProbeAnswer, type ResumeTraits, type StepRecord, afterProbe, afterRecheck, beforeStep } from './resume-decision.js';
export { abandonedInstances } from './run-history.js';
export { type Notifier, type RunNotice } from './run-notice.js';
export { planRun } from './run-plan.js';
export { parseCorrections } from './input-corrections.js';
export { type RunProduced } from './run-outputs.js';
export { JOURNAL_FILE, type RunSummary, checkStateDir, createRunDir, listRunIds, loadRun, unfinishedRuns } from './runs.js';
export { type ReplayResult, replayRun } from './executor-replay.js';
export { ReplayRefusal, refusingPlatform } from './executor-replay-seams.js';
