/** After a run: the transcript `show` prints and the incident report written into the run folder. What the rest of the program uses of it comes through here. */
export { renderIncidentReport } from './incident-report.js';
export { lastMomentPhrase, lossPhrase, lossWindow } from './loss-window.js';
export { REPORT_FILE } from './report-file.js';
export { buildTranscript, renderTranscript, renderTranscriptJson } from './transcript.js';
