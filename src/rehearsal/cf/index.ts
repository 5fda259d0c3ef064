export { renderApps, renderTarget } from './cf-formats.js';
export { renderCreateService, renderService, renderServiceNotFound } from './cf-service-formats.js';
export { type CfAuditEvent, type CfHooks, type CfServiceInstance, type CfWorld, simulateCf } from './cf-sim.js';
export { type CfApp, type CfOffering } from './cf-world.js';
