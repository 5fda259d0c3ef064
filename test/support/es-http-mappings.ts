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
 * The generations, one row each in GENERATIONS (what their templates map, from the releases):
 *
 * - logsearch-boshrelease (2015–2017, Elasticsearch 1.x/2.x, later 5.x): logstash writes
 *   `logstash-%{+YYYY.MM.dd}` under the `logstash` template. `@message` and `@raw` are analysed
 *   strings without a sub-field (`string`/`analyzed` on 2.x, `text` from 5.x); every other string
 *   field (`syslog_program`, `syslog_hostname`, `syslog_pid`, `syslog_severity`, `@source.host`,
 *   `@type`, `tags`...) is analysed with a `.raw` sub-field kept whole (`not_analyzed`, from 5.x
 *   `keyword`, ignore_above 256), as logstash's own template maps strings.
 * - logsearch-for-cloudfoundry before v201 (2016–2017, Elasticsearch 2.x/5.x): `logs-platform-*`
 *   (platform syslog) and `logs-app-*` (app logs, tenants' text). `@message` and `@raw` analysed;
 *   `@source.component`, `@source.host`, `@source.deployment`, `@source.job`, `@source.job_index`,
 *   `@source.index`, `@source.vm`, `@level`, `@type`, `@input`, `@shipper.name`, `syslog_program`,
 *   `syslog_hostname`, `syslog_pid`... are `keyword` (`not_analyzed` on 2.x): its template maps every
 *   other string as a whole value.
 * - logsearch-for-cloudfoundry v201 and later (Elasticsearch 5.x/6.x): as before, without
 *   `syslog_program`/`syslog_hostname`: the program is in `@source.component`, the host in `@source.host`.
 *
 * A field a template does not name is mapped by its catch-all rule (`otherStrings`).
 */

export type FieldType = 'text' | 'keyword';

export interface Generation {
  name: string;
  /** Fields mapped explicitly, by their path, including sub-fields (`syslog_program.raw`). */
  fields: Record<string, FieldType>;
  /** How any other string field is mapped: analysed with a `.raw` keyword (logstash's template), or a keyword. */
  otherStrings: 'text+raw' | 'keyword';
}

const ANALYSED = { '@message': 'text', '@raw': 'text' } as const;
/** logsearch-for-cloudfoundry's fields of every version: the text analysed, where it came from kept whole. */
const FOR_CLOUDFOUNDRY = {
  ...ANALYSED,
  '@source.component': 'keyword',
  '@source.host': 'keyword',
  '@source.deployment': 'keyword',
  '@source.job': 'keyword',
  '@source.job_index': 'keyword',
  '@source.index': 'keyword',
  '@level': 'keyword',
  '@type': 'keyword',
} as const;

export const GENERATIONS = {
  logsearch: {
    name: 'logsearch-boshrelease',
    fields: { ...ANALYSED },
    otherStrings: 'text+raw',
  },
  'logsearch-for-cloudfoundry': {
    name: 'logsearch-for-cloudfoundry (before v201)',
    fields: { ...FOR_CLOUDFOUNDRY, syslog_program: 'keyword', syslog_hostname: 'keyword' },
    otherStrings: 'keyword',
  },
  'logsearch-for-cloudfoundry-201': {
    name: 'logsearch-for-cloudfoundry v201 and later',
    fields: FOR_CLOUDFOUNDRY,
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
  // Only logstash's template gives (the strings it does not name) a sub-field: `.raw`, kept whole.
  if (sub) return fields[sub[1]!] === undefined && g.otherStrings === 'text+raw' && sub[2] === 'raw' ? 'keyword' : null;
  return g.otherStrings === 'keyword' ? 'keyword' : 'text';
}

/** The value a field path reads from a source: a sub-field (`x.raw`) reads its parent's. */
export function sourcePath(g: Generation, path: string): string {
  const sub = /^(.*)\.(raw|keyword)$/.exec(path);
  const fields: Record<string, FieldType> = g.fields;
  return sub && fields[path] === undefined ? sub[1]! : path;
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
