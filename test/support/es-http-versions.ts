/**
 * What each Elasticsearch (and OpenSearch) release that Logsearch-era platforms run (from the 2.3 of
 * November 2016; 1.7 only to be refused) answers where
 * the log search looks: the `GET /` body, the product header, whether a point in time and its
 * `_shard_doc` tiebreaker exist, the shape of `hits.total`, the `_type` in hits.
 * The bodies have the fields each release answers with and its version numbers (its Lucene, the
 * oldest wire and index versions it takes); build hashes and dates stand for its own.
 */
export interface EsFlavour {
  /** A short name for tests, e.g. `6.8`. */
  name: string;
  root: Record<string, unknown>;
  /** `x-elastic-product: Elasticsearch` on every answer: Elasticsearch 7.14 and later. */
  productHeader: boolean;
  /** `POST /{index}/_pit`: Elasticsearch 7.10 and later. */
  pit: boolean;
  /** The `_shard_doc` sort (and implicit tiebreaker) of a point in time: Elasticsearch 7.12 and later. */
  shardDoc: boolean;
  /** `hits.total` is a number (before 7) or `{ value, relation }`. */
  totalIsObject: boolean;
  /** `track_total_hits` in a search body: 7.0 and later (5.x refuses it as an unknown key). */
  trackTotalHits: boolean;
  /** The `_type` each hit carries (5.x and 6.x: the mapping type; 7.x: `_doc`; none from 8). */
  type?: string;
  /**
   * How the server answers `POST /{index}/_pit` where it has no point in time: 2.x to 7.9 take it
   * for the typed route that indexes a document with a generated id (`POST /{index}/{type}`) and
   * refuse its empty body, `400 parse_exception: request body is required`; OpenSearch (which has
   * no typed route) answers 405, as `/{index}/{id}` takes GET, PUT, DELETE and HEAD there.
   */
  noHandler: 'typed-route' | 405;
}

function root(number: string, extra: Record<string, unknown>, tagline = 'You Know, for Search'): Record<string, unknown> {
  return {
    name: 'logsearch-es-master-0',
    cluster_name: 'logsearch',
    cluster_uuid: 'x3hYeNlVTd2sj9dSVlDvHw',
    version: { number, ...extra },
    tagline,
  };
}

/** A tarball build's version fields from 6.x on: its hash and date, its Lucene, the oldest wire and index versions it takes. */
interface Build {
  hash: string;
  date: string;
  lucene: string;
  wire: string;
  index: string;
}

function tarball(b: Build, first: Record<string, unknown> = { build_flavor: 'default' }): Record<string, unknown> {
  return {
    ...first,
    build_type: 'tar',
    build_hash: b.hash,
    build_date: b.date,
    build_snapshot: false,
    lucene_version: b.lucene,
    minimum_wire_compatibility_version: b.wire,
    minimum_index_compatibility_version: b.index,
  };
}

function openSearchRoot(number: string, b: Build): Record<string, unknown> {
  return root(number, tarball(b, { distribution: 'opensearch' }), 'The OpenSearch Project: https://opensearch.org/');
}

/** What a release answers, its `GET /` body aside. */
type Answers = Omit<EsFlavour, 'name' | 'root'>;

/** Elasticsearch 7.0 to 7.9, and OpenSearch (forked from 7.10 without its point in time). */
const ES_7: Answers = {
  productHeader: false,
  pit: false,
  shardDoc: false,
  totalIsObject: true,
  trackTotalHits: true,
  type: '_doc',
  noHandler: 'typed-route',
};
/** 7.14 and later 7.x: a point in time with its `_shard_doc` tiebreaker, and the product header. */
const ES_7_14: Answers = { ...ES_7, pit: true, shardDoc: true, productHeader: true };
/** 8 and later: as 7.14, but hits carry no `_type`. */
const ES_8: Answers = { ...ES_7_14, type: undefined };

