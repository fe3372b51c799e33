/**
 * An in-process MySQL-protocol server (mysql2's server-side Connection) for benchmarks and examples
 * on machines without a database, and the protocol half of test/support/fault-server.ts.
 * Dev-only (not shipped); imports nothing from src/.
 *
 * It answers what the bench and the example send, per session:
 *   SELECT <expr> [AS alias], ...      numbers, 'strings', + - * /, ( ), NULL, @@[session.]var,
 *                                      @uservar, CONNECTION_ID(), DATABASE(), VERSION(), USER(),
 *                                      SLEEP(s) (delays the answer)
 *   SET [SESSION] var = value, ...     system variables (sql_mode expands ANSI like MariaDB), @vars,
 *                                      SET NAMES, SET TRANSACTION; DEFAULT restores the default
 *   BEGIN / START TRANSACTION / COMMIT / ROLLBACK / DO ...
 *   prepared statements (COM_STMT_PREPARE / EXECUTE / CLOSE / RESET) of the same statements
 *   COM_PING, COM_INIT_DB, COM_RESET_CONNECTION (session back to defaults), COM_QUIT
 * Anything else is an ER_PARSE_ERROR (1064) naming what is supported.
 *
 *   const db = await startEmbeddedMysql();     // 127.0.0.1, port 0
 *   mysql.createConnection({ host: '127.0.0.1', port: db.port, user: 'root' });
 *   await db.close();
 *
 * resolveMysqlTarget() picks MYSQL_URL (or mysql://root@127.0.0.1:3306/test) when it answers,
 * else starts the embedded server and says so on stderr.
 *
 * Files: types.ts (public shapes), server.ts (listen / protocol alone), target.ts (MYSQL_URL or
 * embedded), engine.ts (command dispatch), session.ts, packets.ts, statement-params.ts,
 * sql-lexer.ts, sql-parser.ts, sql-statements.ts, system-variables.ts, sql-error.ts.
 */
export type {
  EmbeddedMysql, EmbeddedMysqlOptions, EmbeddedSession, MysqlProtocol, MysqlTarget, ProtocolHooks, QueryAction,
} from './types.ts';
export { createMysqlProtocol, startEmbeddedMysql } from './server.ts';
export { parseMysqlUrl, resolveMysqlTarget } from './target.ts';
