export { type BoshGateway, boshScratchName, createBoshCellAccess } from './bosh-ssh.js';
