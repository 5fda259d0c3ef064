/**
 * Starting worlds for the cf and bosh simulators, named after the runbook's example
 * (org `org`, space `important-space-and-all-databases`, cell 10.58.111.150).
 */
import type { CfWorld } from '../../../src/rehearsal/cf/index.js';
import type { BoshWorld } from '../../../src/rehearsal/bosh-sim.js';

export const CF_VERSIONS = {
  legacy: '6.21.1+6fd3c9f-2016-08-10',
  preFail: '6.40.1+85d4d4f3e.2018-10-10',
  v6: '6.53.0+8e2b70a4a.2020-10-01',
  v7: '7.7.15+9d1b9a5.2024-10-11',
  v8: '8.9.1+6c6aa0f.2024-11-05',
} as const;

export const SPACE_GUID = '5a84d315-9513-4d74-95e5-f6a5501eeef7';
export const NEW_GUID = '78218ded-7d88-4d69-bd44-6f478c300134';

export function cfWorld(version: string, overrides: Partial<CfWorld> = {}): CfWorld {
  return {
    version,
    api: { url: 'https://api.sys.example.com', version: version.startsWith('8') ? '3.180.0' : '2.54.0' },
    user: 'admin',
    target: { org: null, space: null },
    orgs: [
      {
        name: 'org',
        guid: '1c0e6074-777f-450e-9abc-c42f39d9b75b',
        spaces: [
          {
            name: 'important-space-and-all-databases',
            guid: SPACE_GUID,
            apps: [
              { name: 'their-app', guid: 'e9bd1a68-1ab5-4d7b-9ed4-3c3d5b0e2d20', state: 'started', boundServiceGuids: [] },
              { name: 'their worker', guid: '0d4b3e9c-5b3f-4d1a-8f6e-1a2b3c4d5e6f', state: 'stopped', boundServiceGuids: [] },
            ],
          },
          { name: 'empty', guid: '2f1e5a54-1a55-4d5b-8c1e-9a1f0e0e0e0e', apps: [] },
        ],
      },
    ],
    offerings: [
      {
        label: 'dingo-postgresql95',
        guid: 'beb5973c-e1b2-11e5-a736-c7c0b526363d',
        broker: 'dingo-postgresql',
        description: 'PostgreSQL 9.5 service for application development and testing',
        plans: [
          { name: 'solo', guid: '1545e30e-6dc3-11e5-826a-6c4008a663f0' },
          { name: 'cluster', guid: '2545e30e-6dc3-11e5-826a-6c4008a663f0' },
        ],
      },
    ],
    instances: [],
    nextInstanceGuids: [NEW_GUID],
    ...overrides,
  };
}

export const BOSH_VERSIONS = { v1: '1.3262.0', v2old: '2.0.1', v2: '7.9.1-f1ae6a1-2025-01-10T00:00:00Z' } as const;

export function boshWorld(version: string): BoshWorld {
  const v2 = !version.startsWith('1.');
  return {
    version,
    director: { name: 'p-bosh-f93dc37aed3d3b4d03e9', url: '10.0.0.6', user: v2 ? 'admin' : 'director' },
    deployments: [
      {
        name: 'cf-6cd776bba8e791d40f64',
        releases: ['cf/231'],
        stemcells: ['bosh-vsphere-esxi-ubuntu-trusty-go_agent/3146'],
        vms: [
          {
            job: 'router_z1',
            id: 'a1b2c3d4-0000-4000-8000-000000000001',
            index: 0,
            ips: ['10.58.111.10'],
            state: 'running',
            az: 'z1',
            vmCid: 'vm-router',
          },
        ],
      },
      {
        name: 'dingo-postgresql-98b09c4b36af74181ee1',
        releases: ['dingo-postgresql/0.9.3', 'etcd/57'],
        stemcells: ['bosh-vsphere-esxi-ubuntu-trusty-go_agent/3146'],
        vms: [
          {
            job: 'router-partition-cac94a070a81fd8f3931',
            id: '3a977637-afdc-4a51-bb8a-d82aa4f0dcd4',
            index: 0,
            ips: ['10.58.111.148'],
            state: 'running',
            az: 'z1',
            vmCid: 'vm-router-dingo',
          },
          {
            job: 'cell_z1-partition-cac94a070a81fd8f3931',
            id: '14ddd22e-719e-4aca-b318-7f291c97fbba',
            index: 0,
            ips: ['10.58.111.150'],
            state: 'running',
            az: 'z1',
            vmCid: 'vm-cell-0',
          },
          {
            job: 'cell_z1-partition-cac94a070a81fd8f3931',
            id: '6c1d8f7e-2b0a-4d3e-9f1a-0b2c3d4e5f60',
            index: 1,
            ips: ['10.58.111.151', '192.168.50.7'],
            state: 'running',
            az: 'z1',
            vmCid: 'vm-cell-1',
          },
        ],
      },
    ],
  };
}
