/** Parameter and output groups several actions declare alike. */
import { output, required } from '../../engine/runbook/index.js';

/** The container a step acts on and the cell that runs it. */
export function containerOn(cell: string, container: string) {
  return { cellIp: required('string', cell), container: required('string', container) };
}

/** The new instance's container, as the runbook learns it from BOSH and the cell. */
export const newContainer = containerOn('cell running the new container', 'the new container (cf-<node-uuid>)');

/** The new instance's cluster: its container, its Patroni scope and the etcd it keeps its keys in. */
export const newCluster = {
  ...newContainer,
  instanceGuid: required('string', 'the NEW instance (PATRONI_SCOPE)'),
  etcdHostPort: required('string', 'ETCD_HOST_PORT of the container'),
};

/** What a run's closing report step returns. */
export const reportOutputs = { reportFile: output('string', 'where the incident report (Markdown) is written when the run ends') };
