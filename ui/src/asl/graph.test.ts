import { describe, expect, it } from 'vitest';
import { END_ID, START_ID, parseLocation, stateAt, toGraph } from './graph';
import { addState, connect, deleteState, removeEdge, renameState, blankDefinition, addBranch, retarget } from './edit';
import { locate, parseErrorAt } from './jsonpos';
import { layout, shapeKey } from './layout';

const machine: any = {
  StartAt: 'Prepare',
  States: {
    Prepare: { Type: 'Pass', Next: 'Route' },
    Route: {
      Type: 'Choice',
      Choices: [{ Variable: '$.n', NumericGreaterThan: 10, Next: 'Big' }],
      Default: 'Small',
    },
    Big: {
      Type: 'Parallel',
      Branches: [
        { StartAt: 'B1', States: { B1: { Type: 'Pass', End: true } } },
        { StartAt: 'B2', States: { B2: { Type: 'Wait', Seconds: 1, Next: 'B3' }, B3: { Type: 'Succeed' } } },
      ],
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Oops' }],
      Next: 'Each',
    },
    Each: {
      Type: 'Map',
      ItemProcessor: { StartAt: 'Work', States: { Work: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', End: true } } },
      End: true,
    },
    Small: { Type: 'Succeed' },
    Oops: { Type: 'Fail', Error: 'Bad' },
  },
};

describe('ASL → graph', () => {
  const g = toGraph(machine);
  const edge = (s: string, t: string) => g.edges.find((e) => e.source === s && e.target === t);

  it('makes one node per state, nested ones inside their groups', () => {
    const states = g.nodes.filter((n) => n.kind === 'state').map((n) => n.id).sort();
    expect(states).toEqual(['B1', 'B2', 'B3', 'Big', 'Each', 'Oops', 'Prepare', 'Route', 'Small', 'Work']);
    const branches = g.nodes.filter((n) => n.kind === 'branch');
    expect(branches.map((b) => [b.label, b.parent])).toEqual([
      ['Branch 1', 'Big'],
      ['Branch 2', 'Big'],
    ]);
    expect(g.nodes.find((n) => n.id === 'B1')!.parent).toBe(branches[0].id);
    expect(g.nodes.find((n) => n.id === 'B3')!.parent).toBe(branches[1].id);
    expect(g.nodes.find((n) => n.id === 'Work')!.parent).toBe('Each');
    expect(g.nodes.find((n) => n.id === 'Big')!.group).toBe(true);
    expect(g.nodes.find((n) => n.id === 'Each')!.group).toBe(true);
    expect(g.nodes.find((n) => n.id === 'Work')!.container).toEqual(['States', 'Each', 'ItemProcessor']);
    // Parents come before their children (React Flow needs that order).
    const order = g.nodes.map((n) => n.id);
    for (const n of g.nodes) if (n.parent) expect(order.indexOf(n.parent)).toBeLessThan(order.indexOf(n.id));
  });

  it('labels Choice rules, Default and Catch edges', () => {
    expect(edge('Prepare', 'Route')!.kind).toBe('next');
    expect(edge('Route', 'Big')).toMatchObject({ kind: 'choice', label: '$.n > 10', path: ['States', 'Route', 'Choices', 0, 'Next'] });
    expect(edge('Route', 'Small')).toMatchObject({ kind: 'default', label: 'Default' });
    expect(edge('Big', 'Oops')).toMatchObject({ kind: 'catch', label: 'Catch States.ALL' });
    expect(edge('B2', 'B3')!.kind).toBe('next');
    expect(edge(START_ID, 'Prepare')!.kind).toBe('start');
    // Only top-level terminals reach End.
    expect(g.edges.filter((e) => e.target === END_ID).map((e) => e.source).sort()).toEqual(['Each', 'Oops', 'Small']);
  });

  it('keeps repeated names apart and survives garbage', () => {
    const dup = toGraph({ StartAt: 'A', States: { A: { Type: 'Parallel', Branches: [{ StartAt: 'A', States: { A: { Type: 'Pass', End: true } } }], End: true } } });
    expect(dup.nodes.filter((n) => n.kind === 'state').map((n) => n.id)).toEqual(['A', 'A#2']);
    expect(toGraph(null).nodes.map((n) => n.id)).toEqual([START_ID, END_ID]);
    expect(toGraph({ States: { X: 3 } }).nodes.length).toBe(3);
  });

  it('reads diagnostic locations', () => {
    const p = parseLocation('/States/Big/Branches[1]/States/B2/Next');
    expect(p).toEqual(['States', 'Big', 'Branches', 1, 'States', 'B2', 'Next']);
    expect(stateAt(p)).toBe('B2');
    expect(stateAt(parseLocation('/StartAt'))).toBeUndefined();
  });
});

describe('graph edits → ASL', () => {
  it('builds Pass → Choice → two branches → Succeed', () => {
    let def: any = blankDefinition();
    const names: string[] = [];
    for (const item of ['Pass', 'Choice', 'Pass', 'Pass', 'Succeed']) {
      const r = addState(def, [], item);
      def = r.def;
      names.push(r.name);
    }
    expect(names).toEqual(['Pass', 'Choice', 'Pass 2', 'Pass 3', 'Success']);
    expect(def.StartAt).toBe('Pass');
    def = connect(def, [], 'Pass', 'Choice', 'next');
    def = connect(def, [], 'Choice', 'Pass 2', 'choice');
    def = connect(def, [], 'Choice', 'Pass 3', 'default');
    def = connect(def, [], 'Pass 2', 'Success', 'next');
    def = connect(def, [], 'Pass 3', 'Success', 'next');
    expect(def.States.Pass).toEqual({ Type: 'Pass', Next: 'Choice' });
    expect(def.States.Choice).toEqual({ Type: 'Choice', Choices: [{ Variable: '$.go', BooleanEquals: true, Next: 'Pass 2' }], Default: 'Pass 3' });
    const g = toGraph(def);
    expect(g.edges.map((e) => `${e.source}>${e.target}:${e.kind}`).sort()).toEqual(
      ['Choice>Pass 2:choice', 'Choice>Pass 3:default', 'Pass 2>Success:next', 'Pass 3>Success:next', 'Pass>Choice:next', 'Success>__end__:end', '__start__>Pass:start'].sort(),
    );
  });

  it('never mutates its input and refuses impossible edges', () => {
    const before = JSON.stringify(machine);
    connect(machine, [], 'Prepare', 'Small', 'next');
    deleteState(machine, [], 'Route');
    expect(JSON.stringify(machine)).toBe(before);
    expect(connect(machine, [], 'Small', 'Prepare', 'next')).toBe(machine); // Succeed has no Next
    expect(connect(machine, [], 'Prepare', 'B1', 'next')).toBe(machine); // another container
    expect(connect(machine, [], 'Prepare', 'Small', 'catch')).toBe(machine); // Pass cannot catch
  });

  it('deletes a state and what pointed at it', () => {
    const d: any = deleteState(machine, [], 'Big');
    expect(d.States.Big).toBeUndefined();
    expect(d.States.Route.Choices).toEqual([]);
    const d2: any = deleteState(machine, [], 'Oops');
    expect(d2.States.Big.Catch).toBeUndefined();
    const d3: any = deleteState(machine, [], 'Route');
    expect(d3.States.Prepare).toEqual({ Type: 'Pass', End: true });
    const d4: any = deleteState(machine, [], 'Prepare');
    expect(d4.StartAt).toBe('Route');
  });

  it('removes edges, renames, adds into groups and branches', () => {
    const g = toGraph(machine);
    const rule = g.edges.find((e) => e.kind === 'choice')!;
    expect((removeEdge(machine, rule.path!) as any).States.Route.Choices).toEqual([]);
    const next = g.edges.find((e) => e.source === 'Prepare')!;
    expect((removeEdge(machine, next.path!) as any).States.Prepare).toEqual({ Type: 'Pass', End: true });
    const r: any = renameState(machine, [], 'Small', 'Tiny');
    expect(Object.keys(r.States)).toEqual(['Prepare', 'Route', 'Big', 'Each', 'Tiny', 'Oops']);
    expect(r.States.Route.Default).toBe('Tiny');
    expect(renameState(machine, [], 'Small', 'B1')).toBe(machine); // names are machine-wide
    const added = addState(machine, ['States', 'Big', 'Branches', 0], 'Wait');
    expect((added.def as any).States.Big.Branches[0].States[added.name]).toEqual({ Type: 'Wait', Seconds: 5, End: true });
    const par = addState(machine, [], 'Parallel');
    const inner = (par.def as any).States[par.name].Branches[0];
    expect(inner.States[inner.StartAt].Type).toBe('Pass');
    expect((addBranch(machine, [], 'Big') as any).States.Big.Branches.length).toBe(3);
    // Moving an edge's end keeps the rule it belongs to.
    const moved: any = retarget(machine, rule.path!, 'Oops');
    expect(moved.States.Route.Choices[0]).toEqual({ Variable: '$.n', NumericGreaterThan: 10, Next: 'Oops' });
    expect(retarget(machine, ['States', 'Nope', 'Next'], 'Oops')).toBe(machine);
  });
});

describe('JSON positions', () => {
  const text = JSON.stringify(machine, null, 2);
  it('finds a nested value', () => {
    const s = locate(text, ['States', 'Route', 'Choices', 0, 'Next'])!;
    expect(text.slice(s.from, s.to)).toBe('"Big"');
    const b = locate(text, ['States', 'Big', 'Branches', 1, 'States', 'B3'])!;
    expect(JSON.parse(text.slice(b.from, b.to))).toEqual({ Type: 'Succeed' });
    const near = locate(text, ['States', 'Nope'])!;
    expect(text.slice(near.from, near.to)).toBe('"States"');
    expect(locate('{"a": [1, 2', ['a', 1])).toBeNull();
    expect(locate(text, [])).toEqual({ from: 0, to: text.length });
  });
  it('points at JSON syntax errors', () => {
    const bad = '{\n  "a": 1,\n  "b": }';
    let message = '';
    try {
      JSON.parse(bad);
    } catch (e) {
      message = (e as Error).message;
    }
    const at = parseErrorAt(bad, message);
    expect(bad[at]).toBe('}');
  });
});

describe('layout', () => {
  it('places every node, children inside their groups, and reuses itself across renames', async () => {
    const g = toGraph(machine);
    const boxes = await layout(g);
    for (const n of g.nodes) expect(boxes.has(n.id)).toBe(true);
    const big = boxes.get('Big')!;
    for (const n of g.nodes.filter((x) => x.parent === 'Big')) {
      const b = boxes.get(n.id)!;
      expect(b.x + b.width).toBeLessThanOrEqual(big.width);
      expect(b.y + b.height).toBeLessThanOrEqual(big.height);
    }
    // Top to bottom: Prepare above Route above Big.
    expect(boxes.get('Prepare')!.y).toBeLessThan(boxes.get('Route')!.y);
    expect(boxes.get('Route')!.y).toBeLessThan(big.y);
    const renamed = toGraph(renameState(machine, [], 'Small', 'Tiny'));
    expect(shapeKey(renamed)).toBe(shapeKey(g));
    const again = await layout(renamed);
    expect(again.get('Tiny')).toEqual(boxes.get('Small'));
    expect(shapeKey(toGraph(connect(machine, [], 'Prepare', 'Small', 'next')))).not.toBe(shapeKey(g));
  });
});
