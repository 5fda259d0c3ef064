export { type S3Options, createS3Store } from './s3.js';
export { DirectCopy, encodeKey, parseCopyResult, routeOf } from './s3-direct-copy.js';
export { isNotFound } from './s3-errors.js';
