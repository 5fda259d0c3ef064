/**
 * The simulated Elasticsearch analyses text as Logsearch's clusters do (es-http-mappings.ts): the
 * standard analyzer's words, phrases as consecutive words, keyword fields whole. A phrase that
 * cannot match on a real cluster matches nothing here either.
 */
import { describe, expect, it } from 'vitest';
import { PHRASES } from '../../src/logs/search-terms.js';
import { analyse, fieldType, GENERATIONS, phraseMatches, tokensMatch } from '../support/es-http-mappings.js';
import { matches } from '../support/es-http-query.js';

const segmenter = new Intl.Segmenter('en', { granularity: 'word' });
const icu = (x: string): string[] => [...segmenter.segment(x)].filter((g) => g.isWordLike).map((g) => g.segment.toLowerCase());

const BROKER =
  '{"timestamp":"1458195017.896692991","source":"dingo-postgresql-broker","message":"dingo-postgresql-broker.deprovision.start","log_level":1,"data":{"instance-id":"6e101b27-ee1b-4f4d-a032-4401a3709ec3"}}';
const LOOKUP = 'looking up public host:port from etcd -> http://10.58.111.150:4001/v2/keys/postgresql-patroni/x:cf-1:5432';

describe('the standard analyzer', () => {
  it.each([
    BROKER,
    '6e101b27-ee1b-4f4d-a032-4401a3709ec3',
    'public :5432 address 10.58.111.150:5432',
    'PATRONI_SCOPE=0d2b43b9-0f87 __x _ a_b 1_2',
    's3://b/backups/x/wal/wal_005/0000.lzo action=push-wal',
    "dog's bone 1,000.5 a.b. .a. a..b 1,,2 x'y' 'q",
    '2016-03-16T20:04:00Z',
  ])('draws the words Intl.Segmenter (UAX #29) draws: %s', (text) => {
    expect(analyse(text)).toEqual(icu(text));
  });

  it('keeps a colon between letters inside a word, as Lucene does (ICU root rules split there)', () => {
    expect(analyse(LOOKUP).slice(0, 5)).toEqual(['looking', 'up', 'public', 'host:port', 'from']);
    expect(analyse('été host:port x')).toEqual(['été', 'host:port', 'x']);
  });

  it("splits the broker's message at hyphens only: the action is one word with the rest", () => {
    expect(analyse('dingo-postgresql-broker.deprovision.start')).toEqual(['dingo', 'postgresql', 'broker.deprovision.start']);
    expect(analyse('patroni-broker.cluster.remove-node.perform')).toEqual(['patroni', 'broker.cluster.remove', 'node.perform']);
    expect(analyse('6e101b27-ee1b-4f4d-a032-4401a3709ec3')).toEqual(['6e101b27', 'ee1b', '4f4d', 'a032', '4401a3709ec3']);
  });
});

describe('phrases, matches and keywords', () => {
  it('the phrase deprovision.start finds nothing in a broker line; its source does', () => {
    expect(phraseMatches('text', BROKER, 'deprovision.start')).toBe(false);
    expect(phraseMatches('text', BROKER, 'remove-node.perform')).toBe(false);
    expect(phraseMatches('text', BROKER, 'dingo-postgresql-broker')).toBe(true);
    expect(phraseMatches('text', BROKER, '6e101b27-ee1b-4f4d-a032-4401a3709ec3')).toBe(true);
    expect(phraseMatches('text', LOOKUP, 'looking up public host')).toBe(false);
    expect(phraseMatches('text', LOOKUP, 'looking up public')).toBe(true);
  });

  it('every phrase the finder pushes down matches a line it needs', () => {
    const needed = [
      BROKER,
      '{"timestamp":"1458195017.8","source":"patroni-broker","message":"patroni-broker.cluster.remove-node.perform"}',
      '2016-03-16T21:20:00Z 3a97 confd[4095]: INFO /var/vcap/sys/run/router/haproxy.cfg has been updated',
      "Create options: {'Env'=>['PATRONI_SCOPE=0d2b43b9-0f87-4639-8f2a-5a1e2d3c4b5a']}",
      'patroni> public address 10.58.111.150:40001',
      'patroni> public :5432 address 10.58.111.150:40001',
      LOOKUP,
      'STRUCTURED: time=2016-03-17T04:21:48.204311-00 pid=923 action=push-wal key=s3://b/backups/g/wal/wal_005/1.lzo',
      'copy: s3://b/backups/g/wal/basebackups_005/base_1/extended_version.txt',
      'copy: s3://b/backups/g/wal/sysids/sysid to s3://b/backups/n/wal/sysids/sysid',
    ];
    for (const phrase of PHRASES)
      expect(
        needed.some((l) => phraseMatches('text', l, phrase)),
        phrase,
      ).toBe(true);
  });

  it('match takes any word, or all with operator and; a keyword is matched whole', () => {
    expect(tokensMatch('text', BROKER, 'nothing start deprovision', 'or')).toBe(false);
    expect(tokensMatch('text', BROKER, 'nothing dingo', 'or')).toBe(true);
    expect(tokensMatch('text', BROKER, 'nothing dingo', 'and')).toBe(false);
    expect(phraseMatches('keyword', 'broker.stdout.log', 'broker')).toBe(false);
    expect(phraseMatches('keyword', 'broker.stdout.log', 'broker.stdout.log')).toBe(true);
  });
});

