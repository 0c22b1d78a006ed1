// A client taken out of the pool (a transaction's) when the server goes away between two of its
// statements: the error is reported, not thrown at the process, and the pool drops the client.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { checkOut } from '../../src/store/postgres/checked-out.js';
import { until } from '../helpers.js';
import { type PostgresServer, startPostgres } from '../servers/postgres.js';

describe('a pool client taken out for a transaction, against a real Postgres', () => {
  let server: PostgresServer;
  let pool: pg.Pool;
  before(async () => {
    server = await startPostgres();
    pool = new pg.Pool({ connectionString: await server.createDatabase(), max: 2 });
    pool.on('error', () => undefined);
  });
  after(async () => {
    await pool.end();
    await server.destroy();
  });

  it('reports the server going away between two statements, and is dropped once released', async () => {
    const errors: Error[] = [];
    const report = (error: Error) => void errors.push(error);
    const client = await checkOut(pool, report);
    await client.query('BEGIN');
    // The server stops while the client is out, between two statements: no query holds the error.
    await server.stop();
    await until(() => errors.length > 0, 10_000, 'the error reported');
    await assert.rejects(client.query('COMMIT'));
    client.release();
    assert.equal(pool.totalCount, 0, 'the broken client is not kept');
    assert.ok(!client.listeners('error').includes(report), 'the checkout leaves no listener behind');
    await server.start();
    const again = await checkOut(pool);
    assert.equal((await again.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one, 1);
    again.release();
  });
});
