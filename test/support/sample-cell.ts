/** A cell as the seed runbook shows it: one patroni container of a new instance, plus registrator. */
import type { CellWorld, SimContainer } from '../../src/rehearsal/cell-sim.js';

export const NEW_GUID = '78218ded-7d88-4d69-bd44-6f478c300134';
export const CONTAINER = 'cf-52167ceb-bd3d-4bff-8699-a239d21c5379';
export const DATA_DIR = `/var/vcap/store/cf-containers-broker/${CONTAINER}/data`;
export const SUPERUSER_PASSWORD = 'su-pass-7f3a9c1e';
export const AWS_SECRET = 'aws-secret-Zq81bN0xLm';
export const APP_PASSWORD = 'app-pass-0d9e8f7a';

function patroni(overrides: Partial<SimContainer> = {}): SimContainer {
  return {
    id: '0abe124b987d010de6c0e8079908210e89ca6562c3c08536bc118de0da2cef46',
    name: CONTAINER,
    image: 'cfcommunity/postgresql-patroni:9.5',
    env: [
      'ETCD_HOST_PORT=10.58.111.149:4001',
      'AWS_ACCESS_KEY_ID=AKIAEXAMPLE12345',
      `AWS_SECRET_ACCESS_KEY=${AWS_SECRET}`,
      'WAL_S3_BUCKET=our-postgresql-backups',
      'AWS_REGION=us-east-1',
      `PATRONI_SCOPE=${NEW_GUID}`,
      'NODE_ID=52167ceb-bd3d-4bff-8699-a239d21c5379',
      'SUPERUSER_USERNAME=pgadmin',
      `SUPERUSER_PASSWORD=${SUPERUSER_PASSWORD}`,
      'APPUSER_USERNAME=appuser',
      `APPUSER_PASSWORD=${APP_PASSWORD}`,
    ],
    mounts: [{ Source: DATA_DIR, Destination: '/data', Mode: '', RW: true }],
    running: true,
    exitCode: 0,
    startedAt: '2016-03-18T00:41:00.000Z',
    finishedAt: '0001-01-01T00:00:00Z',
    logs: ['52167c-startup> public :5432 address 10.58.111.150:32785', '52167c-patroni> starting PostgreSQL'],
    pg: { ready: true, inRecovery: false, pollsUntilPromoted: 0, roles: { pgadmin: SUPERUSER_PASSWORD, appuser: APP_PASSWORD } },
    ...overrides,
  };
}

/** The registrator container every Dingo cell runs (stopped: as it is after it exited). */
export function registratorContainer(running = true): SimContainer {
  return {
    ...patroni(),
    id: '9b35a273ae9a41b7d3e1f1f4b7c7a2f6f3a1d0c9e8b7a6f5e4d3c2b1a0f9e8d7',
    name: 'registrator',
    image: 'cfcommunity/registrator:latest',
    env: ['PATH=/bin'],
    mounts: [],
    startedAt: '2016-03-16T00:00:00.000Z',
    logs: [],
    ...(running ? {} : { running: false, exitCode: 2, finishedAt: '2016-03-17T06:02:11.000000000Z' }),
  };
}

export function sampleCell(): CellWorld {
  const registrator = registratorContainer();
  return {
    ip: '10.58.111.150',
    dockerVersion: '1.11.0',
    containers: { [CONTAINER]: patroni(), registrator },
    files: {
      '/var/vcap/store/cf-containers-broker': [CONTAINER],
      [`/var/vcap/store/cf-containers-broker/${CONTAINER}`]: ['data'],
      [DATA_DIR]: ['postgres0', 'wal-e'],
      [`${DATA_DIR}/postgres0`]: ['PG_VERSION', 'global'],
    },
  };
}
