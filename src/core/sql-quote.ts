/**
 * Names and values written into SQL that PostgreSQL reads exactly as given, whatever they hold
 * (quotes, backslashes, `$$`, psql's `:var`): an identifier in double quotes with each double quote
 * doubled, a value in single quotes with each single quote doubled (standard_conforming_strings is on
 * since 9.1, so a backslash is an ordinary character).
 */

/** A quoted SQL identifier. */
export const sqlIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** A quoted SQL string literal. */
export const sqlLiteral = (value: string): string => `'${value.replace(/'/g, "''")}'`;
