/** A function that runs one SQL text in a database of a scratch PostgreSQL and gives the rows of its last statement. */
export type Query = (database: string, sql: string) => Promise<string[][]>;

/**
 * A function that runs one SQL text and gives the lines it prints as they come, in batches (what
 * one read brought), read on demand (the server's output is never held whole): for a table read by
 * `COPY (…) TO STDOUT`. A batch, not a line, at a time: a million rows cost a million awaits
 * otherwise. Leaving the loop early stops the query.
 */
export type QueryLines = (database: string, sql: string) => AsyncIterable<string[]>;

/**
 * The lines of a table's `COPY … TO STDOUT` in `database`, run as `owner` where the session must be
 * the table's owner's (a copy paused at its target, where no reader role can be made), else as the
 * reader role.
 */
export type TableLines = (database: string, sql: string, owner: string) => AsyncIterable<string[]>;
