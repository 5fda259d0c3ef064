/**
 * Whether to trust the host key a hop presents: a pinned fingerprint, then known_hosts, then the
 * first-use callback. A refusal says what was presented, what was expected and how to pin it.
 */
import { StepFailed } from '../../core/errors.js';
import { KnownHosts, fingerprint, keyType, knownHostsLine } from './known-hosts.js';
import { describeHop, type Hop } from './ssh-hops.js';

export interface HostKeyPolicy {
  pinnedFingerprints?: Record<string, string>;
  onUnknownHostKey?: (host: string, fingerprint: string) => Promise<boolean>;
}

export async function checkHostKey(hop: Hop, token: string, key: Buffer, known: KnownHosts, policy: HostKeyPolicy): Promise<void> {
  const presented = fingerprint(key);
  const name = hop.hostKeyAlias ?? hop.hostName;
  const pinned = policy.pinnedFingerprints?.[hop.alias] ?? policy.pinnedFingerprints?.[name] ?? policy.pinnedFingerprints?.[token];
  if (pinned !== undefined) {
    if (normalizeFingerprint(pinned) === presented) return;
    throw changedKey(hop, [`${normalizeFingerprint(pinned)} (pinned)`], presented, key, `correct the fingerprint pinned for ${name}`);
  }
  let verdict = known.verify(token, key);
  // A key recorded under the bare name serves another port too, as OpenSSH finds it "w/out port".
  if (verdict.status === 'unknown' && token !== name) {
    const bare = known.verify(name, key);
    if (bare.status === 'known' || bare.status === 'revoked') verdict = bare;
  }
  if (verdict.status === 'known') return;
  if (verdict.status === 'revoked') {
    throw new StepFailed(
      `host key of ${describeHop(hop)} (${presented}) is marked @revoked in ${verdict.file}:${verdict.line}; refusing to connect`,
      {
        hint: 'ask the platform team which host key the machine should have now',
      },
    );
  }
  if (verdict.status === 'changed') {
    const at = verdict.expected.map((e) => `${e.file}:${e.line}`).join(', ');
    throw changedKey(
      hop,
      verdict.expected.map((e) => `${e.fingerprint} (${e.type}, ${e.file}:${e.line})`),
      presented,
      key,
      `replace the line at ${at} with \`${knownHostsLine(token, key)}\`, or give a known_hosts file of your own with --known-hosts FILE`,
    );
  }
  if (!policy.onUnknownHostKey) {
    throw new StepFailed(`host key of ${describeHop(hop)} is not known (${keyType(key)} ${presented}); refusing to connect`, {
      hint: `compare ${presented} with the machine's own key (on it: ssh-keygen -lf /etc/ssh/ssh_host_${keyFileKind(key)}_key.pub); if they match, ${pinHint(hop, token, key)}`,
    });
  }
  const accepted = await policy.onUnknownHostKey(token, presented);
  if (!accepted) {
    throw new StepFailed(`host key of ${describeHop(hop)} (${presented}) was not accepted; not connecting`, {
      hint: `verify the fingerprint out of band, then accept it when asked, or ${pinHint(hop, token, key)}`,
    });
  }
  known.add(token, key);
}

function normalizeFingerprint(fp: string): string {
  const trimmed = fp.trim().replace(/=+$/, '');
  return trimmed.startsWith('SHA256:') ? trimmed : `SHA256:${trimmed}`;
}

function changedKey(hop: Hop, expected: string[], presented: string, key: Buffer, replace: string): StepFailed {
  const shared = hop.hostKeyAlias
    ? ''
    : `. When several machines are reached at one address (a tunnel), give each its own HostKeyAlias in the ssh config (Host ${hop.alias})`;
  return new StepFailed(
    `HOST KEY CHANGED for ${describeHop(hop)}: expected ${expected.join(' or ')}, presented ${keyType(key)} ${presented}; refusing to connect`,
    {
      hint: `someone may be intercepting the connection, or the VM was recreated: confirm the new key with the platform team, then ${replace}${shared}`,
    },
  );
}

/** How to pin a key: the known_hosts line, the file it goes to, and the settings that choose the file and the name. */
function pinHint(hop: Hop, token: string, key: Buffer): string {
  const file = hop.knownHostsFiles[0];
  const where =
    file === '/dev/null'
      ? 'a known_hosts file of your own given with --known-hosts FILE (the ssh config reads /dev/null)'
      : hop.knownHostsFrom === '--known-hosts'
        ? `${file} (the file --known-hosts names)`
        : hop.knownHostsFrom === 'UserKnownHostsFile'
          ? `${file} (UserKnownHostsFile in the ssh config)`
          : `${file}, or to a file of your own given with --known-hosts FILE or UserKnownHostsFile in the ssh config`;
  const name = hop.hostKeyAlias
    ? `The key is looked up as ${token} (HostKeyAlias in the ssh config)`
    : `The key is looked up as ${token}; HostKeyAlias in the ssh config (Host ${hop.alias}) looks it up under another name`;
  const strict =
    hop.strictHostKeyChecking && ['no', 'off', 'accept-new'].includes(hop.strictHostKeyChecking)
      ? ` The ssh config's StrictHostKeyChecking ${hop.strictHostKeyChecking} is not followed: dingo-recover connects to no machine whose key it cannot check.`
      : '';
  return `pin it by adding the line \`${knownHostsLine(token, key)}\` to ${where}. ${name}${strict}`;
}

/** The part of /etc/ssh/ssh_host_<kind>_key.pub that holds a key of this type. */
function keyFileKind(key: Buffer): string {
  const type = keyType(key);
  if (type === 'ssh-ed25519') return 'ed25519';
  if (type.startsWith('ecdsa-')) return 'ecdsa';
  if (type === 'ssh-rsa') return 'rsa';
  return '*';
}
