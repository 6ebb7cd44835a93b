// The state machine drawn with React Flow from a Graph and its ELK layout;
// shared by the designer (editable: drop, connect, delete) and the execution
// view (read-only, coloured by what happened).

import { memo, useEffect, useMemo, useRef, useState } from 'react';
import {
  Background,
  Controls,
  type Edge,
  Handle,
  MarkerType,
  MiniMap,
  type Node,
  type NodeProps,
  Position,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
  type Connection,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { END_ID, type Graph, type GraphNode, START_ID } from '../asl/graph';
import { type Box, layout } from '../asl/layout';
import type { StateStatus } from '../exec/status';

export interface NodeData extends Record<string, unknown> {
  g: GraphNode;
  status?: StateStatus;
  problems?: number;
  editable: boolean;
}

const CATCHABLE = new Set(['Task', 'Parallel', 'Map']);

function StateNode({ data, selected }: NodeProps<Node<NodeData>>) {
  const g = data.g;
  const type = g.stateType ?? '';
  const cls = ['sw-node', `sw-type-${type.toLowerCase()}`, data.status ? `sw-st-${data.status}` : '', data.problems ? 'sw-has-problems' : '', selected ? 'sw-selected' : '', g.group ? 'sw-group' : ''].join(' ');
  const terminal = type === 'Succeed' || type === 'Fail';
  return (
    <div className={cls} data-state={g.name} data-status={data.status ?? ''} title={data.status ? `${g.label}: ${data.status}` : g.label}>
      <Handle type="target" position={Position.Top} id="in" isConnectable={data.editable} />
      <div className="sw-node-head">
        <span className="sw-node-type">{g.isStartState ? '▶ ' : ''}{type}</span>
        {data.problems ? <span className="sw-node-problems" title="validation problems">⚠ {data.problems}</span> : null}
        {data.status && data.status !== 'notReached' ? <span className="sw-node-status">{data.status}</span> : null}
      </div>
      <div className="sw-node-name">{g.label}</div>
      {g.detail && !g.group ? <div className="sw-node-detail">{g.detail}</div> : null}
      {type === 'Choice' ? (
        <>
          <Handle type="source" position={Position.Bottom} id="choice" style={{ left: '30%' }} isConnectable={data.editable} title="Add a rule" />
          <Handle type="source" position={Position.Bottom} id="default" style={{ left: '70%' }} isConnectable={data.editable} title="Default" />
        </>
      ) : terminal ? null : (
        <Handle type="source" position={Position.Bottom} id="next" isConnectable={data.editable} title="Next" />
      )}
      {CATCHABLE.has(type) ? <Handle type="source" position={Position.Right} id="catch" className="sw-catch-handle" isConnectable={data.editable} title="Catch" /> : null}
    </div>
  );
}

function BranchNode({ data }: NodeProps<Node<NodeData>>) {
  return (
    <div className="sw-branch" data-branch={data.g.id}>
      <div className="sw-branch-label">{data.g.label}</div>
    </div>
  );
}

function PseudoNode({ data }: NodeProps<Node<NodeData>>) {
  const start = data.g.kind === 'start';
  return (
    <div className={`sw-pseudo ${start ? 'sw-start' : 'sw-end'}`} data-pseudo={data.g.kind}>
      {start ? null : <Handle type="target" position={Position.Top} id="in" isConnectable={false} />}
      {data.g.label}
      {start ? <Handle type="source" position={Position.Bottom} id="next" isConnectable={data.editable} /> : null}
    </div>
  );
}

const MINIMAP: Record<string, string> = { succeeded: '#2e9d4f', failed: '#d93636', caught: '#e08a00', retried: '#7cb342', running: '#2f6fde', aborted: '#8d6e63' };
function minimapColor(n: Node): string {
  const d = n.data as NodeData;
  if (d.g.kind !== 'state') return 'transparent';
  return (d.status && MINIMAP[d.status]) || '#9aa4b1';
}

const nodeTypes = { state: memo(StateNode), branch: memo(BranchNode), pseudo: memo(PseudoNode) };

export interface FlowProps {
  graph: Graph;
  statuses?: Map<string, StateStatus>;
  problems?: Map<string, number>;
  selected?: string;
  onSelect?: (id: string | undefined) => void;
  editable?: boolean;
  onConnect?: (c: Connection) => void;
  onDeleteNodes?: (ids: string[]) => void;
  onDeleteEdges?: (ids: string[]) => void;
  onReconnect?: (edgeId: string, c: Connection) => void;
  onDropItem?: (item: string, parentId: string | undefined) => void;
  colorMode: 'light' | 'dark';
}

export default function FlowCanvas(props: FlowProps) {
  return (
    <ReactFlowProvider>
      <Inner {...props} />
    </ReactFlowProvider>
  );
}

function Inner({ graph, statuses, problems, selected, onSelect, editable = false, onConnect, onDeleteNodes, onDeleteEdges, onReconnect, onDropItem, colorMode }: FlowProps) {
  const [boxes, setBoxes] = useState<Map<string, Box>>();
  const [laidOut, setLaidOut] = useState<Graph>();
  const [selectedEdge, setSelectedEdge] = useState<string>();
  const flow = useReactFlow();
  useEffect(() => {
    let live = true;
    layout(graph).then(
      (b) => {
        if (!live) return;
        setBoxes(b);
        setLaidOut(graph);
      },
      (e) => console.error('layout failed', e),
    );
    return () => {
      live = false;
    };
  }, [graph]);
  // Fit the view when the set of states changes, not on every edit.
  const shape = laidOut ? laidOut.nodes.map((n) => n.id).join('\u0000') : '';
  const laidOutRef = useRef(laidOut);
  laidOutRef.current = laidOut;
  useEffect(() => {
    const g = laidOutRef.current;
    if (!shape || !g) return;
    // A big machine opens at its start, readable, rather than as a speck.
    const ids = g.nodes.length > 60 ? g.nodes.filter((n) => !n.parent).slice(0, 12).map((n) => ({ id: n.id })) : undefined;
    requestAnimationFrame(() => flow.fitView({ padding: 0.15, maxZoom: 1.2, nodes: ids }));
  }, [shape, flow]);

  const nodes: Node<NodeData>[] = useMemo(() => {
    if (!laidOut || !boxes) return [];
    return laidOut.nodes.map((g) => {
      const b = boxes.get(g.id) ?? { x: 0, y: 0, width: 200, height: 48 };
      const type = g.kind === 'branch' ? 'branch' : g.kind === 'state' ? 'state' : 'pseudo';
      return {
        id: g.id,
        type,
        position: { x: b.x, y: b.y },
        parentId: g.parent,
        extent: g.parent ? ('parent' as const) : undefined,
        data: { g, status: g.name ? statuses?.get(g.name) ?? (statuses ? 'notReached' : undefined) : undefined, problems: g.name ? problems?.get(g.name) : undefined, editable },
        style: { width: b.width, height: b.height },
        selected: g.id === selected,
        draggable: false,
        deletable: editable && g.kind === 'state',
        selectable: g.kind === 'state',
        connectable: editable,
        ariaLabel: g.kind === 'state' ? `${g.stateType} state ${g.label}${g.name && statuses?.get(g.name) ? `, ${statuses.get(g.name)}` : ''}` : g.label,
      };
    });
  }, [laidOut, boxes, statuses, problems, selected, editable]);

  const edges: Edge[] = useMemo(() => {
    if (!laidOut) return [];
    return laidOut.edges.map((e) => ({
      id: e.id,
      source: e.source,
      target: e.target,
      sourceHandle: e.kind === 'catch' ? 'catch' : e.kind === 'choice' ? 'choice' : e.kind === 'default' ? 'default' : 'next',
      targetHandle: 'in',
      label: e.label,
      type: 'smoothstep',
      className: `sw-edge sw-edge-${e.kind}`,
      markerEnd: { type: MarkerType.ArrowClosed },
      deletable: editable && e.kind !== 'end',
      reconnectable: editable && e.kind !== 'end' && e.kind !== 'start' ? ('target' as const) : false,
      selectable: editable && e.kind !== 'end',
      zIndex: 1,
      selected: e.id === selectedEdge,
      data: { kind: e.kind },
    }));
  }, [laidOut, editable, selectedEdge]);

  const onDrop = (ev: React.DragEvent) => {
    const item = ev.dataTransfer.getData('application/x-stepwise-state');
    if (!item || !onDropItem) return;
    ev.preventDefault();
    // The innermost group under the pointer receives the state.
    let parent: string | undefined;
    for (const el of document.elementsFromPoint(ev.clientX, ev.clientY)) {
      const host = (el as HTMLElement).closest?.('.react-flow__node') as HTMLElement | null;
      const id = host?.dataset.id;
      if (!id) continue;
      const g = laidOut?.nodes.find((n) => n.id === id);
      if (g && g.kind === 'branch') {
        parent = id;
        break;
      }
      if (g && g.group && g.stateType === 'Map') {
        parent = id;
        break;
      }
    }
    onDropItem(item, parent);
  };

  return (
    <div className="sw-canvas" data-layout={laidOut === graph ? 'done' : 'pending'} onDragOver={(e) => editable && e.preventDefault()} onDrop={onDrop} data-testid="canvas">
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        colorMode={colorMode}
        onNodeClick={(_, n) => onSelect?.(n.id === START_ID || n.id === END_ID ? undefined : n.id)}
        onNodesChange={(changes) => {
          // Keyboard selection (Tab to a state, Enter) arrives as a change.
          for (const c of changes) if (c.type === 'select' && c.selected && c.id !== selected) onSelect?.(c.id);
        }}
        onPaneClick={() => {
          setSelectedEdge(undefined);
          onSelect?.(undefined);
        }}
        onEdgeClick={(_, e) => editable && setSelectedEdge(e.id)}
        onConnect={(c) => onConnect?.(c)}
        onNodesDelete={(ns) => onDeleteNodes?.(ns.map((n) => n.id))}
        onEdgesDelete={(es) => onDeleteEdges?.(es.map((e) => e.id))}
        edgesReconnectable={editable}
        onReconnect={(old, c) => onReconnect?.(old.id, c)}
        deleteKeyCode={editable ? ['Delete', 'Backspace'] : null}
        nodesDraggable={false}
        nodesConnectable={editable}
        minZoom={0.05}
        proOptions={{ hideAttribution: true }}
      >
        <Background />
        <Controls showInteractive={false} />
        {nodes.length > 30 ? <MiniMap pannable zoomable nodeColor={minimapColor} /> : null}
      </ReactFlow>
    </div>
  );
}
