export { CfCli, type ServiceStatus } from './cf.js';
export { parseCurlBody, statusFromV2, statusFromV3 } from './cf-curl.js';
export { cfEnv } from './cf-env.js';
export { type AuditEvent, type EventsApi, curlPath, eventFromV2, eventFromV3, eventsPage, requestGuid } from './cf-events.js';
export { CfApi } from './cf-events-api.js';
export { hintFor } from './cf-hints.js';
export {
  failureText,
  isAlreadyExists,
  isServiceNotFound,
  parseApps,
  parseBoundAppsText,
  parseGuidLine,
  parseStatusText,
} from './cf-parse.js';
export { type CfWho, type LastOperation, type Rendered } from './cf-types.js';
export { nodeCountParams, nodesForPlan } from './cf-update.js';
export { cfCurlHasFail, cfEra, cfMajor, parseCfVersionOutput } from './cf-version.js';
export { FIRST_POLL_MS, pollDelays } from './cf-wait.js';
