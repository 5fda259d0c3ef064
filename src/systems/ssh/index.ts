export { KnownHosts, fingerprint, hostToken, preferredHostKeyAlgorithms } from './known-hosts.js';
export { type SshOptions, cellHop, createSshCellAccess } from './ssh.js';
export { reachGateway } from './ssh-reach.js';
export { SshConfig, parseProxyJump } from './ssh-config.js';
export { hostKeyName, resolveHop } from './ssh-hops.js';
export { matchHostPatterns } from './ssh-patterns.js';
export { localUser } from './ssh-tokens.js';
