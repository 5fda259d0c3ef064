import { describe, expect, it } from 'vitest';
import { sourcesFromArgs } from '../../../src/commands/logs/sources.js';
import { UsageError } from '../../../src/core/errors.js';
import { secrets } from '../../../src/core/invocation.js';

describe('sourcesFromArgs', () => {
  it('reads Elasticsearch from the environment when no flag names it', () => {
    const spec = sourcesFromArgs(
      {},
      { ES_URL: 'https://logsearch.example:9200', ES_INDEX: 'syslog-*', ES_API_KEY: 'k1', ES_CA_FILE: '/ca.pem' },
    );
    expect(spec.paths).toBeUndefined();
    expect(spec.es).toEqual({
      url: 'https://logsearch.example:9200',
      index: 'syslog-*',
      apiKey: 'k1',
      username: undefined,
      password: undefined,
      caFile: '/ca.pem',
      timeoutSeconds: undefined,
      // The command's own secrets registry: the API key and the password are registered with it.
      redactor: secrets(),
    });
  });

  it("prefers flags to the environment, and searches both Logsearch generations' indices by default", () => {
    const spec = sourcesFromArgs(
      { 'es-url': 'https://flag.example', 'es-ca-file': '/flag.pem', 'es-timeout': 90 },
      { ES_URL: 'https://env.example', ES_CA_FILE: '/env.pem', ES_TIMEOUT: '5' },
    );
    expect(spec.es).toMatchObject({
      url: 'https://flag.example',
      index: 'logstash-*,logs-platform-*,logs-unparsed-*',
      caFile: '/flag.pem',
      timeoutSeconds: 90,
    });
    expect(sourcesFromArgs({}, { ES_URL: 'https://env.example', ES_TIMEOUT: '2.5' }).es).toMatchObject({ timeoutSeconds: 2.5 });
  });

  it('refuses an --es-timeout that is not a positive number of seconds', () => {
    for (const bad of [0, -1, Number.NaN])
      expect(() => sourcesFromArgs({ 'es-url': 'https://es.example', 'es-timeout': bad }, {})).toThrow(
        /--es-timeout .* is not a number of seconds/,
      );
    expect(() => sourcesFromArgs({ 'es-url': 'https://es.example' }, { ES_TIMEOUT: 'soon' })).toThrow(UsageError);
  });

  it('takes credentials given as flags as a whole, never mixed with the environment', () => {
    const env = { ES_API_KEY: 'env-key' };
    const spec = sourcesFromArgs({ 'es-url': 'https://es.example', 'es-username': 'elastic', 'es-password': 'pw' }, env);
    expect(spec.es).toMatchObject({ apiKey: undefined, username: 'elastic', password: 'pw' });
  });

  it('refuses an API key beside a username from the same place, naming both ways', () => {
    const both = () => sourcesFromArgs({ 'es-url': 'https://es.example' }, { ES_API_KEY: 'k', ES_USERNAME: 'u', ES_PASSWORD: 'p' });
    expect(both).toThrow(UsageError);
    expect(both).toThrow(/both an API key and a username/);
    expect(() => sourcesFromArgs({ 'es-url': 'https://es.example', 'es-api-key': 'k', 'es-username': 'u' }, {})).toThrow(UsageError);
  });

  it('asks for logs or Elasticsearch when given neither', () => {
    expect(() => sourcesFromArgs({ logs: [''] }, {})).toThrow(/no logs to search/);
  });
});
