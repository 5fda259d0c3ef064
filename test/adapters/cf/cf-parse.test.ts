import { describe, expect, it } from 'vitest';
import {
  failureText,
  isAlreadyExists,
  isServiceNotFound,
  parseApps,
  parseBoundAppsText,
  parseGuidLine,
  parseStatusText,
  parseCurlBody,
  statusFromV2,
  statusFromV3,
  cfCurlHasFail,
  cfEra,
  parseCfVersionOutput,
} from '../../../src/adapters/cf/index.js';
import { renderApps, renderTarget, renderCreateService, renderService, renderServiceNotFound } from '../../../src/rehearsal/cf/index.js';
import { CF_VERSIONS } from '../../support/fake-cli/worlds.js';

const who = { org: 'org', space: 'important-space-and-all-databases', user: 'admin' };
const ERAS = [
  ['legacy', CF_VERSIONS.legacy],
  ['6.33–7.x (6.53)', CF_VERSIONS.v6],
  ['6.33–7.x (7.7)', CF_VERSIONS.v7],
  ['8.x', CF_VERSIONS.v8],
] as const;

describe('cf versions', () => {
  it('maps versions to the three output eras at 6.33 and 8.0', () => {
    expect(cfEra('6.21.1+6fd3c9f-2016-08-10')).toBe('legacy');
    expect(cfEra('6.32.9')).toBe('legacy');
    expect(cfEra('6.33.0+a345a3e.2017-11-20')).toBe('v6');
    expect(cfEra('7.7.15+9d1b9a5.2024-10-11')).toBe('v6');
    expect(cfEra('8.0.0+e8d41cf8e.2021-09-16')).toBe('v8');
    expect(cfCurlHasFail('6.42.0')).toBe(false);
    expect(cfCurlHasFail('6.43.0')).toBe(true);
  });

  it('reads `cf version` output', () => {
    expect(parseCfVersionOutput('cf version 8.9.1+6c6aa0f.2024-11-05\n')).toBe('8.9.1+6c6aa0f.2024-11-05');
    expect(parseCfVersionOutput('cf.exe version 6.21.1+6fd3c9f-2016-08-10\n')).toBe('6.21.1+6fd3c9f-2016-08-10');
    // The CLI names itself as it was run: the cf7-cli and cf8-cli packages install cf7 and cf8.
    expect(parseCfVersionOutput('cf8 version 8.9.1+6c6aa0f.2024-11-05\n')).toBe('8.9.1+6c6aa0f.2024-11-05');
    expect(parseCfVersionOutput('cf7 version 7.7.2+4ac5a6e.2022-05-31\n')).toBe('7.7.2+4ac5a6e.2022-05-31');
    expect(parseCfVersionOutput("Incorrect Usage: unknown flag `version'\n")).toBeNull();
    expect(parseCfVersionOutput('something else')).toBeNull();
  });
});

describe('service not found, every era', () => {
  it.each(ERAS)('%s: exit 1 with the era text is "not found", and only for that name', (_, version) => {
    const r = renderServiceNotFound(version, 'important-db');
    expect(r.exitCode).toBe(1);
    expect(isServiceNotFound(r, 'important-db')).toBe(true);
    expect(isServiceNotFound(r, 'other-db')).toBe(false);
    expect(failureText(r)).toMatch(/Service instance '?important-db'? not found/);
  });

  it('places the reason where each era prints it', () => {
    expect(renderServiceNotFound(CF_VERSIONS.legacy, 'x')).toMatchObject({ stdout: 'FAILED\nService instance x not found\n', stderr: '' });
    expect(renderServiceNotFound(CF_VERSIONS.v6, 'x')).toMatchObject({ stdout: 'FAILED\n', stderr: 'Service instance x not found\n' });
    expect(renderServiceNotFound(CF_VERSIONS.v8, 'x')).toMatchObject({ stdout: 'FAILED\n', stderr: "Service instance 'x' not found\n" });
  });
});

describe('the --guid output', () => {
  it('takes the last GUID line, as in the runbook sample', () => {
    expect(parseGuidLine('78218ded-7d88-4d69-bd44-6f478c300134\n')).toBe('78218ded-7d88-4d69-bd44-6f478c300134');
    expect(parseGuidLine('Warning: API version 2.54 is old\n78218ded-7d88-4d69-bd44-6f478c300134\n')).toBe(
      '78218ded-7d88-4d69-bd44-6f478c300134',
    );
    expect(parseGuidLine('OK\n')).toBeNull();
  });
});