describe("each Logsearch generation's mapping", () => {
  const doc = {
    '@raw': `<14>1 2016-03-17T06:10:17Z router broker.stdout.log - - - ${BROKER}`,
    '@message': BROKER,
    syslog_program: 'broker.stdout.log',
    syslog_sd_id: 'instance@47450',
    '@level': 'INFO',
    '@source': { component: 'broker.stdout.log', host: '0.router.dingo' },
  };
  const phrase = (field: string, query: string) => ({ match_phrase: { [field]: query } });
  const pushedDown = (query: string) => ({ multi_match: { query, type: 'phrase', fields: ['@raw', '@message'] } });

  it('logsearch-boshrelease: only @raw is analysed, @message and every other string kept whole, no .raw', () => {
    const g = GENERATIONS.logsearch;
    expect(fieldType(g, '@raw')).toBe('text');
    expect(matches(phrase('@raw', 'dingo-postgresql-broker'), doc, g)).toBe(true);
    expect(matches(phrase('@message', 'dingo-postgresql-broker'), doc, g)).toBe(false);
    expect(matches({ term: { '@message': BROKER } }, doc, g)).toBe(true);
    expect(matches(phrase('syslog_program', 'BROKER.stdout.log'), doc, g)).toBe(false);
    expect(matches({ term: { syslog_program: 'broker.stdout.log' } }, doc, g)).toBe(true);
    expect(fieldType(g, 'syslog_program.raw')).toBeNull();
    expect(fieldType(g, '@message.raw')).toBeNull();
    // A line the syslog filter could not parse keeps only @message, which no phrase reaches.
    expect(matches(pushedDown('dingo-postgresql-broker'), { '@message': doc['@raw'] }, g)).toBe(false);
    expect(matches(pushedDown('dingo-postgresql-broker'), doc, g)).toBe(true);
  });

  it('logsearch-for-cloudfoundry before v203: @source and @level analysed with a .raw copy, *_id whole, other strings analysed', () => {
    const g = GENERATIONS['logsearch-for-cloudfoundry'];
    // A dot between letters joins: the program is one word, so a part of it is no phrase of it.
    expect(matches(phrase('@source.component', 'BROKER.stdout.log'), doc, g)).toBe(true);
    expect(matches(phrase('@source.component', 'broker'), doc, g)).toBe(false);
    expect(matches(phrase('@source.component.raw', 'BROKER.stdout.log'), doc, g)).toBe(false);
    expect(matches({ term: { '@source.component.raw': 'broker.stdout.log' } }, doc, g)).toBe(true);
    expect(matches({ term: { '@level.raw': 'INFO' } }, doc, g)).toBe(true);
    expect(matches(phrase('syslog_program', 'BROKER.stdout.log'), doc, g)).toBe(true);
    expect(fieldType(g, 'syslog_program.raw')).toBeNull();
    expect(matches(phrase('syslog_sd_id', 'instance'), doc, g)).toBe(false);
    expect(matches({ term: { syslog_sd_id: 'instance@47450' } }, doc, g)).toBe(true);
    expect(matches({ match: { '@message': { query: 'deprovision start', operator: 'and' } } }, doc, g)).toBe(false);
    expect(matches(pushedDown('deprovision.start'), doc, g)).toBe(false);
    expect(matches(pushedDown('dingo-postgresql-broker'), { '@message': BROKER }, g)).toBe(true);
  });

  it('logsearch-for-cloudfoundry v203 and later: @message analysed with a .raw copy, @source and other strings kept whole', () => {
    const g = GENERATIONS['logsearch-for-cloudfoundry-203'];
    expect(matches(phrase('@source.component', 'BROKER.stdout.log'), doc, g)).toBe(false);
    expect(matches({ terms: { '@source.component': ['broker.stdout.log'] } }, doc, g)).toBe(true);
    expect(fieldType(g, '@source.component.raw')).toBeNull();
    expect(matches({ term: { '@message.raw': BROKER } }, doc, g)).toBe(true);
    // The copy keeps no value over 256 characters (ignore_above); the analysed field does.
    const long = `${BROKER} ${'x'.repeat(256 - BROKER.length)}`;
    expect(matches({ term: { '@message.raw': long } }, { '@message': long }, g)).toBe(false);
    expect(matches(phrase('@message', 'dingo-postgresql-broker'), { '@message': long }, g)).toBe(true);
    expect(matches(phrase('syslog_program', 'BROKER.stdout.log'), doc, g)).toBe(false);
    expect(matches(pushedDown('dingo-postgresql-broker'), { '@message': BROKER }, g)).toBe(true);
    expect(matches(pushedDown('dingo-postgresql-broker'), { '@raw': doc['@raw'] }, g)).toBe(true);
  });
});
