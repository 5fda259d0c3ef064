/** The journal, the truth about a run: its events, appending and reading them (a torn last line repaired), and the run state they add up to. What the rest of the program uses of it comes through here. */
export { Journal, openJournalForAppend, readJournal } from './journal.js';
export { type EventBody, type JournalEvent } from './journal-events.js';
export { type StepState, replay } from './replay.js';
