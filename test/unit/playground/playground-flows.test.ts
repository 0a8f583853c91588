// The flows npm start runs: every example on a first start; later, the saved flows kept, and an
// example whose shipped version changed replaced when the saved copy is still what npm start wrote,
// offered (named, with the command) when the user changed it, added when new, left out when deleted.
import should from 'should';
import { Example, FlowNode, mergeExamples, tabHash } from '../../../scripts/playground-flows';

const config: FlowNode = { id: 'cfg', type: 'influxdb3-config', url: '${INFLUXDB3_URL}' };
function example(tab: string, label: string, nodes: Partial<FlowNode>[]): Example {
  const t: FlowNode = { id: tab, type: 'tab', label };
  return {
    name: label,
    tab: t,
    nodes: [t, ...nodes.map((n, i) => ({ id: `${tab}-${i}`, type: 'inject', z: tab, ...n })), config],
  };
}

describe('playground flows', () => {
  const a1 = example('a', 'A', [{ name: 'one' }]);
  const b1 = example('b', 'B', [{ name: 'two' }]);

  it('starts with every example, a shared config node once, and remembers what it wrote', () => {
    const m = mergeExamples([a1, b1], undefined, {}, false);
    should(m.flows.map((n) => n.id)).eql(['a', 'a-0', 'cfg', 'b', 'b-0']);
    should(m.written).eql({ a: tabHash(a1.nodes, 'a'), b: tabHash(b1.nodes, 'b') });
    should(m.notes).eql([]);
  });

  it('replaces an untouched example with its newer version, in place, and keeps the user’s own tabs', () => {
    const first = mergeExamples([a1, b1], undefined, {}, false);
    const mine = [
      { id: 'mine', type: 'tab' },
      { id: 'm1', type: 'debug', z: 'mine' },
    ];
    const saved = [...first.flows, ...mine];
    const a2 = example('a', 'A', [{ name: 'one, better' }]);
    const m = mergeExamples([a2, b1], saved, first.written, false);
    should(m.flows.find((n) => n.id === 'a-0')!.name).equal('one, better');
    should(m.flows.filter((n) => n.type === 'tab').map((n) => n.id)).eql(['a', 'b', 'mine']);
    should(m.flows.filter((n) => n.id === 'cfg')).have.length(1);
    should(m.notes).eql(['replaced the example "A" with its newer version']);
    should(m.written.a).equal(tabHash(a2.nodes, 'a'));
  });

  it('keeps an example the user changed and offers the newer one, which --update-examples takes', () => {
    const first = mergeExamples([a1, b1], undefined, {}, false);
    const saved = first.flows.map((n) => (n.id === 'a-0' ? { ...n, x: 500 } : n));
    const unchanged = mergeExamples([a1, b1], saved, first.written, false);
    should(unchanged.notes).eql([]);
    should(unchanged.flows.find((n) => n.id === 'a-0')!.x).equal(500, 'nothing new shipped: the edit stays');
    const a2 = example('a', 'A', [{ name: 'one, better' }]);
    const offered = mergeExamples([a2, b1], saved, first.written, false);
    should(offered.flows.find((n) => n.id === 'a-0')!.x).equal(500);
    should(offered.notes[0]).match(
      /"A" has a newer version .* your copy is kept; `npm start -- --update-examples` replaces it/,
    );
    should(offered.written.a).equal(first.written.a, 'still offered at the next start');
    const taken = mergeExamples([a2, b1], saved, first.written, true);
    should(taken.flows.find((n) => n.id === 'a-0')!.name).equal('one, better');
    should(taken.notes[0]).match(/replaced .*"A".*your edits to that tab are gone/);
  });

  it('adds a new example and leaves out one the user deleted', () => {
    const first = mergeExamples([a1], undefined, {}, false);
    const c = example('c', 'C', [{}]);
    const added = mergeExamples([a1, c], first.flows, first.written, false);
    should(added.flows.some((n) => n.id === 'c')).be.true();
    should(added.notes).eql(['added the example "C" (a new tab)']);
    const deleted = mergeExamples([a1, c], [config], added.written, false);
    should(deleted.flows).eql([config]);
    should(deleted.notes).eql([]);
  });

  it('hashes a tab the same whatever the order of its nodes and keys', () => {
    const shuffled = [...a1.nodes].reverse().map((n) => Object.fromEntries(Object.entries(n).reverse()) as FlowNode);
    should(tabHash(shuffled, 'a')).equal(tabHash(a1.nodes, 'a'));
  });
});
