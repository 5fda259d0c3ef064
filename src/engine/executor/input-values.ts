/**
 * What an input's answer must be: text typed at a prompt or written in an answers file normalised to
 * the input's type (a list from comma-separated text, yes and no from the words operators use), that
 * type described in words for a question or an error, and the answer checked against it.
 */
import { isRecord } from '../../core/json.js';

export function normaliseInput(type: string, value: unknown): unknown {
  if (type === 'string[]') {
    if (Array.isArray(value)) return value.map(String);
    if (typeof value === 'string') return value.split(/[,\s]+/).filter(Boolean);
  }
  if (type === 'boolean' && typeof value === 'string') {
    // Only the words YAML and operators use for yes and no; anything else stays text and is refused.
    const word = value.trim().toLowerCase();
    if (YES.includes(word)) return true;
    if (NO.includes(word)) return false;
  }
  if (type === 'string' && (typeof value === 'number' || typeof value === 'boolean')) return String(value);
  return typeof value === 'string' ? value.trim() : value;
}

const YES = ['y', 'yes', 'true'];
const NO = ['n', 'no', 'false'];

/** What an answer to the input must be, in words. */
export function describeInputType(input: { type: string; pattern?: string }): string {
  if (input.type === 'boolean') return 'yes or no (true/false, yes/no, y/n)';
  if (input.type === 'object[]') return 'a list of records';
  const text = input.pattern ? `text matching ${input.pattern}` : 'text';
  return input.type === 'string[]' ? `a list of ${text} (or one text of comma-separated values)` : text;
}

export function checkInput(input: { type: string; pattern?: string; default?: unknown }, value: unknown): string | true {
  if (input.type === 'string') {
    // An input whose default is empty text may be left empty ("none"); any other needs an answer.
    if (value === '' && input.default === '') return true;
    if (typeof value !== 'string' || !value) return 'an answer is needed';
    if (input.pattern && !new RegExp(input.pattern).test(value)) return `"${value}" does not match ${input.pattern}`;
  }
  if (input.type === 'string[]') {
    if (!Array.isArray(value)) return 'a list is needed';
    if (input.pattern) {
      const bad = value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).find((v) => !new RegExp(input.pattern!).test(v));
      if (bad !== undefined) return `"${bad}" does not match ${input.pattern}`;
    }
  }
  if (input.type === 'object[]' && !(Array.isArray(value) && value.every(isRecord)))
    return 'a list of records is needed (bound by a use step to a step output, or given in the answers file)';
  if (input.type === 'boolean' && typeof value !== 'boolean')
    return typeof value === 'string' ? `"${value}" is not yes or no (answer yes, no, y, n, true or false)` : 'yes or no';
  return true;
}
