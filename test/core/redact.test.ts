import { describe, expect, it } from 'vitest';
import { REDACTED, Redactor } from '../../src/core/redact.js';

describe('the redactor', () => {
  it('refuses GUIDs, paths and URLs, which name what a run acts on', () => {
    const r = new Redactor();
    for (const v of ['6E101B27-EE1B-4F4D-A032-4401A3709EC3', '/var/vcap/store', 's3://our-postgresql-backups/backups/']) r.register(v);
    expect(r.size).toBe(0);
    r.register('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY');
    expect(r.redact('key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')).toBe(`key ${REDACTED}`);
  });

  it('never redacts a value kept visible, registered before or after', () => {
    const r = new Redactor();
    r.register('our-postgresql-backups');
    r.keepVisible('our-postgresql-backups');
    r.register('our-postgresql-backups');
    expect(r.redact('s3://our-postgresql-backups/backups/x/wal/')).toBe('s3://our-postgresql-backups/backups/x/wal/');
  });
});
