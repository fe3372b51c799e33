/**
 * SQL values and the errors a statement answers with (MySQL error numbers).
 */
export const ER_PARSE = 1064;
export const ER_UNKNOWN_SYSTEM_VARIABLE = 1193;
export const ER_UNKNOWN_STMT_HANDLER = 1243;
export const ER_SPECIFIC_ACCESS_DENIED = 1227;

export type Value = number | string | null;

export class SqlError extends Error {
  constructor(readonly errno: number, message: string) {
    super(message);
  }
}
