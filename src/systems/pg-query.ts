/** A function that runs one SQL text in a database of a scratch PostgreSQL and gives the rows of its last statement. */
export type Query = (database: string, sql: string) => Promise<string[][]>;

/**
 * A function that runs one SQL text and gives the lines it prints as they come, read on demand (the
 * server's output is never held whole): for a table read by `COPY (…) TO STDOUT`. Leaving the loop
 * early stops the query.
 */
export type QueryLines = (database: string, sql: string) => AsyncIterable<string>;
