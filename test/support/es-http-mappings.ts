/**
 * How the simulated Elasticsearch (`es-http.ts`) indexes a document's fields, as the index
 * templates Logsearch installed map them, and the standard analyzer that text fields go through.
 *
 * The standard analyzer is the standard tokenizer (Unicode word boundaries, UAX #29, as
 * `Intl.Segmenter` with granularity 'word' draws them; only word-like segments are tokens) and a
 * lower-case filter. A dot, colon or apostrophe between letters does not split a word
 * (`broker.deprovision.start`, `host:port` are one token each), a hyphen, slash, double quote,
 * equals sign or space does (`dingo-postgresql-broker` is three); a dot between digits does not
 * (`10.58.111.150`), between a digit and a letter it does (`0000.lzo`). A GUID `6e101b27-ee1b-...`
 * is five tokens, one per group.
 *
 * The generations, one row each in GENERATIONS, as their index templates map the string fields
 * (a field a template does not name goes by its dynamic templates, then by its catch-all):
 *
 * - logsearch-boshrelease (`logstash-%{+YYYY.MM.dd}`, the parser's default index): only `@raw`, the
 *   line as received, is analysed; every other string, `@message` (the text after the syslog prefix)
 *   and the syslog fields included, is kept whole, without a sub-field.
 * - logsearch-for-cloudfoundry before v203 (`logs-platform-*`, Elasticsearch 2.x): `@level`, `@type`,
 *   `@input`, `@index_type`, `@shipper.name` and every `@source.*` analysed, each with a `.raw` copy
 *   kept whole; `*_id` kept whole; every other string (`@message`, `@raw`, the syslog fields)
 *   analysed, Elasticsearch's own default.
 * - logsearch-for-cloudfoundry v203 and later: `@message` analysed with a `.raw` copy kept whole
 *   (ignore_above 256); `tags`, `@input`, `@index_type`, `@type`, `@level`, `@shipper.name` and the
 *   `@source` strings kept whole; with Logsearch's template installed for `logs-` (its
 *   `elasticsearch_config.index_prefix`, as Logsearch's deployment for Cloud Foundry sets it),
 *   `@raw` analysed and every other string kept whole.
 *
 * Read from (repository, path, commit):
 * - logsearch-boshrelease: logsearch/logsearch-boshrelease src/logsearch-config/mappings/default-mappings.json 00a9922bbabc5119b68e46a140c937a3beb3226c (2.x), cloudfoundry-community/logsearch-boshrelease jobs/elasticsearch_config/templates/index-templates/index-mappings.json.erb 212c93cc5a9bb6ce322c18a8950b6f6ef377c9f1 (5.x on)
 * - logsearch-for-cloudfoundry before v203: cloudfoundry-community/logsearch-for-cloudfoundry src/logsearch-config/src/es-mappings/logs-template.json.erb 8cdf4db78a6b21cc81f3729fa6ac50e65a05c96f
 * - logsearch-for-cloudfoundry v203 and later: cloudfoundry-community/logsearch-for-cloudfoundry jobs/elasticsearch-config-lfc/templates/index-mappings.json.erb 51f376d8453e1bd805fc77da8661d9372483a676 (2.x), 1a58c244fc1a7e5830e640a7e8691c678ea001c4 (5.x on), with cloudfoundry-community/logsearch-boshrelease deployment/logsearch-deployment.yml 02408aa9a48a765cba8cbd6950a0d7d4162530d0
 */

export type FieldType = 'text' | 'keyword';

/** A dynamic template: string fields whose path it matches are kept whole, or analysed with a `.raw` copy kept whole. */
interface DynamicRule {
  path: RegExp;
  as: 'keyword' | 'text+raw';
}

export interface Generation {
  name: string;
  /** Fields mapped explicitly, by their path, including sub-fields (`@message.raw`). */
  fields: Record<string, FieldType>;
  /** The dynamic templates, first match wins, for the string fields not mapped explicitly. */
  dynamic: readonly DynamicRule[];
  /** How any other string field is mapped. */
  otherStrings: FieldType;
}

