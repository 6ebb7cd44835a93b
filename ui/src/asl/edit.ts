// Graph edits → ASL: every designer gesture is a pure function from one
// definition to the next (the input is never mutated), so undo/redo is a stack
// of definitions and the JSON editor always shows the truth.

import { type Json, type JsonObject, type Path, getAt, isObject, processorKey } from './graph';

export type ConnectKind = 'next' | 'choice' | 'default' | 'catch';

export interface PaletteItem {
  key: string;
  label: string;
  type: string;
  /** Base for the new state's name. */
  name: string;
  group: 'flow' | 'integration';
}

export const PALETTE: PaletteItem[] = [
  { key: 'Pass', label: 'Pass', type: 'Pass', name: 'Pass', group: 'flow' },
  { key: 'Task', label: 'Task', type: 'Task', name: 'Task', group: 'flow' },
  { key: 'Choice', label: 'Choice', type: 'Choice', name: 'Choice', group: 'flow' },
  { key: 'Wait', label: 'Wait', type: 'Wait', name: 'Wait', group: 'flow' },
  { key: 'Parallel', label: 'Parallel', type: 'Parallel', name: 'Parallel', group: 'flow' },
  { key: 'Map', label: 'Map', type: 'Map', name: 'Map', group: 'flow' },
  { key: 'Succeed', label: 'Succeed', type: 'Succeed', name: 'Success', group: 'flow' },
  { key: 'Fail', label: 'Fail', type: 'Fail', name: 'Fail', group: 'flow' },
  { key: 'Lambda', label: 'Lambda invoke', type: 'Task', name: 'Lambda Invoke', group: 'integration' },
  { key: 'Activity', label: 'Activity', type: 'Task', name: 'Activity', group: 'integration' },
  { key: 'Http', label: 'HTTP call', type: 'Task', name: 'Call API', group: 'integration' },
  { key: 'Nested', label: 'Nested execution', type: 'Task', name: 'Start Execution', group: 'integration' },
  { key: 'Callback', label: 'Wait for callback', type: 'Task', name: 'Wait For Callback', group: 'integration' },
];

const ACCOUNT = 'arn:aws:states:us-east-1:123456789012';
const LAMBDA = 'arn:aws:lambda:us-east-1:123456789012:function:my-function';

function clone<T extends Json>(v: T): T {
  return structuredClone(v);
}

export function isJsonata(def: Json, state?: JsonObject): boolean {
  const lang = state && typeof state.QueryLanguage === 'string' ? state.QueryLanguage : isObject(def) ? def.QueryLanguage : undefined;
  return lang === 'JSONata';
}

/** Every state name in the machine, nested ones included. */
export function allNames(def: Json): Set<string> {
  const names = new Set<string>();
  const walk = (container: Json | undefined) => {
    if (!isObject(container) || !isObject(container.States)) return;
    for (const [name, s] of Object.entries(container.States)) {
      names.add(name);
      if (!isObject(s)) continue;
      if (Array.isArray(s.Branches)) s.Branches.forEach(walk);
      const key = processorKey(s);
      if (key) walk(s[key]);
    }
  };
  walk(def);
  return names;
}

