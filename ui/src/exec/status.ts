// Execution history → what happened to each state (pure).
//
// Every event is attributed to a state by following previousEventId back to the
// nearest `…StateEntered` event (AWS chains each branch and iteration that way).
// A failure inside a state is "retried" when the state schedules its work again,
// "caught" when the next state is entered from it, and "failed" when neither
// happened before the history ends.

export interface HistoryEvent {
  id: number;
  previousEventId?: number;
  type: string;
  timestamp: number | string;
  [details: string]: unknown;
}

export type StateStatus = 'succeeded' | 'failed' | 'caught' | 'retried' | 'running' | 'aborted' | 'notReached';

export interface Attempt {
  /** The event that started the attempt (…Scheduled / …Started). */
  startedEventId: number;
  scheduledAt: number;
  error?: string;
  cause?: string;
  endedEventId?: number;
}

export interface StateEntry {
  enteredEventId: number;
  enteredAt: number;
  input?: unknown;
  exitedEventId?: number;
  exitedAt?: number;
  output?: unknown;
  parameters?: unknown;
  resource?: string;
  attempts: Attempt[];
  error?: string;
  cause?: string;
  /** 'caught' when a catcher moved on from this failure. */
  outcome: StateStatus;
}

export interface StateSummary {
  name: string;
  status: StateStatus;
  entries: StateEntry[];
  retries: number;
  failures: number;
}

export interface MapIteration {
  index: number;
  status: 'running' | 'succeeded' | 'failed' | 'aborted';
  startedEventId: number;
}

export interface ExecutionAnalysis {
  states: Map<string, StateSummary>;
  /** The state each event belongs to. */
  stateOfEvent: Map<number, string>;
  /** Map state name → its iterations (inline Map). */
  iterations: Map<string, MapIteration[]>;
  /** The Map iteration each event belongs to (innermost), if any. */
  iterationOfEvent: Map<number, { map: string; index: number }>;
  /** The event that ended the execution, if any. */
  end?: HistoryEvent;
}

export function ms(t: number | string): number {
  if (typeof t === 'number') return t < 1e11 ? t * 1000 : t;
  const n = Date.parse(t);
  return Number.isNaN(n) ? 0 : n;
}

/** The `…EventDetails` member of an event, whatever its name. */
export function detailsOf(e: HistoryEvent): Record<string, unknown> | undefined {
  for (const [k, v] of Object.entries(e)) {
    if (k.endsWith('EventDetails') && v && typeof v === 'object') return v as Record<string, unknown>;
  }
  return undefined;
}