export const FLAVOURS: EsFlavour[] = [
  {
    // Refused: its query language and error shapes are not those of 2.x and later.
    name: '1.7',
    root: {
      status: 200,
      name: 'logsearch-es-master-0',
      cluster_name: 'logsearch',
      version: {
        number: '1.7.5',
        build_hash: '00f95f4ffca6de89d68b7ccaf80d148f1f70e4d4',
        build_timestamp: '2016-02-02T09:55:30Z',
        build_snapshot: false,
        lucene_version: '4.10.4',
      },
      tagline: 'You Know, for Search',
    },
    ...ES_7,
    totalIsObject: false,
    trackTotalHits: false,
    type: 'syslog',
  },
  {
    // The November-2016 Logsearch (logsearch-boshrelease v203 and its neighbours).
    name: '2.3',
    root: {
      name: 'logsearch-es-master-0',
      cluster_name: 'logsearch',
      version: {
        number: '2.3.5',
        build_hash: '90f439ff60a3c0f497f91663701e64ccd01edbb4',
        build_timestamp: '2016-07-27T10:36:52Z',
        build_snapshot: false,
        lucene_version: '5.5.2',
      },
      tagline: 'You Know, for Search',
    },
    ...ES_7,
    totalIsObject: false,
    trackTotalHits: false,
    type: 'syslog',
  },
  {
    name: '5.6',
    root: root('5.6.16', {
      build_hash: '3a740d1',
      build_date: '2019-03-13T15:33:36.565Z',
      build_snapshot: false,
      lucene_version: '6.6.1',
    }),
    ...ES_7,
    totalIsObject: false,
    trackTotalHits: false,
    type: 'logs',
  },
  {
    name: '6.8',
    root: root('6.8.23', tarball({ hash: '4f67856', date: '2022-01-06T21:30:50.087716Z', lucene: '7.7.3', wire: '5.6.0', index: '5.0.0' })),
    ...ES_7,
    totalIsObject: false,
    type: 'doc',
  },
  {
    name: '7.9',
    root: root(
      '7.9.3',
      tarball({
        hash: 'c4138e51121ef06a6404866cddc601906fe5c868',
        date: '2020-10-16T10:36:16.141335Z',
        lucene: '8.6.2',
        wire: '6.8.0',
        index: '6.0.0-beta1',
      }),
    ),
    ...ES_7,
  },
  {
    name: '7.10',
    root: root(
      '7.10.2',
      tarball({
        hash: '747e1cc71def077253878a59143c1f785afa92b9',
        date: '2021-01-13T00:42:12.435326Z',
        lucene: '8.7.0',
        wire: '6.8.0',
        index: '6.0.0-beta1',
      }),
    ),
    ...ES_7,
    pit: true,
  },
  {
    name: '7.13',
    root: root(
      '7.13.4',
      tarball({
        hash: 'c5f60e894ca0c61cdbae4f5a686d9f08bcefc942',
        date: '2021-07-14T18:33:36.673943207Z',
        lucene: '8.8.2',
        wire: '6.8.0',
        index: '6.0.0-beta1',
      }),
    ),
    ...ES_7,
    pit: true,
    shardDoc: true,
  },
  {
    name: '7.17',
    root: root(
      '7.17.25',
      tarball({
        hash: 'f9b6b57d1d0f76e2d14291c04fb50abeb642cfbf',
        date: '2024-10-16T22:06:36.904732810Z',
        lucene: '8.11.3',
        wire: '6.8.0',
        index: '6.0.0-beta1',
      }),
    ),
    ...ES_7_14,
  },
  {
    name: '8.15',
    root: root(
      '8.15.3',
      tarball({
        hash: 'f97532e680b555c3a05e73a74c28afb666923018',
        date: '2024-10-09T22:08:00.328917561Z',
        lucene: '9.11.1',
        wire: '7.17.0',
        index: '7.0.0',
      }),
    ),
    ...ES_8,
  },
  {
    name: '9.1',
    root: root(
      '9.1.0',
      tarball({
        hash: 'b4b1dd4e1fd6d3b3f4e4bbd1cc4f4a8e2c9f6c3a',
        date: '2025-07-24T22:05:04.526302670Z',
        lucene: '10.2.2',
        wire: '8.19.0',
        index: '8.0.0',
      }),
    ),
    ...ES_8,
  },
  {
    name: 'opensearch-1.3',
    root: openSearchRoot('1.3.19', {
      hash: '7f2ba6e1fba8dd1a5a1d1e1d2c1c9f2a6b1d8b1e',
      date: '2024-08-21T21:26:20.393823Z',
      lucene: '8.10.1',
      wire: '6.8.0',
      index: '6.0.0-beta1',
    }),
    ...ES_7,
    noHandler: 405,
  },
  {
    name: 'opensearch-2.17',
    root: openSearchRoot('2.17.1', {
      hash: '1893d20797e30110e5877170e44d42275ce5951e',
      date: '2024-09-26T21:59:52.691008096Z',
      lucene: '9.11.1',
      wire: '7.10.0',
      index: '7.0.0',
    }),
    ...ES_7,
    type: undefined,
    noHandler: 405,
  },
];

export function flavour(name: string): EsFlavour {
  const f = FLAVOURS.find((x) => x.name === name);
  if (!f) throw new Error(`no Elasticsearch flavour ${name}`);
  return f;
}
