/**
 * Where the S3 of a command is (endpoint, region, addressing). Credentials never travel this way:
 * they stay in the environment's credential chain.
 */
export interface S3Flags {
  s3Endpoint?: string;
  s3Region?: string;
  s3PathStyle?: boolean;
  /** `--s3-timeout`: a duration ("60s", "2m"). */
  s3Timeout?: string;
}
