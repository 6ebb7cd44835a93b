// ASL definition → graph (nodes and labelled edges), pure and layout-free.
//
// Every state becomes a node whose id is its name (ASL requires names unique in
// the whole machine; a repeated name gets a `#n` suffix so the graph stays
// well-formed while the validator reports it). Parallel states are groups
// holding one group per branch; Map states are groups holding their processor's
// states. Next, Default, Choice rules and Catch rules become edges labelled by
// what they mean; the top level gets Start and End pseudo-nodes.

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };
/** A path into the definition: object keys and array indexes. */
export type Path = (string | number)[];

export type NodeKind = 'state' | 'branch' | 'start' | 'end';
export type EdgeKind = 'start' | 'next' | 'default' | 'choice' | 'catch' | 'end';

export interface GraphNode {
  id: string;
  kind: NodeKind;
  label: string;
  /** The state's Type, for states. */
  stateType?: string;
  /** The enclosing group's id (a branch or a Map state). */
  parent?: string;
  /** Whether other nodes are drawn inside it. */
  group: boolean;
  /** For states: the path of the States object that holds it plus its name. */
  container?: Path;
  name?: string;
  /** For branches: the path of the branch object (has StartAt and States). */
  branchPath?: Path;
  /** Task resource, Wait/Choice summaries, shown under the name. */
  detail?: string;
  isStartState?: boolean;
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  kind: EdgeKind;
  label?: string;
  /** The edge's origin in the definition, e.g. ['States','C','Choices',0,'Next']. */
  path?: Path;
}

export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** State name → node id (the first state of that name). */
  byName: Map<string, string>;
}

export const START_ID = '__start__';
export const END_ID = '__end__';

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function getAt(root: Json, path: Path): Json | undefined {
  let cur: Json | undefined = root;
  for (const seg of path) {
    if (cur === undefined || cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, Json>)[seg as never];
  }
  return cur;
}

/** A short text for a rule of a Choice state. */
export function describeRule(rule: Json): string {
  if (!isObject(rule)) return '?';
  if (typeof rule.Condition === 'string') return rule.Condition;
  for (const op of ['And', 'Or'] as const) {
    const parts = rule[op];
    if (Array.isArray(parts)) return parts.map(describeRule).join(op === 'And' ? ' and ' : ' or ');
  }
  if (isObject(rule.Not)) return `not (${describeRule(rule.Not)})`;
  const variable = typeof rule.Variable === 'string' ? rule.Variable : '';
  for (const [k, v] of Object.entries(rule)) {
    if (k === 'Variable' || k === 'Next' || k === 'Comment' || k === 'Assign' || k === 'Output') continue;
    const op = k
      .replace(/Path$/, '')
      .replace(/^(String|Numeric|Boolean|Timestamp)/, '')
      .replace('GreaterThanEquals', '≥')
      .replace('LessThanEquals', '≤')
      .replace('GreaterThan', '>')
      .replace('LessThan', '<')
      .replace('Equals', '=');
    return `${variable} ${op} ${JSON.stringify(v)}`.trim();
  }
  return variable || '?';
}

function stateDetail(state: JsonObject): string | undefined {
  switch (state.Type) {
    case 'Task':
      return typeof state.Resource === 'string' ? shortResource(state.Resource) : undefined;
    case 'Wait':
      for (const k of ['Seconds', 'Timestamp', 'SecondsPath', 'TimestampPath']) {
        if (state[k] !== undefined) return `${k} ${String(state[k])}`;
      }
      return undefined;
    case 'Fail':
      return typeof state.Error === 'string' ? state.Error : undefined;
    default:
      return undefined;
  }
}

/** `arn:aws:states:::lambda:invoke` → `lambda:invoke`; activity ARNs → `activity:name`. */
export function shortResource(resource: string): string {
  const m = /^arn:[^:]+:states:[^:]*:[^:]*:(.*)$/.exec(resource);
  if (m) return m[1] || resource;
  const lambda = /^arn:[^:]+:lambda:[^:]*:[^:]*:function:(.*)$/.exec(resource);
  if (lambda) return `λ ${lambda[1]}`;
  return resource;
}

/** Where a Map state keeps its processor (new name first). */
export function processorKey(state: JsonObject): 'ItemProcessor' | 'Iterator' | undefined {
  if (isObject(state.ItemProcessor)) return 'ItemProcessor';
  if (isObject(state.Iterator)) return 'Iterator';
  return undefined;
}

