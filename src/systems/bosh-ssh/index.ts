export { type BoshGateway, createBoshCellAccess } from './bosh-ssh.js';
