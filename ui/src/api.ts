// The server through its public Step Functions API (POST /, AWS JSON 1.0) and
// the read-only /ui-api endpoints for what AWS lacks. Requests are SigV4-signed
// when the user gave credentials (servers started with credentials need them).

import { type Credentials, sign } from './sigv4';

const CREDS_KEY = 'stepwise-credentials';
const AUTH_CODES = new Set(['MissingAuthenticationTokenException', 'UnrecognizedClientException', 'InvalidSignatureException', 'IncompleteSignatureException']);
let authNeeded: (() => void) | undefined;

/** Called when the server refuses an unsigned or badly signed request. */
export function onAuthNeeded(f: () => void) {
  authNeeded = f;
}

export function credentials(): Credentials | undefined {
  try {
    const c = JSON.parse(sessionStorage.getItem(CREDS_KEY) ?? 'null');
    return c && c.accessKeyId ? c : undefined;
  } catch {
    return undefined;
  }
}

export function setCredentials(c: Credentials | undefined) {
  if (c) sessionStorage.setItem(CREDS_KEY, JSON.stringify(c));
  else sessionStorage.removeItem(CREDS_KEY);
}

function signed(method: string, path: string, query: string, headers: Record<string, string>, body: string): Record<string, string> {
  const c = credentials();
  if (!c) return headers;
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { ...headers, ...sign(method, path, query, { ...lower, host: window.location.host }, body, c) };
}

function failure(data: any, res: Response): ApiError {
  const type = String(data.__type ?? 'Error');
  const code = type.split('#').pop() ?? type;
  if (AUTH_CODES.has(code)) authNeeded?.();
  return new ApiError(code, String(data.message ?? data.Message ?? res.statusText));
}

export class ApiError extends Error {
  constructor(
    public code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function sfn<T = any>(action: string, body: object = {}): Promise<T> {
  const text0 = JSON.stringify(body);
  const res = await fetch('/', {
    method: 'POST',
    headers: signed('POST', '/', '', { 'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': `AWSStepFunctions.${action}` }, text0),
    body: text0,
  });
  const text = await res.text();
  let data: any = {};
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    throw new ApiError('InternalFailure', text || res.statusText);
  }
  if (!res.ok) throw failure(data, res);
  return data as T;
}

export interface ExecutionItem {
  executionArn: string;
  stateMachineArn: string;
  stateMachineVersionArn?: string;
  stateMachineAliasArn?: string;
  name: string;
  status: string;
  startDate: number;
  stopDate?: number;
  redriveCount?: number;
}

export interface ExecutionQuery {
  stateMachineArn?: string;
  versionArn?: string;
  aliasArn?: string;
  status?: string;
  namePrefix?: string;
  startedAfter?: number;
  startedBefore?: number;
  search?: string;
  maxResults?: number;
  nextToken?: string;
}

export async function listExecutions(q: ExecutionQuery): Promise<{ executions: ExecutionItem[]; nextToken?: string; scanned: number }> {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') params.set(k, String(v));
  const query = params.toString();
  const res = await fetch(`/ui-api/executions?${query}`, { headers: signed('GET', '/ui-api/executions', query, {}, '') });
  const data = await res.json();
  if (!res.ok) throw failure(data, res);
  return data;
}

/** Every page of a paginated API call. */
export async function all<T>(action: string, body: object, key: string): Promise<T[]> {
  const out: T[] = [];
  let nextToken: string | undefined;
  do {
    const page: any = await sfn(action, { ...body, ...(nextToken ? { nextToken } : {}) });
    out.push(...(page[key] ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return out;
}

export function fmtDate(t: number | string | undefined): string {
  if (t === undefined) return '';
  const d = typeof t === 'number' ? new Date(t < 1e11 ? t * 1000 : t) : new Date(t);
  return d.toLocaleString(undefined, { hour12: false }) + '.' + String(d.getMilliseconds()).padStart(3, '0');
}

/** The last segment(s) of an ARN, for display. */
export function arnName(arn: string | undefined): string {
  if (!arn) return '';
  const parts = arn.split(':');
  return parts.slice(6).join(':') || arn;
}
