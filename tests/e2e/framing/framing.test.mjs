// Differential test of request framing (docs/http-connections.md, "Message framing"): each
// raw request in the corpus is sent to codestatsd and to a reference parser, Node's HTTP
// server (llhttp in its strict mode: no insecureHTTPParser), and both must agree on whether
// the request is accepted, on the body each accepted request carried, and on how many
// requests the bytes held (a second request from leftover bytes is a smuggled one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';

const corpus = process.env.FRAMING_CORPUS;
const port = Number(process.env.CODESTATS_HTTP_PORT);

// Where codestatsd refuses what llhttp accepts, on purpose (each in docs/http-connections.md).
const stricter = {
  'double-space-request-line':
    'a request line is method SP target SP version with single spaces (RFC 9112 section 3); ' +
    'splitting on runs of white space is the lenient parsing section 3 warns about',
  'te-http10':
    'Transfer-Encoding in HTTP/1.0 means faulty framing (RFC 9112 section 6.1); an HTTP/1.0 ' +
    'proxy in front would not have decoded it',
  'te-gzip-chunked': 'the host decodes no coding but chunked, so it refuses the rest (400 and close)',
};

// Sends `bytes` on a new connection and collects what arrives until the server closes
// or nothing more comes for `idleMs`.
function exchange(targetPort, bytes, idleMs = 400) {
  return new Promise((resolve) => {
    const chunks = [];
    const socket = net.connect(targetPort, '127.0.0.1');
    let timer;
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks));
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(finish, idleMs);
    };
    socket.on('connect', () => {
      socket.write(bytes);
      arm();
    });
    socket.on('data', (d) => {
      chunks.push(d);
      arm();
    });
    socket.on('close', finish);
    socket.on('error', finish);
  });
}

// The answers on a connection: statuses and Content-Length bodies, in order.
function responses(buffer) {
  const out = [];
  let s = buffer.toString('latin1');
  while (s.length > 0) {
    const end = s.indexOf('\r\n\r\n');
    if (end < 0) break;
    const head = s.slice(0, end);
    const status = Number(head.split(' ')[1]);
    const m = /\r\ncontent-length: *(\d+)/i.exec(head);
    const length = m ? Number(m[1]) : 0;
    out.push({ status, body: s.slice(end + 4, end + 4 + length) });
    s = s.slice(end + 4 + length);
  }
  return out;
}

// The verdict: the body lengths of the requests served before the first refusal (a status
// other than 200), and whether there was one. `bodyLength` reads a 200's body: codestatsd's
// /hello/echo returns the request body, the reference server its length.
function verdict(answers, bodyLength) {
  const served = [];
  for (const r of answers) {
    if (r.status !== 200) return { served, refused: true };
    served.push(bodyLength(r.body));
  }
  return { served, refused: false };
}

async function codestatsd(bytes) {
  return verdict(responses(await exchange(port, bytes)), (body) => body.length);
}

let reference;
async function llhttp(bytes) {
  return verdict(responses(await exchange(reference.address().port, bytes)), (body) => Number(body));
}

test('framing: codestatsd and llhttp (strict) read every corpus request alike', async (t) => {
  reference = http.createServer((req, res) => {
    let length = 0;
    req.on('data', (d) => { length += d.length; });
    req.on('end', () => res.end(String(length)));
    req.on('error', () => {});
  });
  // Node's parser errors (the request handler never runs): refused.
  reference.on('clientError', (err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  await new Promise((r) => reference.listen(0, '127.0.0.1', r));
  const files = fs.readdirSync(corpus).filter((f) => f.endsWith('.http')).sort();
  assert.ok(files.length >= 50, `corpus has ${files.length} requests`);
  const disagreements = [];
  for (const file of files) {
    const name = file.replace(/\.http$/, '');
    const bytes = fs.readFileSync(path.join(corpus, file));
    const ours = await codestatsd(bytes);
    const theirs = await llhttp(bytes);
    const line = `${name}: codestatsd ${JSON.stringify(ours)} llhttp ${JSON.stringify(theirs)}`;
    t.diagnostic(line);
    if (stricter[name]) {
      // We refuse it, llhttp serves it.
      if (!(ours.refused && ours.served.length === 0 && !theirs.refused))
        disagreements.push(`${line} (listed as stricter: ${stricter[name]})`);
    } else if (JSON.stringify(ours) !== JSON.stringify(theirs)) {
      disagreements.push(line);
    }
  }
  reference.close();
  assert.deepEqual(disagreements, []);
});
