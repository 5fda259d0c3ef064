export { NOT_READ_BEFORE_SINCE, numberSkippedLines, scanFiles, WORKER_FROM } from './syslog-files.js';
export { MAX_LINE, TermScanner } from './term-scanner.js';
