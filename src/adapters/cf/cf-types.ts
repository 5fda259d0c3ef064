/** What the cf adapter reports about service instances, whatever the CLI era. */
const OPERATION_TYPES = ['create', 'update', 'delete'] as const;
const OPERATION_STATES = ['in progress', 'succeeded', 'failed'] as const;
export type OperationType = (typeof OPERATION_TYPES)[number];
export type OperationState = (typeof OPERATION_STATES)[number];

export function isOperationType(value: unknown): value is OperationType {
  return OPERATION_TYPES.some((t) => t === value);
}

export function isOperationState(value: unknown): value is OperationState {
  return OPERATION_STATES.some((s) => s === value);
}

export interface LastOperation {
  type: OperationType;
  state: OperationState;
  description: string;
  createdAt: string;
  updatedAt: string;
}

export interface ServiceStatus {
  type: OperationType;
  state: OperationState;
  description: string;
  /** Where the status came from: v3 or v2 JSON through `cf curl`, or the text of `cf service`. */
  source: 'v3' | 'v2' | 'text';
}

/** One run of a command as the CLI prints it. */
export interface Rendered {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Who is targeted where, as the CLI echoes it in its preambles. */
export interface CfWho {
  org: string;
  space: string;
  user: string;
}
