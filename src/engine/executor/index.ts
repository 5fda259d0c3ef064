/** Running a runbook's steps: the executor and the step context, what a resume does with each step, answers asked and checked, the scenario recorder, and the replay of a journal through the executor itself. What the rest of the program uses of it comes through here. */
export { type StepContext } from './context.js';
export { execute } from './execute.js';
export { type RecordRequest, type ScenarioRecorder } from './scenario-recorder.js';
export { checkInput, normaliseInput } from './input-values.js';
export { recordingStore } from './recording-store.js';
export { type ProbeAnswer, type ResumeTraits, type StepRecord, afterProbe, afterRecheck, beforeStep } from './resume-decision.js';
export { type ReplayResult, replayRun } from './replay.js';
export { ReplayRefusal, refusingPlatform } from './replay-seams.js';
