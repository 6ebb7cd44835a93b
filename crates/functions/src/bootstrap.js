// Stepwise's Node.js runtime for Lambda handlers: the Lambda Runtime API loop
// (next -> handler -> response | error) for `_HANDLER` = "file.export".
'use strict';
const fs = require('fs');
const http = require('http');
const path = require('path');
const { pathToFileURL } = require('url');

const api = `http://${process.env.AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime`;
const root = process.env.LAMBDA_TASK_ROOT || process.cwd();
const handlerName = process.env._HANDLER || '';

function errorBody(e) {
  if (!(e instanceof Error)) {
    return { errorType: typeof e === 'object' && e && e.errorType ? String(e.errorType) : 'Error',
             errorMessage: typeof e === 'string' ? e : JSON.stringify(e), trace: [] };
  }
  return { errorType: e.name || 'Error', errorMessage: e.message, trace: String(e.stack || '').split('\n') };
}

// The http module rather than fetch: fetch gives up on a long poll after
// 300 s, and an abandoned /next could take an event to a closed socket.
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function request(method, url, body, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

async function post(url, body, errorType) {
  const text = JSON.stringify(body === undefined ? null : body);
  const headers = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) };
  if (errorType) headers['Lambda-Runtime-Function-Error-Type'] = errorType;
  await request('POST', url, text, headers);
}

async function load() {
  const dot = handlerName.lastIndexOf('.');
  if (dot < 1) throw Object.assign(new Error(`Bad handler ${handlerName}`), { name: 'Runtime.MalformedHandlerName' });
  const base = path.resolve(root, handlerName.slice(0, dot));
  const file = ['.js', '.mjs', '.cjs'].map((x) => base + x).find((f) => fs.existsSync(f));
  if (!file) throw Object.assign(new Error(`Cannot find module '${handlerName.slice(0, dot)}'`), { name: 'Runtime.ImportModuleError' });
  const mod = await import(pathToFileURL(file).href);
  const name = handlerName.slice(dot + 1);
  const fn = mod[name] ?? (mod.default && mod.default[name]);
  if (typeof fn !== 'function') {
    throw Object.assign(new Error(`${handlerName} is undefined or not exported`), { name: 'Runtime.HandlerNotFound' });
  }
  return fn;
}

function call(handler, event, context) {
  if (handler.length >= 3) {
    return new Promise((resolve, reject) => {
      const r = handler(event, context, (err, out) => (err ? reject(err) : resolve(out)));
      if (r && typeof r.then === 'function') r.then(resolve, reject);
    });
  }
  return Promise.resolve().then(() => handler(event, context));
}

function next() {
  return request('GET', `${api}/invocation/next`);
}

(async () => {
  let handler;
  try {
    handler = await load();
  } catch (e) {
    const body = errorBody(e);
    await post(`${api}/init/error`, body, body.errorType).catch(() => {});
    process.exit(1);
  }
  for (;;) {
    const res = await next();
    const id = res.headers['lambda-runtime-aws-request-id'];
    const deadline = Number(res.headers['lambda-runtime-deadline-ms']);
    const text = res.text;
    const context = {
      awsRequestId: id,
      invokedFunctionArn: res.headers['lambda-runtime-invoked-function-arn'],
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
      memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    try {
      const event = text.length ? JSON.parse(text) : null;
      const result = await call(handler, event, context);
      await post(`${api}/invocation/${id}/response`, result);
    } catch (e) {
      const body = errorBody(e);
      await post(`${api}/invocation/${id}/error`, body, body.errorType);
    }
  }
})();
