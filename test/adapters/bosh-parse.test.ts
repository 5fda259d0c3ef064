import { describe, expect, it } from 'vitest';
import {
  boshFailureText,
  deploymentsFromJson,
  deploymentsFromTable,
  keyifyHeader,
  nameValueRow,
  parseBoshVersion,
  parseJsonUi,
  vmsFromJson,
  vmsFromTable,
} from '../../src/adapters/bosh-parse.js';
import {
  renderV1Deployments,
  renderV1Vms,
  renderV2DeploymentNotFound,
  renderV2Deployments,
  renderV2Vms,
} from '../../src/rehearsal/bosh-formats.js';
import { BOSH_VERSIONS, boshWorld } from '../support/fake-cli/worlds.js';

const CELL = 'cell_z1-partition-cac94a070a81fd8f3931';
const DINGO = 'dingo-postgresql-98b09c4b36af74181ee1';
/** The second cell of the worlds' dingo deployment, as the parsers read it. */
const CELL_1 = {
  instance: `${CELL}/6c1d8f7e-2b0a-4d3e-9f1a-0b2c3d4e5f60`,
  job: CELL,
  id: '6c1d8f7e-2b0a-4d3e-9f1a-0b2c3d4e5f60',
  ips: ['10.58.111.151', '192.168.50.7'],
  state: 'running',
  az: 'z1',
  vmCid: 'vm-cell-1',
};

describe('bosh versions', () => {
  it('tells v2 (`version X`) from v1 (`BOSH X`)', () => {
    expect(parseBoshVersion('version 7.9.1-f1ae6a1-2025-01-10T00:00:00Z\n\nSucceeded\n')).toEqual({
      version: '7.9.1-f1ae6a1-2025-01-10T00:00:00Z',
      major: 2,
    });
    expect(parseBoshVersion('BOSH 1.3262.0\n')).toEqual({ version: '1.3262.0', major: 1 });
    expect(parseBoshVersion('bash: bosh: command not found')).toBeNull();
  });
});

describe('bosh v1 tables', () => {
  it("reads the runbook's deployments table, cut short as it is quoted", () => {
    const sample = [
      '+---------------------------------------+-...',
      '| Name                                  |',
      '+---------------------------------------+-...',
      '| cf-6cd776bba8e791d40f64               |',
      '+---------------------------------------+-...',
      '| dingo-postgresql-98b09c4b36af74181ee1 |',
      '+---------------------------------------+-...',
      '...',
    ].join('\n');
    expect(deploymentsFromTable(sample)).toEqual(['cf-6cd776bba8e791d40f64', DINGO]);
  });

  it("reads the runbook's `bosh vms DEP | grep IP` row, which has no header", () => {
    const sample = `Acting as user 'director' on deployment '${DINGO}' on 'p-bosh-f93dc37aed3d3b4d03e9'\n| ${CELL}/0 | running | ${CELL} | 10.58.111.150 |\n`;
    expect(vmsFromTable(sample)).toEqual([{ instance: `${CELL}/0`, job: CELL, id: '0', ips: ['10.58.111.150'], state: 'running' }]);
  });

  it('reads rendered tables, multi-line cells included', () => {
    const w = boshWorld(BOSH_VERSIONS.v1);
    const deps = w.deployments.map((d) => ({ name: d.name, releases: d.releases ?? [], stemcells: d.stemcells ?? [] }));
    expect(deploymentsFromTable(renderV1Deployments(w.director, deps).stdout)).toEqual(['cf-6cd776bba8e791d40f64', DINGO]);
    const vms = vmsFromTable(renderV1Vms(w.director, DINGO, w.deployments[1]!.vms, 7).stdout);
    expect(vms.map((v) => [v.instance, v.ips])).toEqual([
      ['router-partition-cac94a070a81fd8f3931/0', ['10.58.111.148']],
      [`${CELL}/0`, ['10.58.111.150']],
      [`${CELL}/1`, ['10.58.111.151', '192.168.50.7']],
    ]);
  });

  it('reads the later v1 layout with AZ, a VM column carrying the UUID, and --details CIDs', () => {
    const text = [
      '+----------------------------------------------------------+---------+----+---------+--------------+-----------+',
      '| VM                                                       | State   | AZ | VM Type | IPs          | CID       |',
      '+----------------------------------------------------------+---------+----+---------+--------------+-----------+',
      `| ${CELL}/2 (0c7f2a4e-9a43-4f4e-8d1e-3f3b8d7e2a10)        | running | z2 | cell    | 10.58.112.12 | vm-abc123 |`,
      '+----------------------------------------------------------+---------+----+---------+--------------+-----------+',
    ].join('\n');
    expect(vmsFromTable(text)).toEqual([
      // The UUID is what the cell's syslog names it by; `bosh ssh` of that era takes job/index.
      {
        instance: `${CELL}/2`,
        job: CELL,
        id: '0c7f2a4e-9a43-4f4e-8d1e-3f3b8d7e2a10',
        index: 2,
        ips: ['10.58.112.12'],
        state: 'running',
        az: 'z2',
        vmCid: 'vm-abc123',
      },
    ]);
  });

  it("reads the bootstrap node's marker in every era's name: after the index, or after the UUID", () => {
    const uuid = '5e7c1f0a-2b3c-4d5e-8f90-a1b2c3d4e555';
    const table = (name: string) =>
      ['| Instance | State | AZ | VM Type | IPs |', `| ${name} | running | z1 | cell | 10.58.111.150 |`].join('\n');
    // bosh_cli instances.rb `job/uuid (index)*`; bosh-cli before v0.0.113 `job/uuid* (index)`; neither keeps the marker.
    for (const name of [`${CELL}/${uuid} (0)*`, `${CELL}/${uuid}* (0)`, `${CELL}/${uuid} (0)`])
      expect(vmsFromTable(table(name)), name).toEqual([
        { instance: `${CELL}/${uuid}`, job: CELL, id: uuid, ips: ['10.58.111.150'], state: 'running', az: 'z1' },
      ]);
  });
});

