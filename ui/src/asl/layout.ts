// Automatic layout with elkjs: layered, top to bottom, groups (Parallel
// branches, Map processors) laid out inside their parents.

import type { ELK, ElkNode, ElkExtendedEdge } from 'elkjs/lib/elk-api.js';
import type { Graph } from './graph';

export const NODE_W = 200;
export const NODE_H = 48;
export const PSEUDO = 36;

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

// In the browser ELK runs in a Web Worker (the page stays responsive while a big
// machine is laid out, and the main bundle stays small); elsewhere (unit tests)
// in-process.
let engine: Promise<ELK> | undefined;
function elk(): Promise<ELK> {
  engine ??= (async () => {
    if (typeof Worker !== 'undefined') {
      const [{ default: Api }, { default: workerUrl }] = await Promise.all([import('elkjs/lib/elk-api.js'), import('elkjs/lib/elk-worker.min.js?url')]);
      return new Api({ workerUrl });
    }
    const { default: Bundled } = await import('elkjs/lib/elk.bundled.js');
    return new Bundled();
  })();
  return engine;
}

const LAYOUT = {
  'elk.algorithm': 'layered',
  'elk.direction': 'DOWN',
  'elk.layered.spacing.nodeNodeBetweenLayers': '50',
  'elk.spacing.nodeNode': '36',
  'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
  'elk.edgeRouting': 'ORTHOGONAL',
  'elk.padding': '[top=36,left=16,bottom=16,right=16]',
};

/**
 * What the layout depends on, without names: node kinds, nesting and edges by
 * index. Edits that keep it (renames, field changes) reuse the last layout
 * instead of running ELK again (seconds on a 500-state machine).
 */
export function shapeKey(graph: Graph): string {
  const index = new Map(graph.nodes.map((n, i) => [n.id, i]));
  const nodes = graph.nodes.map((n) => `${n.kind}:${n.group ? 'g' : ''}:${n.stateType === 'Parallel' ? 'P' : ''}:${n.parent ? index.get(n.parent) : ''}`);
  const edges = graph.edges.map((e) => `${index.get(e.source)}>${index.get(e.target)}`);
  return `${nodes.join(',')}|${edges.join(',')}`;
}

let last: { key: string; boxes: Box[] } | undefined;

/** Positions relative to each node's parent, as React Flow wants them. */
export async function layout(graph: Graph): Promise<Map<string, Box>> {
  const key = shapeKey(graph);
  if (last && last.key === key) return new Map(graph.nodes.map((n, i) => [n.id, last!.boxes[i]]));
  const boxes = await elkLayout(graph);
  last = { key, boxes: graph.nodes.map((n) => boxes.get(n.id)!) };
  return boxes;
}

async function elkLayout(graph: Graph): Promise<Map<string, Box>> {
  const elkNodes = new Map<string, ElkNode>();
  const root: ElkNode = { id: '__root__', layoutOptions: { ...LAYOUT, 'elk.padding': '[top=16,left=16,bottom=16,right=16]' }, children: [], edges: [] };
  for (const n of graph.nodes) {
    const pseudo = n.kind === 'start' || n.kind === 'end';
    elkNodes.set(n.id, {
      id: n.id,
      width: pseudo ? PSEUDO * 2 : NODE_W,
      height: pseudo ? PSEUDO : NODE_H,
      layoutOptions: n.group ? { ...LAYOUT, 'elk.direction': n.kind === 'state' && n.stateType === 'Parallel' ? 'RIGHT' : 'DOWN' } : undefined,
      children: n.group ? [] : undefined,
      edges: n.group ? [] : undefined,
    });
  }
  for (const n of graph.nodes) {
    const parent = n.parent ? elkNodes.get(n.parent) : root;
    (parent ?? root).children!.push(elkNodes.get(n.id)!);
  }
  // Empty groups still need a size.
  for (const n of graph.nodes) {
    const e = elkNodes.get(n.id)!;
    if (n.group && e.children!.length === 0) {
      e.children = undefined;
      e.width = NODE_W;
      e.height = NODE_H + 24;
    }
  }
  const parentOf = new Map(graph.nodes.map((n) => [n.id, n.parent]));
  for (const e of graph.edges) {
    const owner = parentOf.get(e.source);
    const container = owner ? elkNodes.get(owner)! : root;
    const edge: ElkExtendedEdge = { id: e.id, sources: [e.source], targets: [e.target] };
    (container.edges ??= []).push(edge);
  }
  const out = new Map<string, Box>();
  const result = await (await elk()).layout(root);
  const visit = (n: ElkNode) => {
    for (const c of n.children ?? []) {
      out.set(c.id, { x: c.x ?? 0, y: c.y ?? 0, width: c.width ?? NODE_W, height: c.height ?? NODE_H });
      visit(c);
    }
  };
  visit(result);
  return out;
}