export function toGraph(definition: Json): Graph {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const byName = new Map<string, string>();
  const used = new Set<string>([START_ID, END_ID]);
  let edgeSeq = 0;
  const edge = (e: Omit<GraphEdge, 'id'>) => {
    edges.push({ ...e, id: `e${edgeSeq++}:${e.source}->${e.target}:${e.kind}` });
  };

  const idFor = (name: string) => {
    let id = name;
    for (let n = 2; used.has(id); n++) id = `${name}#${n}`;
    used.add(id);
    return id;
  };

  // Lays out one States object; returns the ids of its start state and of its terminal states.
  const walk = (containerPath: Path, container: JsonObject, parent: string | undefined) => {
    const states = isObject(container.States) ? container.States : {};
    const local = new Map<string, string>();
    const terminals: string[] = [];
    for (const [name, raw] of Object.entries(states)) {
      const state = isObject(raw) ? raw : {};
      const id = idFor(name);
      local.set(name, id);
      if (!byName.has(name)) byName.set(name, id);
      const type = typeof state.Type === 'string' ? state.Type : '?';
      const node: GraphNode = {
        id,
        kind: 'state',
        label: name,
        stateType: type,
        parent,
        group: type === 'Parallel' || (type === 'Map' && processorKey(state) !== undefined),
        container: containerPath,
        name,
        detail: stateDetail(state),
        isStartState: container.StartAt === name,
      };
      nodes.push(node);
      const statePath = [...containerPath, 'States', name];
      if (type === 'Parallel' && Array.isArray(state.Branches)) {
        state.Branches.forEach((b, i) => {
          const branchId = idFor(`${name}#branch${i + 1}`);
          const branchPath = [...statePath, 'Branches', i];
          nodes.push({
            id: branchId,
            kind: 'branch',
            label: `Branch ${i + 1}`,
            parent: id,
            group: true,
            branchPath,
          });
          if (isObject(b)) walk(branchPath, b, branchId);
        });
      } else if (type === 'Map') {
        const key = processorKey(state);
        if (key) walk([...statePath, key], state[key] as JsonObject, id);
      }
      if (state.End === true || type === 'Succeed' || type === 'Fail') terminals.push(id);
    }
    // Edges once every id of this container is known.
    for (const [name, raw] of Object.entries(states)) {
      const state = isObject(raw) ? raw : {};
      const id = local.get(name)!;
      const statePath = [...containerPath, 'States', name];
      const to = (target: Json | undefined) =>
        typeof target === 'string' ? local.get(target) : undefined;
      const next = to(state.Next);
      if (next) edge({ source: id, target: next, kind: 'next', path: [...statePath, 'Next'] });
      if (state.Type === 'Choice') {
        if (Array.isArray(state.Choices)) {
          state.Choices.forEach((rule, i) => {
            const t = isObject(rule) ? to(rule.Next) : undefined;
            if (t) {
              edge({
                source: id,
                target: t,
                kind: 'choice',
                label: describeRule(rule),
                path: [...statePath, 'Choices', i, 'Next'],
              });
            }
          });
        }
        const d = to(state.Default);
        if (d) edge({ source: id, target: d, kind: 'default', label: 'Default', path: [...statePath, 'Default'] });
      }
      if (Array.isArray(state.Catch)) {
        state.Catch.forEach((c, i) => {
          const t = isObject(c) ? to(c.Next) : undefined;
          if (t) {
            const errors = isObject(c) && Array.isArray(c.ErrorEquals) ? c.ErrorEquals.join(', ') : '';
            edge({
              source: id,
              target: t,
              kind: 'catch',
              label: `Catch ${errors}`.trim(),
              path: [...statePath, 'Catch', i, 'Next'],
            });
          }
        });
      }
    }
    const start = typeof container.StartAt === 'string' ? local.get(container.StartAt) : undefined;
    return { start, terminals };
  };

  const root = isObject(definition) ? definition : {};
  nodes.push({ id: START_ID, kind: 'start', label: 'Start', group: false });
  const { start, terminals } = walk([], root, undefined);
  nodes.push({ id: END_ID, kind: 'end', label: 'End', group: false });
  if (start) edge({ source: START_ID, target: start, kind: 'start' });
  for (const t of terminals) edge({ source: t, target: END_ID, kind: 'end' });
  return { nodes, edges, byName };
}

/**
 * Turns a diagnostic location such as `/States/P/Branches[0]/States/X/Next`
 * into a path (`['States','P','Branches',0,'States','X','Next']`).
 */
export function parseLocation(location: string): Path {
  const out: Path = [];
  for (const part of location.split('/')) {
    if (!part) continue;
    const m = /^(.*?)((?:\[\d+\])*)$/.exec(part)!;
    if (m[1]) out.push(m[1]);
    for (const idx of m[2].matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

/** The name of the innermost state a path points into, if any. */
export function stateAt(path: Path): string | undefined {
  let name: string | undefined;
  for (let i = 0; i + 1 < path.length; i++) {
    if (path[i] === 'States' && typeof path[i + 1] === 'string') name = path[i + 1] as string;
  }
  return name;
}
