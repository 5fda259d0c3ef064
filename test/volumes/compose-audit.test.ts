import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { UsageError } from '../../src/core/errors.js';
import { auditCompose, renderAudit } from '../../src/volumes/compose-audit.js';

// The mastodon docker-compose.yml of seed 004 (v1.3.2), volumes commented out as shipped.
const MASTODON = `version: '2'
services:

  db:
    restart: always
    image: postgres:alpine
### Uncomment to enable DB persistance
#    volumes:
#      - ./postgres:/var/lib/postgresql/data

  redis:
    restart: always
    image: redis:alpine
### Uncomment to enable REDIS persistance
#    volumes:
#      - ./redis:/data

  web:
    restart: always
    build: .
    image: gargron/mastodon
    volumes:
      - ./public/assets:/mastodon/public/assets
      - ./public/system:/mastodon/public/system
`;

describe('compose audit', () => {
  it('names the database and the cache of seed 004 with the lines to add, and not the web service', () => {
    const r = auditCompose('docker-compose.yml', MASTODON);
    expect(r).toMatchObject({ services: 3, stateful: 2 });
    expect(r.findings.map((f) => [f.service, f.line, f.dataPath])).toEqual([
      ['db', 4, '/var/lib/postgresql/data'],
      ['redis', 11, '/data'],
    ]);
    // The suggested lines are valid compose YAML that mounts a named volume on the data path.
    const fix = parse(r.findings[0]!.fix) as { services: { db: { volumes: string[] } }; volumes: Record<string, null> };
    expect(fix.services.db.volumes).toEqual(['db-data:/var/lib/postgresql/data']);
    expect(Object.keys(fix.volumes)).toEqual(['db-data']);
    expect(renderAudit(r)).toContain(
      'docker-compose.yml:4: service "db" (postgres:alpine, PostgreSQL) keeps its data in /var/lib/postgresql/data',
    );
  });

  it('accepts named volumes, bind mounts and long syntax; flags an anonymous volume and follows PGDATA', () => {
    const r = auditCompose(
      'c.yml',
      `services:
  named: { image: postgres:16, volumes: ["pg:/var/lib/postgresql/data"] }
  bind: { image: mysql:8, volumes: ["./mysql:/var/lib/mysql:rw"] }
  long: { image: docker.io/library/mongo:7, volumes: [{ type: volume, source: m, target: /data/db }] }
  parent: { image: redis, volumes: ["./r:/"] }
  anon: { image: mariadb:11, volumes: ["/var/lib/mysql"] }
  pgdata: { image: postgres:15, environment: { PGDATA: /var/lib/postgresql/data/pgdata }, volumes: ["/var/lib/postgresql/data/pgdata"] }
  tmp: { image: redis:7, volumes: [{ type: tmpfs, target: /data }] }
  app: { image: nginx }
volumes: { pg: {}, m: {} }
`,
    );
    expect(r.findings.map((f) => [f.service, f.now])).toEqual([
      ['anon', 'an anonymous volume at /var/lib/mysql'],
      ['pgdata', 'an anonymous volume at /var/lib/postgresql/data/pgdata'],
      ['tmp', 'no volume (the image keeps it in an anonymous one)'],
    ]);
    expect(r.stateful).toBe(7);
  });

  it('refuses a file that is not a compose file, saying where', () => {
    expect(() => auditCompose('x.yml', 'a: [')).toThrow(UsageError);
    expect(() => auditCompose('x.yml', 'name: x\n')).toThrow(/x.yml has no "services:" mapping/);
  });
});
