/**
 * The order the server sorts a table's rows in (the UTF-8 bytes of the key's text, table-rows.ts),
 * in JavaScript: what the diff's merge join walks both sides by and checks each side keeps.
 */

/**
 * Orders two strings as their UTF-8 bytes compare (code point order), as the server sorted them.
 * UTF-16 code units order otherwise only where a surrogate (a code point above U+FFFF) meets a unit of
 * U+E000 to U+FFFF: surrogates are moved above those before comparing.
 */
export function byteOrder(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

const codePointRank = (unit: number): number => (unit >= 0xd800 ? (unit >= 0xe000 ? unit - 0x800 : unit + 0x2000) : unit);
