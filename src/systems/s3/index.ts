export { type S3Options, createS3Store } from './s3.js';
export { s3Reach } from './s3-reach.js';
export { DirectCopy, encodeKey, parseCopyResult, routeOf } from './s3-direct-copy.js';
