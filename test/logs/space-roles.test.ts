/** The users' roles in a deleted space, from its role events: added, taken away, and none counted after the delete. */
import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/adapters/cf/index.js';
import { spaceRolesAt } from '../../src/logs/space-roles.js';

const event = (type: string, time: string, user: string, guid = `${user}-guid`): AuditEvent => ({
  guid: `${type}-${time}`,
  type,
  time,
  actor: 'admin',
  targetGuid: guid,
  targetType: 'user',
  targetName: user,
  spaceGuid: 'space-guid',
  orgGuid: 'org-guid',
  request: {},
});

describe('the roles of a deleted space', () => {
  it('are each user’s roles when it was deleted, as cf set-space-role names them', () => {
    const events = [
      event('audit.user.space_auditor_remove', '2017-04-02T16:30:00Z', 'pat'),
      event('audit.user.space_auditor_add', '2017-03-20T10:00:00Z', 'pat'),
      event('audit.user.space_developer_add', '2017-03-14T09:04:12Z', 'ravi'),
      event('audit.user.space_supporter_add', '2017-03-15T09:00:00Z', 'sam'),
      event('audit.user.space_manager_add', '2017-03-14T09:02:38Z', 'dana'),
      event('audit.user.space_developer_add', '2017-03-14T09:02:39Z', 'dana'),
      // After the delete: another space's of the same GUID never exists, but a late event is not the deleted space's.
      event('audit.user.space_manager_add', '2017-05-09T15:00:00Z', 'late'),
      event('audit.space.delete-request', '2017-05-09T14:02:11Z', ''),
      event('audit.user.space_developer_add', '2017-03-16T00:00:00Z', '', '3a4b-user-guid'),
    ];
    expect(spaceRolesAt(events, '2017-05-09T14:02:11Z')).toEqual([
      { user: '3a4b-user-guid', roles: ['SpaceDeveloper'] },
      { user: 'dana', roles: ['SpaceDeveloper', 'SpaceManager'] },
      { user: 'ravi', roles: ['SpaceDeveloper'] },
      { user: 'sam', roles: ['SpaceSupporter'] },
    ]);
    expect(spaceRolesAt(events, '').map((r) => r.user)).toContain('late');
  });
});
