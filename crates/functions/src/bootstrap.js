// Stepwise's Node.js runtime for Lambda handlers: the Lambda Runtime API loop
// (next -> handler -> response | error) for `_HANDLER` = "file.export".
'use strict';
const fs = require('fs');
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

async function post(url, body, errorType) {
  const headers = { 'Content-Type': 'application/json' };
  if (errorType) headers['Lambda-Runtime-Function-Error-Type'] = errorType;
  const text = JSON.stringify(body === undefined ? null : body);
  await fetch(url, { method: 'POST', headers, body: text });
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

async function next() {
  for (;;) {
    try {
      return await fetch(`${api}/invocation/next`);
    } catch (e) {
      // An idle long poll can outlive fetch's own timeouts: ask again.
      await new Promise((r) => setTimeout(r, 10));
    }
  }
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
    const id = res.headers.get('lambda-runtime-aws-request-id');
    const deadline = Number(res.headers.get('lambda-runtime-deadline-ms'));
    const text = await res.text();
    const context = {
      awsRequestId: id,
      invokedFunctionArn: res.headers.get('lambda-runtime-invoked-function-arn'),
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