export function uniqueName(def: Json, base: string, taken: Set<string> = allNames(def)): string {
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base} ${n}`)) return `${base} ${n}`;
}

/** The new state an item of the palette adds. */
export function template(item: string, def: Json, taken: Set<string>): JsonObject {
  const jsonata = isJsonata(def);
  const args = (jsonPath: JsonObject, jsonataArgs: JsonObject): JsonObject =>
    jsonata ? { Arguments: jsonataArgs } : { Parameters: jsonPath };
  const inner = (base: string) => {
    const n = uniqueName(def, base, taken);
    taken.add(n);
    return { StartAt: n, States: { [n]: { Type: 'Pass', End: true } } } as JsonObject;
  };
  switch (item) {
    case 'Pass':
      return { Type: 'Pass', End: true };
    case 'Task':
    case 'Lambda':
      return {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        ...args({ FunctionName: LAMBDA, 'Payload.$': '$' }, { FunctionName: LAMBDA, Payload: '{% $states.input %}' }),
        End: true,
      };
    case 'Activity':
      return { Type: 'Task', Resource: `${ACCOUNT}:activity:my-activity`, End: true };
    case 'Http':
      return {
        Type: 'Task',
        Resource: 'arn:aws:states:::http:invoke',
        ...args(
          { ApiEndpoint: 'https://example.com/api', Method: 'GET', Authentication: { ConnectionArn: 'arn:aws:events:us-east-1:123456789012:connection/my-connection/1' } },
          { ApiEndpoint: 'https://example.com/api', Method: 'GET', Authentication: { ConnectionArn: 'arn:aws:events:us-east-1:123456789012:connection/my-connection/1' } },
        ),
        End: true,
      };
    case 'Nested':
      return {
        Type: 'Task',
        Resource: 'arn:aws:states:::states:startExecution.sync:2',
        ...args(
          { StateMachineArn: `${ACCOUNT}:stateMachine:child`, 'Input.$': '$' },
          { StateMachineArn: `${ACCOUNT}:stateMachine:child`, Input: '{% $states.input %}' },
        ),
        End: true,
      };
    case 'Callback':
      return {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        ...args(
          { FunctionName: LAMBDA, Payload: { 'token.$': '$$.Task.Token', 'input.$': '$' } },
          { FunctionName: LAMBDA, Payload: { token: '{% $states.context.Task.Token %}', input: '{% $states.input %}' } },
        ),
        HeartbeatSeconds: 3600,
        End: true,
      };
    case 'Choice':
      return { Type: 'Choice', Choices: [] };
    case 'Wait':
      return { Type: 'Wait', Seconds: 5, End: true };
    case 'Succeed':
      return { Type: 'Succeed' };
    case 'Fail':
      return { Type: 'Fail', Error: 'Failed', Cause: 'Describe what went wrong' };
    case 'Parallel':
      return { Type: 'Parallel', Branches: [inner('Branch Pass')], End: true };
    case 'Map':
      return { Type: 'Map', ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, ...inner('Iteration Pass') }, End: true };
    default:
      return { Type: item, End: true };
  }
}

/** The States object at `container` (`[]` is the top level). */
function statesOf(def: Json, container: Path): JsonObject | undefined {
  const c = container.length === 0 ? def : getAt(def, container);
  return isObject(c) && isObject(c.States) ? c.States : undefined;
}

function containerOf(def: Json, container: Path): JsonObject | undefined {
  const c = container.length === 0 ? def : getAt(def, container);
  return isObject(c) ? c : undefined;
}

/** Adds a palette item to `container`; the first state of a container becomes its StartAt. */
export function addState(def: Json, container: Path, item: string): { def: Json; name: string } {
  const out = clone(isObject(def) ? def : ({} as JsonObject));
  const c = containerOf(out, container);
  if (!c) return { def, name: '' };
  if (!isObject(c.States)) c.States = {};
  const taken = allNames(out);
  const base = PALETTE.find((p) => p.key === item)?.name ?? item;
  const name = uniqueName(out, base, taken);
  taken.add(name);
  (c.States as JsonObject)[name] = template(item, out, taken);
  if (typeof c.StartAt !== 'string' || !(c.StartAt in (c.States as JsonObject))) c.StartAt = name;
  return { def: out, name };
}

function terminal(state: JsonObject) {
  return state.Type === 'Choice' || state.Type === 'Succeed' || state.Type === 'Fail';
}

/**
 * Connects `source` to `target` (both in `container`). `next` sets Next (and
 * drops End); on a Choice, `choice` adds a rule and `default` sets Default;
 * `catch` adds a States.ALL catcher. `source` null sets the container's StartAt.
 */
export function connect(def: Json, container: Path, source: string | null, target: string, kind: ConnectKind): Json {
  const out = clone(def);
  const c = containerOf(out, container);
  const states = statesOf(out, container);
  if (!c || !states || !(target in states)) return def;
  if (source === null) {
    c.StartAt = target;
    return out;
  }
  const s = states[source];
  if (!isObject(s) || source === target && kind !== 'catch' && s.Type !== 'Choice') return def;
  if (s.Type === 'Choice') {
    if (kind === 'default') {
      s.Default = target;
    } else {
      const rule: JsonObject = isJsonata(out, s)
        ? { Condition: '{% $states.input.go = true %}', Next: target }
        : { Variable: '$.go', BooleanEquals: true, Next: target };
      s.Choices = [...(Array.isArray(s.Choices) ? s.Choices : []), rule];
    }
    return out;
  }
  if (kind === 'catch') {
    if (!['Task', 'Parallel', 'Map'].includes(String(s.Type))) return def;
    s.Catch = [...(Array.isArray(s.Catch) ? s.Catch : []), { ErrorEquals: ['States.ALL'], Next: target }];
    return out;
  }
  if (s.Type === 'Succeed' || s.Type === 'Fail') return def;
  // Keep the key order readable: Next where End was.
  const rebuilt: JsonObject = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'End') rebuilt.Next = target;
    else if (k !== 'Next') rebuilt[k] = v;
  }
  if (!('Next' in rebuilt)) rebuilt.Next = target;
  states[source] = rebuilt;
  return out;
}

/** Removes the transition at `path` (a `…/Next` or `…/Default` address of an edge). */
export function removeEdge(def: Json, path: Path): Json {
  const out = clone(def);
  const last = path[path.length - 1];
  const ownerPath = path.slice(0, -1);
  // A Choice rule or a catcher: drop the whole entry.
  const parentList = getAt(out, ownerPath.slice(0, -1));
  if (last === 'Next' && Array.isArray(parentList) && typeof ownerPath[ownerPath.length - 1] === 'number') {
    parentList.splice(ownerPath[ownerPath.length - 1] as number, 1);
    const holder = getAt(out, ownerPath.slice(0, -2));
    const listKey = ownerPath[ownerPath.length - 2] as string;
    if (isObject(holder) && listKey === 'Catch' && parentList.length === 0) delete holder.Catch;
    return out;
  }
  const owner = getAt(out, ownerPath);
  if (!isObject(owner)) return def;
  delete owner[last as string];
  if (last === 'Next' && !terminal(owner)) owner.End = true;
  return out;
}

/** Deletes a state and every transition into it (those states end instead). */
export function deleteState(def: Json, container: Path, name: string): Json {
  const out = clone(def);
  const c = containerOf(out, container);
  const states = statesOf(out, container);
  if (!c || !states || !(name in states)) return def;
  delete states[name];
  for (const s of Object.values(states)) {
    if (!isObject(s)) continue;
    if (s.Next === name) {
      delete s.Next;
      if (!terminal(s)) s.End = true;
    }
    if (s.Default === name) delete s.Default;
    if (Array.isArray(s.Choices)) s.Choices = s.Choices.filter((r) => !(isObject(r) && r.Next === name));
    if (Array.isArray(s.Catch)) {
      s.Catch = s.Catch.filter((r) => !(isObject(r) && r.Next === name));
      if (s.Catch.length === 0) delete s.Catch;
    }
  }
  if (c.StartAt === name) {
    const first = Object.keys(states)[0];
    if (first) c.StartAt = first;
    else delete c.StartAt;
  }
  return out;
}

/** Renames a state, keeping its place in States and every reference to it. */
export function renameState(def: Json, container: Path, from: string, to: string): Json {
  if (from === to || !to) return def;
  const out = clone(def);
  const c = containerOf(out, container);
  const states = statesOf(out, container);
  if (!c || !states || !(from in states) || allNames(out).has(to)) return def;
  const renamed: JsonObject = {};
  for (const [k, v] of Object.entries(states)) renamed[k === from ? to : k] = v;
  for (const s of Object.values(renamed)) {
    if (!isObject(s)) continue;
    if (s.Next === from) s.Next = to;
    if (s.Default === from) s.Default = to;
    for (const list of [s.Choices, s.Catch]) {
      if (Array.isArray(list)) for (const r of list) if (isObject(r) && r.Next === from) r.Next = to;
    }
  }
  c.States = renamed;
  if (c.StartAt === from) c.StartAt = to;
  return out;
}

/** Replaces one state's body. */
export function replaceState(def: Json, container: Path, name: string, state: JsonObject): Json {
  const out = clone(def);
  const states = statesOf(out, container);
  if (!states || !(name in states)) return def;
  states[name] = state;
  return out;
}

/** Adds a branch (with one Pass state) to a Parallel state. */
export function addBranch(def: Json, container: Path, name: string): Json {
  const out = clone(def);
  const s = statesOf(out, container)?.[name];
  if (!isObject(s) || s.Type !== 'Parallel') return def;
  const n = uniqueName(out, 'Branch Pass');
  s.Branches = [...(Array.isArray(s.Branches) ? s.Branches : []), { StartAt: n, States: { [n]: { Type: 'Pass', End: true } } }];
  return out;
}

/** The designer's blank canvas: the first state dropped becomes StartAt. */
export function blankDefinition(): JsonObject {
  return { Comment: 'A new state machine', StartAt: '', States: {} };
}

/** Points the transition at `path` (a `…/Next` or `…/Default`) at another state of the same container. */
export function retarget(def: Json, path: Path, target: string): Json {
  const owner = getAt(def, path.slice(0, -1));
  if (!isObject(owner) || typeof owner[path[path.length - 1] as string] !== 'string') return def;
  const out = clone(def);
  (getAt(out, path.slice(0, -1)) as JsonObject)[path[path.length - 1] as string] = target;
  return out;
}