describe('bosh v2 --json', () => {
  it('keyifies header titles as ui/table/headers.go does', () => {
    expect(keyifyHeader('Process State')).toBe('process_state');
    expect(keyifyHeader('Release(s)')).toBe('release_s');
    expect(keyifyHeader('VM CID')).toBe('vm_cid');
    expect(keyifyHeader('IPs')).toBe('ips');
  });

  it("reads the notes' constructed vms document (keyed rows, empty process_state)", () => {
    const doc = {
      Tables: [
        {
          Content: 'vms',
          Header: { instance: 'Instance', ips: 'IPs', process_state: 'Process State', az: 'AZ', vm_cid: 'VM CID' },
          Rows: [
            {
              instance: `cell_z1/6c1d8f7e-2b0a-4d3e-9f1a-0b2c3d4e5f60`,
              ips: '10.58.111.150',
              process_state: 'running',
              vm_cid: 'vm-1',
              az: 'z1',
            },
            {
              instance: 'cell_z1/7d2e0000-2b0a-4d3e-9f1a-0b2c3d4e5f61',
              ips: '10.58.111.151\n10.0.0.9',
              process_state: '',
              vm_cid: 'vm-2',
              az: '',
            },
          ],
          Notes: null,
        },
      ],
      Blocks: null,
      Lines: ["Using environment '10.0.0.6' as client 'admin'", 'Succeeded'],
    };
    expect(vmsFromJson(parseJsonUi(JSON.stringify(doc, null, 4)))).toEqual([
      {
        instance: 'cell_z1/6c1d8f7e-2b0a-4d3e-9f1a-0b2c3d4e5f60',
        job: 'cell_z1',
        id: '6c1d8f7e-2b0a-4d3e-9f1a-0b2c3d4e5f60',
        ips: ['10.58.111.150'],
        state: 'running',
        az: 'z1',
        vmCid: 'vm-1',
      },
      {
        instance: 'cell_z1/7d2e0000-2b0a-4d3e-9f1a-0b2c3d4e5f61',
        job: 'cell_z1',
        id: '7d2e0000-2b0a-4d3e-9f1a-0b2c3d4e5f61',
        ips: ['10.58.111.151', '10.0.0.9'],
        state: 'running',
        vmCid: 'vm-2',
      },
    ]);
  });

  it.each([
    ['keyed rows (bosh-cli ≥ 2.0.13)', BOSH_VERSIONS.v2],
    ['array rows (bosh-cli < 2.0.13)', BOSH_VERSIONS.v2old],
  ])('reads rendered deployments and vms with %s', (_, version) => {
    const w = boshWorld(version);
    const deps = renderV2Deployments(
      version,
      w.director,
      w.deployments.map((d) => ({ name: d.name, releases: d.releases ?? [], stemcells: d.stemcells ?? [] })),
    );
    const raw = JSON.parse(deps.stdout) as { Tables: { Header: unknown; Rows: unknown[] }[] };
    expect(Array.isArray(raw.Tables[0]!.Header)).toBe(version === BOSH_VERSIONS.v2old);
    expect(deps.stdout).toMatch(/^ {4}"Tables": \[/m);
    expect(deploymentsFromJson(parseJsonUi(deps.stdout))).toEqual(['cf-6cd776bba8e791d40f64', DINGO]);
    const vms = vmsFromJson(parseJsonUi(renderV2Vms(version, w.director, DINGO, w.deployments[1]!.vms, 9).stdout));
    expect(vms[2]).toEqual(CELL_1);
  });

  it('reads bosh-cli < 2.0.13 documents as json_ui.go printed them: titles in a list, rows of cells, a results table', () => {
    // ui/json_ui.go before 2.0.13: `Header []string`, `Rows [][]string`; the first VM tables titled the process state `State`.
    const vms = {
      Tables: [
        {
          Content: 'vms',
          Header: ['Instance', 'State', 'AZ', 'IPs', 'VM CID', 'VM Type'],
          Rows: [
            [`${CELL}/6c1d8f7e-2b0a-4d3e-9f1a-0b2c3d4e5f60`, 'running', 'z1', '10.58.111.151\n192.168.50.7', 'vm-cell-1', 'cell'],
            ['?/?', 'unresponsive agent', '', '', '', ''],
          ],
          Notes: null,
        },
      ],
      Blocks: null,
      Lines: ["Using environment '10.0.0.6' as client 'admin'", `Using deployment '${DINGO}'`, 'Task 9', 'Task 9 done', 'Succeeded'],
    };
    expect(vmsFromJson(parseJsonUi(JSON.stringify(vms, null, 4)))).toEqual([
      CELL_1,
      { instance: '?/?', job: '?', id: '?', ips: [], state: 'unresponsive agent' },
    ]);
    // ssh/results_writer.go's table, under the forced terminal: the command's error inside Stdout, CRLF.
    const results = {
      Tables: [
        {
          Content: 'results',
          Header: ['Instance', 'Stdout', 'Stderr', 'Exit Code', 'Error'],
          Rows: [[`${CELL}/0`, 'a\r\noops\r\n', 'Connection to 10.58.111.150 closed.\r\n', '3', '']],
          Notes: null,
        },
      ],
      Blocks: null,
      Lines: ['Exit code 1'],
    };
    expect(parseJsonUi(JSON.stringify(results)).tables[0]!.rows).toEqual([
      { instance: `${CELL}/0`, stdout: 'a\r\noops\r\n', stderr: 'Connection to 10.58.111.150 closed.\r\n', exit_code: '3', error: '' },
    ]);
  });

  it('keys a table without titles col_0, col_1… in both eras, and folds name/value rows into one row', () => {
    const old = parseJsonUi(
      '{"Tables":[{"Content":"","Header":null,"Rows":[["Name","p-bosh"],["User","admin"]],"Notes":null}],"Lines":[]}',
    );
    const keyed = parseJsonUi(
      '{"Tables":[{"Content":"","Header":{"col_0":"","col_1":""},"Rows":[{"col_0":"Name","col_1":"p-bosh"},{"col_0":"User","col_1":"admin"}]}],"Lines":[]}',
    );
    expect(old.tables[0]!.rows).toEqual(keyed.tables[0]!.rows);
    expect(nameValueRow(old.tables[0]!.rows)).toEqual({ name: 'p-bosh', user: 'admin' });
    expect(nameValueRow([{ col_0: 'Name', col_1: 'p-bosh', col_2: 'x' }])).toBeNull();
    expect(nameValueRow([])).toBeNull();
  });

  it('extracts the reason from an error document and from plain text', () => {
    const w = boshWorld(BOSH_VERSIONS.v2);
    expect(boshFailureText(renderV2DeploymentNotFound(BOSH_VERSIONS.v2, w.director, 'nope'))).toMatch(/Deployment 'nope' doesn't exist/);
    expect(
      boshFailureText({ stdout: "Acting as user 'director' on 'x'\nError 70000: Deployment 'nope' doesn't exist\n", stderr: '' }),
    ).toBe("Error 70000: Deployment 'nope' doesn't exist");
    // ui/task/reporter.go ends a task's line apart: `Task 42`, then `. Error`.
    const failed = {
      Tables: [],
      Blocks: ['  L Error: Timed out pinging VM'],
      Lines: ['Using environment', 'Task 42', '. Error', 'Exit code 1'],
    };
    expect(boshFailureText({ stdout: JSON.stringify(failed), stderr: '' })).toBe('L Error: Timed out pinging VM');
    expect(() => parseJsonUi('{"foo":1}')).toThrow(/not a bosh --json document/);
  });
});
