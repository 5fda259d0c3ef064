/** The runbook: its model (inputs, steps, for-each and use steps), its static checks, templates, and the action contract. What the rest of the program uses of it comes through here. */
export { type ActionDef, type OutputsOf, type ParamsOf, defaulted, defineAction, optional, output, required } from './action.js';
export { type ActionRegistry, type ConfirmDef, type Runbook, type StepDef, loadRunbook, parseRunbook } from './runbook.js';
export { FOR_EACH_RESULT } from './runbook-model.js';
export { type RecordOf, isShaped, shape } from './shape.js';
export { DEFAULT_SETTINGS, type LiveOptions, type Settings } from './settings.js';