/** logsearch-for-cloudfoundry v203's common fields: the text analysed, where it came from kept whole. */
const FOR_CLOUDFOUNDRY_203 = {
  '@raw': 'text',
  '@message': 'text',
  '@message.raw': 'keyword',
  tags: 'keyword',
  '@input': 'keyword',
  '@index_type': 'keyword',
  '@type': 'keyword',
  '@level': 'keyword',
  '@shipper.name': 'keyword',
  '@source.component': 'keyword',
  '@source.deployment': 'keyword',
  '@source.host': 'keyword',
  '@source.job': 'keyword',
  '@source.job_index': 'keyword',
  '@source.type': 'keyword',
  '@source.vm': 'keyword',
} as const;

export const GENERATIONS = {
  logsearch: {
    name: 'logsearch-boshrelease',
    fields: { '@raw': 'text' },
    dynamic: [],
    otherStrings: 'keyword',
  },
  'logsearch-for-cloudfoundry': {
    name: 'logsearch-for-cloudfoundry (before v203)',
    fields: {},
    dynamic: [
      { path: /[^.]_id$/, as: 'keyword' },
      { path: /^(@level|@type|@input|@index_type)$/, as: 'text+raw' },
      { path: /^(@shipper\.name|@source\..+|@cf\..+|app\..+|haproxy\.http_request_verb)$/, as: 'text+raw' },
    ],
    otherStrings: 'text',
  },
  'logsearch-for-cloudfoundry-203': {
    name: 'logsearch-for-cloudfoundry v203 and later',
    fields: FOR_CLOUDFOUNDRY_203,
    dynamic: [],
    otherStrings: 'keyword',
  },
} as const satisfies Record<string, Generation>;

export type GenerationName = keyof typeof GENERATIONS;

/** The generation whose indices an index name belongs to (what the double installs for it). */
export function generationOf(index: string): Generation {
  return index.startsWith('logstash-') ? GENERATIONS.logsearch : GENERATIONS['logsearch-for-cloudfoundry'];
}

const segmenter = new Intl.Segmenter('en', { granularity: 'word' });
const analysed = new Map<string, string[]>();

/** The standard analyzer: UAX #29 words, lower-cased. */
export function analyse(text: string): string[] {
  let tokens = analysed.get(text);
  if (tokens === undefined) {
    if (analysed.size > 500_000) analysed.clear();
    // eslint-disable-next-line no-control-regex
    tokens = (/^[\x00-\x7f]*$/.test(text) ? asciiWords(text) : unicodeWords(text)).map((t) => t.toLowerCase());
    analysed.set(text, tokens);
  }
  return tokens;
}

/**
 * Words of any script through ICU (`Intl.Segmenter`), whose root rules leave the colon out of
 * MidLetter, which Lucene (Unicode's own table) keeps: two words joined by a colon between
 * letters are joined again.
 */
function unicodeWords(text: string): string[] {
  const out: string[] = [];
  let joinNext = false;
  for (const s of segmenter.segment(text)) {
    if (s.isWordLike) {
      if (joinNext && out.length) out[out.length - 1] = `${out.at(-1)!}:${s.segment}`;
      else out.push(s.segment);
      joinNext = false;
    } else joinNext = s.segment === ':' && /\p{L}$/u.test(out.at(-1) ?? '') && /^\p{L}/u.test(text.slice(s.index + 1));
  }
  return out;
}

/** The word-break class of an ASCII character (UAX #29), '' for the others, which always break. */
function wb(c: string | undefined): 'L' | 'N' | 'E' | 'ML' | 'MN' | 'MNL' | '' {
  if (c === undefined) return '';
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return 'L';
  if (c >= '0' && c <= '9') return 'N';
  if (c === '_') return 'E';
  if (c === ':') return 'ML';
  if (c === ',' || c === ';') return 'MN';
  if (c === '.' || c === "'") return 'MNL';
  return '';
}

