import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Node } from '../../src/store/node.ts';
import { DEFAULT_PERMS } from '../../src/store/perms.ts';

/**
 * A leaf keeps its data generation in the field where a parent keeps its child list: the two
 * generations must stay apart across the change from one to the other (DIRECTORY_PART reports the
 * larger; a transaction that read the value conflicts only with a change of the value).
 */
describe('Node generations', () => {
	it('keeps the data generation and the child list generation apart as a leaf becomes a parent', () => {
		const node = new Node('v', DEFAULT_PERMS, 5);
		assert.deepEqual([node.dataGen, node.childGen, node.generation, node.childCount], [5, 0, 5, 0]);
		assert.equal(node.children, undefined);

		node.addChild('a', new Node('', DEFAULT_PERMS, 7), 7);
		assert.deepEqual([node.dataGen, node.childGen, node.generation, node.childCount], [5, 7, 7, 1]);
		assert.equal(node.childBytes, 2);

		node.dataGen = 9;
		assert.deepEqual([node.dataGen, node.childGen, node.generation], [9, 7, 9]);

		node.addChild('bb', new Node('', DEFAULT_PERMS, 10), 10);
		assert.deepEqual([node.dataGen, node.childGen, node.generation, node.childBytes], [9, 10, 10, 5]);
		assert.deepEqual([...node.children!.keys()], ['a', 'bb']);
	});

	it('keeps an emptied child list, so that its generation still counts', () => {
		const node = new Node('', DEFAULT_PERMS, 1);
		node.addChild('a', new Node('', DEFAULT_PERMS, 2), 2);
		node.removeChild('a', 3);
		assert.deepEqual([node.dataGen, node.childGen, node.generation, node.childCount], [1, 3, 3, 0]);
		assert.notEqual(node.children, undefined);
		assert.equal(node.child('a'), undefined);
		// Removing what is not there changes nothing.
		node.removeChild('a', 4);
		assert.equal(node.childGen, 3);
		node.dataGen = 6;
		assert.deepEqual([node.dataGen, node.childGen, node.generation], [6, 3, 6]);
	});

	it('answers child lookups on a leaf without a child list', () => {
		const leaf = new Node('', DEFAULT_PERMS, 1);
		assert.equal(leaf.child('x'), undefined);
		leaf.removeChild('x', 2);
		assert.deepEqual([leaf.dataGen, leaf.childGen, leaf.children], [1, 0, undefined]);
	});
});
