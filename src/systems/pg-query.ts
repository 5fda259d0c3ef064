/** A function that runs one SQL text in a database of a scratch PostgreSQL and gives the rows of its last statement. */
export type Query = (database: string, sql: string) => Promise<string[][]>;
