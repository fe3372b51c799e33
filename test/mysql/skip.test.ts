/**
 * SKIP_MYSQL=1 skips the MariaDB suites even when a server answers (someone who asks not to touch
 * the database must not have it touched).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mysqlSkip, probeMysql } from '../support/mysql.ts';

describe('SKIP_MYSQL', () => {
  const saved = process.env.SKIP_MYSQL;
  afterEach(() => {
    if (saved === undefined) delete process.env.SKIP_MYSQL;
    else process.env.SKIP_MYSQL = saved;
  });

  it('SKIP_MYSQL=1 skips whether or not the server answers', async () => {
    await probeMysql(); // the answer (up or down) must not matter
    process.env.SKIP_MYSQL = '1';
    expect(await mysqlSkip()).toBe(true);
  });

  it('without it nothing is skipped', async () => {
    delete process.env.SKIP_MYSQL;
    expect(await mysqlSkip()).toBe(false);
  });
});
