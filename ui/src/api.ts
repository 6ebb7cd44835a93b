// The server through its public Step Functions API (POST /, AWS JSON 1.0) and
// the read-only /ui-api endpoints for what AWS lacks.

export class ApiError extends Error {
  constructor(
    public code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function sfn<T = any>(action: string, body: object = {}): Promise<T> {
  const res = await fetch('/', {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.0',
      'X-Amz-Target': `AWSStepFunctions.${action}`,
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let data: any = {};
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    throw new ApiError('InternalFailure', text || res.statusText);
  }
  if (!res.ok) {
    const type = String(data.__type ?? 'Error');
    throw new ApiError(type.split('#').pop() ?? type, String(data.message ?? data.Message ?? res.statusText));
  }
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
  const res = await fetch(`/ui-api/executions?${params}`);
  const data = await res.json();
  if (!res.ok) {
    const type = String(data.__type ?? 'Error');
    throw new ApiError(type.split('#').pop() ?? type, String(data.message ?? res.statusText));
  }
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