describe('create-service', () => {
  it.each(ERAS)('%s: the exit-0 "already exists" trap is recognised', (_, version) => {
    const r = renderCreateService(version, who, 'important-db', 'exists');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^OK$/m);
    expect(isAlreadyExists(r.stdout, 'important-db')).toBe(true);
    expect(isAlreadyExists(renderCreateService(version, who, 'important-db', 'in progress').stdout, 'important-db')).toBe(false);
  });

  it('recognises the texts quoted in the notes', () => {
    expect(isAlreadyExists('Creating service instance x in org o / space s as u...\nOK\n\nService x already exists\n', 'x')).toBe(true);
    expect(isAlreadyExists('OK\n\nService instance x already exists\n', 'x')).toBe(true);
    expect(isAlreadyExists('OK\n\nService instance xy already exists\n', 'x')).toBe(false);
  });
});

describe('cf apps', () => {
  const apps = [
    { name: 'their-app', state: 'started' as const, instances: '1/1', memory: '1G', disk: '1G', urls: ['their-app.example.com'] },
    { name: 'their worker', state: 'stopped' as const, instances: '0/1', memory: '256M', disk: '1G', urls: [] },
  ];
  it.each(ERAS)('%s: both table formats and "No apps found"', (_, version) => {
    expect(parseApps(renderApps(version, who, apps).stdout)).toEqual(['their-app', 'their worker']);
    expect(parseApps(renderApps(version, who, []).stdout)).toEqual([]);
  });

  it('reads the v6 and v7 column layouts from the notes', () => {
    const v6 =
      'Getting apps in org o / space s as u...\nOK\n\nname   requested state   instances   memory   disk   urls\nweb    started           1/1         1G       1G     web.example.com\n';
    const v7 =
      'Getting apps in org o / space s as u...\n\nname   requested state   processes           routes\nweb    started           web:1/1, worker:0/1   web.example.com\n';
    expect(parseApps(v6)).toEqual(['web']);
    expect(parseApps(v7)).toEqual(['web']);
    expect(() => parseApps('Getting apps...\nsomething odd\n')).toThrow(/no apps table/);
  });
});

describe('the last operation in `cf service NAME`', () => {
  const op = {
    type: 'create' as const,
    state: 'failed' as const,
    description: 'no cell has room',
    createdAt: '2024-05-01T10:00:00Z',
    updatedAt: '2024-05-01T10:01:00Z',
  };
  const view = {
    name: 'important-db',
    guid: '78218ded-7d88-4d69-bd44-6f478c300134',
    offering: 'dingo-postgresql95',
    plan: 'solo',
    broker: 'dingo',
    description: 'PG',
    lastOperation: op,
    boundApps: ['their-app', 'their worker'],
  };

  it.each(ERAS)('%s: status, message and bound apps', (_, version) => {
    const text = renderService(version, who, view).stdout;
    expect(parseStatusText(text)).toEqual({ type: 'create', state: 'failed', description: 'no cell has room' });
    expect(parseBoundAppsText(text)).toEqual(['their-app', 'their worker']);
    expect(parseBoundAppsText(renderService(version, who, { ...view, boundApps: [] }).stdout)).toEqual([]);
  });

  it('parses the three blocks quoted in the notes', () => {
    const legacy =
      'Service instance: NAME\nService: LABEL\nBound apps: a1, a2\nTags: \nPlan: solo\n\nLast Operation\nStatus: create in progress\nMessage: provisioning\nStarted: 2016-03-17T00:37:38Z\nUpdated: 2016-03-17T00:37:38Z\n';
    const v6 =
      'Showing info of service NAME in org O / space S as U...\n\nname:            NAME\nservice:         LABEL\n\nShowing status of last operation from service NAME...\n\nstatus:    create succeeded\nmessage:   \n';
    const v8 =
      'name:            NAME\nguid:            GUID\ntype:            managed\n\nShowing status of last operation:\n   status:    create failed\n   message:   out of cells\n';
    expect(parseStatusText(legacy)).toEqual({ type: 'create', state: 'in progress', description: 'provisioning' });
    expect(parseBoundAppsText(legacy)).toEqual(['a1', 'a2']);
    expect(parseStatusText(v6)).toEqual({ type: 'create', state: 'succeeded', description: '' });
    expect(parseStatusText(v8)).toEqual({ type: 'create', state: 'failed', description: 'out of cells' });
    expect(parseStatusText('name: x\n')).toBeNull();
  });
});