function parseMaybe(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

const WORK_START = /^(Task|LambdaFunction|Activity)Scheduled$|^(Parallel|Map)StateStarted$/;
const FANOUT_END = /^(Parallel|Map)State(Started|Succeeded|Failed|Aborted)$/;
const FAILURE = /^(Task|LambdaFunction|Activity)(Failed|TimedOut)$|^(Parallel|Map)StateFailed$|^(TaskStartFailed|TaskSubmitFailed|LambdaFunctionStartFailed|LambdaFunctionScheduleFailed|ActivityScheduleFailed|MapRunFailed|EvaluationFailed)$/;

export function analyse(events: HistoryEvent[], executionStatus?: string): ExecutionAnalysis {
  const states = new Map<string, StateSummary>();
  const stateOfEvent = new Map<number, string>();
  const entryOfEvent = new Map<number, StateEntry>();
  const pendingFailure = new Set<StateEntry>();
  const iterations = new Map<string, MapIteration[]>();
  const iterationOfEvent = new Map<number, { map: string; index: number }>();
  let end: HistoryEvent | undefined;
  const openFanouts: { kind: string; name: string; entry: StateEntry }[] = [];

  const summary = (name: string) => {
    let s = states.get(name);
    if (!s) {
      s = { name, status: 'notReached', entries: [], retries: 0, failures: 0 };
      states.set(name, s);
    }
    return s;
  };

  for (const e of events) {
    const d = detailsOf(e) ?? {};
    if (e.type.startsWith('MapIteration') && typeof d.name === 'string' && typeof d.index === 'number') {
      iterationOfEvent.set(e.id, { map: d.name, index: d.index });
    } else if (e.previousEventId !== undefined && !FANOUT_END.test(e.type) && !e.type.startsWith('Execution')) {
      const it = iterationOfEvent.get(e.previousEventId);
      if (it) iterationOfEvent.set(e.id, it);
    }
    let name: string | undefined;
    let fanoutEntry: StateEntry | undefined;
    if (e.type.endsWith('StateEntered') || e.type.endsWith('StateExited') || e.type.startsWith('MapIteration')) {
      name = typeof d.name === 'string' ? d.name : undefined;
    } else if (e.type.startsWith('Execution')) {
      name = undefined;
    } else if (FANOUT_END.test(e.type)) {
      // Chained to the last event of a branch or iteration: belongs to the
      // innermost Parallel or Map still open.
      const kind = e.type.startsWith('Parallel') ? 'Parallel' : 'Map';
      for (let i = openFanouts.length - 1; i >= 0; i--) {
        if (openFanouts[i].kind === kind) {
          fanoutEntry = openFanouts[i].entry;
          name = openFanouts[i].name;
          break;
        }
      }
    } else if (e.previousEventId !== undefined) {
      name = stateOfEvent.get(e.previousEventId);
    }
    if (e.type.startsWith('Execution') && /(Succeeded|Failed|Aborted|TimedOut)$/.test(e.type)) end = e;
    if (name === undefined) continue;
    stateOfEvent.set(e.id, name);
    const s = summary(name);
    const t = ms(e.timestamp);

    if (e.type.endsWith('StateEntered')) {
      // Entering a state from a failed one means a catcher moved on.
      const from = e.previousEventId !== undefined ? entryOfEvent.get(e.previousEventId) : undefined;
      if (from && pendingFailure.has(from)) {
        from.outcome = 'caught';
        pendingFailure.delete(from);
      }
      const entry: StateEntry = { enteredEventId: e.id, enteredAt: t, input: parseMaybe(d.input), attempts: [], outcome: 'running' };
      s.entries.push(entry);
      entryOfEvent.set(e.id, entry);
      if (e.type === 'ParallelStateEntered' || e.type === 'MapStateEntered') {
        openFanouts.push({ kind: e.type.startsWith('Parallel') ? 'Parallel' : 'Map', name, entry });
      }
      if (e.type === 'FailStateEntered') {
        entry.outcome = 'failed';
      }
      continue;
    }
    if (e.type.startsWith('MapIteration')) {
      const index = typeof d.index === 'number' ? d.index : -1;
      const list = iterations.get(name) ?? [];
      iterations.set(name, list);
      if (e.type === 'MapIterationStarted') {
        list[index] = { index, status: 'running', startedEventId: e.id };
      } else if (list[index]) {
        list[index].status = e.type === 'MapIterationSucceeded' ? 'succeeded' : e.type === 'MapIterationFailed' ? 'failed' : 'aborted';
      }
      const mapEntry = s.entries[s.entries.length - 1];
      if (mapEntry) entryOfEvent.set(e.id, mapEntry);
      continue;
    }
    const entry = fanoutEntry ?? (e.previousEventId !== undefined ? entryOfEvent.get(e.previousEventId) : undefined) ?? s.entries[s.entries.length - 1];
    if (!entry) continue;
    entryOfEvent.set(e.id, entry);
    if (e.type.endsWith('StateExited')) {
      entry.exitedEventId = e.id;
      entry.exitedAt = t;
      entry.output = parseMaybe(d.output);
      const caught = pendingFailure.has(entry);
      const f = openFanouts.findIndex((o) => o.entry === entry);
      if (f >= 0) openFanouts.splice(f, 1);
      // A state exits after a caught failure too (with the error as output).
      entry.outcome = caught ? 'caught' : entry.attempts.length > 1 ? 'retried' : 'succeeded';
      pendingFailure.delete(entry);
      continue;
    }
    if (WORK_START.test(e.type)) {
      // Work scheduled again in the same entry is a retry (a failed Parallel
      // or Map branch retries without a failure event of its own).
      if (pendingFailure.has(entry) || entry.attempts.length > 0) {
        s.retries++;
        entry.outcome = 'running';
        pendingFailure.delete(entry);
        const prev = entry.attempts[entry.attempts.length - 1];
        if (prev && prev.error === undefined) prev.error = 'failed';
      }
      if (d.parameters !== undefined) entry.parameters = parseMaybe(d.parameters);
      if (typeof d.resource === 'string') entry.resource = d.resource;
      entry.attempts.push({ startedEventId: e.id, scheduledAt: t });
      continue;
    }
    if (FAILURE.test(e.type)) {
      s.failures++;
      entry.error = typeof d.error === 'string' ? d.error : e.type;
      entry.cause = typeof d.cause === 'string' ? d.cause : undefined;
      const last = entry.attempts[entry.attempts.length - 1];
      if (last && last.endedEventId === undefined) {
        last.error = entry.error;
        last.cause = entry.cause;
        last.endedEventId = e.id;
      }
      entry.outcome = 'failed';
      pendingFailure.add(entry);
      continue;
    }
    if (/^(Task|LambdaFunction|Activity)Succeeded$/.test(e.type)) {
      const last = entry.attempts[entry.attempts.length - 1];
      if (last) last.endedEventId = e.id;
      continue;
    }
    if (/^(Parallel|Map)StateAborted$/.test(e.type)) entry.outcome = 'aborted';
  }

  const running = executionStatus === undefined ? end === undefined : executionStatus === 'RUNNING';
  for (const s of states.values()) {
    for (const entry of s.entries) {
      if (entry.outcome === 'running' && !running) entry.outcome = end?.type === 'ExecutionFailed' || end?.type === 'ExecutionTimedOut' ? 'failed' : 'aborted';
    }
    s.status = overall(s);
  }
  for (const list of iterations.values()) {
    for (let i = 0; i < list.length; i++) {
      if (!list[i]) list[i] = { index: i, status: 'running', startedEventId: -1 };
      if (list[i].status === 'running' && !running) list[i].status = 'aborted';
    }
  }
  return { states, stateOfEvent, iterations, iterationOfEvent, end };
}

/** One colour per state: the worst thing that happened to it, a failure first. */
function overall(s: StateSummary): StateStatus {
  const outcomes = new Set(s.entries.map((e) => e.outcome));
  for (const o of ['failed', 'running', 'aborted', 'caught', 'retried', 'succeeded'] as const) {
    if (outcomes.has(o)) return o === 'succeeded' && s.retries > 0 ? 'retried' : o;
  }
  return 'notReached';
}
