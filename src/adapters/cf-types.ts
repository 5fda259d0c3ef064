/** What the cf adapter reports about service instances, whatever the CLI era. */
export type OperationType = 'create' | 'update' | 'delete';
export type OperationState = 'in progress' | 'succeeded' | 'failed';

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
