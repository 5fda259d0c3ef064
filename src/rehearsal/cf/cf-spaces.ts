/**
 * `cf create-space SPACE [-o ORG]` against the simulated Cloud Controller. Up to 6.x the legacy
 * command prints (cli `cf/commands/space/create_space.go`; the 6.x `command/v6` one was
 * experimental only); 7.x and 8.x print from `command/v7/create_space_command.go`, whose OK is
 * followed by a blank line. A name already taken exits 0 in every version.
 */
import { randomUUID } from 'node:crypto';
import { renderFailure, ok } from './cf-text.js';
import { cfMajor, type Rendered } from '../../adapters/cf/index.js';
import type { CfFlags } from './cf-args.js';
import { recordAudit } from './cf-audit.js';
import { NO_ORG, type CfContext } from './cf-context.js';

function roles(user: string, org: string, space: string, ok: string): string {
  return ['SpaceManager', 'SpaceDeveloper']
    .map((role) => `Assigning role ${role} to user ${user} in org ${org} / space ${space} as ${user}...\n${ok}`)
    .join('');
}

export function createSpace(cf: CfContext, name: string, flags: CfFlags): Rendered {
  const v7 = cfMajor(cf.v) >= 7;
  if (!name) return renderFailure(cf.v, 'Incorrect Usage: the required argument `SPACE` was not provided');
  const orgFlag = flags.get('-o');
  const orgName = typeof orgFlag === 'string' ? orgFlag : cf.w.target.org;
  if (orgName === null) return renderFailure(cf.v, NO_ORG);
  const user = cf.w.user;
  const preamble = `Creating space ${name} in org ${orgName} as ${user}...\n`;
  const org = cf.w.orgs.find((o) => o.name === orgName);
  if (!org) {
    return v7
      ? renderFailure(cf.v, `Organization '${orgName}' not found.`)
      : renderFailure(cf.v, `Org ${orgName} does not exist or is not accessible`, preamble);
  }
  if (org.spaces.some((s) => s.name === name)) {
    return ok(v7 ? `${preamble}Space '${name}' already exists.\nOK\n\n` : `${preamble}OK\nSpace ${name} already exists\n`);
  }
  const space = { name, guid: cf.w.nextSpaceGuids?.shift() ?? randomUUID(), createdAt: cf.now(), apps: [] };
  org.spaces.push(space);
  recordAudit(cf, {
    type: 'audit.space.create',
    target: { guid: space.guid, type: 'space', name },
    data: { request: { name, organization_guid: org.guid } },
    spaceGuid: space.guid,
    orgGuid: org.guid,
  });
  const tip = `TIP: Use 'cf target -o "${org.name}" -s "${name}"' to target new space\n`;
  return v7
    ? ok(`${preamble}OK\n\n${roles(user, org.name, name, 'OK\n\n')}${tip}`)
    : ok(`${preamble}OK\n${roles(user, org.name, name, 'OK\n')}\n${tip}`);
}
