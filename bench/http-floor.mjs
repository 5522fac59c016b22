// The transport floor for the HTTP ratio: a bare Fastify server (no iamsim code) that reads the same JSON
// body as POST /v1/simulate and replies with a ready-made string of the same size as iamsim's answer,
// measured against its own trivial GET. `/answer` does nothing with the body; `/parse` also runs JSON.parse
// on it, the one step no JSON API can skip. They show how much of the ratio is left once the bytes have
// crossed the loopback on these shared cores, and once the body is parsed.
import { spawn } from 'node:child_process';
import Fastify from 'fastify';
import autocannon from 'autocannon';
import { asClient, serverCommand } from './pin.mjs';

if (process.argv[2] === 'serve') {
  const answer = JSON.stringify({ answer: 'x'.repeat(Number(process.argv[3])) });
  const app = Fastify();
  app.removeContentTypeParser(['application/json']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, text, done) => done(null, req.url === '/parse' ? JSON.parse(text) : null));
  app.get('/healthz', async () => ({ status: 'ok', version: '0.0.0' }));
  const reply = async (_req, res) => res.type('application/json').send(answer);
  app.post('/answer', reply);
  app.post('/parse', reply);
  await app.listen({ port: 0, host: '127.0.0.1' });
  process.send(app.server.address().port);
} else if (process.argv[2] !== undefined) {
  throw new Error('usage: imported by bench/run.mjs');
}

/** req/s of the trivial GET, of the POST that does nothing and of the POST that only parses, `seconds` each. */
export async function transportFloor(body, answerBytes, seconds = 5) {
  const [cmd, args] = serverCommand([new URL(import.meta.url).pathname, 'serve', String(answerBytes)]);
  const child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const port = await new Promise((resolve) => child.once('message', resolve));
    const load = (path, opts) => autocannon({ url: `http://127.0.0.1:${port}${path}`, connections: 10, duration: seconds, ...opts });
    const post = { method: 'POST', headers: { 'content-type': 'application/json' }, body };
    return await asClient(async () => {
      await load('/healthz', { duration: 1 });
      await load('/parse', { duration: 1, ...post });
      const trivial = await load('/healthz');
      const answer = await load('/answer', post);
      const parse = await load('/parse', post);
      return { trivial: trivial.requests.average, post: answer.requests.average, parse: parse.requests.average };
    });
  } finally {
    child.kill();
  }
}