describe('cf target', () => {
  it.each(ERAS)('%s: prints the org and space', (_, version) => {
    const r = renderTarget(version, { apiUrl: 'https://api.x', apiVersion: '2.54.0', ...who });
    expect(r.stdout).toMatch(/^(Org|org):\s+org$/m);
    expect(r.stdout).toMatch(/^(Space|space):\s+important-space-and-all-databases$/m);
  });
  it("uses each era's endpoint label", () => {
    const t = { apiUrl: 'https://api.x', apiVersion: '2.54.0', ...who };
    expect(renderTarget(CF_VERSIONS.legacy, t).stdout).toMatch(/^API endpoint:\s+https:\/\/api\.x \(API version: 2\.54\.0\)$/m);
    expect(renderTarget(CF_VERSIONS.v6, t).stdout).toMatch(/^api endpoint:/m);
    expect(renderTarget(CF_VERSIONS.v8, t).stdout).toMatch(/^API endpoint:/m);
  });
});

describe('cf curl bodies', () => {
  it('reads the v3 and v2 resources from the notes', () => {
    const v3 = parseCurlBody(
      '{"guid":"c89b3280-0000-4000-8000-000000000000","name":"my-managed-instance","type":"managed","last_operation":{"type":"create","state":"succeeded","description":"Operation succeeded","updated_at":"2020-03-10T15:49:32Z","created_at":"2020-03-10T15:49:29Z"},"relationships":{"space":{"data":{"guid":"5a84d315"}}}}',
    );
    expect(v3.kind).toBe('json');
    expect(v3.kind === 'json' && statusFromV3(v3.body)).toEqual({
      type: 'create',
      state: 'succeeded',
      description: 'Operation succeeded',
      source: 'v3',
    });
    // Legacy CLIs re-indent the body.
    const v2 = parseCurlBody(
      JSON.stringify(
        {
          metadata: { guid: 'g' },
          entity: {
            name: 'n',
            space_guid: 's',
            type: 'managed_service_instance',
            last_operation: { type: 'create', state: 'in progress', description: '', updated_at: null, created_at: 'x' },
          },
        },
        null,
        3,
      ),
    );
    expect(v2.kind === 'json' && statusFromV2(v2.body)).toEqual({ type: 'create', state: 'in progress', description: '', source: 'v2' });
  });

  it('recognises error bodies printed with exit 0', () => {
    expect(parseCurlBody('{"errors":[{"detail":"Service instance not found","title":"CF-ResourceNotFound","code":10010}]}')).toMatchObject({
      kind: 'error',
      notFound: true,
    });
    expect(parseCurlBody('{\n   "code": 10000,\n   "description": "Unknown request",\n   "error_code": "CF-NotFound"\n}\n')).toMatchObject({
      kind: 'error',
      notFound: true,
      message: 'Unknown request',
    });
    expect(parseCurlBody('{"errors":[{"detail":"You are not authorized","title":"CF-NotAuthorized","code":10003}]}')).toMatchObject({
      kind: 'error',
      notFound: false,
    });
    expect(parseCurlBody('<html>502 Bad Gateway</html>')).toEqual({ kind: 'unparseable' });
  });
});

describe('parseTargetText', () => {
  it('reads the legacy, v6 and v7+ spellings of cf target', async () => {
    const { parseTargetText } = await import('../../../src/adapters/cf/cf-parse.js');
    expect(
      parseTargetText(
        '\nAPI endpoint:   https://api.a.example.com (API version: 2.51.0)\nUser:           admin\nOrg:            acme\nSpace:          s1\n',
      ),
    ).toEqual({
      api: 'https://api.a.example.com',
      user: 'admin',
      org: 'acme',
      space: 's1',
    });
    expect(
      parseTargetText(
        'api endpoint:   https://api.b.example.com\napi version:    2.150.0\nuser:           ops\norg:            o\nspace:          s\n',
      ).api,
    ).toBe('https://api.b.example.com');
    expect(
      parseTargetText(
        'API endpoint:   https://api.c.example.com\nAPI version:    3.180.0\nuser:           u\norg:            o\nspace:          s\n',
      ),
    ).toMatchObject({ api: 'https://api.c.example.com', user: 'u' });
  });
});
