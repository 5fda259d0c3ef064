/**
 * Where a snapshot's rehearsal places the new instance: the deleted instance's cell when it was read
 * with its registrator, else another Dingo cell that was (read for it, registrator only), since a
 * recovery checks registrator runs where the new container runs; when no cell can be read, the
 * deleted instance's, said among the gaps.
 */
import { describe, expect, it } from 'vitest';
import { readCellsAndEtcd } from '../../src/snapshot/cells-read.js';
import type { CellAccess, CellSession } from '../../src/core/seams.js';
import type { CellWorld } from '../../src/rehearsal/cell-world.js';
import { Redactor } from '../../src/core/redact.js';
import { simRunner } from '../support/sim-runner.js';
import { registratorContainer, sampleCell } from '../support/sample-cell.js';

const HOME = '10.58.111.150';
const OTHER = '10.58.111.151';
const THIRD = '10.58.111.152';

/** Cells by IP; an IP without a world answers as a cell the operator's SSH cannot reach. */
function access(worlds: Record<string, CellWorld>, opened: string[]): CellAccess {
  return {
    open: (ip) => {
      opened.push(ip);
      const w = worlds[ip];
      if (!w) return Promise.reject(new Error(`ssh: connect to host ${ip} port 22: Connection timed out`));
      const session: CellSession = {
        ...simRunner(w),
        etcd: () => Promise.reject(new Error('no etcd here')),
        close: () => Promise.resolve(),
      };
      return Promise.resolve(session);
    },
  };
}

function cell(ip: string, registrator = true): CellWorld {
  const w = sampleCell();
  w.ip = ip;
  w.containers = registrator ? { registrator: { ...registratorContainer(), image: 'gliderlabs/registrator:latest' } } : {};
  return w;
}

const docker = { redactor: new Redactor() };
const nodes = [{ container: 'cf-c8ce128e-7b4c-4fe7-a533-e9379356f906', cellIp: HOME }];

describe("a snapshot's placement of the new instance", () => {
  it("is the deleted instance's cell when it was read with its registrator", async () => {
    const gaps: string[] = [];
    const opened: string[] = [];
    const read = await readCellsAndEtcd(
      access({ [HOME]: cell(HOME), [OTHER]: cell(OTHER) }, opened),
      [HOME, OTHER],
      nodes,
      docker,
      [],
      gaps,
      HOME,
    );
    expect(read.placementCell).toBe(HOME);
    expect(opened).toEqual([HOME]);
    expect(Object.keys(read.cells[HOME]!.containers)).toEqual(['registrator']);
    expect(gaps).toEqual([]);
  });

  it("is another cell read with its registrator, whatever its image, when the deleted instance's could not be read", async () => {
    const gaps: string[] = [];
    const opened: string[] = [];
    const worlds = { [OTHER]: cell(OTHER, false), [THIRD]: cell(THIRD) };
    const read = await readCellsAndEtcd(access(worlds, opened), [HOME, OTHER, THIRD], nodes, docker, [], gaps, HOME);
    expect(read.placementCell).toBe(THIRD);
    expect(opened).toEqual([HOME, OTHER, THIRD]);
    expect(read.cells[THIRD]!.containers.registrator!.image).toBe('gliderlabs/registrator:latest');
    expect(gaps).toEqual([
      `cell ${HOME}: ssh: connect to host ${HOME} port 22: Connection timed out`,
      `the new instance is placed on cell ${THIRD}, read with its registrator, not on ${HOME}`,
    ]);
  });

  it("stays on the deleted instance's cell when no cell can be read, and says where the rehearsal will stop", async () => {
    const gaps: string[] = [];
    const read = await readCellsAndEtcd(access({}, []), [HOME, OTHER], nodes, docker, [], gaps, HOME);
    expect(read.placementCell).toBe(HOME);
    expect(gaps.at(-1)).toBe(
      `no cell could be read with its registrator: the new instance is placed on ${HOME}, where a rehearsal stops at the registrator check`,
    );
    expect(gaps.filter((g) => g.includes('Connection timed out'))).toHaveLength(2);
  });
});