/**
 * UAX #29 word boundaries over ASCII text, as Lucene's standard tokenizer draws them (the same
 * words as `Intl.Segmenter`, the colon aside, at a hundredth of its cost): letters and digits
 * join (WB5, WB8 to WB10), the underscore joins either (WB13a/b), a colon, dot or apostrophe
 * between two letters (WB6/7) and a dot, comma, semicolon or apostrophe between two digits
 * (WB11/12) stay inside the word; a word holds a letter or a digit.
 */
function asciiWords(text: string): string[] {
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i <= text.length; i++) {
    const c = wb(text[i]);
    if (start >= 0) {
      const prev = wb(text[i - 1]);
      const next = wb(text[i + 1]);
      const joins =
        ((c === 'L' || c === 'N' || c === 'E') && prev !== '') ||
        (prev === 'L' && (c === 'ML' || c === 'MNL') && next === 'L') ||
        (prev === 'N' && (c === 'MN' || c === 'MNL') && next === 'N');
      if (joins) {
        // A middle character is taken with the letter or digit after it.
        if (c === 'ML' || c === 'MN' || c === 'MNL') i++;
        continue;
      }
      const word = text.slice(start, i);
      if (/[A-Za-z0-9]/.test(word)) out.push(word);
      start = -1;
    }
    if (c === 'L' || c === 'N' || c === 'E') start = i;
  }
  return out;
}

/** How a field (path, possibly a sub-field) is indexed in a generation; null when the mapping has no such field. */
export function fieldType(g: Generation, path: string): FieldType | null {
  const fields: Record<string, FieldType> = g.fields;
  const explicit = fields[path];
  if (explicit) return explicit;
  const sub = /^(.*)\.(raw|keyword)$/.exec(path);
  // Only a dynamic template gives a field the mapping does not name a sub-field: `.raw`, kept whole.
  if (sub) return fields[sub[1]!] === undefined && sub[2] === 'raw' && dynamicRule(g, sub[1]!) === 'text+raw' ? 'keyword' : null;
  const rule = dynamicRule(g, path);
  return rule === undefined ? g.otherStrings : rule === 'keyword' ? 'keyword' : 'text';
}

function dynamicRule(g: Generation, path: string): DynamicRule['as'] | undefined {
  return g.dynamic.find((r) => r.path.test(path))?.as;
}

/** The value a field path reads from a source: a sub-field (`x.raw`) reads its parent's. */
export function sourcePath(path: string): string {
  return /^(.*)\.(raw|keyword)$/.exec(path)?.[1] ?? path;
}

/** Whether a field indexes a value: every template's `.raw` copy skips a value over 256 characters (ignore_above). */
export function indexes(path: string, value: string): boolean {
  return !path.endsWith('.raw') || value.length <= 256;
}

/** Whether `phrase` matches the field's value as `match_phrase` does: consecutive tokens, or the whole keyword. */
export function phraseMatches(type: FieldType, value: string, phrase: string): boolean {
  if (type === 'keyword') return value === phrase;
  const want = analyse(phrase);
  if (want.length === 0) return false;
  const have = analyse(value);
  outer: for (let i = 0; i + want.length <= have.length; i++) {
    for (let j = 0; j < want.length; j++) if (have[i + j] !== want[j]) continue outer;
    return true;
  }
  return false;
}

/** Whether `query` matches as `match` does: any of its tokens (operator or), or all of them (and). */
export function tokensMatch(type: FieldType, value: string, query: string, operator: 'or' | 'and'): boolean {
  if (type === 'keyword') return value === query;
  const have = new Set(analyse(value));
  const want = analyse(query);
  if (want.length === 0) return false;
  return operator === 'and' ? want.every((t) => have.has(t)) : want.some((t) => have.has(t));
}
