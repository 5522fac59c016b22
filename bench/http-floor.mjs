// The transport floor for the HTTP ratio: a bare Fastify server (no iamsim code) that reads the same JSON
// body as POST /v1/simulate and replies with a ready-made string of the same size as iamsim's answer,
// measured against its own trivial GET. It shows how much of the ratio is left for parsing, validating,
// deciding and serialising once the bytes have crossed the loopback on these shared cores.
import { fork } from 'node:child_process';
import Fastify from 'fastify';
import autocannon from 'autocannon';

if (process.argv[2] === 'serve') {
  const answer = JSON.stringify({ answer: 'x'.repeat(Number(process.argv[3])) });
  const app = Fastify();
  app.removeContentTypeParser(['application/json']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, _text, done) => done(null, null));
  app.get('/healthz', async () => ({ status: 'ok', version: '0.0.0' }));
  app.post('/answer', async (_req, reply) => reply.type('application/json').send(answer));
  await app.listen({ port: 0, host: '127.0.0.1' });
  process.send(app.server.address().port);
} else if (process.argv[2] !== undefined) {
  throw new Error('usage: imported by bench/run.mjs');
}

/** req/s of the trivial GET and of the POST that does nothing, with 10 connections for `seconds` each. */
export async function transportFloor(body, answerBytes, seconds = 5) {
  const child = fork(new URL(import.meta.url).pathname, ['serve', String(answerBytes)]);
  try {
    const port = await new Promise((resolve) => child.once('message', resolve));
    const load = (path, opts) => autocannon({ url: `http://127.0.0.1:${port}${path}`, connections: 10, duration: seconds, ...opts });
    const post = { method: 'POST', headers: { 'content-type': 'application/json' }, body };
    await load('/healthz', { duration: 1 });
    await load('/answer', { duration: 1, ...post });
    const trivial = await load('/healthz');
    const answer = await load('/answer', post);
    return { trivial: trivial.requests.average, post: answer.requests.average };
  } finally {
    child.kill();
  }
}
