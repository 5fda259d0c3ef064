export { type BoshGateway } from './bosh-ssh.js';
export { boshScratchName, createBoshCellAccess } from './bosh-ssh-access.js';
