export { PAGE_SIZE, createEsClient, searchEs, toLine } from './elasticsearch.js';
export { EsHttpClient } from './elasticsearch-http.js';
export { UnsupportedServer, describeServer, totalHits } from './elasticsearch-version.js';
